"""Reunite across sync (issue 24), against a real `savepets serve` process on loopback (on SQLite, then on MariaDB;
stand-in engine) with its notify_smtp pointed at a real SMTP server (aiosmtpd) in the test; kiosks on SQLite, each
of its own organisation: Shelter A (where the owner reports the dog lost), Clinic B (where the stray is taken in)
and Vet C (another organisation, for what it must neither see nor change).

Done when: a lost report made on kiosk A and a stray of the same dog (other photos) taken in on kiosk B, synced
through the server, become a possible reunion (found by the server's matching) that kiosk B sees after a pull; B's
staff confirm; after B's push, kiosk A sees the report home and the case reunited, and the owner's message arrives
at the SMTP server. Plus: a resent or reordered push changes nothing; kiosk C cannot confirm B's reunion (nor close
B's case, nor end A's report) through a crafted push; another organisation's kiosk gets neither the owner's contact
of a lost report nor the finder's contact and notes of a found case."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import create_engine, select, text

from core.errors import PermissionDenied
from core.photos import decode_photo
from core.registry.db import Database
from core.registry.models import FoundCase, LostReport, Reunion, reunion_id
from core.replication import kiosk as kiosk_sync
from core.replication.messages import FoundCaseChange, LostReportChange, ReunionChange
from core.replication.reunite_apply import MATCH_KEY
from core.replication.reunite_states import (
    FOUND,
    LOST,
    REUNION,
    ReunionState,
    case_state,
    lost_state,
    reunion_state,
)
from core.schemas import FoundIn, LostIn
from core.service.base import ORG_ID_META, ORG_NAME_META
from core.service.reunite import FOUND_ENTITY, LOST_ENTITY, REUNION_ENTITY
from sync.client import HttpLink, SyncClient
from tests.imaging import dog_photo_bytes
from tests.mailkit import smtp_server
from tests.serverkit import Server, served
from tests.sync_checks import fresh_dog, fresh_phone, register
from tests.sync_harness import CutProxy, make_kiosk

OWNER_EMAIL = "owner-{n}@example.org"
REUNITE_TABLES = ("lost_reports", "found_cases", "found_photos", "reunions", "notifications")
ORGS = {"a": "Shelter A", "b": "Clinic B", "c": "Vet C"}


@pytest.fixture(scope="module")
def inbox():
    with smtp_server() as box:
        yield box


@pytest.fixture(scope="module", params=["sqlite", "mariadb"])
def world(request, tmp_path_factory, inbox):
    """The server (on SQLite, then on the machine's MariaDB; its notify_smtp the test's SMTP server) and a kiosk key
    of each organisation."""
    base = tmp_path_factory.mktemp("sync-reunite")
    with served(request.param, base, notify_smtp=f"127.0.0.1:{inbox.port}", notify_interval=1) as srv:
        keys = {k: srv.key("kiosk", f"{name} kiosk", org=name) for k, name in ORGS.items()}
        yield SimpleNamespace(srv=srv, keys=keys, orgs={k: org_of(srv, key) for k, key in keys.items()})


def org_of(srv: Server, key: str) -> str:
    key_id = key.split("_")[1]
    return server_rows(srv, "SELECT d.org_id FROM api_keys k JOIN devices d ON d.id = k.device_id WHERE k.id = :k",
                       k=key_id)[0][0]


def server_rows(srv: Server, sql: str, **params) -> list:
    engine = create_engine(srv.db_url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql), params).all()
    finally:
        engine.dispose()


def fingerprint(srv: Server) -> dict[str, list]:
    """Every row of the reunite tables and the owners' messages on the server (what a refused or resent push must
    leave as it was)."""
    return {t: sorted(repr(tuple(r)) for r in server_rows(srv, f"SELECT * FROM {t}")) for t in REUNITE_TABLES}


@pytest.fixture
def kiosks(world, tmp_path):
    """kiosks("a") -> a kiosk of Shelter A, enrolled (its organisation in its registry, so it leaves the owners'
    messages to the server) with a SyncClient."""
    made = []

    def make(who: str):
        sp = make_kiosk(tmp_path / f"kiosk-{who}-{len(made)}", world.srv.url, world.keys[who])
        sp.db.set_meta(ORG_ID_META, world.orgs[who])
        sp.db.set_meta(ORG_NAME_META, ORGS[who])
        made.append(sp)
        return sp, SyncClient(sp)

    yield make
    for sp in made:
        sp.close()


def sync(*clients: SyncClient) -> None:
    for c in clients:
        report = c.sync_once()
        assert c.status.state == "online", (c.status, report)
        assert report.rejected == 0, report.errors


def wait_for(what, timeout: float = 60.0, every: float = 0.3):
    deadline = time.monotonic() + timeout
    while True:
        got = what()
        if got:
            return got
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        time.sleep(every)


def delivered(srv: Server) -> None:
    """Wait until the server's outbox of messages has nothing pending."""
    wait_for(lambda: not server_rows(srv, "SELECT id FROM notifications WHERE state = 'pending'"))


