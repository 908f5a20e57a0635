"""Offline-first sync between kiosks and a real `savepets serve` process on loopback (stand-in engine).

After every scenario the registry must have converged: every registration exactly once on the server and on
every kiosk, the same registration numbers everywhere, nothing left in any outbox, photos on every kiosk."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from core.recognition.base import Decision
from core.registry.models import ReviewFlag
from core.schemas import DogUpdate
from sync.client import SyncClient
from tests.imaging import dog_photos
from tests.sync_checks import (
    assert_converged,
    fresh_dog,
    fresh_minute,
    fresh_phone,
    register,
    server_dogs,
    sync_all,
)
from tests.sync_harness import ServerProcess, make_key

pytest_plugins = ("tests.sync_fixtures",)  # fixtures: server, kiosks


# ------------------------------------------------------------------------------------------------ the goal
@pytest.mark.parametrize("backend", ["sqlite", "mariadb"])
def test_two_kiosks_register_offline_then_both_find_every_dog_offline(backend, request, kiosks, tmp_path):
    if backend == "mariadb":
        url = request.getfixturevalue("mariadb_url")
        key = make_key(url)
        srv = ServerProcess(url, tmp_path / "mariadb-server")
    else:
        srv, key = request.getfixturevalue("server")
        srv.stop()
    before = len(server_dogs(srv.db_url))
    a, b = kiosks(srv.url, key), kiosks(srv.url, key)
    at = fresh_minute()
    seeds = [fresh_dog() for _ in range(4)]
    last4 = f"{seeds[0] % 10000:04d}"
    shared_phone = fresh_phone()

    # the server is down: both kiosks register
    try:
        a1 = register(a, seeds[0], fresh_phone(last4), "초코", at=at)  # same number as b1: minute, initials, last 4
        a2 = register(a, seeds[1], shared_phone, "보리")  # the same owner phone as b2, made separately
        b1 = register(b, seeds[2], fresh_phone(last4), "치킨", at=at)
        b2 = register(b, seeds[3], shared_phone, "콩")
        b3 = register(b, seeds[0], fresh_phone(), "같은개", shot=10)  # the same nose as a1: kept, flagged
        assert a1.registration_number == b1.registration_number

        ca, cb = SyncClient(a), SyncClient(b)
        report = ca.sync_once()
        assert ca.status.state == "offline" and ca.status.pending == 2 and report.errors

        srv.start()
        sync_all([ca, cb])
    finally:
        srv.stop()  # from here on every look-up is offline, from each kiosk's own SQLite

    dogs = assert_converged(srv.db_url, [a, b], before + 5, [d.id for d in (a1, a2, b1, b2, b3)])
    numbers = {n for n, _ in dogs.values()}
    assert a1.registration_number in numbers and a1.registration_number + "-2" in numbers
    for sp in (a, b):
        assert len({d.owner.id for d in sp.list_dogs(phone=shared_phone)}) == 1, "one owner for one phone"
        assert {d.name for d in sp.list_dogs(phone=shared_phone)} == {"보리", "콩"}
        for seed, dog in zip(seeds, (a1, a2, b1, b2), strict=True):
            found = sp.lookup(dog_photos(seed, n=1, first_shot=20)[0])
            if dog is a1:  # registered twice (a1 and b3, a pair for review): a person compares the two
                assert (found.decision, found.reason) == (Decision.UNCERTAIN, "close_second"), sp.device_id
                assert {a1.id, b3.id} <= {c.dog.id for c in found.candidates}
                continue
            assert found.decision == Decision.MATCH, (sp.device_id, dog.name)
            assert [c.dog.id for c in found.candidates] == [dog.id]
        assert sp.get_dog(a1.id).needs_review and sp.get_dog(b3.id).needs_review
        assert not sp.get_dog(b2.id).needs_review
        with sp.db.sessions() as s:
            flags = s.scalars(select(ReviewFlag)).all()
        assert [{f.dog_id, f.other_dog_id} for f in flags if a1.id in (f.dog_id, f.other_dog_id)] == [{a1.id, b3.id}]


def test_edits_last_writer_wins_per_field_and_deletion_wins(server, kiosks):
    srv, key = server
    a, b = kiosks(srv.url, key), kiosks(srv.url, key)
    ca, cb = SyncClient(a), SyncClient(b)
    d1 = register(a, fresh_dog(), fresh_phone(), "초코")
    d2 = register(a, fresh_dog(), fresh_phone(), "보리")
    sync_all([ca, cb])
    before = len(server_dogs(srv.db_url))

    # both sides edit d1 offline: different fields merge; the same field goes to the later edit
    a.update_dog(d1.id, DogUpdate(breed="진돗개", notes="from a"))
    b.update_dog(d1.id, DogUpdate(status="lost", notes="from b (later)", owner_name="새이름"))
    # d2: edited on b after a deleted it: the deletion wins anyway
    a.delete_dog(d2.id)
    b.update_dog(d2.id, DogUpdate(notes="edited after the deletion"))
    sync_all([cb, ca])

    for sp in (a, b):
        dog = sp.get_dog(d1.id)
        assert (dog.breed, dog.status.value, dog.notes) == ("진돗개", "lost", "from b (later)")
        assert dog.owner.name == "새이름"
        assert d2.id not in {d.id for d in sp.list_dogs(limit=500)}
    assert_converged(srv.db_url, [a, b], before - 1, [d1.id])


@pytest.mark.parametrize("skew_hours", [5, -5])
def test_kiosk_clock_skew_neither_wins_nor_loses_edits(skew_hours, server, kiosks, monkeypatch):
    """Kiosk a's clock is off by hours. Its edit made *earlier* in real time must lose to b's later edit when
    a is fast, and its edit made *later* must win when a is slow; cursors never use a clock at all."""
    from core.registry.models import utcnow as real

    srv, key = server
    a, b = kiosks(srv.url, key), kiosks(srv.url, key)
    skew = timedelta(hours=skew_hours)
    ca = SyncClient(a, clock=lambda: real() + skew)
    cb = SyncClient(b)
    before = len(server_dogs(srv.db_url))
    d = register(b, fresh_dog(), fresh_phone(), "초코")
    sync_all([cb, ca])

    def edit_on_a():
        monkeypatch.setattr(a, "now", lambda: real() + skew)  # the time a's changes are stamped with
        a.update_dog(d.id, DogUpdate(notes="a"))
        monkeypatch.undo()

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
    # a registration on the skewed kiosk reaches b (pull goes by the server's seq only)
    new = register(a, fresh_dog(), fresh_phone(), "보리", at=real() + skew)
    sync_all([ca, cb])
    assert b.get_dog(new.id).name == "보리"
    assert_converged(srv.db_url, [a, b], before + 2, [d.id, new.id])


def test_photos_are_verified_and_a_dog_waits_for_its_photos(server, kiosks):
    import hashlib

    import requests

    from core.replication.push import outgoing_changes
    from tests.imaging import dog_photo_bytes

    srv, key = server
    auth = {"Authorization": f"Bearer {key}"}
    data = dog_photo_bytes(fresh_dog(), 0)
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
    before = len(server_dogs(srv.db_url))
    a = kiosks(srv.url, key)
    dog = register(a, fresh_dog(), fresh_phone())
    with a.db.sessions() as s:
        (c,) = outgoing_changes(s)
    body = {"device_id": a.device_id, "sent_at": datetime.now(UTC).isoformat(),
            "changes": [c.change.model_dump(mode="json")]}
    answer = requests.post(f"{srv.url}/v1/sync/push", json=body, headers=auth, timeout=10).json()
    assert answer["results"][0]["status"] == "missing_photos" and len(answer["results"][0]["missing"]) == 5
    assert dog.id not in server_dogs(srv.db_url)
    sync_all([SyncClient(a)])
    assert_converged(srv.db_url, [a], before + 1, [dog.id])


def test_sync_cli_prints_what_moved(server, kiosks, tmp_path):
    import json
    import os
    import subprocess
    import sys

    srv, key = server
    a = kiosks(folder=tmp_path / "cli-kiosk")
    register(a, fresh_dog(), fresh_phone())
    a.close()
    cmd = [sys.executable, "-m", "kiosk.cli", "sync", "--server", srv.url, "--api-key", key,
           "--data-dir", str(tmp_path / "cli-kiosk"), "--json", "--no-photos"]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=Path(__file__).parent.parent,
                         env={**os.environ, "SAVEPETS_ENGINE": "standin"})
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert out["state"] == "online" and out["pushed"] == 1 and out["photos_up"] == 5 and out["pending"] == 0
    assert out["pulled"] >= 1 and out["photos_down"] == 0
    assert out["audit_up"] == 1  # the registration's audit entry went with it


def test_changes_made_through_the_rest_api_reach_the_kiosks(server, kiosks):
    """A vet registers and edits through /v1 on the server: the kiosks pull both (the server's own outbox joins
    the change sequence), and a kiosk's offline edit of another field merges with the vet's."""
    import requests

    from tests.imaging import dog_photo_bytes

    srv, key = server
    auth = {"Authorization": f"Bearer {key}"}
    a = kiosks(srv.url, key)
    ca = SyncClient(a)
    sync_all([ca])
    before = len(server_dogs(srv.db_url))
    seed, phone = fresh_dog(), fresh_phone()
    files = [("photos", (f"{i}.jpg", dog_photo_bytes(seed, i), "image/jpeg")) for i in range(5)]
    r = requests.post(f"{srv.url}/v1/dogs", data={"phone": phone, "owner_name": "수의사 등록", "name": "별이"},
                      files=files, headers=auth, timeout=60)
    assert r.status_code == 201, r.text
    dog_id = r.json()["dog"]["id"]
    sync_all([ca])
    assert a.get_dog(dog_id).name == "별이"
    assert a.lookup(dog_photos(seed, n=1, first_shot=9)[0]).match.dog.id == dog_id  # offline, from a's SQLite

    a.update_dog(dog_id, DogUpdate(breed="믹스"))  # on the kiosk, not yet synced
    r = requests.patch(f"{srv.url}/v1/dogs/{dog_id}", json={"notes": "vet note"}, headers=auth, timeout=30)
    assert r.status_code == 200, r.text
    sync_all([ca])
    dog = a.get_dog(dog_id)
    assert (dog.breed, dog.notes) == ("믹스", "vet note")
    got = requests.get(f"{srv.url}/v1/dogs/{dog_id}", headers=auth, timeout=30).json()
    assert (got["breed"], got["notes"]) == ("믹스", "vet note")
    assert_converged(srv.db_url, [a], before + 1, [dog_id])


def test_background_sync_reports_status_and_follows_local_changes(server, kiosks):
    """The GUI's view: SyncStatus goes syncing -> online, a local change wakes the loop, pending drops to 0."""
    import time

    srv, key = server
    a = kiosks(srv.url, key)
    client = SyncClient(a)
    seen: list = []
    client.on_status.append(seen.append)
    client.start(interval=300)  # only the first run and local changes make it sync in this test
    try:
        deadline = time.monotonic() + 60
        while client.status.state != "online" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert client.status.state == "online" and client.status.last_sync is not None
        dog = register(a, fresh_dog(), fresh_phone())
        while (client.status.pending or dog.id not in server_dogs(srv.db_url)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert dog.id in server_dogs(srv.db_url) and client.status.pending == 0
        assert {"syncing", "online"} <= {st.state for st in seen} and client.status.message == ""
    finally:
        client.close()
    assert client._thread is None
