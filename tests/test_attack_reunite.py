"""A malicious app (mobile key) and a malicious staff key of another organisation against reunite's routes
(sync/server/reunite_routes.py) on the shared registry (tests/attackkit.py): each attack is refused 403 in the API's
error format and changes nothing (the registry's tables and reunite's own, before and after). A finder's answer
holds nothing of the owner. The app's verified owner reports their own dog lost; the owner's message about a
confirmed reunion reaches a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import email
import email.policy
import hashlib
import json
import re
import time
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import create_engine, text

from tests import attackkit
from tests.attackkit import VICTIM_NOTE, VICTIM_OWNER, VICTIM_PHONE, World
from tests.imaging import dog_photo_bytes
from tests.serverkit import free_port

world = attackkit.world  # the module's shared registry (a fixture)
SMTP_PORT = free_port()
WORLD_SETTINGS = {"notify_smtp": f"127.0.0.1:{SMTP_PORT}", "notify_to": "{national}@sms.test",
                  "notify_from": "reunite@savepets.test", "notify_interval": 1}
VICTIM_DOG, OWN_DOG = 910_001, 910_002
REUNITE_TABLES = ("lost_reports", "found_cases", "found_photos", "reunions", "notifications")
SECRETS = (VICTIM_OWNER, "길동", "43218765", "4321-8765", VICTIM_NOTE, "김철수", "22223333", "2222-3333")


class Inbox:
    """The messages a real SMTP server received: (recipients, subject, decoded text)."""

    def __init__(self):
        self.messages: list[tuple[list[str], str, str]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        body = msg.get_body(preferencelist=("plain",))
        self.messages.append((list(envelope.rcpt_tos), str(msg["subject"]), body.get_content() if body else ""))
        return "250 OK"

    def wait_for(self, address: str, contains: str = "", timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = [f"{subject}\n{body}" for to, subject, body in self.messages
                   if address in to and contains in f"{subject}\n{body}"]
            if got:
                return got[-1]
            time.sleep(0.1)
        raise AssertionError(f"nothing with {contains!r} sent to {address}: {self.messages}")

    def code_for(self, address: str) -> str:
        return re.search(r"code: (\d{6})", self.wait_for(address, "code")).group(1)


@pytest.fixture(scope="module", autouse=True)
def inbox():
    box = Inbox()
    controller = Controller(box, hostname="127.0.0.1", port=SMTP_PORT)
    controller.start()
    yield box
    controller.stop()


def reunite_fingerprint(db_url: str) -> dict[str, str]:
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            return {t: hashlib.sha256(repr(sorted(repr(tuple(r)) for r in conn.execute(
                text(f"SELECT * FROM {t}")).all())).encode()).hexdigest() for t in REUNITE_TABLES}
    finally:
        engine.dispose()


@contextmanager
def unchanged(w: World):
    before = (w.fingerprint(), reunite_fingerprint(w.server.db_url))
    yield
    assert (w.fingerprint(), reunite_fingerprint(w.server.db_url)) == before, "the attack changed the registry"


def refused(r, status: int = 403) -> dict:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error"} and body["error"]["code"] and body["error"]["message"], body
    return body["error"]


def assert_no_secret(payload) -> None:
    text_ = json.dumps(payload, ensure_ascii=False)
    for secret in SECRETS:
        assert secret not in text_, f"{secret!r} leaked: {text_[:500]}"


def ago(**delta) -> str:
    return (datetime.now(UTC) - timedelta(**delta)).isoformat()


def found_files(dog: int, shots=(5, 6)):
    return [("photos", (f"f{dog}-{s}.jpg", dog_photo_bytes(dog, s), "image/jpeg")) for s in shots]


def found_form(**fields) -> dict:
    return {"found_at": ago(hours=2), "place": "Mapo-gu, Seoul", **fields}


@pytest.fixture(scope="module")
def scene(world) -> dict:
    """Clinic B reports its dog (the victim) lost; Shelter A takes in a stray of it: a possible reunion of Shelter
    A's case. Shelter A also takes in a stray of its own dog (a registry match) and closes nothing."""
    victim = world.dogs["victim"]["dog"]
    with world.client("kiosk_b") as clinic, world.client("kiosk_a") as shelter:
        r = clinic.post("/v1/lost", json={"dog": victim["id"], "lost_at": ago(days=1), "place": "Mangwon park",
                                          "channel": "email", "contact_email": "hong@owner.test", "language": "en"})
        assert r.status_code == 201, r.text
        report = r.json()
        r = shelter.post("/v1/found", data=found_form(), files=found_files(VICTIM_DOG))
        assert r.status_code == 201, r.text
        case = r.json()
        assert case["reunions"] and case["reunions"][0]["dog"]["id"] == victim["id"], case
        other = shelter.post("/v1/found", data=found_form(), files=found_files(OWN_DOG)).json()
        assert other["reunions"], other
    return {"report": report, "case": case, "reunion": case["reunions"][0], "other": other}