def stray_photos(dog: int, shots=(5, 6)):
    return [decode_photo(dog_photo_bytes(dog, s), label=f"stray-{s}") for s in shots]


def lost_and_found(world, kiosks) -> SimpleNamespace:
    """The issue's flow up to the possible reunion: kiosk A registers a dog and reports it lost (contact by e-mail,
    in English) and syncs; kiosk B, which has pulled nothing yet (so it cannot match the stray itself), takes in the
    stray (other photos of the same dog) and syncs; the server matches it in the background and kiosk B pulls the
    possible reunion."""
    a, ca = kiosks("a")
    b, cb = kiosks("b")
    seed = fresh_dog()
    n = uuid.uuid4().hex[:8]
    dog = register(a, seed, fresh_phone())
    now = datetime.now(UTC)
    report = a.report_lost(LostIn(dog=dog.id, lost_at=now - timedelta(hours=5), place="서울 마포구 망원동",
                                  contact_email=OWNER_EMAIL.format(n=n), channel="email", language="en",
                                  notes=f"red collar; call after 6 pm ({n})"))
    sync(ca)
    case = b.open_found_case(stray_photos(seed), FoundIn(
        found_at=now - timedelta(hours=1), place="서울 마포구 합정동", notes=f"intake notes {n}",
        contact=f"finder {n} 010-5555-{n[:4]}"))
    assert not case.reunions  # kiosk B knows no dog yet: only the server can match it
    sync(cb)
    rid = reunion_id(case.id, dog.id)

    def b_sees_it():
        sync(cb)
        return [r for r in b.reunions() if r.id == rid]

    (possible,) = wait_for(b_sees_it)
    return SimpleNamespace(a=a, ca=ca, b=b, cb=cb, seed=seed, dog=dog, report=report, case=case, rid=rid,
                           possible=possible, email=OWNER_EMAIL.format(n=n), n=n)


def reunite_row(db, model, row_id: str):
    with db.sessions() as s:
        row = s.get(model, row_id)
        s.expunge(row)
        return row


# ------------------------------------------------------------------------------------------------ done when
def test_a_lost_dog_and_a_stray_on_two_kiosks_are_reunited_through_the_server(world, kiosks, inbox):
    t = lost_and_found(world, kiosks)
    assert t.possible.state == "possible" and t.possible.dog.id == t.dog.id and t.possible.source == "lost"
    # the server found it (the case and the report came from two kiosks that knew nothing of each other)
    ((origin, state),) = server_rows(world.srv, "SELECT origin_device, state FROM reunions WHERE id = :r", r=t.rid)
    assert state == "possible"
    assert server_rows(world.srv, "SELECT org_id FROM found_cases WHERE id = :c", c=t.case.id)[0][0] == world.orgs["b"]
    assert server_rows(world.srv, "SELECT org_id FROM lost_reports WHERE id = :r",
                       r=t.report.id)[0][0] == world.orgs["a"]
    # the stray's photo files travelled with its case
    with world.srv.client(world.keys["a"]) as c:
        for p in t.case.photos:
            assert c.get(f"/v1/sync/photos/{p.sha256}").status_code == 200

    # B's staff compare and confirm; B pushes
    confirmed = t.b.decide_reunion(t.rid, confirm=True)
    assert confirmed.state == "confirmed"
    sync(t.cb)
    assert server_rows(world.srv, "SELECT state FROM reunions WHERE id = :r", r=t.rid)[0][0] == "confirmed"

    # A pulls: its report is home, the case reunited with its dog
    sync(t.ca)
    assert t.a.lost_report(t.report.id).state == "home"
    case_on_a = t.a.found_case(t.case.id)
    assert case_on_a.state == "reunited" and case_on_a.dog_id == t.dog.id
    assert [r.state for r in t.a.found_case(t.case.id).reunions if r.id == t.rid] == ["confirmed"]
    assert t.a.get_dog(t.dog.id).status.value == "found"

    # the owner's message reaches the SMTP server, once, in English: where the dog is and whom to contact
    def confirmed_mail():
        return [m for m in inbox.to(t.email) if "has been found" in str(m["Subject"])]

    (mail,) = wait_for(confirmed_mail)
    text_ = mail.get_content()
    assert ORGS["b"] in text_ and t.case.id[:8] in text_ and "합정동" in text_ and mail["Content-Language"] == "en"
    assert t.email not in text_ and t.n not in text_  # never the report's or the finder's data
    ((state,),) = server_rows(world.srv, "SELECT state FROM notifications WHERE dedupe_key = :k",
                              k=f"reunion_confirmed:{t.rid}")
    assert state == "sent"
    sync(t.cb, t.ca)  # nothing more is sent however often they sync
    time.sleep(2)
    assert len(confirmed_mail()) == 1
    assert len(inbox.to(t.email)) <= 2  # and at most the possible reunion's message besides


