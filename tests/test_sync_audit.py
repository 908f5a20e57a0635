"""The audit trail across kiosks and the server, with a real `savepets serve` process on loopback (stand-in engine):
a kiosk's entries reach the server with sync, once each even when an answer is lost; the server records its own
API requests as their API key; GET /v1/audit lists them for admin keys only, with the CLI's filters."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select

from core.audit import CLAIMED
from core.registry.db import Database
from core.registry.models import ApiKey, AuditEvent
from sync.client import SyncClient
from tests.imaging import dog_photo_bytes
from tests.sync_checks import fresh_dog, fresh_phone, register
from tests.sync_harness import CutProxy, make_key

pytest_plugins = ("tests.sync_fixtures",)  # fixtures: server, kiosks


def server_entries(db_url: str, device_id: str | None = None) -> list[AuditEvent]:
    """The server's entries; with `device_id`, those a kiosk pushed that say they were made on that kiosk (the
    server keeps them under the key's device, the kiosk's word marked as a claim: core/audit.py store_pushed)."""
    db = Database(db_url, upgrade=False)
    try:
        with db.sessions() as s:
            stmt = select(AuditEvent).order_by(AuditEvent.at)
            if device_id:
                stmt = stmt.where(AuditEvent.detail.like(f"{CLAIMED}device={device_id} %"))
            return list(s.scalars(stmt))
    finally:
        db.dispose()


def key_device(db_url: str, key: str) -> str:
    db = Database(db_url, upgrade=False)
    try:
        with db.sessions() as s:
            return s.get(ApiKey, key.split("_")[1]).device_id
    finally:
        db.dispose()


def unsent(sp) -> int:
    with sp.db.sessions() as s:
        return s.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.synced_at.is_(None)))


def staffed(sp):
    """A kiosk with an administrator and a staff member, the member signed in (as the kiosk's worker does)."""
    sp.add_staff("boss", "9999", "admin")
    sp.add_staff("kim", "1234", "staff")
    return sp.sign_in("kim", "1234")


def test_kiosk_entries_reach_the_server_once(server, kiosks):
    srv, key = server
    kiosk = kiosks(srv.url, key)
    kim = staffed(kiosk)
    dog = register(kiosk, fresh_dog(), fresh_phone())
    kiosk.reveal_contact(dog.registration_number)
    made = unsent(kiosk)
    assert made >= 5  # two accounts made, a sign-in, the registration, the contact shown

    client = SyncClient(kiosk)
    report = client.sync_once()
    assert client.status.state == "online", report.errors
    assert report.audit_up == made and unsent(kiosk) == 0
    on_server = server_entries(srv.db_url, kiosk.device_id)
    assert len(on_server) == made
    reg = next(e for e in on_server if e.action == "register")
    assert (reg.actor_kind, reg.actor_id, reg.actor_name, reg.dog_id) == ("staff", kim.id, "kim", dog.id)
    assert reg.synced_at is not None  # when the server received it
    view = next(e for e in on_server if e.action == "contact_view")
    assert (view.detail, view.registration_number) == (f"{CLAIMED}device={kiosk.device_id} via=reveal",
                                                       dog.registration_number)
    assert {e.device_id for e in on_server} == {key_device(srv.db_url, key)}  # the key's device, not the kiosk's say

    again = client.sync_once()  # nothing new: nothing sent
    assert again.audit_up == 0 and len(server_entries(srv.db_url, kiosk.device_id)) == made
    kiosk.sign_out()
    assert client.sync_once().audit_up == 1  # the lock
    client.close()


def test_a_lost_answer_neither_loses_nor_doubles_an_entry(server, kiosks):
    srv, key = server
    proxy = CutProxy(srv.port)
    try:
        kiosk = kiosks(proxy.url, key)
        staffed(kiosk)
        register(kiosk, fresh_dog(), fresh_phone())
        made = unsent(kiosk)
        client = SyncClient(kiosk, retries=1)
        client.link.http.headers["Connection"] = "close"  # one request per connection: the proxy cuts that one
        proxy.match = b"POST /v1/sync/audit"
        proxy.cut_after = 20  # the server stores the entries; its answer is cut off
        report = client.sync_once()
        assert client.status.state == "offline" and report.audit_up == 0 and proxy.cuts >= 1
        assert unsent(kiosk) == made  # not marked: the kiosk does not know they arrived
        assert len(server_entries(srv.db_url, kiosk.device_id)) == made  # they did

        proxy.cut_after = None
        report = client.sync_once()
        assert client.status.state == "online", report.errors
        assert report.audit_up == 0 and unsent(kiosk) == 0  # resent, all skipped as already there
        ids = [e.id for e in server_entries(srv.db_url, kiosk.device_id)]
        assert len(ids) == made == len(set(ids))
        client.close()
    finally:
        proxy.close()


def test_the_server_records_its_requests_as_their_api_key(server):
    srv, _key = server
    admin_key, kiosk_key, mobile_key = (make_key(srv.db_url, role, f"{role} audit test")
                                        for role in ("admin", "kiosk", "mobile"))
    key_id = mobile_key.split("_")[1]
    dog, phone = fresh_dog(), fresh_phone()
    files = [("photos", (f"d{s}.jpg", dog_photo_bytes(dog, s), "image/jpeg")) for s in range(5)]
    with httpx.Client(base_url=srv.url, timeout=60) as http:
        r = http.post("/v1/dogs", data={"phone": phone, "name": "초코", "owner_name": "김철수"}, files=files,
                      headers={"Authorization": f"Bearer {kiosk_key}"})
        assert r.status_code == 201, r.text
        number = r.json()["dog"]["registration_number"]
        probe = {"photo": ("p.jpg", dog_photo_bytes(dog, 7), "image/jpeg")}
        mobile = {"Authorization": f"Bearer {mobile_key}"}
        assert http.post("/v1/lookup", files=probe, headers=mobile).json()["decision"] == "match"
        assert "*" in http.get(f"/v1/dogs/{number}", headers=mobile).json()["owner"]["phone"]
        assert http.get(f"/v1/dogs/{number}", headers={"Authorization": f"Bearer {kiosk_key}"}).status_code == 200

        admin = {"Authorization": f"Bearer {admin_key}"}
        page = http.get("/v1/audit", params={"dog": number}, headers=admin)
        assert page.status_code == 200, page.text
        entries = page.json()["entries"]
        assert page.json()["count"] == len(entries)
        assert [(e["action"], e["actor_kind"], e["actor_name"]) for e in entries] == [
            ("contact_view", "api_key", "kiosk audit test"),  # the kiosk key got the contact in full
            ("dog_view", "api_key", "mobile audit test"),  # every mobile read is audited
            ("lookup", "api_key", "mobile audit test"),  # the mobile key's look-up: no contact shown to it
            ("register", "api_key", "kiosk audit test")]
        lookup = entries[2]
        assert (lookup["actor_id"], lookup["actor_role"], lookup["decision"], lookup["reason"]) == \
            (key_id, "mobile", "match", "sure_match")
        assert all("김철수" not in str(e) and phone.replace("-", "")[-8:] not in str(e) for e in entries)

        only = http.get("/v1/audit", params={"who": f"api_key:{key_id}", "action": "lookup"}, headers=admin).json()
        assert [e["id"] for e in only["entries"]] == [lookup["id"]]
        assert http.get("/v1/audit", params={"since": "2999-01-01"}, headers=admin).json()["entries"] == []

        for params, field in (({"since": "last week"}, "since"), ({"action": "peek"}, "action")):
            bad = http.get("/v1/audit", params=params, headers=admin)
            assert bad.status_code == 422 and bad.json()["error"]["details"]["field"] == field, bad.text
        bad = http.get("/v1/audit", params={"limit": 0}, headers=admin)
        assert bad.status_code == 422 and bad.json()["error"]["code"] == "validation_error"
        denied = http.get("/v1/audit", headers={"Authorization": f"Bearer {kiosk_key}"})
        assert denied.status_code == 403 and denied.json()["error"]["code"] == "forbidden"
        assert http.get("/v1/audit").status_code == 401


def test_bad_audit_pushes_are_refused_whole(server):
    srv, key = server
    entry = {"id": "x" * 37, "at": "2026-11-26T00:00:00Z", "device_id": "d", "actor_kind": "staff",
             "actor_id": "u", "action": "lookup"}
    with httpx.Client(base_url=srv.url, timeout=30, headers={"Authorization": f"Bearer {key}"}) as http:
        r = http.post("/v1/sync/audit", json={"device_id": "kiosk-x", "entries": [entry]})
        assert r.status_code == 422 and "entries.0.id" in r.text
        r = http.post("/v1/sync/audit", json={"device_id": "kiosk-x", "entries": [{**entry, "id": "e1"}] * 1001})
        assert r.status_code == 422
    assert server_entries(srv.db_url, "kiosk-x") == []
