"""Reviews across sync, against a real `savepets serve` process on loopback (stand-in engine): a flag made at a
registration on one kiosk reaches the server and the other kiosks, and so does the decision on it (a merge, with
its deleted registration and moved photos)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from core.errors import NotFound
from core.photos import decode_photo
from core.recognition.base import Decision
from core.registry.db import Database
from core.registry.models import Dog, NosePhoto, Outbox, ReviewFlag
from sync.client import SyncClient
from tests.imaging import look_alike_photo_bytes
from tests.sync_checks import fresh_dog, fresh_minute, fresh_phone, live_dogs, sync_all
from tests.sync_harness import make_key
from tests.test_reviews import flagged_pair

pytest_plugins = ("tests.sync_fixtures",)  # fixtures: server, kiosks


_ADMIN: dict[str, str] = {}


def admin_key(srv) -> str:
    if srv.db_url not in _ADMIN:
        _ADMIN[srv.db_url] = make_key(srv.db_url, "admin", "operator's kiosk")
    return _ADMIN[srv.db_url]


def flag_row(db, flag_id: str) -> tuple[bool, str | None, bool]:
    """(resolved, resolution, closed) of a flag in a registry."""
    with db.sessions() as s:
        f = s.get(ReviewFlag, flag_id)
        return f.resolved, f.resolution, f.deleted_at is not None


def live_photos(db, dog_id: str) -> set[str]:
    with db.sessions() as s:
        return set(s.scalars(select(NosePhoto.sha256).join(Dog).where(NosePhoto.dog_id == dog_id,
                                                                      NosePhoto.deleted_at.is_(None),
                                                                      Dog.deleted_at.is_(None))))


def synced_pair(server, kiosks) -> SimpleNamespace:
    """Two kiosks of the server; a flagged pair registered on the first; both synced. A merge goes through the
    admin routes only (core/replication/trust.py): kiosk a, which merges, is the operator's (an admin key)."""
    srv, key = server
    a, b = kiosks(srv.url, admin_key(srv)), kiosks(srv.url, key)
    ca, cb = SyncClient(a), SyncClient(b)
    seed, other = fresh_dog(), fresh_dog()
    older, newer = flagged_pair(a, seed, other, phones=(fresh_phone(), fresh_phone()),
                                times=(fresh_minute(), fresh_minute()))
    sync_all([ca, cb])
    return SimpleNamespace(srv=srv, key=key, a=a, b=b, ca=ca, cb=cb, seed=seed, other=other, older=older, newer=newer)


def test_a_merge_on_one_kiosk_reaches_the_server_and_the_other_kiosk(server, kiosks):
    t = synced_pair(server, kiosks)
    srv, a, b, ca, cb, seed, other, older, newer = t.srv, t.a, t.b, t.ca, t.cb, t.seed, t.other, t.older, t.newer

    # the flag made at the registration on kiosk a is on the server and on kiosk b
    (review,) = [r for r in b.list_reviews().reviews if r.older.id == older.id]
    assert review.newer.id == newer.id and b.get_dog(newer.id).needs_review
    srv_db = Database(srv.db_url, upgrade=False)
    try:
        assert flag_row(srv_db, review.id) == (False, None, False)

        result = a.resolve_review(review.id, same_dog=True)
        assert result.photos_added == 5
        sync_all([ca, cb])

        both = live_photos(a.db, older.id)
        assert len(both) == 10
        for db in (srv_db, b.db):
            assert flag_row(db, review.id) == (True, "same_dog", False)
            assert live_photos(db, older.id) == both
            assert newer.id not in live_dogs(db) and older.id in live_dogs(db)
        assert live_dogs(a.db) == live_dogs(srv_db) == live_dogs(b.db)
        with a.db.sessions() as s:
            assert s.scalar(select(func.count()).select_from(Outbox).where(Outbox.pushed_at.is_(None))) == 0
    finally:
        srv_db.dispose()
    assert b.list_reviews().count == 0 and not b.get_dog(older.id).needs_review
    with pytest.raises(NotFound):
        b.get_dog(newer.id)
    kept = b.get_dog(older.id)
    assert kept.registration_number == older.registration_number and newer.registration_number in kept.notes
    assert all(b.store.exists(sha) for sha in both)
    # kiosk b finds the merged registration's nose as the older dog, offline
    found = b.lookup(decode_photo(look_alike_photo_bytes(seed, other, 9)))
    assert found.decision == Decision.MATCH and found.match.dog.id == older.id


def test_two_kiosks_decide_differently_and_the_merge_wins_everywhere(server, kiosks):
    t = synced_pair(server, kiosks)
    srv, a, b, ca, cb, older, newer = t.srv, t.a, t.b, t.ca, t.cb, t.older, t.newer
    flag_id = b.list_reviews().reviews[0].id

    # offline from each other: b says 'different dogs' and syncs first, then a merges them
    assert b.resolve_review(flag_id, same_dog=False).resolution == "different_dogs"
    cb.sync_once()
    a.resolve_review(flag_id, same_dog=True)
    sync_all([ca, cb])

    srv_db = Database(srv.db_url, upgrade=False)
    try:
        for db in (srv_db, a.db, b.db):  # a merge cannot be undone by sync: it wins, like a deletion
            assert flag_row(db, flag_id) == (True, "same_dog", False)
            assert newer.id not in live_dogs(db) and len(live_photos(db, older.id)) == 10
    finally:
        srv_db.dispose()


def test_a_merge_made_through_the_server_api_reaches_the_kiosks(server, kiosks):
    import requests

    t = synced_pair(server, kiosks)
    srv, a, b, ca, cb, older, newer = t.srv, t.a, t.b, t.ca, t.cb, t.older, t.newer
    flag_id = b.list_reviews().reviews[0].id
    r = requests.post(f"{srv.url}/v1/reviews/{flag_id}", json={"same_dog": True},
                      headers={"Authorization": f"Bearer {admin_key(srv)}"}, timeout=30)  # admin routes only
    assert r.status_code == 200, r.text
    sync_all([ca, cb])
    for sp in (a, b):
        assert flag_row(sp.db, flag_id) == (True, "same_dog", False)
        assert newer.id not in live_dogs(sp.db) and len(live_photos(sp.db, older.id)) == 10
        assert newer.registration_number in sp.get_dog(older.id).notes and sp.list_reviews().count == 0