# ------------------------------------------------------------------------------------------------ idempotent
def test_a_resent_or_reordered_push_changes_nothing(world, kiosks, inbox):
    t = lost_and_found(world, kiosks)
    t.b.decide_reunion(t.rid, confirm=True)
    batch = kiosk_sync.next_push(t.b, 100)
    changes = [c.change for c in batch if c.change is not None]
    assert {c.entity for c in changes} >= {REUNION, FOUND, LOST}
    sync(t.cb)
    delivered(world.srv)
    before = fingerprint(world.srv)
    mails = len(inbox.messages)

    link = HttpLink(world.srv.url, world.keys["b"])
    for again in (changes, list(reversed(changes))):  # the answer lost: sent again, in any order
        answer = link.push(t.b.device_id, datetime.now(UTC), again)
        assert {r.status for r in answer.results} == {"duplicate"}
    assert fingerprint(world.srv) == before
    sync(t.cb, t.ca)
    assert fingerprint(world.srv) == before
    time.sleep(1.5)
    delivered(world.srv)
    assert len(inbox.messages) == mails
    for sp in (t.a, t.b):  # one of each, as on the server
        with sp.db.sessions() as s:
            assert len(s.scalars(select(Reunion.id).where(Reunion.found_case_id == t.case.id)).all()) == 1
            assert len(s.scalars(select(LostReport.id).where(LostReport.dog_id == t.dog.id)).all()) == 1


def test_a_lost_report_made_after_the_stray_came_in_finds_it_on_the_reporting_kiosk(world, kiosks):
    """Kiosk A pulled B's open case before the owner came: A's own matching of the new report finds it (a possible
    reunion of another organisation's case, which any kiosk may report); B decides it, A learns the end."""
    a, ca = kiosks("a")
    b, cb = kiosks("b")
    seed = fresh_dog()
    now = datetime.now(UTC)
    case = b.open_found_case(stray_photos(seed), FoundIn(found_at=now - timedelta(hours=3), place="부산 해운대구"))
    sync(cb)
    dog = register(a, seed, fresh_phone())
    sync(ca)
    assert a.found_case(case.id).state == "open" and all(a.store.exists(p.sha256) for p in case.photos)
    report = a.report_lost(LostIn(dog=dog.id, lost_at=now - timedelta(hours=8), place="부산 수영구",
                                  contact_phone="010-2345-6789"))
    rid = reunion_id(case.id, dog.id)
    assert [r.id for r in a.found_case(case.id).reunions] == [rid]  # found on kiosk A itself: its dog, B's case
    assert a.reunions() == []  # not on A's list to decide
    sync(ca)  # accepted: a finding, not a decision
    ((state, report_id),) = server_rows(world.srv, "SELECT state, lost_report_id FROM reunions WHERE id = :r", r=rid)
    assert (state, report_id) == ("possible", report.id)
    with pytest.raises(PermissionDenied):  # not A's to decide: B holds the case
        a.decide_reunion(rid, confirm=True)
    sync(cb)
    assert b.decide_reunion(rid, confirm=True).state == "confirmed"
    sync(cb, ca)
    assert a.lost_report(report.id).state == "home" and a.found_case(case.id).state == "reunited"


