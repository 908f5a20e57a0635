"""Staff member sessions of the web app's staff phones (sync/server/deps.py, sync/server/staff_routes.py), against a
real `savepets serve`: the member's name and PIN on a staff device key give a session token; every call that sends it
acts as the MEMBER (the core's staff permissions, the audit trail names them); a session of another device, an ended
one, a disabled member's and a locked one are refused (401, with the reason); the key alone acts as before."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from core.actors import cli_actor
from core.registry.db import Database
from core.registry.models import Meta
from core.staff import StaffAccounts, StaffPermissions
from sync.server.keys import KeyStore
from tests.imaging import dog_photo_bytes
from tests.serverkit import served

OWNER_PHONE = "010-2345-6789"
STORED = "+821023456789"  # as the registry keeps it
SESSION = "X-SavePets-Session"
DOG = 424_242


class World:
    def __init__(self, srv):
        self.srv = srv
        self.vet = srv.key("vet", "Vet phone", org="Shelter A")
        self.vet2 = srv.key("vet", "Second phone", org="Shelter A")
        self.other_org = srv.key("kiosk", "Clinic desk", org="Clinic B")
        self.admin = srv.key("admin", "Operator")
        self.db = Database(srv.db_url)
        self.staff = StaffAccounts(self.db)
        self.staff.add("Kim Admin", "13579", role="admin", first=True)
        self.staff.add("Lee Staff", "24680")
        with srv.client(self.vet) as c:
            files = [("photos", (f"{s}.jpg", dog_photo_bytes(DOG, s), "image/jpeg")) for s in range(5)]
            r = c.post("/v1/dogs", data={"phone": OWNER_PHONE, "owner_name": "Kim Minji", "name": "Choco"},
                       files=files)
            assert r.status_code == 201, r.text
            self.dog = r.json()["dog"]
        with srv.client(self.other_org) as c:
            files = [("photos", (f"{s}.jpg", dog_photo_bytes(DOG + 1, s), "image/jpeg")) for s in range(5)]
            r = c.post("/v1/dogs", data={"phone": "010-3456-7890", "name": "Bori"}, files=files)
            assert r.status_code == 201, r.text
            self.others_dog = r.json()["dog"]

    def sign_in(self, name: str = "Lee Staff", pin: str = "24680", key: str | None = None) -> dict:
        with self.srv.client(key or self.vet) as c:
            r = c.post("/v1/staff/session", json={"name": name, "pin": pin})
        assert r.status_code == 200, r.text
        return r.json()

    def client(self, session: str | None = None, key: str | None = None):
        c = self.srv.client(key or self.vet)
        if session:
            c.headers[SESSION] = session
        return c

    def audit(self, action: str) -> list[dict]:
        with self.srv.client(self.admin) as c:
            r = c.get("/v1/audit", params={"action": action, "limit": 500})
            assert r.status_code == 200, r.text
            return r.json()["entries"]

    def edit_session(self, token: str, **changes: timedelta) -> None:
        """Moves a stored session's times back (opened, used): an ended session without waiting for it."""
        key = "staff_session:" + token.split("_")[1]
        with self.db.session() as s:
            row = s.get(Meta, key)
            value = json.loads(row.value)
            for name, by in changes.items():
                value[name] = (datetime.fromisoformat(value[name]) - by).isoformat()
            row.value = json.dumps(value)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    with served("sqlite", tmp_path_factory.mktemp("staff-sessions")) as srv:
        w = World(srv)
        try:
            yield w
        finally:
            w.db.dispose()


def refused(r, reason: str) -> str:
    assert r.status_code == 401, r.text
    assert r.json()["error"]["code"] == "unauthorized"
    assert r.headers["x-savepets-session-refused"] == reason
    return r.json()["error"]["message"]