# ------------------------------------------------------------------------------------------- a malicious app
def test_app_may_not_list_or_read_found_cases_or_reunions(world, scene):
    rid, cid = scene["reunion"]["id"], scene["case"]["id"]
    with unchanged(world), world.client("mobile") as app:
        for path in ("/v1/found", f"/v1/found/{cid}", "/v1/reunions", f"/v1/reunions/{rid}",
                     "/v1/reunions?state=all", "/v1/found?state=all"):
            assert_no_secret(refused(app.get(path)))


def test_app_may_not_confirm_reject_or_close(world, scene):
    rid, cid = scene["reunion"]["id"], scene["case"]["id"]
    with unchanged(world), world.client("mobile") as app:
        for path in (f"/v1/reunions/{rid}/confirm", f"/v1/reunions/{rid}/reject", f"/v1/found/{cid}/close"):
            refused(app.post(path))
    with world.client("admin") as admin:
        assert admin.get(f"/v1/reunions/{rid}").json()["state"] == "possible"
        assert admin.get(f"/v1/found/{cid}").json()["state"] == "open"


def test_app_may_not_report_or_end_another_owners_dog_lost(world, scene):
    victim, own = world.dogs["victim"]["dog"], world.dogs["own"]["dog"]
    report = scene["report"]
    with unchanged(world), world.client("mobile") as app:
        for dog in (own["id"], own["registration_number"], victim["id"]):
            err = refused(app.post("/v1/lost", json={"dog": dog, "lost_at": ago(hours=3), "place": "Anywhere"}))
            assert "own dogs" in err["message"]
        refused(app.post(f"/v1/lost/{report['id']}/withdraw"))
        refused(app.post(f"/v1/lost/{report['id']}/home"))
        assert_no_secret(refused(app.get(f"/v1/lost/{report['id']}")))
        assert app.get("/v1/lost", params={"state": "all"}).json() == {"items": []}  # no verified phone: nothing
    with world.client("admin") as admin:
        assert admin.get(f"/v1/dogs/{own['id']}").json()["status"] == "home"
        assert admin.get(f"/v1/lost/{report['id']}").json()["state"] == "open"


def test_a_finders_answer_holds_nothing_of_the_owner(world, scene):
    victim = world.dogs["victim"]["dog"]
    with world.client("mobile") as app:
        r = app.post("/v1/found", data=found_form(contact="finder@example.test", notes="friendly, no collar"),
                     files=found_files(VICTIM_DOG, shots=(7, 8)))
        assert r.status_code == 201, r.text
        assert "location" not in r.headers  # the finder may not read the case back
        answer = r.json()
        assert answer["kind"] == "finder" and answer["hold_until"] is None
        assert answer["reunions"] == [] and answer["dog_id"] is None and answer["notes"] == ""
        assert answer["registered"] is True and answer["message"], answer  # the stand-in is sure of this dog
        for what in (victim["id"], victim["registration_number"], victim["name"], '"owner"', '"phone"', '"dog"'):
            assert what not in r.text, f"{what!r} in a finder's answer: {r.text}"
        assert_no_secret(answer)
        assert all(p["url"] for p in answer["photos"])
        assert app.get(answer["photos"][0]["url"]).status_code == 200  # its own photo
        refused(app.get(f"/v1/found/{answer['id']}"))
    # staff see the finder's case with its reunion (Shelter A: Clinic B's dog, owner redacted)
    with world.client("admin") as admin:
        case = admin.get(f"/v1/found/{answer['id']}").json()
        assert case["kind"] == "finder" and case["reunions"][0]["dog"]["id"] == victim["id"]


