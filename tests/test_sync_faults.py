"""Sync under faults, against a real `savepets serve` process on loopback and against the server's core entry points
in the test's own process (tests/sync_remote.py: two registries and the core calls, no HTTP): the server killed or
failing mid-push, the connection cut mid-request and mid-response (a TCP proxy; lost requests and answers in the
core link), requests duplicated and reordered, the kiosk killed mid-sync (proven to be mid-sync) or crashing
between the server's answer and its own commit. After every fault: every registration exactly once on the server
and on every kiosk (tests/sync_checks.assert_converged), against a total counted from what the test did."""

from __future__ import annotations

import hashlib
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

import core.replication.kiosk
import core.replication.server
from core.registry.models import Dog
from core.replication.kiosk import Offline
from core.replication.push import outgoing_changes
from core.schemas import DogUpdate
from tests.sync_checks import assert_converged, fresh_dog, fresh_phone, register, server_dogs, sync_all
from tests.sync_harness import REPO, CutProxy, ServerProcess, make_key
from tests.sync_remote import CoreRemote, HttpRemote, open_remote

pytest_plugins = ("tests.sync_fixtures",)  # fixtures: server, kiosks


@pytest.fixture(params=["http", "core"])
def remote(request, tmp_path):
    r = open_remote(request.param, "sqlite", request, tmp_path)
    yield r
    r.close()


def sync_until_online(client, rounds: int = 12):
    """Sync until everything is through. A fault may leave a round offline; a round that ends in "error" is a bug
    (a programming error the sync client caught), not a fault ridden out, and fails the test."""
    reports = []
    for _ in range(rounds):
        reports.append(client.sync_once())
        assert client.status.state != "error", f"a sync failed on an error, not a fault: {client.status.last_error}"
        if client.status.state == "online" and client.status.pending == 0:
            return reports
    raise AssertionError(f"never converged: {client.status} {reports[-1]}")


def store_is_sound(root) -> None:
    """Every photo file hashes to its name: nothing half-written was kept."""
    for path in root.rglob("*"):
        if path.is_file() and len(path.name) == 64:
            assert hashlib.sha256(path.read_bytes()).hexdigest() == path.name


def count_on_server(remote) -> int:
    return len(server_dogs(remote.db_url))


# ------------------------------------------------------------------------------------------------ server dies
@pytest.mark.parametrize("backend", ["sqlite", "mariadb"])
def test_server_killed_mid_push(backend, request, kiosks, tmp_path):
    """The server process SIGKILLed inside the third of eight pushes (one dog a request), that push applied in its
    transaction and not committed (tests/server_child.py stops it there): the first two dogs are on the server, the
    six others still in the kiosk's outbox; after a restart nothing is lost or doubled."""
    url = request.getfixturevalue("mariadb_url") if backend == "mariadb" else \
        f"sqlite:///{tmp_path / 'server' / 'registry.sqlite3'}"
    key = make_key(url)
    srv = ServerProcess(url, tmp_path / "server", pause_at_push=3).start()
    remote = HttpRemote(srv, key, owned=True)
    try:
        assert count_on_server(remote) == 0
        a, b = kiosks(), kiosks()
        dogs = [register(a, fresh_dog(), fresh_phone()) for _ in range(8)]
        ca = remote.client(a, push_batch=1)
        worker = threading.Thread(target=ca.sync_once, daemon=True)
        worker.start()
        said = srv.wait_paused()
        assert dogs[2].id in said  # the third push holds the third dog
        remote.down()
        worker.join(60)
        assert not worker.is_alive() and ca.status.state == "offline"
        assert set(server_dogs(remote.db_url)) == {dogs[0].id, dogs[1].id}  # pushes 1 and 2 committed, 3 lost
        assert ca.status.pending == 6  # the third push was never answered: it stays here with the five after it

        srv.pause_at_push = None
        remote.up()
        sync_until_online(ca)
        sync_all([remote.client(b), ca])
        assert_converged(remote.db_url, [a, b], 8, [d.id for d in dogs])
        store_is_sound(remote.photo_root)
    finally:
        remote.close()


