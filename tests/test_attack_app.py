"""A malicious app (mobile key) and a malicious staff key of another organisation against the shared registry
(tests/attackkit.py): each attack is refused (or answered masked / redacted, for reads) and changes nothing
(`world.fingerprint()` before and after). Also the audited, rate-limited contact call and the app's phone
verification, with a real SMTP server (aiosmtpd) receiving the code."""

from __future__ import annotations

import json
import re
import subprocess
import time
from contextlib import contextmanager

import pytest
from aiosmtpd.controller import Controller

from tests import attackkit
from tests.attackkit import VICTIM_NOTE, VICTIM_OWNER, VICTIM_PHONE, World, photo_files
from tests.imaging import dog_photo_bytes, look_alike_photo_bytes
from tests.serverkit import base_env, free_port, savepets_command

world = attackkit.world  # the module's shared registry (a fixture)
SMTP_PORT = free_port()
CONTACTS_PER_HOUR = 3
WORLD_SETTINGS = {"notify_smtp": f"127.0.0.1:{SMTP_PORT}", "notify_to": "{national}@sms.test",
                  "notify_from": "codes@savepets.test", "contacts_per_hour": CONTACTS_PER_HOUR}
VICTIM_DOG = 910_001
SECRETS = (VICTIM_OWNER, "43218765", "4321-8765", VICTIM_NOTE, "길동")