# ------------------------------------------------------------------------------------------- another organisation
@pytest.mark.parametrize("who", ["kiosk_b", "vet_b"])
def test_another_organisation_may_not_decide_or_close_a_case(world, scene, who):
    rid, cid = scene["reunion"]["id"], scene["case"]["id"]
    with unchanged(world), world.client(who) as other:
        for path in (f"/v1/reunions/{rid}/confirm", f"/v1/reunions/{rid}/reject", f"/v1/found/{cid}/close"):
            err = refused(other.post(path))
            assert "another organisation" in err["message"], err
        # the case is every organisation's to see; its reunion only Clinic B's here because the dog is Clinic B's
        # (its dog found elsewhere: read, never decided), and it is not on Clinic B's list to decide
        seen = other.get(f"/v1/reunions/{rid}")
        assert seen.status_code == 200 and seen.json()["state"] == "possible", seen.text
        case = other.get(f"/v1/found/{cid}").json()
        assert case["id"] == cid and [r["id"] for r in case["reunions"]] == [rid] and case["photos"][0]["url"], case
        assert rid not in [x["id"] for x in other.get("/v1/reunions", params={"state": "all"}).json()["items"]]
    with world.client("kiosk_a") as shelter:
        assert shelter.get(f"/v1/reunions/{rid}").json()["state"] == "possible"
        assert shelter.get(f"/v1/found/{cid}").json()["state"] == "open"


def test_another_organisations_dog_comes_redacted_in_reunions(world, scene):
    with world.client("kiosk_a") as shelter:
        items = shelter.get("/v1/reunions").json()["items"]
        cases = shelter.get("/v1/found").json()["items"]
    mine = [r for r in items if r["dog"]["id"] == world.dogs["victim"]["dog"]["id"]]
    assert mine and all(r["dog"]["owner"]["redacted"] and r["dog"]["notes"] == "" for r in mine)
    assert_no_secret(mine)
    victims = [r for c in cases for r in c["reunions"] if r["dog"]["id"] == world.dogs["victim"]["dog"]["id"]]
    assert victims and all(r["dog"]["owner"]["redacted"] for r in victims)
    assert_no_secret(victims)


# ------------------------------------------------------------------------------------------- the owner's way
def test_verified_owner_reports_own_dog_lost_and_is_told_of_the_reunion(world, scene, inbox):
    """The app of the victim's owner (phone verified) reports, sees and ends only its own dog's reports; Shelter A
    confirms the reunion; the owner's message arrives by e-mail as the report asked."""
    victim, own = world.dogs["victim"]["dog"], world.dogs["own"]["dog"]
    owner_app = world.server.key("mobile", "Hong's phone", org="SavePets app")
    with world.server.client(owner_app) as app:
        assert app.post("/v1/me/phone", json={"phone": VICTIM_PHONE}).status_code == 202
        code = inbox.code_for("01043218765@sms.test")
        assert app.post("/v1/me/phone/verify", json={"code": code}).json() == {"verified": True}
        # the clinic's report is open: the owner's own app sees it, may not open a second one
        mine = app.get("/v1/lost").json()["items"]
        assert [x["id"] for x in mine] == [scene["report"]["id"]]
        assert app.get(f"/v1/lost/{scene['report']['id']}").json()["dog_id"] == victim["id"]
        assert refused(app.post("/v1/lost", json={"dog": victim["id"], "lost_at": ago(hours=1),
                                                  "place": "Home"}), 422)["details"]["reason"] == "already_lost"
        with unchanged(world):
            refused(app.post("/v1/lost", json={"dog": own["id"], "lost_at": ago(hours=1), "place": "Home"}))
        refused(app.get("/v1/reunions"))
    with world.client("kiosk_a") as shelter:
        r = shelter.post(f"/v1/reunions/{scene['reunion']['id']}/confirm")
        assert r.status_code == 200 and r.json()["state"] == "confirmed", r.text
    with world.server.client(owner_app) as app:
        assert app.get(f"/v1/lost/{scene['report']['id']}").json()["state"] == "home"
        # a new report of its own dog, then withdrawn by the owner's app
        r = app.post("/v1/lost", json={"dog": victim["registration_number"], "lost_at": ago(minutes=30),
                                       "place": "Mangwon market"})
        assert r.status_code == 201, r.text
        assert app.post(f"/v1/lost/{r.json()['id']}/withdraw").json()["state"] == "withdrawn"
    body = inbox.wait_for("hong@owner.test", "has been identified")
    assert "Mapo-gu, Seoul" in body and "Shelter A" in body and victim["name"] in body, body
    assert scene["case"]["id"][:8] in body  # the reference to give the shelter
    assert "43218765" not in body and VICTIM_OWNER not in body
    assert len([m for m in inbox.messages if "hong@owner.test" in m[0] and "has been identified" in m[2]]) == 1