@pytest.mark.parametrize("backend", ["sqlite", "mariadb"])
def test_server_fails_mid_push_core(backend, request, kiosks, tmp_path, monkeypatch):
    """The server's database fails inside the third push's transaction (after applying it, before the commit):
    nothing of that push is kept, the kiosk keeps it, and it goes through once the server works again."""
    remote = open_remote("core", backend, request, tmp_path)
    try:
        a, b = kiosks(), kiosks()
        dogs = [register(a, fresh_dog(), fresh_phone()) for _ in range(8)]
        real = core.replication.server.note_server_state
        calls = {"n": 0}

        def dies_on_the_third(s, dog_ids, stamp):
            calls["n"] += 1
            real(s, dog_ids, stamp)  # the push is applied in the transaction ...
            if calls["n"] == 3:  # ... and never committed: the database connection is lost
                raise OperationalError("COMMIT", {}, ConnectionError("power cut"))

        monkeypatch.setattr(core.replication.server, "note_server_state", dies_on_the_third)
        ca = remote.client(a, push_batch=1)
        ca.sync_once()
        assert ca.status.state == "offline" and calls["n"] == 3
        assert set(server_dogs(remote.db_url)) == {dogs[0].id, dogs[1].id}
        assert ca.status.pending == 6
        monkeypatch.undo()

        sync_until_online(ca)
        sync_all([remote.client(b), ca])
        assert_converged(remote.db_url, [a, b], 8, [d.id for d in dogs])
        store_is_sound(remote.photo_root)
    finally:
        remote.close()


def test_a_bug_in_the_server_is_not_offline_core(kiosks, tmp_path, monkeypatch):
    """The core link reads only a database or disk fault of the server as Offline: a programming error in the
    server's code surfaces as the sync's error (state "error", the exception named), so a fault test cannot pass
    on a bug that merely looks like a server being away."""
    remote = CoreRemote(f"sqlite:///{tmp_path / 'server' / 'registry.sqlite3'}", tmp_path / "server")
    try:
        a = kiosks()
        register(a, fresh_dog(), fresh_phone())

        def broken(*_a, **_k):
            raise AttributeError("'NoneType' object has no attribute 'entity_id'")

        monkeypatch.setattr(core.replication.server, "note_server_state", broken)
        client = remote.client(a)
        client.sync_once()
        assert client.status.state == "error" and client.status.pending == 1
        assert "AttributeError" in (client.status.last_error or "")
    finally:
        remote.close()


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
    remote = HttpRemote(srv, key)
    proxy = CutProxy(srv.port)
    try:
        proxy.match = match
        proxy.cuts_left = 3
        if direction == "response":
            proxy.cut_after = at
        else:
            proxy.cut_requests_after = at
        before = count_on_server(remote)
        a, b = kiosks(), kiosks()
        dogs = [register(a, fresh_dog(), fresh_phone()) for _ in range(3)]
        dogs.append(register(b, fresh_dog(), fresh_phone()))
        ca, cb = remote.client(a, proxy.url), remote.client(b, proxy.url)
        for c in (ca, cb):
            c.link.http.headers["Connection"] = "close"  # one request per connection: the proxy cuts that one
        reports = sync_until_online(ca) + sync_until_online(cb) + sync_until_online(ca)
        assert proxy.cuts >= 1
        if match == b"POST /v1/sync/push" and direction == "response":
            assert sum(r.duplicates for r in reports) >= 1  # the resend was recognised, not applied twice
        assert_converged(srv.db_url, [a, b], before + 4, [d.id for d in dogs])
        store_is_sound(srv.data_dir / "photos")
        for sp in (a, b):
            store_is_sound(sp.store.root)
    finally:
        proxy.close()


@pytest.mark.parametrize(("call", "phase"), [
    ("push", "answer"),  # the server applied it; the kiosk never heard: resend = duplicate
    ("push", "request"),
    ("missing_photos", "request"),
    ("upload_photos", "request"),
    ("pull", "answer"),  # a page the server served and the kiosk never got
    ("fetch_photos", "answer"),
    ("push_audit", "answer"),
])
def test_lost_request_or_answer_core(call, phase, kiosks, tmp_path):
    """The same faults as the cut connections, without HTTP: a call's request or its answer lost twice."""
    remote = CoreRemote(f"sqlite:///{tmp_path / 'server' / 'registry.sqlite3'}", tmp_path / "server")
    lost = {"n": 0}

    def fault(name: str, when: str) -> None:
        if (name, when) == (call, phase) and lost["n"] < 2:
            lost["n"] += 1
            raise Offline(f"{name}: {when} lost")

    try:
        a, b = kiosks(), kiosks()
        dogs = [register(a, fresh_dog(), fresh_phone()) for _ in range(3)]
        dogs.append(register(b, fresh_dog(), fresh_phone()))
        ca, cb = remote.client(a, fault=fault), remote.client(b, fault=fault)
        reports = sync_until_online(ca) + sync_until_online(cb) + sync_until_online(ca)
        assert lost["n"] == 2
        assert sum(r.errors != [] for r in reports) >= 1
        if (call, phase) == ("push", "answer"):
            assert sum(r.duplicates for r in reports) >= 1
        assert_converged(remote.db_url, [a, b], 4, [d.id for d in dogs])
        for root in (remote.photo_root, a.store.root, b.store.root):
            store_is_sound(root)
    finally:
        remote.close()


