"""Offline-first sync between kiosks and a real `savepets serve` process on loopback (stand-in engine).

After every scenario the registry must have converged: every registration exactly once on the server and on
every kiosk, the same registration numbers everywhere, nothing left in any outbox, photos on every kiosk."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.registry.db import Database
from core.registry.models import Dog, NosePhoto, Outbox, Owner, ReviewFlag
from core.schemas import DogIn, DogUpdate, OwnerIn
from sync.client import SyncClient
from tests.imaging import dog_photos
from tests.sync_harness import ServerProcess, make_key, make_kiosk


# ------------------------------------------------------------------------------------------------ fixtures
@pytest.fixture
def server_factory(tmp_path):
    started: list[ServerProcess] = []

    def make(db_url: str | None = None) -> tuple[ServerProcess, str]:
        url = db_url or f"sqlite:///{tmp_path / 'server' / 'registry.sqlite3'}"
        (tmp_path / "server").mkdir(exist_ok=True)
        key = make_key(url)
        srv = ServerProcess(url, tmp_path / "server")
        started.append(srv)
        return srv, key

    yield make
    for srv in started:
        srv.stop()


@pytest.fixture
def kiosks(tmp_path):
    made = []

    def make(name: str, url: str | None = None, key: str | None = None):
        sp = make_kiosk(tmp_path / name, url, key)
        made.append(sp)
        return sp

    yield make
    for sp in made:
        sp.close()


def register(sp, dog: int, phone: str, name: str = "초코", at: datetime | None = None, shot: int = 0):
    return sp.register(OwnerIn(phone=phone, name=f"owner {phone[-4:]}"), DogIn(name=name),
                       dog_photos(dog, first_shot=shot), registered_at=at).dog


def live_dogs(db) -> dict[str, tuple[str, str]]:
    with db.sessions() as s:
        rows = s.execute(select(Dog.id, Dog.registration_number, Owner.phone).join(Owner)
                         .where(Dog.deleted_at.is_(None))).all()
    return {r.id: (r.registration_number, r.phone) for r in rows}


def assert_converged(server_url: str, kiosks: list, expected: int) -> dict[str, tuple[str, str]]:
    """Every registration exactly once on the server and on every kiosk, identical everywhere."""
    db = Database(server_url, upgrade=False)
    try:
        on_server = live_dogs(db)
        with db.sessions() as s:
            numbers = Counter(s.scalars(select(Dog.registration_number)))
            phones = Counter(s.scalars(select(Owner.phone)))
    finally:
        db.dispose()
    assert len(on_server) == expected
    assert max(numbers.values()) == 1 and max(phones.values()) == 1
    for sp in kiosks:
        assert live_dogs(sp.db) == on_server, f"kiosk {sp.device_id[:8]} differs from the server"
        with sp.db.sessions() as s:
            assert s.scalar(select(func.count()).select_from(Outbox).where(Outbox.pushed_at.is_(None))) == 0
            shas = s.scalars(select(NosePhoto.sha256).join(Dog).where(Dog.deleted_at.is_(None))).all()
        assert len(shas) == 5 * expected and all(sp.store.exists(sha) for sha in shas)
    return on_server


def sync_all(clients, rounds: int = 2) -> None:
    for _ in range(rounds):
        for c in clients:
            report = c.sync_once()
            assert c.status.state == "online", (c.status, report)


# ------------------------------------------------------------------------------------------------ the goal
@pytest.mark.parametrize("backend", ["sqlite", "mariadb"])
def test_two_kiosks_register_offline_then_both_find_every_dog_offline(backend, request, server_factory, kiosks):
    server_db = request.getfixturevalue("mariadb_url") if backend == "mariadb" else None
    srv, key = server_factory(server_db)
    a, b = kiosks("a", srv.url, key), kiosks("b", srv.url, key)
    at = datetime(2026, 11, 26, 1, 2, tzinfo=UTC)

    # the server is down: both kiosks register
    a1 = register(a, 1, "010-1111-2222", "초코", at=at)  # same number as b1 (same minute, initials, last 4)
    a2 = register(a, 2, "010-5555-6666", "보리")  # same owner phone as b2, made separately
    b1 = register(b, 3, "010-3333-2222", "치킨", at=at)
    b2 = register(b, 4, "010-5555-6666", "콩")
    b3 = register(b, 1, "010-7777-8888", "같은개", shot=10)  # the same nose as a1: kept, flagged
    assert a1.registration_number == b1.registration_number

    ca, cb = SyncClient(a), SyncClient(b)
    report = ca.sync_once()
    assert ca.status.state == "offline" and ca.status.pending == 2 and report.errors

    srv.start()
    sync_all([ca, cb])
    srv.stop()  # from here on every look-up is offline, from each kiosk's own SQLite

    dogs = assert_converged(srv.db_url, [a, b], 5)
    numbers = {n for n, _ in dogs.values()}
    assert a1.registration_number in numbers and a1.registration_number + "-2" in numbers
    for sp in (a, b):
        owners = {d.owner.id for d in sp.list_dogs(phone="010-5555-6666")}
        assert len(owners) == 1, "one owner for one phone"
        assert {d.name for d in sp.list_dogs(phone="010-5555-6666")} == {"보리", "콩"}
        for dog_no, dog in [(1, a1), (2, a2), (3, b1), (4, b2)]:
            found = sp.lookup(dog_photos(dog_no, n=1, first_shot=20)[0])
            assert found.decision == "match", (sp.device_id, dog.name)
            ids = {c.dog.id for c in found.candidates if c.decision == "match"}
            assert dog.id in ids
        assert sp.get_dog(a1.id).needs_review and sp.get_dog(b3.id).needs_review
        assert not sp.get_dog(b2.id).needs_review
        with sp.db.sessions() as s:
            assert s.scalar(select(func.count()).select_from(ReviewFlag)) == 1


def test_edits_last_writer_wins_per_field_and_deletion_wins(server_factory, kiosks):
    srv, key = server_factory()
    srv.start()
    a, b = kiosks("a", srv.url, key), kiosks("b", srv.url, key)
    ca, cb = SyncClient(a), SyncClient(b)
    d1 = register(a, 1, "010-1111-2222", "초코")
    d2 = register(a, 2, "010-1111-3333", "보리")
    sync_all([ca, cb])

    # both sides edit d1 offline: different fields merge; the same field goes to the later edit
    a.update_dog(d1.id, DogUpdate(breed="진돗개", notes="from a"))
    b.update_dog(d1.id, DogUpdate(status="lost", notes="from b (later)"))
    # d2: edited on b, deleted on a (earlier): the deletion wins anyway
    a.delete_dog(d2.id)
    b.update_dog(d2.id, DogUpdate(notes="edited after the deletion"))
    sync_all([cb, ca])

    for sp in (a, b, ):
        dog = sp.get_dog(d1.id)
        assert (dog.breed, dog.status.value, dog.notes) == ("진돗개", "lost", "from b (later)")
        assert [d.id for d in sp.list_dogs()] == [d1.id]
    assert_converged(srv.db_url, [a, b], 1)


@pytest.mark.parametrize("skew_hours", [5, -5])
def test_kiosk_clock_skew_neither_wins_nor_loses_edits(skew_hours, server_factory, kiosks, monkeypatch):
    """Kiosk a's clock is off by hours. Its edit made *earlier* in real time must lose to b's later edit when
    a is fast, and its edit made *later* must win when a is slow; cursors never use a clock at all."""
    import core.usecases

    srv, key = server_factory()
    srv.start()
    a, b = kiosks("a", srv.url, key), kiosks("b", srv.url, key)
    skew = timedelta(hours=skew_hours)
    real = core.usecases.utcnow
    ca = SyncClient(a, clock=lambda: real() + skew)
    cb = SyncClient(b)
    d = register(b, 1, "010-1111-2222", "초코")
    sync_all([cb, ca])

    def edit_on_a():
        monkeypatch.setattr(core.usecases, "utcnow", lambda: real() + skew)
        a.update_dog(d.id, DogUpdate(notes="a"))
        monkeypatch.setattr(core.usecases, "utcnow", real)

    if skew_hours > 0:  # a (fast clock) edits first, b later: b must win
        edit_on_a()
        b.update_dog(d.id, DogUpdate(notes="b"))
        expected = "b"
    else:  # b edits first, a (slow clock) later: a must win
        b.update_dog(d.id, DogUpdate(notes="b"))
        edit_on_a()
        expected = "a"
    sync_all([ca, cb])
    assert a.get_dog(d.id).notes == b.get_dog(d.id).notes == expected
    # a new registration on the skewed kiosk still reaches b (pull goes by the server's seq only)
    monkeypatch.setattr(core.usecases, "utcnow", lambda: real() + skew)
    register(a, 2, "010-3333-4444", "보리")
    monkeypatch.setattr(core.usecases, "utcnow", real)
    sync_all([ca, cb])
    assert_converged(srv.db_url, [a, b], 2)


def test_photos_are_verified_and_a_dog_waits_for_its_photos(server_factory, kiosks):
    import hashlib

    import requests

    from tests.imaging import dog_photo_bytes

    srv, key = server_factory()
    srv.start()
    auth = {"Authorization": f"Bearer {key}"}
    data = dog_photo_bytes(9, 0)
    sha = hashlib.sha256(data).hexdigest()
    r = requests.put(f"{srv.url}/v1/sync/photos/{sha}", data=data[: len(data) // 2], headers=auth, timeout=10)
    assert r.status_code == 422  # half a photo is never kept
    assert requests.post(f"{srv.url}/v1/sync/photos/missing", json={"sha256": [sha]}, headers=auth,
                         timeout=10).json()["missing"] == [sha]
    assert requests.put(f"{srv.url}/v1/sync/photos/{sha}", data=data, headers=auth, timeout=10).json()["stored"]
    assert requests.put(f"{srv.url}/v1/sync/photos/{sha}", data=data, headers=auth,
                        timeout=10).json()["present"] == [sha]  # a resend is a no-op
    assert requests.get(f"{srv.url}/v1/sync/photos/{sha}", headers=auth, timeout=10).content == data
    assert requests.get(f"{srv.url}/v1/sync/pull", timeout=10).status_code == 401  # a key is needed

    # a dog pushed before its photos: refused as missing_photos, nothing written
    from core.replication import outgoing_changes

    a = kiosks("a", srv.url, key)
    register(a, 1, "010-1111-2222")
    with a.db.sessions() as s:
        (c,) = outgoing_changes(s)
    body = {"device_id": a.device_id, "sent_at": datetime.now(UTC).isoformat(),
            "changes": [{"change_id": c.change_id, "entity": c.entity, "entity_id": c.entity_id, "op": c.op,
                         **c.payload}]}
    answer = requests.post(f"{srv.url}/v1/sync/push", json=body, headers=auth, timeout=10).json()
    assert answer["results"][0]["status"] == "missing_photos" and len(answer["results"][0]["missing"]) == 5
    db = Database(srv.db_url, upgrade=False)
    assert live_dogs(db) == {}
    db.dispose()
    sync_all([SyncClient(a)])
    assert_converged(srv.db_url, [a], 1)


def test_sync_cli_prints_what_moved(server_factory, kiosks, tmp_path):
    import json
    import subprocess
    import sys

    srv, key = server_factory()
    srv.start()
    a = kiosks("a")
    register(a, 1, "010-1111-2222")
    a.close()
    cmd = [sys.executable, "-m", "kiosk.cli", "sync", "--server", srv.url, "--api-key", key,
           "--data-dir", str(tmp_path / "a"), "--json"]
    env = {"SAVEPETS_ENGINE": "standin", "PATH": "/usr/bin:/bin"}
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=Path(__file__).parent.parent,
                         env={**__import__("os").environ, **env})
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert out["state"] == "online" and out["pushed"] == 1 and out["photos_up"] == 5 and out["pending"] == 0
