"""A malicious kiosk against the sync routes (a real `savepets serve` on MariaDB, tests/attackkit.py): kiosk_a of
Shelter A attacks the victim, a dog of Clinic B. Every attack is refused (403, naming the change) with nothing of it
applied, or ignored where the spec says so; what a kiosk may do to any dog (report it found) is accepted and
audited."""

from __future__ import annotations

import base64
import hashlib
import io
import uuid
from datetime import UTC, datetime

import numpy as np
from PIL import Image
from sqlalchemy import create_engine, text

from tests.attackkit import VICTIM_NOTE, VICTIM_OWNER, VICTIM_PHONE, World
from tests.imaging import dog_photo_bytes

NOW = datetime.now(UTC).isoformat()


def rows(w: World, sql: str, **params) -> list:
    engine = create_engine(w.server.db_url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql), params).all()
    finally:
        engine.dispose()


def device_of(w: World, who: str) -> tuple[str, str]:
    """(device id, organisation id) of a key, as the server has them."""
    key_id = w.keys[who].split("_")[1]
    ((device, org),) = rows(w, "SELECT d.id, d.org_id FROM api_keys k JOIN devices d ON d.id = k.device_id "
                               "WHERE k.id = :k", k=key_id)
    return device, org


def pulled(w: World, who: str) -> dict[str, dict]:
    """Every dog state a key pulls, by id."""
    with w.client(who) as c:
        r = c.get("/v1/sync/pull", params={"since": 0, "limit": 1000})
        assert r.status_code == 200, r.text
        return {ch["entity_id"]: ch["state"] for ch in r.json()["changes"] if ch["entity"] == "dog"}


def victim_id(w: World) -> str:
    return w.dogs["victim"]["dog"]["id"]


def push(w: World, who: str, *changes: dict, device_id: str = "kiosk-a") -> dict:
    with w.client(who) as c:
        r = c.post("/v1/sync/push", json={"device_id": device_id, "sent_at": datetime.now(UTC).isoformat(),
                                          "changes": list(changes)})
    return {"status": r.status_code, "body": r.json()}


def change(state: dict, op: str = "upsert", **clocks: str) -> dict:
    return {"change_id": str(uuid.uuid4()), "entity": "dog", "entity_id": state["id"], "op": op, "clocks": clocks,
            "state": state}


def assert_refused(w: World, before: dict, answer: dict, ch: dict, word: str) -> None:
    assert answer["status"] == 403, answer
    err = answer["body"]["error"]
    assert err["code"] == "push_refused"
    (why,) = err["details"]["refused"]
    assert why["change_id"] == ch["change_id"] and why["entity_id"] == ch["entity_id"]
    assert word in why["reason"], why
    assert w.fingerprint() == before


def test_a_kiosk_pulls_other_organisations_dogs_without_their_owners(world):
    got = pulled(world, "kiosk_a")
    victim = got[victim_id(world)]
    assert victim["owner"]["redacted"] is True
    assert victim["owner"]["phone"] == "" and victim["owner"]["name"] == "" and victim["fields"]["notes"] == ""
    assert len(victim["templates"]) == 5 and len(victim["photos"]) == 5 and victim["fields"]["name"] == "바둑이"
    assert victim["org_id"] and victim["org_id"] == device_of(world, "kiosk_b")[1]
    own = got[world.dogs["own"]["dog"]["id"]]
    assert own["owner"] == {**own["owner"], "name": "김철수", "phone": "+821022223333"}
    assert "redacted" not in own["owner"] and own["org_id"] == device_of(world, "kiosk_a")[1]
    with world.client("kiosk_a") as c:
        raw = c.get("/v1/sync/pull", params={"since": 0, "limit": 1000}).text
    assert VICTIM_OWNER not in raw and "43218765" not in raw and VICTIM_NOTE not in raw
    full = pulled(world, "kiosk_b")[victim_id(world)]  # its own organisation's kiosk sees it all
    assert full["owner"]["name"] == VICTIM_OWNER and full["fields"]["notes"] == VICTIM_NOTE


