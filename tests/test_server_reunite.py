"""Reunite over HTTP (sync/server/reunite_routes.py) against a real `savepets serve` on MariaDB (tests/attackkit.py's
world: Shelter A's and Clinic B's kiosks, the app, a dog of each organisation) with the stand-in engine: the whole
flow (a lost report at one organisation, a stray of the same dog taken in at another, a possible reunion that the
holding organisation confirms), and each bad input answered 4xx in the API's error format with nothing changed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, text

from tests import attackkit
from tests.attackkit import VICTIM_OWNER, VICTIM_PHONE, World, register
from tests.imaging import dog_photo_bytes

world = attackkit.world  # the module's shared registry (a fixture)
VICTIM_DOG = 910_001
REUNITE_TABLES = ("lost_reports", "found_cases", "found_photos", "reunions")


def ago(**delta) -> str:
    return (datetime.now(UTC) - timedelta(**delta)).isoformat()


def found_files(dog: int, shots=(5, 6), field: str = "photos"):
    return [(field, (f"found{dog}-{s}.jpg", dog_photo_bytes(dog, s), "image/jpeg")) for s in shots]


def found_form(**fields) -> dict:
    return {"found_at": ago(hours=1), "place": "서울 마포구 망원한강공원", **fields}


def rows(w: World, table: str, **where) -> list[dict]:
    engine = create_engine(w.server.db_url)
    try:
        clause = " AND ".join(f"{k} = :{k}" for k in where) or "1=1"
        with engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(text(f"SELECT * FROM {table} WHERE {clause}"), where)]
    finally:
        engine.dispose()


def counts(w: World) -> dict[str, int]:
    engine = create_engine(w.server.db_url)
    try:
        with engine.connect() as conn:
            return {t: conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar() for t in REUNITE_TABLES}
    finally:
        engine.dispose()


def error(r, status: int) -> dict:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error"} and body["error"]["code"] and body["error"]["message"], body
    return body["error"]


def fields_of(err: dict) -> set[str]:
    return {e["field"] for e in err.get("details", {}).get("errors", [])}


def lost_body(dog: str, **fields) -> dict:
    return {"dog": dog, "lost_at": ago(hours=5), "place": "서울 마포구 망원동", "contact_phone": "010-5555-6666",
            "language": "en", **fields}


@pytest.fixture(scope="module")
def stray(world) -> dict:
    """A dog of Clinic B's registered for these tests (not the attack's victim)."""
    with world.client("kiosk_b") as c:
        return register(c, 910_101, "010-7777-1212", "이영희", name="누렁이")["dog"]


# ------------------------------------------------------------------------------------------- the whole flow
def test_lost_then_found_elsewhere_then_confirmed(world):
    victim = world.dogs["victim"]["dog"]
    with world.client("kiosk_b") as clinic, world.client("kiosk_a") as shelter, world.client("admin") as admin:
        r = clinic.post("/v1/lost", json=lost_body(victim["registration_number"], lat=37.556, lon=126.897,
                                                   notes="Red collar"))
        assert r.status_code == 201, r.text
        report = r.json()
        assert r.headers["location"] == f"/v1/lost/{report['id']}"
        assert report["state"] == "open" and report["dog_id"] == victim["id"] and report["lat"] == 37.556
        assert report["contact"] == "010-****-6666"  # masked, never the number itself
        assert clinic.get(f"/v1/dogs/{victim['id']}").json()["status"] == "lost"
        assert report["id"] in [x["id"] for x in clinic.get("/v1/lost").json()["items"]]
        assert clinic.get(f"/v1/lost/{report['id']}").json() == report

        # a stray of the same dog taken in by Shelter A
        r = shelter.post("/v1/found", data=found_form(notes="Found near the river", contact="010-9999-0000"),
                         files=found_files(VICTIM_DOG))
        assert r.status_code == 201, r.text
        case = r.json()
        assert r.headers["location"] == f"/v1/found/{case['id']}"
        assert case["kind"] == "intake" and case["state"] == "open" and case["days_left"] is not None
        assert len(case["photos"]) == 2 and all(p["url"] == f"/v1/photos/{p['sha256']}" for p in case["photos"])
        assert case["reunions"], case
        best = case["reunions"][0]
        assert best["dog"]["id"] == victim["id"] and best["source"] == "lost"
        assert best["lost_report_id"] == report["id"]
        # Clinic B's dog, seen by Shelter A: the owner redacted, every photo with its url
        assert best["dog"]["owner"]["redacted"] is True and VICTIM_OWNER not in r.text
        assert not any(x in r.text for x in (VICTIM_PHONE, "43218765", "4321-8765"))
        assert all(p["url"] for p in best["dog"]["photos"]) and all(p["url"] for p in best["found_photos"])
        assert shelter.get(best["found_photos"][0]["url"]).status_code == 200

        # listed as a possible reunion for Shelter A, which holds the case; not for Clinic B
        listed = shelter.get("/v1/reunions").json()["items"]
        assert best["id"] in [x["id"] for x in listed]
        assert best["id"] not in [x["id"] for x in clinic.get("/v1/reunions").json()["items"]]
        assert best["id"] in [x["id"] for x in admin.get("/v1/reunions").json()["items"]]
        assert admin.get(f"/v1/reunions/{best['id']}").json()["dog"]["owner"]["phone"] == "+821043218765"
        assert case["id"] in [x["id"] for x in shelter.get("/v1/found").json()["items"]]

        r = shelter.post(f"/v1/reunions/{best['id']}/confirm")
        assert r.status_code == 200, r.text
        done = r.json()
        assert done["state"] == "confirmed" and done["decided_by"] and done["dog"]["owner"]["redacted"] is True

        after = shelter.get(f"/v1/found/{case['id']}").json()
        assert after["state"] == "reunited" and after["dog_id"] == victim["id"]
        assert clinic.get(f"/v1/lost/{report['id']}").json()["state"] == "home"
        assert clinic.get(f"/v1/dogs/{victim['id']}").json()["status"] == "found"
        assert best["id"] in [x["id"] for x in shelter.get("/v1/reunions", params={"state": "confirmed"}).json()
                              ["items"]]
        assert case["id"] in [x["id"] for x in shelter.get("/v1/found", params={"state": "reunited"}).json()
                              ["items"]]
        assert report["id"] in [x["id"] for x in clinic.get("/v1/lost", params={"state": "home"}).json()["items"]]
        # decided once: a second confirmation or a rejection is refused
        assert "confirmed already" in error(shelter.post(f"/v1/reunions/{best['id']}/confirm"), 422)["message"]
        error(shelter.post(f"/v1/reunions/{best['id']}/reject"), 422)
    # the owner's message about the confirmed reunion is queued once, on the audit trail
    queued = rows(world, "notifications", dedupe_key=f"reunion_confirmed:{best['id']}")
    assert len(queued) == 1, queued


def test_withdraw_and_home(world, stray):
    with world.client("kiosk_b") as c:
        report = c.post("/v1/lost", json=lost_body(stray["id"])).json()
        assert report["state"] == "open", report
        r = c.post(f"/v1/lost/{report['id']}/withdraw")
        assert r.status_code == 200 and r.json()["state"] == "withdrawn", r.text
        assert c.get(f"/v1/dogs/{stray['id']}").json()["status"] == "home"
        again = error(c.post(f"/v1/lost/{report['id']}/withdraw"), 422)
        assert "withdrawn already" in again["message"]
        error(c.post(f"/v1/lost/{report['id']}/home"), 422)
        assert report["id"] in [x["id"] for x in c.get("/v1/lost", params={"state": "withdrawn"}).json()["items"]]
        assert report["id"] not in [x["id"] for x in c.get("/v1/lost").json()["items"]]

        second = c.post("/v1/lost", json=lost_body(stray["registration_number"], channel="email",
                                                  contact_email="owner@example.com")).json()
        assert second["contact"] == "o***@example.com", second
        # one open report a dog
        dup = error(c.post("/v1/lost", json=lost_body(stray["id"])), 422)
        assert "reported lost already" in dup["message"] and dup["details"]["reason"] == "already_lost"
        r = c.post(f"/v1/lost/{second['id']}/home")
        assert r.status_code == 200 and r.json()["state"] == "home" and r.json()["closed_at"], r.text
        assert c.get(f"/v1/dogs/{stray['id']}").json()["status"] == "home"
        assert len(c.get("/v1/lost", params={"state": "all", "limit": 500}).json()["items"]) >= 2


# ------------------------------------------------------------------------------------------- bad input
BAD_LOST = [
    ({"lost_at": "2026-11-30T09:30:00"}, "lost_at", "zone"),
    ({"lost_at": (datetime.now(UTC) + timedelta(days=1)).isoformat()}, "lost_at", "future"),
    ({"lost_at": "yesterday"}, "lost_at", ""),
    ({"lat": 37.5}, "body", "lat and lon"),
    ({"lon": 126.9}, "body", "lat and lon"),
    ({"lat": 91, "lon": 126.9}, "lat", ""),
    ({"lat": 37.5, "lon": 181}, "lon", ""),
    ({"place": ""}, "place", ""),
    ({"place": "   "}, "place", ""),
    ({"place": "x" * 201}, "place", ""),
    ({"channel": "email"}, "body", "contact_email"),
    ({"contact_email": "not an address", "channel": "email"}, "contact_email", ""),
    ({"channel": "pigeon"}, "channel", ""),
    ({"colour": "brown"}, "colour", ""),
    ({"place": "Mangwon\x07park"}, "place", "control characters"),
    ({"lost_at": (datetime.now(UTC) - timedelta(days=4 * 365)).isoformat()}, "lost_at", "3 years"),
    ({"language": "fr"}, "language", ""),
]


@pytest.mark.parametrize(("change", "field", "words"), BAD_LOST, ids=[f"{f}-{i}" for i, (_, f, _w) in
                                                                      enumerate(BAD_LOST)])
def test_bad_lost_report_is_422_naming_the_field(world, stray, change, field, words):
    before = counts(world)
    with world.client("kiosk_b") as c:
        err = error(c.post("/v1/lost", json=lost_body(stray["id"], **change)), 422)
    assert field in fields_of(err), err
    assert words in err["message"], err
    assert counts(world) == before


def test_lost_report_unknown_dog_and_ids(world):
    before = counts(world)
    with world.client("kiosk_a") as c:
        err = error(c.post("/v1/lost", json=lost_body("SP-NOPE-0000")), 404)
        assert "SP-NOPE-0000" in err["message"]
        assert fields_of(error(c.post("/v1/lost", json={"place": "somewhere"}), 422)) >= {"dog", "lost_at"}
        own = world.dogs["own"]["dog"]["id"]
        err = error(c.post("/v1/lost", json=lost_body(own, contact_phone="not a phone")), 422)
        assert err["code"] == "invalid_phone" and "not a phone" in err["message"]  # as POST /v1/dogs says it
        for path in ("/v1/lost/nope", "/v1/found/nope", "/v1/reunions/nope"):
            error(c.get(path), 404)
        for path in ("/v1/lost/nope/withdraw", "/v1/lost/nope/home", "/v1/found/nope/close",
                     "/v1/reunions/nope/confirm", "/v1/reunions/nope/reject"):
            error(c.post(path), 404)
        assert "query.state" in fields_of(error(c.get("/v1/lost", params={"state": "lost"}), 422))
        assert "query.state" in fields_of(error(c.get("/v1/found", params={"state": "lost"}), 422))
        assert "query.state" in fields_of(error(c.get("/v1/reunions", params={"state": "maybe"}), 422))
        assert "query.limit" in fields_of(error(c.get("/v1/reunions", params={"limit": 0}), 422))
    assert counts(world) == before


def test_bad_found_case_is_422(world):
    before = counts(world)
    with world.client("kiosk_a") as c:
        assert error(c.post("/v1/found", data=found_form()), 422)["details"]["count"] == 0
        six = found_files(910_201, shots=range(6))
        assert error(c.post("/v1/found", data=found_form(), files=six), 422)["details"]["count"] == 6
        mixed = [*found_files(910_201, shots=(0,)), ("photos", ("notes.txt", b"not a photo at all", "text/plain"))]
        err = error(c.post("/v1/found", data=found_form(), files=mixed), 422)
        assert err["details"]["index"] == 1, err
        files = found_files(910_201, shots=(0,))
        for change, field in (({"found_at": "2026-12-01T10:00:00"}, "found_at"),
                              ({"found_at": (datetime.now(UTC) + timedelta(hours=2)).isoformat()}, "found_at"),
                              ({"place": ""}, "place"), ({"place": "p" * 201}, "place"),
                              ({"lat": "37.5"}, "body"), ({"lat": "north", "lon": "1"}, "lat"),
                              ({"colour": "brown"}, "colour")):
            err = error(c.post("/v1/found", data=found_form(**change), files=files), 422)
            assert field in fields_of(err), (change, err)
        assert "found_at" in fields_of(error(c.post("/v1/found", data={"place": "x"}, files=files), 422))
    assert counts(world) == before


def test_found_photo_field_and_idempotency_key(world):
    with world.client("kiosk_a") as c:
        files = found_files(910_301, shots=(0,), field="photo")
        headers = {"Idempotency-Key": "found-once-1"}
        form = found_form(place="Idempotent park")
        first = c.post("/v1/found", data=form, files=files, headers=headers)
        assert first.status_code == 201, first.text
        before = counts(world)
        again = c.post("/v1/found", data=form, files=files, headers=headers)
        assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
        assert again.json()["id"] == first.json()["id"] and again.headers["location"] == first.headers["location"]
        assert counts(world) == before
        other = c.post("/v1/found", data={**form, "place": "Another park"}, files=files, headers=headers)
        assert error(other, 422)["code"] == "idempotency_key_reused"
        assert counts(world) == before


def test_found_form_as_browsers_send_it(world):
    """Empty optional fields (a form's blank inputs) are as good as missing; coordinates come as text."""
    with world.client("kiosk_a") as c:
        r = c.post("/v1/found", data=found_form(lat="", lon="", notes="", contact=""), files=found_files(910_401))
        assert r.status_code == 201 and r.json()["lat"] is None, r.text
        r = c.post("/v1/found", data=found_form(lat="37.55", lon="126.91"), files=found_files(910_402))
        assert r.status_code == 201 and (r.json()["lat"], r.json()["lon"]) == (37.55, 126.91), r.text
        assert r.json()["found_at"].endswith("Z")


def test_lost_report_idempotency_key(world):
    with world.client("kiosk_a") as c:
        dog = register(c, 910_501, "010-3131-4141", "박민수", name="해피")["dog"]
        body, headers = lost_body(dog["id"]), {"Idempotency-Key": "lost-once-1"}
        first = c.post("/v1/lost", json=body, headers=headers)
        assert first.status_code == 201, first.text
        before = counts(world)
        again = c.post("/v1/lost", json=body, headers=headers)
        assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
        assert again.json() == first.json() and again.headers["location"] == first.headers["location"]
        assert counts(world) == before
        # without the key the same report is a second one for the dog: refused
        assert error(c.post("/v1/lost", json=body), 422)["details"]["reason"] == "already_lost"


def test_confirming_a_reunion_of_a_closed_case_is_refused(world):
    own = world.dogs["own"]["dog"]  # Shelter A's dog, found by Shelter A: a registry match
    with world.client("kiosk_a") as c:
        case = c.post("/v1/found", data=found_form(), files=found_files(910_002)).json()
        assert case["reunions"] and case["reunions"][0]["dog"]["id"] == own["id"], case
        assert case["reunions"][0]["source"] == "registry" and case["registered"] is True
        reunion = case["reunions"][0]
        # Shelter A's own dog: its owner in full to its own organisation
        assert reunion["dog"]["owner"]["redacted"] is False and reunion["dog"]["owner"]["phone"]
        r = c.post(f"/v1/found/{case['id']}/close")
        assert r.status_code == 200 and r.json()["state"] == "closed", r.text
        assert "closed already" in error(c.post(f"/v1/found/{case['id']}/close"), 422)["message"]
        err = error(c.post(f"/v1/reunions/{reunion['id']}/confirm"), 422)
        assert "closed" in err["message"] and err["details"]["state"] == "closed"
        assert c.get(f"/v1/reunions/{reunion['id']}").json()["state"] == "possible"
        assert reunion["id"] not in [x["id"] for x in c.get("/v1/reunions").json()["items"]]  # the case is closed
        # a rejection is still recorded
        assert c.post(f"/v1/reunions/{reunion['id']}/reject").json()["state"] == "rejected"


def test_openapi_documents_the_reunite_routes(world):
    doc = world.server.client().get("/openapi.json").json()
    paths = doc["paths"]
    for path, methods in {"/v1/lost": ("get", "post"), "/v1/lost/{report_id}": ("get",),
                          "/v1/lost/{report_id}/withdraw": ("post",), "/v1/lost/{report_id}/home": ("post",),
                          "/v1/found": ("get", "post"), "/v1/found/{case_id}": ("get",),
                          "/v1/found/{case_id}/close": ("post",), "/v1/reunions": ("get",),
                          "/v1/reunions/{reunion_id}": ("get",), "/v1/reunions/{reunion_id}/confirm": ("post",),
                          "/v1/reunions/{reunion_id}/reject": ("post",)}.items():
        for method in methods:
            op = paths[path][method]
            assert op["description"] and {"401", "403", "422"} <= set(op["responses"]), (path, method)
    assert "404" in paths["/v1/reunions/{reunion_id}/confirm"]["post"]["responses"]
    assert {t["name"] for t in doc.get("tags", [])} >= {"lost", "found", "reunions"}


# ------------------------------------------------------------------------------------------- the real engine
def _real(nose_data, dog: str, shots) -> list[tuple[str, tuple[str, bytes, str]]]:
    files = sorted((nose_data / dog).iterdir())
    return [("photos", (f"{dog}-{files[i].name}", files[i].read_bytes(), "image/jpeg")) for i in shots]


def test_real_photos_a_finders_report_meets_the_lost_report(tmp_path, nose_data):
    """With the real engine (settings' default) and real nose photos: a dog registered with 5 photos and reported
    lost; a finder's other 2 photos of it become a possible reunion from the lost dogs; a stranger's do not match.
    (A finder's case is the app organisation's: the dog's organisation decides its reunion, no other.)"""
    from tests.serverkit import served

    with served("mariadb", tmp_path, engine="auto") as srv:
        kiosk, app = srv.key("kiosk", "Shelter", org="Shelter R"), srv.key("mobile", "app", org="SavePets app")
        with srv.client(kiosk, timeout=300) as staff, srv.client(app, timeout=300) as finder, \
                srv.client(srv.key("admin", "operator"), timeout=300) as admin:
            r = staff.post("/v1/dogs", data={"phone": "010-8888-9999", "owner_name": "최수진", "name": "보리"},
                           files=_real(nose_data, "1813", range(5)))
            assert r.status_code == 201, r.text
            dog = r.json()["dog"]
            assert staff.post("/v1/lost", json=lost_body(dog["id"])).status_code == 201
            r = finder.post("/v1/found", data=found_form(), files=_real(nose_data, "1813", (5, 6)))
            assert r.status_code == 201, r.text
            answer = r.json()
            assert answer["reunions"] == [] and "최수진" not in r.text and "88889999" not in r.text
            stranger = finder.post("/v1/found", data=found_form(), files=_real(nose_data, "1805", (0, 1))).json()
            assert stranger["registered"] is False, stranger
            items = admin.get("/v1/reunions").json()["items"]
            ours = [x for x in items if x["found_case_id"] == answer["id"]]
            assert ours and ours[0]["dog"]["id"] == dog["id"] and ours[0]["source"] == "lost", items
            assert not [x for x in items if x["found_case_id"] == stranger["id"] and x["decision"] == "match"]
            # the finder's case is the app's, its dog Shelter R's: Shelter R sees and decides that reunion only
            mine = staff.get("/v1/reunions").json()["items"]  # also the stranger's case, if 보리 is among its closest
            assert {x["found_case_id"] for x in mine} <= {answer["id"], stranger["id"]}, mine
            assert ours[0]["id"] in {x["id"] for x in mine} and mine[0]["dog"]["owner"]["name"] == "최수진"
            assert [x["decision"] for x in mine if x["found_case_id"] == stranger["id"]] in ([], ["no_match"])
            other = srv.key("kiosk", "Other shelter", org="Shelter Q")
            with srv.client(other) as q:
                assert q.get("/v1/reunions").json()["items"] == []
                assert q.post(f"/v1/reunions/{ours[0]['id']}/confirm").status_code == 403
                assert q.get(f"/v1/reunions/{ours[0]['id']}").status_code == 403
            done = staff.post(f"/v1/reunions/{ours[0]['id']}/confirm")
            assert done.status_code == 200 and done.json()["state"] == "confirmed", done.text