def test_a_lost_answer_is_resent_and_nothing_is_doubled(world, kiosks, inbox):
    """The server applies B's confirmation and its answer is cut on the way back: the kiosk sends it again, the
    server knows it (duplicate), and the owner hears once."""
    t = lost_and_found(world, kiosks)
    t.b.decide_reunion(t.rid, confirm=True)
    proxy = CutProxy(world.srv.port)
    try:
        proxy.match, proxy.cut_after, proxy.cuts_left = b"POST /v1/sync/push", 60, 1
        cb = SyncClient(t.b, server_url=proxy.url, api_key=world.keys["b"])
        cb.link.http.headers["Connection"] = "close"  # one request per connection: the proxy cuts that one
        reports = []
        for _ in range(6):
            reports.append(cb.sync_once())
            if cb.status.state == "online" and cb.status.pending == 0:
                break
        assert proxy.cuts == 1 and sum(r.duplicates for r in reports) >= 1, reports
    finally:
        proxy.close()
    delivered(world.srv)
    for table in ("reunions", "found_cases"):
        assert len(server_rows(world.srv, f"SELECT id FROM {table} WHERE id IN (:r, :c)", r=t.rid, c=t.case.id)) == 1
    ((sent,),) = server_rows(world.srv, "SELECT COUNT(*) FROM notifications WHERE dedupe_key = :k",
                             k=f"reunion_confirmed:{t.rid}")
    assert sent == 1
    assert len([m for m in inbox.to(t.email) if "has been found" in str(m["Subject"])]) == 1
    sync(t.ca)
    assert t.a.lost_report(t.report.id).state == "home"


def test_a_finders_report_through_the_app_is_decided_on_the_dogs_kiosk(world, kiosks, inbox):
    """A finder's case (the app's key: the app organisation holds it) of a dog of Shelter A: kiosk A pulls its
    possible reunion, its staff confirm, and the push closes the finder's case too; kiosk C's push of a decision is
    refused."""
    a, ca = kiosks("a")
    c, cc = kiosks("c")
    seed = fresh_dog()
    n = uuid.uuid4().hex[:8]
    dog = register(a, seed, fresh_phone())
    report = a.report_lost(LostIn(dog=dog.id, lost_at=datetime.now(UTC) - timedelta(hours=4), place="대전 서구",
                                  contact_email=OWNER_EMAIL.format(n=n), channel="email", language="ko"))
    sync(ca)
    app = world.srv.key("mobile", "iOS app", org="SavePets app")
    with world.srv.client(app) as finder:
        r = finder.post("/v1/found", data={"found_at": datetime.now(UTC).isoformat(), "place": "대전 유성구",
                                           "contact": f"finder {n}"},
                        files=[("photos", (f"f{s}.jpg", dog_photo_bytes(seed, s), "image/jpeg")) for s in (5, 6)])
    assert r.status_code == 201, r.text
    case_id = r.json()["id"]
    rid = reunion_id(case_id, dog.id)
    sync(ca, cc)
    assert [x.id for x in a.reunions()] == [rid]
    assert reunite_row(a.db, FoundCase, case_id).finder_contact == ""  # the app's case: not A's to read
    attack = crafted(reunion_state(reunite_row(c.db, Reunion, rid)), ReunionChange, state="confirmed")
    with pytest.raises(kiosk_sync.Refused):
        HttpLink(world.srv.url, world.keys["c"]).push(c.device_id, datetime.now(UTC), [attack])
    assert a.decide_reunion(rid, confirm=True).state == "confirmed"
    sync(ca)
    rows = server_rows(world.srv, "SELECT r.state, c.state, c.dog_id, l.state FROM reunions r JOIN found_cases c ON "
                                  "c.id = r.found_case_id JOIN lost_reports l ON l.id = :l WHERE r.id = :r",
                       r=rid, l=report.id)
    assert rows == [("confirmed", "reunited", dog.id, "home")]
    wait_for(lambda: [m for m in inbox.to(OWNER_EMAIL.format(n=n)) if "찾았습니다" in str(m["Subject"])])


