"""Sync under faults, against a real `savepets serve` process on loopback: the server killed mid-push, the
connection cut mid-request and mid-response (a TCP proxy), requests duplicated and reordered, the kiosk
killed or crashing mid-sync. After every fault: every registration exactly once on the server and on every
kiosk (tests/sync_fixtures.assert_converged)."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
import requests

from core.replication.push import outgoing_changes
from core.schemas import DogUpdate
from sync.client import SyncClient
from tests.sync_checks import assert_converged, fresh_dog, fresh_phone, register, server_dogs, sync_all
from tests.sync_harness import REPO, CutProxy, ServerProcess, make_key

pytest_plugins = ("tests.sync_fixtures",)  # fixtures: server, kiosks


def fast_client(sp, url=None, **kw) -> SyncClient:
    """Few retries with short waits, so that a fault ends a sync quickly instead of hiding in backoff."""
    kw.setdefault("retries", 3)
    kw.setdefault("max_wait_s", 0.5)
    kw.setdefault("timeout", (2.0, 10.0))
    return SyncClient(sp, url, **kw)


def sync_until_online(client: SyncClient, rounds: int = 12):
    reports = []
    for _ in range(rounds):
        reports.append(client.sync_once())
        if client.status.state == "online" and client.status.pending == 0:
            return reports
    raise AssertionError(f"never converged: {client.status} {reports[-1]}")


def store_is_sound(root) -> None:
    """Every photo file on the server hashes to its name: nothing half-written was kept."""
    for path in root.rglob("*"):
        if path.is_file() and len(path.name) == 64:
            assert hashlib.sha256(path.read_bytes()).hexdigest() == path.name


# ------------------------------------------------------------------------------------------------ server killed
@pytest.mark.parametrize("backend", ["sqlite", "mariadb"])
def test_server_killed_mid_push(backend, request, kiosks, tmp_path):
    if backend == "mariadb":
        url = request.getfixturevalue("mariadb_url")
        key = make_key(url)
        srv = ServerProcess(url, tmp_path / "mariadb-server").start()
    else:
        srv, key = request.getfixturevalue("server")
    try:
        before = len(server_dogs(srv.db_url))
        a, b = kiosks(srv.url, key), kiosks(srv.url, key)
        dogs = [register(a, fresh_dog(), fresh_phone()) for _ in range(8)]
        ca = fast_client(a, push_batch=1)  # one dog per request: many chances to die in the middle
        real_call = ca.link._call

        def slow_call(method, path, **kw):  # a slow link: the kill lands between and inside pushes
            if path == "/push":
                time.sleep(0.15)
            return real_call(method, path, **kw)

        ca.link._call = slow_call

        done = threading.Event()
        worker = threading.Thread(target=lambda: (ca.sync_once(), done.set()), daemon=True)
        worker.start()
        deadline = time.monotonic() + 60
        while len(server_dogs(srv.db_url)) < before + 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        srv.kill()
        worker.join(60)
        assert done.is_set() and ca.status.state == "offline"
        assert 0 < ca.status.pending < 8

        srv.start()
        sync_until_online(ca)
        sync_all([fast_client(b), ca])
        assert_converged(srv.db_url, [a, b], before + 8, [d.id for d in dogs])
        store_is_sound(srv.data_dir / "photos")
    finally:
        if backend == "mariadb":
            srv.stop()


# ------------------------------------------------------------------------------------------------ cut connections
@pytest.mark.parametrize(("match", "direction", "at"), [
    (b"POST /v1/sync/push", "response", 60),  # the server applied it; the kiosk never heard: resend = duplicate
    (b"POST /v1/sync/push", "response", 400),  # cut inside the JSON body
    (b"POST /v1/sync/push", "request", 3000),  # the server gets half a request
    (b"POST /v1/sync/photos ", "request", 5000),  # half a photo batch
    (b"GET /v1/sync/pull", "response", 2000),  # half a page of changes
    (b"POST /v1/sync/photos/fetch", "response", 9000),  # half the photos coming down
    (None, "response", 700),  # anything, anywhere
])
def test_connection_cut(match, direction, at, server, kiosks):
    srv, key = server
    proxy = CutProxy(srv.port)
    try:
        proxy.match = match
        proxy.cuts_left = 3
        if direction == "response":
            proxy.cut_after = at
        else:
            proxy.cut_requests_after = at
        a, b = kiosks(srv.url, key), kiosks(srv.url, key)
        dogs = [register(a, fresh_dog(), fresh_phone()) for _ in range(3)]
        dogs.append(register(b, fresh_dog(), fresh_phone()))
        ca, cb = fast_client(a, proxy.url), fast_client(b, proxy.url)
        for c in (ca, cb):
            c.link.http.headers["Connection"] = "close"  # one request per connection: the proxy cuts that one
        reports = sync_until_online(ca) + sync_until_online(cb) + sync_until_online(ca)
        assert proxy.cuts >= 1
        if match == b"POST /v1/sync/push" and direction == "response":
            assert sum(r.duplicates for r in reports) >= 1  # the resend was recognised, not applied twice
        assert_converged(srv.db_url, [a, b], len(server_dogs(srv.db_url)), [d.id for d in dogs])
        store_is_sound(srv.data_dir / "photos")
        for sp in (a, b):
            store_is_sound(sp.store.root)
    finally:
        proxy.close()


# ------------------------------------------------------------------------------------------------ dup / reorder
def _push(srv, key, device, changes, sent_at=None):
    body = {"device_id": device, "sent_at": (sent_at or datetime.now(UTC)).isoformat(), "changes": changes}
    r = requests.post(f"{srv.url}/v1/sync/push", json=body, headers={"Authorization": f"Bearer {key}"}, timeout=30)
    r.raise_for_status()
    return r.json()["results"]


def _change(c, **state_changes):
    wire = c.change.model_dump(mode="json")
    return {**wire, "change_id": state_changes.pop("change_id", c.change_id), "op": state_changes.pop("op", c.op),
            "state": {**wire["state"], **state_changes.pop("state", {})},
            "clocks": state_changes.pop("clocks", wire["clocks"])}


def test_duplicated_and_reordered_requests(server, kiosks):
    srv, key = server
    a, b = kiosks(srv.url, key), kiosks(srv.url, key)
    ca = fast_client(a)
    dog = register(a, fresh_dog(), fresh_phone())
    gone = register(a, fresh_dog(), fresh_phone())
    ca.sync._upload({p.sha256 for d in (dog, gone) for p in d.photos})
    with a.db.sessions() as s:
        first, second = outgoing_changes(s)
    before = len(server_dogs(srv.db_url))

    # the same push four times at once, and once more later: applied once
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: _push(srv, key, a.device_id, [_change(first)]), range(4)))
    statuses = sorted(r[0]["status"] for r in answers)
    assert statuses == ["applied", "duplicate", "duplicate", "duplicate"]
    assert _push(srv, key, a.device_id, [_change(first)])[0]["status"] == "duplicate"
    assert len(server_dogs(srv.db_url)) == before + 1

    # two edits of one field arriving in the wrong order: the later edit wins all the same
    t0 = first.change.state.updated_at  # after the registration, before now
    fields = first.change.state.fields.model_dump(mode="json")
    late = _change(first, change_id="e2-" + first.change_id[:30], state={"fields": {**fields, "notes": "second"}},
                   clocks={"notes": (t0 + timedelta(milliseconds=2)).isoformat()})
    early = _change(first, change_id="e1-" + first.change_id[:30], state={"fields": {**fields, "notes": "first"}},
                    clocks={"notes": (t0 + timedelta(milliseconds=1)).isoformat()})
    assert [r["status"] for r in _push(srv, key, a.device_id, [late])] == ["applied"]
    assert [r["status"] for r in _push(srv, key, a.device_id, [early])] == ["applied"]

    # a deletion that overtakes the creation: the dog never comes to life
    deleted_at = datetime.now(UTC).isoformat()
    deletion = _change(second, change_id="d-" + second.change_id[:30], op="delete",
                       state={"deleted_at": deleted_at})
    assert _push(srv, key, a.device_id, [deletion])[0]["status"] == "applied"
    assert _push(srv, key, a.device_id, [_change(second)])[0]["status"] == "applied"
    assert gone.id not in server_dogs(srv.db_url)

    # the kiosk's own sync resends what was sent by hand: nothing twice; then the kiosk learns the outcome
    cb = fast_client(b)
    sync_all([ca, cb])
    for sp in (a, b):
        assert sp.get_dog(dog.id).notes == "second"
        assert gone.id not in {d.id for d in sp.list_dogs(limit=500)}
    # a's own record of `gone` is still live (its deletion came from elsewhere): a deletion wins on pull too
    assert_converged(srv.db_url, [a, b], len(server_dogs(srv.db_url)), [dog.id])


# ------------------------------------------------------------------------------------------------ kiosk restarts
def test_kiosk_killed_mid_sync_then_restarted(server, kiosks, tmp_path):
    """`savepets sync` killed (SIGKILL) at several moments, then the kiosk's SQLite is opened again."""
    srv, key = server
    folder = tmp_path / "killed-kiosk"
    a = kiosks(folder=folder)
    dogs = [register(a, fresh_dog(), fresh_phone()) for _ in range(6)]
    a.close()
    env = {**os.environ, "SAVEPETS_ENGINE": "standin"}
    cmd = [sys.executable, "-m", "kiosk.cli", "sync", "--server", srv.url, "--api-key", key,
           "--data-dir", str(folder), "--json"]
    for delay in (1.0, 2.5, 3.5, 4.5):
        proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    a = kiosks(srv.url, key, folder=folder)  # opened again after the kills
    b = kiosks(srv.url, key)
    sync_all([fast_client(a), fast_client(b)])
    assert_converged(srv.db_url, [a, b], len(server_dogs(srv.db_url)), [d.id for d in dogs])