class Inbox:
    def __init__(self):
        self.messages: list[tuple[list[str], str]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append((list(envelope.rcpt_tos), envelope.content.decode("utf-8", "replace")))
        return "250 OK"

    def code_for(self, address: str, timeout: float = 10) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for to, body in reversed(self.messages):
                if address in to:
                    return re.search(r"code: (\d{6})", body).group(1)
            time.sleep(0.05)
        raise AssertionError(f"no code sent to {address}: {self.messages}")


@pytest.fixture(scope="module", autouse=True)
def inbox():
    box = Inbox()
    controller = Controller(box, hostname="127.0.0.1", port=SMTP_PORT)
    controller.start()
    yield box
    controller.stop()


@contextmanager
def unchanged(w: World):
    before = w.fingerprint()
    yield
    assert w.fingerprint() == before, "the attack changed the registry"


def victim(w: World) -> dict:
    return w.dogs["victim"]["dog"]


def assert_no_secret(payload) -> None:
    text = json.dumps(payload, ensure_ascii=False)
    for secret in SECRETS:
        assert secret not in text, f"{secret!r} leaked: {text[:500]}"


def refused(r, status: int = 403) -> dict:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error"} and body["error"]["code"] and body["error"]["message"]
    return body["error"]


def audit(w: World, **filters) -> list[dict]:
    with w.client("admin") as admin:
        r = admin.get("/v1/audit", params={"limit": 1000, **filters})
        assert r.status_code == 200, r.text
        return r.json()["entries"]


def key_id(w: World, who: str) -> str:
    return w.keys[who].split("_")[1]


def lookup_files(dog: int, shots=(5, 6)):
    return [("photos", (f"p{s}.jpg", dog_photo_bytes(dog, s), "image/jpeg")) for s in shots]


# ------------------------------------------------------------------------------------------- a malicious app
def test_app_reads_a_dog_masked_without_notes_and_is_audited(world):
    with unchanged(world), world.client("mobile") as app:
        r = app.get(f"/v1/dogs/{victim(world)['registration_number']}")
        assert r.status_code == 200, r.text
        dog = r.json()
    assert dog["owner"]["name"] == "홍*동" and dog["owner"]["phone"] == "010-****-8765" and dog["notes"] == ""
    assert_no_secret(dog)
    views = audit(world, action="dog_view", who=key_id(world, "mobile"), dog=victim(world)["id"])
    assert views and views[0]["detail"] == "via=dog"


def test_app_lookup_candidates_and_match_carry_no_owner(world):
    with unchanged(world), world.client("mobile") as app:
        sure = app.post("/v1/lookup", files=lookup_files(VICTIM_DOG)).json()
        alike = app.post("/v1/lookup", files=[("photos", (f"a{s}.jpg", look_alike_photo_bytes(VICTIM_DOG, 910_777, s),
                                                          "image/jpeg")) for s in range(3)]).json()
        stranger = app.post("/v1/lookup", files=lookup_files(910_555)).json()
    assert sure["decision"] == "match" and sure["match"]["dog"]["id"] == victim(world)["id"]
    assert alike["decision"] in ("uncertain", "match") and alike["candidates"]
    for answer in (sure, alike):
        for c in [answer["match"], *answer["candidates"]]:
            owner = c["dog"]["owner"]
            assert owner["redacted"] is True and owner["name"] == owner["phone"] == owner["id"] == "", c
            assert c["dog"]["notes"] == ""
        assert_no_secret(answer)
    assert stranger["decision"] == "no_match" and stranger["candidates"] == []  # no list of registered dogs
    assert audit(world, action="lookup", who=key_id(world, "mobile"))


def test_app_refused_registration_names_no_owner_and_is_audited(world):
    with unchanged(world), world.client("mobile") as app:
        r = app.post("/v1/dogs", data={"phone": "010-9999-0000", "name": "x"},
                     files=photo_files(VICTIM_DOG, range(5, 10)))
    err = refused(r, 409)
    match = err["details"]["match"]["dog"]
    assert err["code"] == "already_registered" and match["id"] == victim(world)["id"]
    assert match["owner"]["redacted"] is True and match["owner"]["name"] == match["owner"]["phone"] == ""
    assert match["notes"] == ""
    assert_no_secret(err)
    entries = audit(world, action="register_refused", who=key_id(world, "mobile"))
    assert entries and entries[0]["dog_id"] == victim(world)["id"] and entries[0]["decision"] == "match"


def test_app_phone_query_answers_nothing_about_another_owner(world):
    with unchanged(world), world.client("mobile") as app:
        right = app.get("/v1/dogs", params={"phone": VICTIM_PHONE})
        wrong = app.get("/v1/dogs", params={"phone": "010-4321-0000"})
        assert right.status_code == wrong.status_code == 200 and right.json() == wrong.json() == []
        assert app.get("/v1/dogs").json() == []  # unverified: no owner's dogs at all
        refused(app.get("/v1/dogs", params={"q": "4321"}))
        refused(app.get("/v1/dogs", params={"q": VICTIM_OWNER}))
    probes = audit(world, action="dog_view", who=key_id(world, "mobile"))
    assert sum(e["detail"].startswith("via=list dogs=0") for e in probes) >= 3  # each probe is on the trail


def test_app_may_not_change_remove_or_report_another_owners_dog(world):
    number = victim(world)["registration_number"]
    with unchanged(world), world.client("mobile") as app:
        refused(app.patch(f"/v1/dogs/{number}", json={"notes": "mine now"}))
        refused(app.delete(f"/v1/dogs/{number}"))
        refused(app.put(f"/v1/dogs/{number}/status", json={"status": "lost"}))  # not its verified owner's dog
        refused(app.put(f"/v1/dogs/{number}/status", json={"status": "deceased"}))


def test_app_may_not_ask_for_contacts_reviews_owner_rights_or_the_trail(world):
    number = victim(world)["registration_number"]
    with unchanged(world), world.client("mobile") as app:
        refused(app.post(f"/v1/dogs/{number}/contact", json={"reason": "I found this dog"}))
        refused(app.get("/v1/reviews"))
        refused(app.post("/v1/owners/export", json={"phone": VICTIM_PHONE}))
        refused(app.post("/v1/owners/erase", json={"phone": VICTIM_PHONE, "confirm": True}))
        refused(app.get("/v1/audit"))


def test_app_photo_reads_are_audited(world):
    sha = victim(world)["photos"][0]["sha256"]
    with unchanged(world), world.client("mobile") as app:
        r = app.get(f"/v1/photos/{sha}")
        assert r.status_code == 200 and r.content == dog_photo_bytes(VICTIM_DOG, 0)
    entries = audit(world, action="photo_view", who=key_id(world, "mobile"))
    assert entries and entries[0]["dog_id"] == victim(world)["id"] and sha[:16] in entries[0]["detail"]


# ------------------------------------------------------------------------------------------- staff of another org
def test_other_org_staff_may_not_edit_remove_or_close_a_dog(world):
    number = victim(world)["registration_number"]
    with unchanged(world), world.client("kiosk_a") as kiosk:
        err = refused(kiosk.patch(f"/v1/dogs/{number}", json={"breed": "Poodle"}))
        assert err["code"] == "forbidden" and "another organisation" in err["message"]
        refused(kiosk.patch(f"/v1/dogs/{number}", json={"owner_name": "Mallory"}))
        refused(kiosk.delete(f"/v1/dogs/{number}"))
        refused(kiosk.put(f"/v1/dogs/{number}/status", json={"status": "home"}))
        refused(kiosk.put(f"/v1/dogs/{number}/status", json={"status": "deceased"}))
        refused(kiosk.patch(f"/v1/dogs/{number}", json={"status": "deceased"}))


def test_other_org_staff_see_the_dog_redacted(world):
    number = victim(world)["registration_number"]
    with unchanged(world), world.client("kiosk_a") as kiosk:
        dog = kiosk.get(f"/v1/dogs/{number}").json()
        found = kiosk.post("/v1/lookup", files=lookup_files(VICTIM_DOG)).json()
        again = kiosk.post("/v1/dogs", data={"phone": "010-9999-0000", "name": "x"},
                           files=photo_files(VICTIM_DOG, range(5, 10)))
    assert dog["owner"]["redacted"] is True and "contact available online" in dog["owner"]["contact"]
    assert dog["notes"] == "" and dog["name"] == "바둑이"
    assert found["match"]["dog"]["owner"]["redacted"] is True
    match = refused(again, 409)["details"]["match"]["dog"]
    assert match["id"] == victim(world)["id"] and match["owner"]["redacted"] is True
    for payload in (dog, found, again.json()):
        assert_no_secret(payload)
    with world.client("vet_b") as vet:  # its own organisation's dog: in full
        own = vet.get(f"/v1/dogs/{number}").json()
    assert own["owner"]["name"] == VICTIM_OWNER and own["notes"] == VICTIM_NOTE


def test_other_org_search_never_matches_by_owner(world):
    vid = victim(world)["id"]
    with unchanged(world), world.client("kiosk_a") as kiosk:
        for q in ("4321-8765", "43218765", VICTIM_OWNER, "길동"):
            assert vid not in [d["id"] for d in kiosk.get("/v1/dogs", params={"q": q}).json()], q
        assert kiosk.get("/v1/dogs", params={"phone": VICTIM_PHONE}).json() == []
        by_name = kiosk.get("/v1/dogs", params={"q": "바둑이"}).json()
        listed = kiosk.get("/v1/dogs").json()
    assert [d["id"] for d in by_name] == [vid] and by_name[0]["owner"]["redacted"] is True
    assert vid in [d["id"] for d in listed]
    assert_no_secret(by_name + listed)
    with world.client("kiosk_b") as own:  # the dog's organisation finds it by its owner
        assert vid in [d["id"] for d in own.get("/v1/dogs", params={"q": "4321-8765"}).json()]


def test_merge_export_and_erasure_are_admin_only(world):
    with world.client("admin") as admin:  # a look-alike of the victim: a review to decide
        r = admin.post("/v1/dogs", data={"phone": "010-5555-6666", "name": "Alike"},
                       files=[("photos", (f"l{s}.jpg", look_alike_photo_bytes(VICTIM_DOG, 910_778, s), "image/jpeg"))
                              for s in range(5)])
        assert r.status_code == 201 and r.json()["dog"]["needs_review"], r.text
        review = next(x for x in admin.get("/v1/reviews").json()["reviews"] if r.json()["dog"]["id"]
                      in (x["older"]["id"], x["newer"]["id"]))
    with unchanged(world):
        for who in ("kiosk_a", "kiosk_b", "vet_b"):
            with world.client(who) as c:
                refused(c.post(f"/v1/reviews/{review['id']}", json={"same_dog": True}))
                refused(c.post("/v1/owners/export", json={"phone": VICTIM_PHONE}))
                refused(c.post("/v1/owners/erase", json={"phone": VICTIM_PHONE, "confirm": True}))
        with world.client("kiosk_a") as c:  # neither dog of the pair is Shelter A's
            refused(c.post(f"/v1/reviews/{review['id']}", json={"same_dog": False}))
            listed = c.get("/v1/reviews").json()
    assert_no_secret(listed)


def test_any_staff_key_may_report_any_dog_lost_or_found_audited(world):
    number = victim(world)["registration_number"]
    with world.client("kiosk_a") as kiosk:
        r = kiosk.put(f"/v1/dogs/{number}/status", json={"status": "lost"})
        assert r.status_code == 200 and r.json()["status"] == "lost" and r.json()["owner"]["redacted"] is True
        assert kiosk.put(f"/v1/dogs/{number}/status", json={"status": "found"}).json()["status"] == "found"
    entries = audit(world, action="status", who=key_id(world, "kiosk_a"), dog=number)
    assert [e["detail"] for e in entries][:2] == ["from=lost to=found", "from=home to=lost"]
    with world.client("kiosk_b") as own:  # its organisation brings it home
        assert own.put(f"/v1/dogs/{number}/status", json={"status": "home"}).json()["status"] == "home"


# ------------------------------------------------------------------------------------------- the contact call
def test_contact_needs_a_reason_is_audited_and_rate_limited_with_an_alert(world):
    number = victim(world)["registration_number"]
    key = world.server.key("kiosk", "Shelter A back office", org="Shelter A")
    kid = key.split("_")[1]
    with world.server.client(key) as kiosk:
        with unchanged(world):
            refused(kiosk.post(f"/v1/dogs/{number}/contact", json={}), 422)
            refused(kiosk.post(f"/v1/dogs/{number}/contact", json={"reason": "hi"}), 422)
            refused(kiosk.post(f"/v1/dogs/{number}/contact", json={"reason": "x" * 201}), 422)
            refused(kiosk.post("/v1/dogs/no-such-dog/contact", json={"reason": "found it here"}), 404)
        for _ in range(CONTACTS_PER_HOUR):
            r = kiosk.post(f"/v1/dogs/{number}/contact", json={"reason": "Found at Shelter A, call 010-1111-2222"})
            assert r.status_code == 200, r.text
            assert r.json()["name"] == VICTIM_OWNER and r.json()["phone"] == "+821043218765"
        with unchanged(world):
            r = kiosk.post(f"/v1/dogs/{number}/contact", json={"reason": "Found at Shelter A again"})
            err = refused(r, 429)
            assert err["code"] == "rate_limited" and 1 <= int(r.headers["retry-after"]) <= 3601
    views = audit(world, action="contact_view", who=kid)
    assert len(views) == CONTACTS_PER_HOUR and views[0]["dog_id"] == victim(world)["id"]
    assert views[0]["detail"] == "via=contact reason=Found at Shelter A, call #"  # the reason, no phone
    alerts = audit(world, action="contact_alert", who=kid)
    assert len(alerts) == 1 and f"limit={CONTACTS_PER_HOUR}" in alerts[0]["detail"]
    assert re.search(r"WARNING .*ALERT: device .*asked for 3 owners' contacts", world.server.log()), \
        world.server.log()[-2000:]


# ------------------------------------------------------------------------------------------- the app's own phone
def test_app_verifies_its_phone_by_a_code_then_sees_its_own_dogs(world, inbox):
    owner_app = world.server.key("mobile", "Hong's phone", org="SavePets app")
    number = victim(world)["registration_number"]
    with world.server.client(owner_app) as app:
        assert app.get("/v1/me/phone").json() == {"verified": False}
        r = app.post("/v1/me/phone", json={"phone": VICTIM_PHONE})
        assert r.status_code == 202 and r.json()["expires_in"] == 600, r.text
        code = inbox.code_for("01043218765@sms.test")
        refused(app.post("/v1/me/phone", json={"phone": VICTIM_PHONE}), 429)  # again at once
        wrong = "000000" if code != "000000" else "111111"
        with unchanged(world):
            err = refused(app.post("/v1/me/phone/verify", json={"code": wrong}), 422)
            assert err["code"] == "invalid_code" and err["details"]["tries_left"] == 4
            refused(app.post("/v1/me/phone/verify", json={"code": "12345"}), 422)
            assert app.get("/v1/dogs").json() == []
        assert app.post("/v1/me/phone/verify", json={"code": code}).json() == {"verified": True}
        refused(app.post("/v1/me/phone/verify", json={"code": code}), 422)  # used once

        mine = app.get("/v1/dogs").json()
        assert [d["id"] for d in mine] == [victim(world)["id"]]
        assert mine[0]["owner"]["name"] == VICTIM_OWNER and mine[0]["notes"] == ""  # notes never leave
        assert app.get("/v1/dogs", params={"phone": VICTIM_PHONE}).json()[0]["id"] == victim(world)["id"]
        assert app.get("/v1/dogs", params={"phone": "010-2222-3333"}).json() == []  # Shelter A's owner
        assert app.get(f"/v1/dogs/{number}").json()["owner"]["phone"] == "+821043218765"
        found = app.post("/v1/lookup", files=lookup_files(VICTIM_DOG)).json()
        assert found["match"]["dog"]["owner"]["name"] == VICTIM_OWNER
        other = world.dogs["own"]["dog"]["registration_number"]
        with unchanged(world):
            refused(app.put(f"/v1/dogs/{other}/status", json={"status": "lost"}))
        assert app.put(f"/v1/dogs/{number}/status", json={"status": "lost"}).json()["status"] == "lost"
    with world.client("kiosk_b") as own:
        own.put(f"/v1/dogs/{number}/status", json={"status": "home"})
    steps = [e["detail"] for e in audit(world, action="phone_verify", who=owner_app.split("_")[1])]
    assert steps[0] == "step=no_code" and "step=verified" in steps and "step=wrong tries_left=4" in steps
    assert_no_secret(audit(world, who=owner_app.split("_")[1]))


def test_a_code_is_void_after_five_wrong_tries(world, inbox):
    key = world.server.key("mobile", "Guesser", org="SavePets app")
    with world.server.client(key) as app, unchanged(world):
        assert app.post("/v1/me/phone", json={"phone": "010-7777-8888"}).status_code == 202
        code = inbox.code_for("01077778888@sms.test")
        wrong = [c for c in ("000000", "111111", "222222", "333333", "444444", "555555") if c != code][:5]
        for left, guess in zip((4, 3, 2, 1, 0), wrong, strict=True):
            assert refused(app.post("/v1/me/phone/verify", json={"code": guess}), 422)["details"]["tries_left"] == left
        refused(app.post("/v1/me/phone/verify", json={"code": code}), 422)
        assert app.get("/v1/me/phone").json() == {"verified": False}


# ------------------------------------------------------------------------------------------- the command line
def test_a_refused_registration_at_the_command_line_is_audited(world, tmp_path):
    paths = []
    for s in range(5, 10):
        p = tmp_path / f"n{s}.jpg"
        p.write_bytes(dog_photo_bytes(VICTIM_DOG, s))
        paths.append(str(p))
    env = base_env(world.server.db_url, world.server.data_dir)
    with unchanged(world):
        r = subprocess.run([*savepets_command(), "register", *paths, "--name", "x", "--phone", "010-9999-0000"],
                           env=env, capture_output=True, text=True, timeout=180)
        assert r.returncode == 3, r.stdout + r.stderr
    entries = [e for e in audit(world, action="register_refused") if e["actor_kind"] == "cli"]
    assert entries and entries[0]["dog_id"] == victim(world)["id"] and entries[0]["reason"] == "sure_match"


def test_a_server_reachable_from_other_machines_never_logs_codes():
    """With no SMTP configured, only a server on loopback writes one-time codes to its log (development); one that
    other machines reach refuses to send, so that no operator reading the log can verify another person's phone."""
    import pytest

    from core.notify import LogNotifier, NoNotifier, NotifyFailed, make_notifier
    from core.settings import Settings

    assert isinstance(make_notifier(Settings(host="127.0.0.1")), LogNotifier)
    remote = make_notifier(Settings(host="0.0.0.0", insecure=True))
    assert isinstance(remote, NoNotifier)
    with pytest.raises(NotifyFailed, match="no notifier configured"):
        remote.send("+821043218765", "SavePets code: 123456")