def test_a_push_the_server_died_before_matching_is_matched_later(world, kiosks):
    """The push's list of what to match outlives the server: once overdue, a pull has the server match it. (Played
    here by taking the server's reunion away and dating the case's entry back, as a server killed between the
    push's commit and its matching leaves them.)"""
    t = lost_and_found(world, kiosks)
    db = Database(world.srv.db_url, upgrade=False)
    try:
        wait_for(lambda: f"found_case:{t.case.id}" not in json.loads(db.meta(MATCH_KEY) or "{}"))  # matched: off
        engine = create_engine(world.srv.db_url)
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM reunions WHERE id = :r"), {"r": t.rid})
        engine.dispose()
        db.set_meta(MATCH_KEY, json.dumps({f"found_case:{t.case.id}": "2026-01-01T00:00:00+00:00"}))
        sync(t.cb)  # a pull: the server sees it overdue and matches it in the background
        wait_for(lambda: server_rows(world.srv, "SELECT state FROM reunions WHERE id = :r", r=t.rid))
        wait_for(lambda: not json.loads(db.meta(MATCH_KEY) or "{}"))
    finally:
        db.dispose()


MALFORMED = [  # (what, spoil the change's JSON, the field the 422 names)
    ("a reunion's id not its pair's", lambda c: c["state"].update(id=str(uuid.uuid4())), "state"),
    ("a reunion state going nowhere", lambda c: c["state"].update(state="maybe"), "state"),
    ("a lost report's phone", lambda c: c["state"].update(contact_phone="call me"), "contact_phone"),
    ("lat without lon", lambda c: c["state"].update(lat=37.5, lon=None), "state"),
    ("a found photo's vector", lambda c: c["state"]["photos"][0].update(vector="AAAA"), "vector"),
    ("a found photo's sha256", lambda c: c["state"]["photos"][0].update(sha256="x" * 64), "sha256"),
    ("a redacted report with its contact", lambda c: c["state"].update(redacted=True), "state"),
]