def test_a_pushed_rename_of_another_organisations_dog_is_refused(world):
    before = world.fingerprint()
    state = pulled(world, "kiosk_a")[victim_id(world)]
    state["fields"]["name"] = "해킹됨"
    ch = change(state, name=NOW)
    assert_refused(world, before, push(world, "kiosk_a", ch), ch, "another organisation")
    replay = pulled(world, "admin")[victim_id(world)]  # a full bundle replayed, renamed, owner and all
    replay["fields"]["name"] = "해킹됨"
    replay["owner"]["name"] = "Mallory"
    ch = change(replay, name=NOW, owner_name=NOW)
    assert_refused(world, before, push(world, "kiosk_a", ch), ch, "another organisation")


def test_a_pushed_delete_of_another_organisations_dog_is_refused(world):
    before = world.fingerprint()
    state = pulled(world, "kiosk_a")[victim_id(world)]
    state["deleted_at"] = NOW
    ch = change(state, op="delete")
    assert_refused(world, before, push(world, "kiosk_a", ch), ch, "cannot be removed")


def test_a_pushed_erasure_is_refused(world):
    before = world.fingerprint()
    state = pulled(world, "admin")[victim_id(world)]
    state["owner"]["erased_at"] = NOW
    ch = change(state)
    assert_refused(world, before, push(world, "kiosk_a", ch), ch, "erasure")
    ch = change(state)  # not from the owner's own organisation's kiosk either: erasure is an admin route
    assert_refused(world, before, push(world, "kiosk_b", ch), ch, "erasure")


def photo_state(dog: int, shot: int) -> tuple[dict, bytes]:
    data = dog_photo_bytes(dog, shot)
    w, h = Image.open(io.BytesIO(data)).size
    return {"id": str(uuid.uuid4()), "sha256": hashlib.sha256(data).hexdigest(), "width": w, "height": h,
            "quality": 0.9, "position": shot, "created_at": NOW}, data


def new_dog(w: World, seed: int, owner: dict, templates_from: dict | None = None) -> dict:
    """A new dog's state with its photos uploaded; with `templates_from`, carrying that dog's vectors (planted)."""
    photos = []
    with w.client("kiosk_a") as c:
        for shot in range(5):
            p, data = photo_state(seed, shot)
            assert c.put(f"/v1/sync/photos/{p['sha256']}", content=data).status_code == 200
            photos.append(p)
    planted = (templates_from or {}).get("templates", [])
    templates = [{**planted[i], "id": str(uuid.uuid4()), "photo_id": p["id"], "created_at": NOW}
                 for i, p in enumerate(photos) if i < len(planted)]
    return {"id": str(uuid.uuid4()), "registration_number": f"2401011200ㅎㄱ{seed % 10000:04d}",
            "registered_at": NOW, "created_at": NOW, "updated_at": NOW, "origin_device": "kiosk-b-spoofed",
            "org_id": device_of(w, "kiosk_b")[1],
            "fields": {"name": "심은벡터", "breed": "", "sex": "unknown", "birth_date": None, "neutered": None,
                       "notes": "", "status": "home"},
            "owner": owner, "photos": photos, "templates": templates}


def fresh_owner(phone: str) -> dict:
    return {"id": str(uuid.uuid4()), "phone": phone, "name": "Mallory", "created_at": NOW, "updated_at": NOW}