def test_kiosk_crash_between_push_answer_and_commit_and_mid_pull(server, kiosks, tmp_path, monkeypatch):
    import core.replication.kiosk

    srv, key = server
    folder = tmp_path / "crashing-kiosk"
    a = kiosks(srv.url, key, folder=folder)
    dogs = [register(a, fresh_dog(), fresh_phone()) for _ in range(3)]

    def crash(*_a, **_k):
        raise RuntimeError("power cut")

    # the server applied the push, the kiosk dies before recording it
    monkeypatch.setattr(core.replication.kiosk, "mark_pushed_many", crash)
    client = fast_client(a)
    client.sync_once()
    assert client.status.state == "error" and client.status.pending == 3
    assert {d.id for d in dogs} <= set(server_dogs(srv.db_url))
    monkeypatch.undo()
    client.close()
    a.close()

    # a fresh kiosk dies in the middle of its first pull (small pages)
    b_folder = tmp_path / "b"
    b = kiosks(srv.url, key, folder=b_folder)
    pages = {"n": 0}
    real_apply = core.replication.kiosk.apply_page

    def apply_then_crash(s, changes):
        pages["n"] += 1
        if pages["n"] == 3:
            raise RuntimeError("power cut")
        return real_apply(s, changes)

    monkeypatch.setattr(core.replication.kiosk, "apply_page", apply_then_crash)
    cb = fast_client(b, pull_limit=2)
    cb.sync_once()
    assert cb.status.state == "error" and 0 < cb.status.cursor
    monkeypatch.undo()
    cb.close()
    b.close()

    a = kiosks(srv.url, key, folder=folder)  # both opened again
    b = kiosks(srv.url, key, folder=b_folder)
    ca, cb = fast_client(a), fast_client(b, pull_limit=2)
    report = ca.sync_once()
    assert report.duplicates == 3 and report.pushed == 0  # resent, recognised, not applied twice
    sync_all([cb, ca])
    a.update_dog(dogs[0].id, DogUpdate(notes="after the crash"))
    sync_all([ca, cb])
    assert b.get_dog(dogs[0].id).notes == "after the crash"
    assert_converged(srv.db_url, [a, b], len(server_dogs(srv.db_url)), [d.id for d in dogs])