def test_a_members_look_up_views_and_changes_are_on_the_trail_under_their_name(world):
    signed = world.sign_in()
    assert signed["name"] == "Lee Staff" and signed["role"] == "staff" and signed["session"].startswith("sps_")
    assert signed["idle_minutes"] == 5 and signed["expires_at"]
    token = signed["session"]
    with world.client(token) as c:
        assert c.get("/v1/staff/session").json()["name"] == "Lee Staff"
        dog = c.get(f"/v1/dogs/{world.dog['id']}").json()
        assert "*" in dog["owner"]["phone"] and dog["owner"]["phone"] != STORED  # masked for a member
        r = c.post("/v1/lookup", files={"photo": ("n.jpg", dog_photo_bytes(DOG, 5), "image/jpeg")})
        assert r.status_code == 200, r.text
        assert r.json()["candidates"][0]["dog"]["id"] == world.dog["id"]
        assert "*" in r.json()["candidates"][0]["dog"]["owner"]["phone"]
        r = c.post(f"/v1/dogs/{world.dog['id']}/contact", json={"reason": "calling the owner: dog found"})
        assert r.status_code == 200, r.text
        assert r.json()["phone"] == STORED  # revealed, one at a time
        r = c.put(f"/v1/dogs/{world.dog['id']}/status", json={"status": "found"})
        assert r.status_code == 200, r.text
    member_id = signed["id"]
    for action in ("sign_in", "lookup", "contact_view", "status"):
        mine = [e for e in world.audit(action) if e["actor_id"] == member_id]
        assert mine, f"no {action} entry names the member"
        assert all(e["actor_kind"] == "staff" and e["actor_name"] == "Lee Staff" and e["actor_role"] == "staff"
                   for e in mine)
    contact = [e for e in world.audit("contact_view") if e["actor_id"] == member_id]
    assert contact[0]["dog_id"] == world.dog["id"] and "via=contact" in contact[0]["detail"]
    with world.client() as key_only:  # the key alone acts as the key, as before: the owner in full (its own dog)
        assert key_only.get(f"/v1/dogs/{world.dog['id']}").json()["owner"]["phone"] == STORED
        assert key_only.get("/v1/staff/session").status_code == 404
    key_id = world.vet.split("_")[1]
    assert any(e["actor_kind"] == "api_key" and e["actor_id"] == key_id for e in world.audit("contact_view"))


def test_the_administrators_choices_for_staff_apply_to_a_members_session(world):
    token = world.sign_in()["session"]
    admin = world.sign_in("Kim Admin", "13579")["session"]
    world.staff.set_permissions(StaffPermissions(contacts="none", status=False), by=cli_actor())
    try:
        with world.client(token) as c:
            r = c.post(f"/v1/dogs/{world.dog['id']}/contact", json={"reason": "calling the owner: dog found"})
            assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden", r.text
            r = c.put(f"/v1/dogs/{world.dog['id']}/status", json={"status": "home"})
            assert r.status_code == 403, r.text
        with world.client(admin) as c:  # an administrator may
            r = c.post(f"/v1/dogs/{world.dog['id']}/contact", json={"reason": "calling the owner: dog found"})
            assert r.status_code == 200, r.text
    finally:
        world.staff.set_permissions(StaffPermissions(), by=cli_actor())


def test_wrong_pins_count_and_lock_the_account_as_at_the_kiosk(world):
    world.staff.add("Park Guess", "11223")
    with world.client() as c:
        for left in (4, 3, 2, 1):
            r = c.post("/v1/staff/session", json={"name": "Park Guess", "pin": "99999"})
            assert r.status_code == 400 and r.json()["error"]["code"] == "sign_in_failed", r.text
            assert r.json()["error"]["details"]["tries_left"] == left
            assert "session" not in r.text
        r = c.post("/v1/staff/session", json={"name": "Park Guess", "pin": "99999"})
        assert r.status_code == 400 and r.json()["error"]["code"] == "account_locked", r.text
        r = c.post("/v1/staff/session", json={"name": "Park Guess", "pin": "11223"})  # right, but locked
        assert r.status_code == 400 and r.json()["error"]["code"] == "account_locked"
        r = c.post("/v1/staff/session", json={"name": "Nobody", "pin": "11223"})
        assert r.status_code == 400 and r.json()["error"]["details"]["reason"] == "unknown"
    assert any(e["actor_name"] == "Park Guess" for e in world.audit("lockout"))
    assert sum(e["actor_name"] == "Park Guess" for e in world.audit("sign_in_failed")) == 6


def test_an_ended_session_is_refused(world):
    token = world.sign_in()["session"]
    world.edit_session(token, used=timedelta(minutes=6))  # 6 minutes unused: the idle time is 5
    with world.client(token) as c:
        assert "unused for more than 5 minutes" in refused(c.get("/v1/staff/session"), "expired")
        assert "sign in with your PIN again" in refused(c.get(f"/v1/dogs/{world.dog['id']}"), "unknown")
    token = world.sign_in()["session"]
    with world.client(token) as c:
        assert c.get("/v1/staff/session").status_code == 200
        world.edit_session(token, opened=timedelta(hours=13), used=timedelta(minutes=1))  # used, but 13 hours old
        assert "open for more than 12 hours" in refused(c.get("/v1/staff/session"), "expired")
    with world.client("sps_0123456789abcdef_" + "x" * 43) as c:
        refused(c.get("/v1/staff/session"), "unknown")
    with world.client(token[:-2] + "zz") as c:  # a wrong secret for a real id
        refused(c.get("/v1/staff/session"), "unknown")