# ------------------------------------------------------------------------------------------------ dup / reorder
def _change(c, **state_changes):
    wire = c.change.model_dump(mode="json")
    return {**wire, "change_id": state_changes.pop("change_id", c.change_id), "op": state_changes.pop("op", c.op),
            "state": {**wire["state"], **state_changes.pop("state", {})},
            "clocks": state_changes.pop("clocks", wire["clocks"])}


def test_duplicated_and_reordered_requests(remote, kiosks):
    a, b = kiosks(), kiosks()
    ca = remote.client(a)
    dog = register(a, fresh_dog(), fresh_phone())
    gone = register(a, fresh_dog(), fresh_phone())
    ca.sync._upload({p.sha256 for d in (dog, gone) for p in d.photos})
    with a.db.sessions() as s:
        first, second = outgoing_changes(s)
    before = count_on_server(remote)

    def push(changes):
        return remote.push_raw({"device_id": a.device_id, "sent_at": datetime.now(UTC).isoformat(),
                                "changes": changes})

    # the same push four times at once, and once more later: applied once
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: push([_change(first)]), range(4)))
    statuses = sorted(r[0]["status"] for r in answers)
    assert statuses == ["applied", "duplicate", "duplicate", "duplicate"]
    assert push([_change(first)])[0]["status"] == "duplicate"
    assert count_on_server(remote) == before + 1

    # two edits of one field arriving in the wrong order: the later edit wins all the same
    t0 = first.change.state.updated_at  # after the registration, before now
    fields = first.change.state.fields.model_dump(mode="json")
    late = _change(first, change_id="e2-" + first.change_id[:30], state={"fields": {**fields, "notes": "second"}},
                   clocks={"notes": (t0 + timedelta(milliseconds=2)).isoformat()})
    early = _change(first, change_id="e1-" + first.change_id[:30], state={"fields": {**fields, "notes": "first"}},
                    clocks={"notes": (t0 + timedelta(milliseconds=1)).isoformat()})
    assert [r["status"] for r in push([late])] == ["applied"]
    assert [r["status"] for r in push([early])] == ["applied"]

    # a deletion that overtakes the creation: the dog never comes to life
    deletion = _change(second, change_id="d-" + second.change_id[:30], op="delete",
                       state={"deleted_at": datetime.now(UTC).isoformat()})
    assert push([deletion])[0]["status"] == "applied"
    assert push([_change(second)])[0]["status"] == "applied"
    assert gone.id not in server_dogs(remote.db_url)

    # the kiosk's own sync resends what was sent by hand: nothing twice; then the kiosk learns the outcome
    sync_all([ca, remote.client(b)])
    for sp in (a, b):
        assert sp.get_dog(dog.id).notes == "second"
        assert gone.id not in {d.id for d in sp.list_dogs(limit=500)}
    # a's own record of `gone` is still live (its deletion came from elsewhere): a deletion wins on pull too
    assert_converged(remote.db_url, [a, b], before + 1, [dog.id])


# ------------------------------------------------------------------------------------------------ kiosk dies
def run_until_paused(args: list[str], timeout: float = 120.0) -> tuple[subprocess.Popen, list[dict]]:
    """tests/sync_child.py in a process of its own, until it says it paused; its JSON lines so far."""
    env = {**os.environ, "SAVEPETS_ENGINE": "standin"}
    proc = subprocess.Popen([sys.executable, "-m", "tests.sync_child", *args], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout], daemon=True).start()
    said: list[dict] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            said.append(json.loads(lines.get(timeout=1.0)))
        except queue.Empty:
            continue
        if "paused" in said[-1] or "finished" in said[-1]:
            break
    assert said and "paused" in said[-1], f"the sync never reached its pause: {said}"
    return proc, said