def test_a_spoofed_device_and_planted_vectors_are_ignored(world):
    victim = pulled(world, "admin")[victim_id(world)]
    state = new_dog(world, 910_101, fresh_owner("+821055556666"), templates_from=victim)
    ch = change(state)
    answer = push(world, "kiosk_a", ch, device_id="kiosk-b-spoofed")
    assert answer["status"] == 200 and answer["body"]["results"][0]["status"] == "applied", answer
    device, org = device_of(world, "kiosk_a")
    ((origin, org_id),) = rows(world, "SELECT origin_device, org_id FROM dogs WHERE id = :d", d=state["id"])
    assert (origin, org_id) == (device, org)  # the key's device and organisation, not what the body said
    (received,) = rows(world, "SELECT device_id FROM sync_received WHERE change_id = :c", c=ch["change_id"])
    assert received[0] == device
    stored = rows(world, "SELECT t.vector, p.sha256 FROM nose_templates t JOIN nose_photos p ON p.id = t.photo_id "
                         "WHERE t.dog_id = :d", d=state["id"])
    assert len(stored) == 5
    planted = {base64.b64decode(t["vector"]) for t in victim["templates"]}
    assert not planted & {bytes(v) for v, _ in stored}
    from core.photos import decode_photo
    from core.recognition.factory import load_engine

    engine = load_engine("standin")
    for vector, sha in stored:  # what the server's engine makes of the photo itself
        data = next(dog_photo_bytes(910_101, s) for s in range(5)
                    if hashlib.sha256(dog_photo_bytes(910_101, s)).hexdigest() == sha)
        expected = engine.embed([decode_photo(data).image])[0].astype(np.float32)
        np.testing.assert_allclose(np.frombuffer(bytes(vector), np.float32), expected, rtol=1e-5, atol=1e-6)
    with world.client("kiosk_a") as c:  # a look-up with the new dog's nose finds the new dog, not the victim
        r = c.post("/v1/lookup", files=[("photos", ("n.jpg", dog_photo_bytes(910_101, 7), "image/jpeg"))])
        assert r.status_code == 200, r.text
        match = r.json().get("match")
        assert match is None or match["dog"]["id"] == state["id"]
        r = c.post("/v1/lookup", files=[("photos", ("v.jpg", dog_photo_bytes(910_001, 7), "image/jpeg"))])
        assert r.json()["match"]["dog"]["id"] == victim_id(world)


def test_pushed_audit_entries_keep_the_keys_device_and_are_marked_claimed(world):
    device, _org = device_of(world, "kiosk_a")
    entry_id = str(uuid.uuid4())
    entry = {"id": entry_id, "at": NOW, "device_id": "clinic-b-desk", "actor_kind": "staff", "actor_id": "dr-b",
             "actor_name": "Dr. B", "actor_role": "admin", "action": "contact_view", "dog_id": victim_id(world),
             "detail": "via=reveal"}
    with world.client("kiosk_a") as c:
        r = c.post("/v1/sync/audit", json={"device_id": "clinic-b-desk", "entries": [entry]})
    assert r.status_code == 200 and r.json()["stored"] == 1, r.text
    ((dev, kind, name, detail),) = rows(world, "SELECT device_id, actor_kind, actor_name, detail FROM audit_events "
                                               "WHERE id = :i", i=entry_id)
    assert dev == device and (kind, name) == ("staff", "Dr. B")
    assert detail.startswith("claimed; ") and "device=clinic-b-desk" in detail and detail.endswith("via=reveal")
    claimed = rows(world, "SELECT id FROM audit_events WHERE detail LIKE 'claimed; %' AND device_id = :d", d=device)
    assert (entry_id,) in claimed


def test_a_new_dog_naming_anothers_owner_without_their_phone_is_refused(world):
    before = world.fingerprint()
    victim_owner = pulled(world, "admin")[victim_id(world)]["owner"]
    state = new_dog(world, 910_102, {**fresh_owner("+821099990000"), "id": victim_owner["id"]})
    before = world.fingerprint()  # photos are files, not rows: the upload changed nothing here
    ch = change(state)
    assert_refused(world, before, push(world, "kiosk_a", ch), ch, "another phone")
    redacted = {**victim_owner, "phone": "", "name": "", "redacted": True}
    ch = change({**state, "owner": redacted})
    assert_refused(world, before, push(world, "kiosk_a", ch), ch, "phone")


def test_a_whole_push_is_refused_when_one_change_is(world):
    before = world.fingerprint()
    good = new_dog(world, 910_103, fresh_owner("+821077778888"))
    bad = pulled(world, "kiosk_a")[victim_id(world)]
    bad["fields"]["breed"] = "x"
    ok, refused = change(good), change(bad, breed=NOW)
    answer = push(world, "kiosk_a", ok, refused)
    assert answer["status"] == 403
    assert [r["change_id"] for r in answer["body"]["error"]["details"]["refused"]] == [refused["change_id"]]
    assert world.fingerprint() == before  # the good change of that push was not applied either