def test_a_session_with_another_devices_key_is_refused(world):
    token = world.sign_in()["session"]
    with world.client(token, key=world.vet2) as c:  # the same organisation, another phone
        assert "another device" in refused(c.get(f"/v1/dogs/{world.dog['id']}"), "other_device")
    with world.client(token, key=world.other_org) as c:
        refused(c.post(f"/v1/dogs/{world.dog['id']}/contact", json={"reason": "calling the owner"}), "other_device")
    with world.client() as anon:
        public = anon.post("/v1/public/session").json()["key"]
    with world.client(token, key=public) as c:
        refused(c.get("/v1/devices/me"), "other_device")
    with world.client(token) as c:  # still good on its own phone
        assert c.get("/v1/staff/session").json()["name"] == "Lee Staff"


def test_a_disabled_member_is_refused_at_once(world):
    world.staff.add("Choi Leaving", "55667")
    token = world.sign_in("Choi Leaving", "55667")["session"]
    with world.client(token) as c:
        assert c.get(f"/v1/dogs/{world.dog['id']}").status_code == 200
        world.staff.disable("Choi Leaving", by=cli_actor())
        assert "disabled" in refused(c.get(f"/v1/dogs/{world.dog['id']}"), "disabled")
        world.staff.enable("Choi Leaving", by=cli_actor())
        refused(c.get(f"/v1/dogs/{world.dog['id']}"), "unknown")  # enabled again: a new sign-in, not the old session
    with world.client() as c:
        r = c.post("/v1/staff/session", json={"name": "Choi Leaving", "pin": "55667"})
        assert r.status_code == 200


def test_lock_ends_the_session_and_is_on_the_trail(world):
    signed = world.sign_in()
    with world.client(signed["session"]) as c:
        assert c.get("/v1/staff/session").status_code == 200
        assert c.delete("/v1/staff/session", params={"reason": "idle"}).status_code == 204
        refused(c.get("/v1/staff/session"), "unknown")
        assert c.delete("/v1/staff/session").status_code == 204  # again: nothing left to end
    device = [e for e in world.audit("lock") if e["actor_id"] == signed["id"]]
    assert device and device[0]["actor_kind"] == "staff" and device[0]["detail"].startswith("idle device=")


def test_a_revoked_devices_session_stops_with_its_key(world, tmp_path):
    key = world.srv.key("vet", "Lost phone", org="Shelter A")
    token = world.sign_in(key=key)["session"]
    with world.client(token, key=key) as c:
        assert c.get("/v1/staff/session").status_code == 200
        KeyStore(world.db).revoke(key.split("_")[1])
        r = c.get("/v1/staff/session")
        assert r.status_code == 401 and "revoked" in r.json()["error"]["message"]


def test_a_member_is_held_to_the_organisation_of_the_phones_key(world):
    token = world.sign_in("Kim Admin", "13579")["session"]
    with world.client() as key_only:  # the key alone: another organisation's dog is not its to change
        r = key_only.put(f"/v1/dogs/{world.others_dog['id']}/status", json={"status": "home"})
        assert r.status_code == 403, r.text
    with world.client(token) as c:
        r = c.put(f"/v1/dogs/{world.others_dog['id']}/status", json={"status": "home"})
        assert r.status_code == 403, r.text


def test_a_members_contacts_count_against_the_phones_hourly_limit(tmp_path):
    with served("sqlite", tmp_path, contacts_per_hour=2) as srv:
        w = World(srv)
        try:
            token = w.sign_in()["session"]
            reason = {"reason": "calling the owner: dog found"}
            with w.client() as key_only, w.client(token) as member:
                assert key_only.post(f"/v1/dogs/{w.dog['id']}/contact", json=reason).status_code == 200
                assert member.post(f"/v1/dogs/{w.dog['id']}/contact", json=reason).status_code == 200
                r = member.post(f"/v1/dogs/{w.dog['id']}/contact", json=reason)
                assert r.status_code == 429, r.text
        finally:
            w.db.dispose()