@pytest.mark.parametrize(("what", "spoil", "field"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_a_malformed_reunite_change_is_refused_where_it_enters(world, kiosks, what, spoil, field):
    b, _cb = kiosks("b")
    seed = fresh_dog()
    dog = register(b, seed, fresh_phone())
    b.report_lost(LostIn(dog=dog.id, lost_at=datetime.now(UTC) - timedelta(hours=2), place="서울",
                         contact_phone="010-3456-7890", channel="sms"))
    case = b.open_found_case(stray_photos(seed), FoundIn(found_at=datetime.now(UTC), place="서울"))
    ours = {c.entity: c.change.model_dump(mode="json") for c in kiosk_sync.next_push(b, 100)}
    entity = "reunion" if "reunion" in what else "found_case" if "found photo" in what else "lost_report"
    change = ours[entity]
    spoil(change)
    before = fingerprint(world.srv)
    with world.srv.client(world.keys["b"]) as http:
        r = http.post("/v1/sync/push", json={"sent_at": datetime.now(UTC).isoformat(), "changes": [change]})
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["code"] == "validation_error" and any(field in e["field"] for e in error["details"]["errors"]), error
    assert fingerprint(world.srv) == before
    assert case.reunions  # the kiosk found its own dog


# ------------------------------------------------------------------------------------------------ trust
def crafted(current, kind, **update):
    st = current.model_copy(update=update)
    return kind(change_id=str(uuid.uuid4()), entity_id=st.id, op="upsert", state=st)


def test_another_organisations_kiosk_cannot_decide_or_close_through_a_crafted_push(world, kiosks):
    t = lost_and_found(world, kiosks)
    c, cc = kiosks("c")
    sync(cc)
    with c.db.sessions() as s:  # what kiosk C pulled, made into pushes it may not make
        reunion, case = s.get(Reunion, t.rid), s.get(FoundCase, t.case.id)
        attacks = {
            "reunion": crafted(reunion_state(reunion), ReunionChange, state="confirmed", decided_by="C",
                               decided_at=datetime.now(UTC)),
            "case": crafted(case_state(case, list(case.photos)), FoundCaseChange, state="closed",
                            closed_at=datetime.now(UTC)),
            "report": crafted(lost_state(s.get(LostReport, t.report.id)), LostReportChange, state="home",
                              closed_at=datetime.now(UTC)),
        }
    # a new reunion of B's case with a dog of C's own, made up on C, confirmed at once
    mine = register(c, fresh_dog(), fresh_phone())
    sync(cc)
    new = ReunionState(id=reunion_id(t.case.id, mine.id), found_case_id=t.case.id, dog_id=mine.id, score=0.99,
                       decision="match", source="registry", state="confirmed", decided_by="C",
                       decided_at=datetime.now(UTC), created_at=datetime.now(UTC), updated_at=datetime.now(UTC))
    attacks["new reunion"] = ReunionChange(change_id=str(uuid.uuid4()), entity_id=new.id, op="upsert", state=new)
    link = HttpLink(world.srv.url, world.keys["c"])
    before = fingerprint(world.srv)
    for what, ch in attacks.items():
        with pytest.raises(kiosk_sync.Refused) as refused:
            link.push(c.device_id, datetime.now(UTC), [ch])
        assert list(refused.value.refused) == [ch.change_id], what
        assert "another organisation" in refused.value.refused[ch.change_id], what
        assert fingerprint(world.srv) == before, what
    with pytest.raises(PermissionDenied):  # nor through its own pages: B holds the case
        c.decide_reunion(t.rid, confirm=True)
    # B's possible reunion is still B's to decide
    assert server_rows(world.srv, "SELECT state FROM reunions WHERE id = :r", r=t.rid)[0][0] == "possible"
    assert t.b.decide_reunion(t.rid, confirm=False).state == "rejected"
    sync(t.cb)
    assert server_rows(world.srv, "SELECT state FROM reunions WHERE id = :r", r=t.rid)[0][0] == "rejected"
    # a decision is final: a later 'confirmed' from B itself changes nothing
    late = crafted(reunion_state(reunite_row(t.b.db, Reunion, t.rid)), ReunionChange, state="confirmed")
    answer = HttpLink(world.srv.url, world.keys["b"]).push(t.b.device_id, datetime.now(UTC), [late])
    assert answer.results[0].status == "applied"
    assert server_rows(world.srv, "SELECT state FROM reunions WHERE id = :r", r=t.rid)[0][0] == "rejected"
    assert server_rows(world.srv, "SELECT state FROM lost_reports WHERE id = :r", r=t.report.id)[0][0] == "open"


# ------------------------------------------------------------------------------------------------ redaction
def test_another_organisation_gets_neither_the_owners_nor_the_finders_contact(world, kiosks):
    t = lost_and_found(world, kiosks)
    c, cc = kiosks("c")
    sync(cc, t.ca)
    on_a = reunite_row(t.a.db, LostReport, t.report.id)
    assert on_a.contact_email == t.email and t.n in on_a.notes  # the reporting organisation's kiosk: in full
    for sp in (t.b, c):  # the others: the report, without its contact or notes
        row = reunite_row(sp.db, LostReport, t.report.id)
        assert row.state.value == "open" and row.dog_id == t.dog.id
        assert (row.contact_email, row.contact_phone, row.notes) == ("", "", "")
    on_b = reunite_row(t.b.db, FoundCase, t.case.id)
    assert t.n in on_b.finder_contact and t.n in on_b.notes
    for sp in (t.a, c):  # the case, its photos and reunions, without the finder's contact or the notes
        row = reunite_row(sp.db, FoundCase, t.case.id)
        assert (row.finder_contact, row.notes) == ("", "") and row.org_id == world.orgs["b"]
        assert all(sp.store.exists(p.sha256) for p in t.case.photos)
        assert reunite_row(sp.db, Reunion, t.rid).state.value == "possible"
    # over the wire, as kiosk C pulls it: marked redacted, nothing of the contact anywhere in the answer
    with world.srv.client(world.keys["c"]) as http:
        r = http.get("/v1/sync/pull", params={"since": 0, "limit": 1000})
    assert r.status_code == 200
    assert t.email not in r.text and t.n not in r.text
    (report,) = [ch["state"] for ch in r.json()["changes"] if ch["entity_id"] == t.report.id]
    assert report["redacted"] is True and report["contact_email"] == ""
    # and it stays so when kiosk B, which holds only the redacted copy, ends the report with its confirmation
    t.b.decide_reunion(t.rid, confirm=True)
    sync(t.cb, t.ca)
    on_a = reunite_row(t.a.db, LostReport, t.report.id)
    assert on_a.state.value == "home" and on_a.contact_email == t.email and t.n in on_a.notes


def test_the_entity_names_are_the_services():
    assert (LOST, FOUND, REUNION) == (LOST_ENTITY, FOUND_ENTITY, REUNION_ENTITY)
