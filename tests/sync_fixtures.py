"""Fixtures of the sync tests (tests/test_sync*.py load them with pytest_plugins).

One `savepets serve` process per test module (starting one takes seconds on a small machine); each test
uses fresh kiosks and fresh dogs (tests/sync_checks.py) and checks convergence against everything on the
server."""

from __future__ import annotations

import itertools

import pytest

from tests.sync_harness import ServerProcess, make_key, make_kiosk


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory):
    root = tmp_path_factory.mktemp("sync-server")
    url = f"sqlite:///{root / 'registry.sqlite3'}"
    key = make_key(url)
    srv = ServerProcess(url, root).start()
    yield srv, key
    srv.stop()


@pytest.fixture
def server(shared_server):
    """The module's server, running (a test that stopped or killed it gets it back)."""
    srv, key = shared_server
    if srv.proc is None or srv.proc.poll() is not None:
        srv.start()
    return srv, key


@pytest.fixture
def kiosks(tmp_path):
    made = []
    names = itertools.count()

    def make(url: str | None = None, key: str | None = None, folder=None):
        sp = make_kiosk(folder or tmp_path / f"kiosk{next(names)}", url, key)
        made.append(sp)
        return sp

    yield make
    for sp in made:
        sp.close()