def test_marking_another_organisations_dog_found_is_accepted_and_audited(world):
    state = pulled(world, "kiosk_a")[victim_id(world)]
    state["fields"]["status"] = "found"
    ch = change(state, status=datetime.now(UTC).isoformat())
    answer = push(world, "kiosk_a", ch)
    assert answer["status"] == 200 and answer["body"]["results"][0]["status"] == "applied", answer
    ((status, name),) = rows(world, "SELECT status, name FROM dogs WHERE id = :d", d=victim_id(world))
    assert (status, name) == ("found", "바둑이")
    full = pulled(world, "kiosk_b")[victim_id(world)]  # nothing else changed: owner and notes as they were
    assert full["owner"]["name"] == VICTIM_OWNER and full["owner"]["phone"] == "+821043218765"
    assert full["fields"]["notes"] == VICTIM_NOTE
    key_id = world.keys["kiosk_a"].split("_")[1]
    audited = rows(world, "SELECT actor_kind, actor_id, detail FROM audit_events WHERE action = 'status' AND "
                          "dog_id = :d", d=victim_id(world))
    assert any(kind == "api_key" and actor == key_id and "status=found" in detail for kind, actor, detail in audited)
    assert VICTIM_PHONE  # the victim's owner is untouched (checked through the full pull above)


def test_a_kiosk_refused_on_a_change_is_not_stuck_and_goes_back_to_the_servers_state(world, tmp_path):
    """A real kiosk of Shelter A (SQLite, SyncClient): it pulls the victim redacted, renames and removes it locally;
    its push is refused (403), the refused change leaves its outbox (recorded, not resent forever), the dog goes back
    to what the server has, and its own registrations and a report of the victim lost still sync."""
    from core.registry.models import DogStatus
    from core.replication.kiosk import REJECTED_KEY
    from core.schemas import DogUpdate
    from sync.client import SyncClient
    from tests.sync_checks import fresh_dog, fresh_phone, register
    from tests.sync_harness import make_kiosk

    kiosk = make_kiosk(tmp_path / "kiosk-a", world.server.url, world.keys["kiosk_a"])
    client = SyncClient(kiosk)
    try:
        assert client.sync_once().errors == [] and client.status.state == "online"
        victim = kiosk.get_dog(victim_id(world))
        assert victim.owner.phone == "" and victim.owner.name == "" and victim.notes == ""
        assert victim.name == "바둑이" and len(victim.photos) == 5
        before = world.fingerprint()
        kiosk.update_dog(victim.id, DogUpdate(name="해킹됨", notes="mine now"))
        report = client.sync_once()
        assert client.status.state == "online" and report.rejected == 1 and client.status.pending == 0
        assert world.fingerprint() == before
        back = kiosk.get_dog(victim.id)
        assert (back.name, back.notes) == ("바둑이", "")  # the last state agreed with the server
        assert "refused by the server" in kiosk.db.meta(REJECTED_KEY)
        kiosk.delete_dog(victim.id)
        client.sync_once()
        assert client.status.state == "online" and kiosk.get_dog(victim.id).name == "바둑이"  # alive again
        assert world.fingerprint() == before

        mine = register(kiosk, fresh_dog(), fresh_phone())  # its own organisation's dogs sync as ever
        kiosk.set_status(victim.id, DogStatus.LOST)  # any dog may be reported lost or found
        report = client.sync_once()
        assert client.status.state == "online" and report.rejected == 0 and client.status.pending == 0
        ((status,),) = rows(world, "SELECT status FROM dogs WHERE id = :d", d=victim.id)
        assert status == "lost"
        ((org,),) = rows(world, "SELECT org_id FROM dogs WHERE id = :d", d=mine.id)
        assert org == device_of(world, "kiosk_a")[1]
        full = pulled(world, "kiosk_b")[victim.id]
        assert full["owner"]["name"] == VICTIM_OWNER and full["fields"]["notes"] == VICTIM_NOTE
    finally:
        client.close()
        kiosk.close()
