"""An owner's erasure reaches every copy through sync, with a real `savepets serve` process: erased at a kiosk,
the server and the other kiosks erase too (the server also removes the owner's dogs the erasing kiosk never
saw); erased on the server through the REST API (admin keys only, 4xx JSON errors), kiosks learn it."""

from __future__ import annotations

import json

import httpx
from sqlalchemy import select

from core.recognition.base import Decision
from core.registry.db import Database
from core.registry.models import Dog, DogStatus, NosePhoto, NoseTemplate, Owner, SyncEntity
from core.schemas import DogUpdate
from sync.client import SyncClient
from tests.imaging import dog_photos
from tests.sync_checks import fresh_dog, fresh_phone, register, sync_all
from tests.sync_harness import make_key

pytest_plugins = ("tests.sync_fixtures",)  # fixtures: server, kiosks


def state_of(db: Database, owner_id: str, dog_ids: list[str]) -> dict:
    """What a database holds of an owner and dogs, read as the code reads it (decrypted)."""
    with db.sessions() as s:
        owner = s.get(Owner, owner_id)
        out = {"owner": (owner.name, owner.phone, owner.phone_hash is None, owner.deleted_at is not None)}
        for d in dog_ids:
            dog = s.get(Dog, d)
            photos = s.scalars(select(NosePhoto.sha256).where(NosePhoto.dog_id == d)).all()
            templates = s.scalars(select(NoseTemplate.id).where(NoseTemplate.dog_id == d)).all()
            out[d] = (dog.deleted_at is not None, len(photos), len(templates), dog.notes)
        shadows = [e.shadow for e in s.scalars(select(SyncEntity).where(SyncEntity.entity_id.in_(dog_ids)))]
    out["shadows"] = json.dumps(shadows, ensure_ascii=False)
    return out


def test_erased_at_a_kiosk_everywhere_after_sync(server, kiosks):
    srv, key = server
    # an erasure goes through the admin routes only (core/replication/trust.py): kiosk a is the operator's
    a, b = kiosks(srv.url, make_key(srv.db_url, "admin", "operator's kiosk")), kiosks(srv.url, key)
    ca, cb = SyncClient(a), SyncClient(b)
    phone = fresh_phone()
    seeds = [fresh_dog() for _ in range(3)]
    home = register(a, seeds[0], phone, "초코")
    found = register(a, seeds[1], phone, "보리")
    a.set_status(found.id, DogStatus.FOUND)
    sync_all([ca, cb])
    a.update_dog(home.id, DogUpdate(breed="믹스"))  # an ordinary edit pushed: no erasure without a request
    sync_all([ca, cb])
    owner_name = b.get_dog(home.id).owner.name
    assert owner_name and b.find_owner(phone).id == home.owner.id and b.get_dog(home.id).breed == "믹스"
    seen_by_b = register(b, seeds[2], phone, "콩")  # kiosk a never pulls this one before erasing
    assert seen_by_b.owner.id == home.owner.id
    cb.sync_once()
    shas = {p.sha256 for d in (home, seen_by_b) for p in d.photos}
    assert all(b.store.exists(sha) for sha in {p.sha256 for p in home.photos})

    a.erase_owner(phone)
    ca.sync_once()  # the server erases too, the dog only b registered included
    cb.sync_once()  # b learns it all
    ids = [home.id, found.id, seen_by_b.id]
    srv_db = Database(srv.db_url)
    try:
        states = {"a": state_of(a.db, home.owner.id, ids), "b": state_of(b.db, home.owner.id, ids),
                  "server": state_of(srv_db, home.owner.id, ids)}
    finally:
        srv_db.dispose()
    for where, st in states.items():
        assert st["owner"] == ("", "", True, True), where
        assert st[found.id] == (False, 5, 5, ""), where  # in the shelter's care: kept, identifiable
        assert st[seen_by_b.id][:3] == (True, 0, 0), where
        if where != "a":  # a never had b's dog
            assert st[home.id][:3] == (True, 0, 0), where
        assert owner_name not in st["shadows"] and phone[-9:].replace("-", "") not in st["shadows"], where
    for sp in (a, b):
        assert sp.find_owner(phone) is None
        assert sp.lookup(dog_photos(seeds[1], n=1, first_shot=20)[0]).match.dog.id == found.id
        assert sp.lookup(dog_photos(seeds[2], n=1, first_shot=20)[0]).decision == Decision.NO_MATCH
    assert not any(b.store.exists(sha) for sha in shas)
    assert not any((srv.data_dir / "photos" / sha[:2] / sha[2:4] / sha).exists() for sha in shas)
    # nothing brings the owner back: another round changes nothing
    sync_all([ca, cb])
    assert b.get_dog(found.id).owner.name == "" and a.get_dog(found.id).owner.phone == ""


def test_rest_export_and_erase_admin_only_then_kiosks_learn(server, kiosks):
    srv, key = server
    a = kiosks(srv.url, key)
    ca = SyncClient(a)
    phone = fresh_phone()
    dog = register(a, fresh_dog(), phone, "치즈")
    ca.sync_once()
    admin = make_key(srv.db_url, "admin", "privacy officer")
    with httpx.Client(base_url=srv.url, headers={"Authorization": f"Bearer {admin}"}, timeout=60) as http, \
            httpx.Client(base_url=srv.url, headers={"Authorization": f"Bearer {key}"}, timeout=60) as kiosk_http:
        r = http.post("/v1/owners/export", json={"phone": phone})
        assert r.status_code == 200, r.text
        data = r.json()
        assert data["owner"]["id"] == dog.owner.id and data["owner"]["name"] == f"owner {phone[-4:]}"
        assert [d["registration_number"] for d in data["dogs"]] == [dog.registration_number]
        assert len(data["dogs"][0]["photos"]) == 5

        r = kiosk_http.post("/v1/owners/export", json={"phone": phone})
        assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
        r = kiosk_http.post("/v1/owners/erase", json={"phone": phone, "confirm": True})
        assert r.status_code == 403
        r = http.post("/v1/owners/export", json={"phone": "hello"})
        assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_phone"
        r = http.post("/v1/owners/export", json={"phone": "010-9999-0001"})
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
        r = http.post("/v1/owners/erase", json={"phone": phone})
        assert r.status_code == 422 and "confirm" in r.json()["error"]["message"]
        r = http.post("/v1/owners/erase", json={"phone": phone, "confirm": False})
        assert r.status_code == 422
        assert http.post("/v1/owners/export", json={"phone": phone}).status_code == 200  # nothing erased yet

        r = http.post("/v1/owners/erase", json={"phone": phone, "confirm": True})
        assert r.status_code == 200, r.text
        assert r.json()["removed"] == [dog.registration_number] and r.json()["photos_removed"] == 5
        assert http.post("/v1/owners/export", json={"phone": phone}).status_code == 404
        assert http.post("/v1/owners/erase", json={"phone": phone, "confirm": True}).status_code == 404

    ca.sync_once()
    st = state_of(a.db, dog.owner.id, [dog.id])
    assert st["owner"] == ("", "", True, True) and st[dog.id][:3] == (True, 0, 0)
    assert a.find_owner(phone) is None and not any(a.store.exists(p.sha256) for p in dog.photos)