@pytest.mark.parametrize("pause", ["pushed:2", "answered:3", "pulling:2"])
def test_kiosk_killed_mid_sync_then_restarted(pause, remote, kiosks, tmp_path):
    """The kiosk's sync process SIGKILLed at a point it reports (so the kill is proven to land mid-sync): between
    two pushes, after the server applied a push and before the kiosk recorded it, inside the transaction of a
    pulled page. Then the kiosk's SQLite is opened again and the sync finishes: nothing lost, nothing twice."""
    before = count_on_server(remote)
    a_folder, b_folder = tmp_path / "killed-a", tmp_path / "killed-b"
    a = kiosks(folder=a_folder)
    dogs = [register(a, fresh_dog(), fresh_phone()) for _ in range(6)]
    killed = a_folder
    if pause.startswith("pulling"):  # a fresh kiosk b is killed while pulling a's dogs
        sync_all([remote.client(a)])
        kiosks(folder=b_folder).close()
        killed = b_folder
    else:
        a.close()
    link = ["http", remote.srv.url, remote.key] if remote.kind == "http" else ["core", remote.db_url,
                                                                             str(remote.data_dir)]
    if remote.kind == "core":
        remote.down()  # the child opens the server registry itself
    proc, said = run_until_paused([str(killed), pause, *link])
    proc.send_signal(signal.SIGKILL)
    assert proc.wait(30) == -signal.SIGKILL
    remote.up()
    paused = said[-1]

    on_server = set(server_dogs(remote.db_url))
    if pause == "pushed:2":  # two pushes recorded, four dogs still in the kiosk's outbox
        assert [d.id for d in dogs if d.id in on_server] == [dogs[0].id, dogs[1].id] and paused["pending"] == 4
    elif pause == "answered:3":  # the third push applied on the server, its answer never recorded
        assert [d.id for d in dogs if d.id in on_server] == [d.id for d in dogs[:3]]
    a = kiosks(folder=a_folder) if killed == a_folder else a
    if pause == "pulling:2":  # page 1 committed, page 2 rolled back with the process
        b = kiosks(folder=b_folder)
        assert 0 < core.replication.kiosk.cursor(b) == paused["committed_cursor"]
        with b.db.sessions() as s:
            assert not set(s.scalars(select(Dog.id).where(Dog.id.in_(paused["uncommitted"]))))
    else:
        b = kiosks()
        assert core.replication.kiosk.pending(a) == 4  # the unanswered or unrecorded changes are still here
    ca, cb = remote.client(a), remote.client(b)
    report = ca.sync_once()
    if pause == "answered:3":
        assert (report.duplicates, report.pushed) == (1, 3)  # the third resent and recognised, not applied twice
    sync_all([cb, ca])
    assert_converged(remote.db_url, [a, b], before + 6, [d.id for d in dogs])


def test_kiosk_crash_between_push_answer_and_commit_and_mid_pull(remote, kiosks, tmp_path, monkeypatch):
    folder = tmp_path / "crashing-kiosk"
    a = kiosks(folder=folder)
    before = count_on_server(remote)
    dogs = [register(a, fresh_dog(), fresh_phone()) for _ in range(3)]

    def crash(*_a, **_k):
        raise RuntimeError("power cut")

    # the server applied the push, the kiosk dies before recording it
    monkeypatch.setattr(core.replication.kiosk, "mark_pushed_many", crash)
    client = remote.client(a)
    client.sync_once()
    assert client.status.state == "error" and client.status.pending == 3
    assert {d.id for d in dogs} <= set(server_dogs(remote.db_url))
    monkeypatch.undo()
    client.close()
    a.close()

    # a fresh kiosk dies in the middle of its first pull (small pages)
    b_folder = tmp_path / "b"
    b = kiosks(folder=b_folder)
    pages = {"n": 0}
    real_apply = core.replication.kiosk.apply_page

    def apply_then_crash(s, changes):
        pages["n"] += 1
        if pages["n"] == 2:
            raise RuntimeError("power cut")
        return real_apply(s, changes)

    monkeypatch.setattr(core.replication.kiosk, "apply_page", apply_then_crash)
    cb = remote.client(b, pull_limit=2)
    cb.sync_once()
    assert cb.status.state == "error" and pages["n"] == 2
    assert 0 < core.replication.kiosk.cursor(b) == cb.status.cursor  # page 1 kept with its cursor, page 2 not
    monkeypatch.undo()
    cb.close()
    b.close()

    a = kiosks(folder=folder)  # both opened again
    b = kiosks(folder=b_folder)
    ca, cb = remote.client(a), remote.client(b, pull_limit=2)
    report = ca.sync_once()
    assert report.duplicates == 3 and report.pushed == 0  # resent, recognised, not applied twice
    sync_all([cb, ca])
    a.update_dog(dogs[0].id, DogUpdate(notes="after the crash"))
    sync_all([ca, cb])
    assert b.get_dog(dogs[0].id).notes == "after the crash"
    assert_converged(remote.db_url, [a, b], before + 3, [d.id for d in dogs])
