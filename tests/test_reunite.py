"""Reunite through the core use cases, on SQLite and on the real MariaDB (stand-in engine): lost reports, found
cases, the possible reunions matching makes both ways, a person's decision, the owner's message queued once, and
the bad inputs (unknown dog, someone else's dog, a malformed place or time, a withdrawn report)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select

from core.actors import Actor, acting_as
from core.errors import InvalidInput, NotFound, PermissionDenied, PhotosRejected
from core.recognition.base import Decision
from core.registry.models import Device, Dog, DogStatus, FoundCase, LostReport, Notification, Organisation, Reunion
from core.schemas import DogIn, FoundIn, LostIn, OwnerIn
from tests.imaging import black_photo, dog_photos

LOST_AT = (datetime.now(UTC) - timedelta(days=2)).isoformat()
FOUND_AT = (datetime.now(UTC) - timedelta(hours=3)).isoformat()


def registered(sp, n: int = 4):
    """n dogs of n owners; returns their DogOut."""
    return [sp.register(OwnerIn(phone=f"010-2000-{1000 + i}", name=f"주인{i}"), DogIn(name=f"초코{i}"),
                        dog_photos(i)).dog for i in range(n)]


def counts(sp) -> dict[str, int]:
    with sp.db.sessions() as s:
        return {m.__tablename__: s.scalar(select(func.count()).select_from(m))
                for m in (LostReport, FoundCase, Reunion, Notification)}


def lost(dog: str, **kw) -> LostIn:
    return LostIn(dog=dog, lost_at=LOST_AT, place="서울 마포구 망원동", **kw)


def found(**kw) -> FoundIn:
    return FoundIn(found_at=FOUND_AT, place="합정역 2번 출구", **kw)


def test_a_stray_of_a_lost_dog_becomes_a_possible_reunion_and_confirming_closes_both(standin_service):
    sp = standin_service
    dogs = registered(sp)
    report = sp.report_lost(lost(dogs[2].registration_number, contact_email="owner@example.org", channel="email",
                                 language="en"))
    assert report.state == "open" and report.dog_id == dogs[2].id and report.contact == "o***@example.org"
    assert sp.get_dog(dogs[2].id).status == DogStatus.LOST
    case = sp.open_found_case(dog_photos(2, 2, first_shot=5), found(notes="빨간 목줄"))
    assert case.kind == "intake" and case.state == "open"
    assert case.days_left == sp.settings.found_hold_days - 1 or case.days_left == sp.settings.found_hold_days
    assert [(r.dog.id, r.source) for r in case.reunions][:1] == [(dogs[2].id, "lost")]
    assert case.registered and case.owner_told  # a sure match: the owner is told of the possible reunion
    possible = sp.reunions()
    assert [r.dog.id for r in possible] == [dogs[2].id] and possible[0].lost_report_id == report.id
    done = sp.decide_reunion(possible[0].id, confirm=True)
    assert done.state == "confirmed"
    assert sp.found_case(case.id).state == "reunited" and sp.found_case(case.id).dog_id == dogs[2].id
    assert sp.lost_report(report.id).state == "home"
    assert sp.get_dog(dogs[2].id).status == DogStatus.FOUND
    assert sp.reunions() == []
    with sp.db.sessions() as s:
        messages = s.scalars(select(Notification).order_by(Notification.created_at)).all()
        assert [(m.kind, m.channel, m.recipient, m.language) for m in messages] == [
            ("reunion_possible", "email", "owner@example.org", "en"),
            ("reunion_confirmed", "email", "owner@example.org", "en")]
        assert "초코2" in messages[1].body and "010" not in messages[1].body
    with pytest.raises(InvalidInput, match="confirmed already"):
        sp.decide_reunion(possible[0].id, confirm=False)


def test_a_lost_report_made_after_the_stray_came_in_finds_the_open_case(standin_service):
    sp = standin_service
    dogs = registered(sp)
    with acting_as(Actor("api_key", "k1", "kiosk", "kiosk", org="elsewhere")):
        case = sp.open_found_case(dog_photos(9, 1, first_shot=3), found())  # not registered at all
    assert case.reunions == [] and not case.registered
    stray = sp.open_found_case(dog_photos(1, 1, first_shot=7), found())
    before = counts(sp)
    report = sp.report_lost(lost(dogs[1].id, notify_possible=True))
    assert [(r.found_case_id, r.dog.id, r.lost_report_id) for r in sp.reunions()] == [
        (stray.id, dogs[1].id, report.id)]  # the registry's reunion of the pair, now the lost report's too
    sp.end_lost(report.id, "withdrawn")
    other = sp.open_found_case(dog_photos(3, 1, first_shot=7), found())
    report = sp.report_lost(lost(dogs[3].id))
    assert {(r.found_case_id, r.lost_report_id) for r in sp.reunions()} >= {(other.id, report.id)}
    assert sp.match_lost_report(report.id) == [] and sp.match_found_case(other.id) == []  # one reunion a pair
    assert counts(sp)["reunions"] == before["reunions"] + 1


def test_a_stranger_taken_in_is_not_matched_to_a_lost_dog(standin_service):
    sp = standin_service
    dogs = registered(sp)
    sp.report_lost(lost(dogs[0].id))
    case = sp.open_found_case(dog_photos(42, 2), found())
    assert not case.registered and not case.owner_told and "No registered dog" in case.message
    # the closest lost dogs are offered to compare (as a look-up shows its closest), none as likely
    assert {r.decision for r in case.reunions} <= {Decision.NO_MATCH}
    assert counts(sp)["notifications"] == 0


def test_withdrawn_and_home_end_a_report_once(standin_service):
    sp = standin_service
    dogs = registered(sp, 2)
    report = sp.report_lost(lost(dogs[0].id))
    with pytest.raises(InvalidInput, match="reported lost already"):
        sp.report_lost(lost(dogs[0].id))
    assert sp.end_lost(report.id, "withdrawn").state == "withdrawn"
    assert sp.get_dog(dogs[0].id).status == DogStatus.HOME
    with pytest.raises(InvalidInput, match="withdrawn already"):
        sp.end_lost(report.id, "home")
    with pytest.raises(InvalidInput):
        sp.end_lost(report.id, "gone")
    assert [r.id for r in sp.lost_reports("withdrawn")] == [report.id] and sp.lost_reports() == []
    again = sp.report_lost(lost(dogs[0].id))  # lost again later: a new report
    assert sp.end_lost(again.id, "home").state == "home"


def test_bad_inputs_are_refused_and_change_nothing(standin_service):
    sp = standin_service
    dogs = registered(sp, 2)
    before = counts(sp)
    with pytest.raises(NotFound):
        sp.report_lost(lost("2601010101ㅊㅋ0000"))
    with pytest.raises(NotFound):
        sp.end_lost("no-such-report", "home")
    with pytest.raises(NotFound):
        sp.decide_reunion("no-such-reunion", confirm=True)
    with pytest.raises(NotFound):
        sp.found_case("no-such-case")
    for bad in ({"lost_at": "2026-12-01T10:00:00"},  # no zone
                {"lost_at": (datetime.now(UTC) + timedelta(days=1)).isoformat()},  # the future
                {"lost_at": "yesterday"},
                {"place": ""}, {"place": "x" * 201},
                {"lat": 37.5}, {"lat": 91.0, "lon": 127.0}, {"lon": 200.0, "lat": 1.0},
                {"channel": "email"},  # no e-mail to send to
                {"contact_email": "not-an-address"}, {"language": "fr"}, {"surprise": 1}):
        with pytest.raises(ValidationError):
            LostIn(**{"dog": dogs[0].id, "lost_at": LOST_AT, "place": "망원동", **bad})
    with pytest.raises(PhotosRejected):
        sp.open_found_case([black_photo()], found())
    with pytest.raises(PhotosRejected):
        sp.open_found_case([], found())
    with pytest.raises(PhotosRejected):
        sp.open_found_case(dog_photos(0, 6), found())
    with pytest.raises(InvalidInput):
        sp.lost_reports("everything")
    assert counts(sp) == before


def test_the_app_reports_only_its_own_dog_and_gets_no_owner_data_as_a_finder(standin_service):
    sp = standin_service
    dogs = registered(sp, 3)
    with sp.db.session() as s:
        s.add(Organisation(id="app-org", name="the app", kind="app"))
        s.flush()
        s.add(Device(id="phone-1", org_id="app-org", name="phone", role="mobile",
                     verified_phone_hash=sp.phone_hash_of("010-2000-1001")))
    app = Actor("api_key", "k-app", "app", "mobile", org="app-org", device="phone-1")
    before = counts(sp)
    with acting_as(app):
        with pytest.raises(PermissionDenied):
            sp.report_lost(lost(dogs[0].id))  # someone else's dog
        with pytest.raises(PermissionDenied):
            sp.reunions()
        with pytest.raises(PermissionDenied):
            sp.found_cases()
        assert counts(sp) == before
        mine = sp.report_lost(lost(dogs[1].id))
        assert [r.id for r in sp.lost_reports()] == [mine.id]
        answer = sp.open_found_case(dog_photos(2, 2, first_shot=5), found(contact="010-5555-6666"))
    assert answer.kind == "finder" and answer.hold_until is None
    assert answer.registered and answer.reunions == [] and "owner" in answer.message
    text = answer.model_dump_json()
    assert "주인2" not in text and "2000" not in text and dogs[2].id not in text
    with sp.db.sessions() as s:
        assert s.get(Dog, dogs[0].id).status == DogStatus.HOME


def test_a_staff_key_decides_only_its_organisations_cases(standin_service):
    sp = standin_service
    dogs = registered(sp, 2)
    sp.report_lost(lost(dogs[0].id))
    shelter = Actor("api_key", "k-a", "shelter a", "kiosk", org="org-a")
    clinic = Actor("api_key", "k-b", "clinic b", "vet", org="org-b")
    with acting_as(shelter):
        case = sp.open_found_case(dog_photos(0, 2, first_shot=5), found())
    rid = case.reunions[0].id
    with acting_as(clinic):
        assert sp.reunions() == []
        with pytest.raises(PermissionDenied):
            sp.decide_reunion(rid, confirm=True)
        with pytest.raises(PermissionDenied):
            sp.close_found_case(case.id)
    assert sp.reunion(rid).state == "possible" and sp.found_case(case.id).state == "open"
    with acting_as(shelter):
        assert [r.id for r in sp.reunions()] == [rid]
        assert sp.decide_reunion(rid, confirm=False).state == "rejected"
        assert sp.close_found_case(case.id).state == "closed"


def test_an_enrolled_kiosk_leaves_the_owners_message_to_the_server(standin_service):
    sp = standin_service
    dogs = registered(sp, 2)
    sp.db.set_meta("org_id", "org-a")
    sp.report_lost(lost(dogs[0].id))
    case = sp.open_found_case(dog_photos(0, 2, first_shot=5), found())
    assert case.reunions and not case.owner_told
    sp.decide_reunion(case.reunions[0].id, confirm=True)
    assert counts(sp)["notifications"] == 0


def test_the_decision_of_a_found_dog_is_recorded_on_the_audit_trail(standin_service):
    sp = standin_service
    dogs = registered(sp, 2)
    sp.report_lost(lost(dogs[0].id))
    case = sp.open_found_case(dog_photos(0, 2, first_shot=5), found())
    sp.decide_reunion(case.reunions[0].id, confirm=True)
    actions = [e.action for e in sp.audit_trail(limit=50)]
    for action in ("lost_report", "found_open", "reunion_possible", "reunion_confirm", "notify_queued"):
        assert action in actions
    assert all("@" not in e.detail and "010" not in e.detail for e in sp.audit_trail(limit=50))
    assert case.reunions[0].decision in (Decision.MATCH, Decision.UNCERTAIN)


def test_an_enrolled_kiosk_decides_only_its_organisations_cases_and_reports(standin_service):
    """What the server would refuse from this kiosk's push is refused here first, and nothing changes."""
    sp = standin_service
    dogs = registered(sp, 2)
    clinic = Actor("api_key", "k-b", "clinic b", "vet", org="org-b")
    with acting_as(clinic):  # as pulled from the server: Clinic B's report and case
        report = sp.report_lost(lost(dogs[0].id))
        case = sp.open_found_case(dog_photos(0, 2, first_shot=5), found())
    sp.db.set_meta("org_id", "org-a")
    before = counts(sp)
    assert sp.reunions() == []  # not this kiosk's to decide
    with pytest.raises(PermissionDenied, match="this kiosk"):
        sp.decide_reunion(case.reunions[0].id, confirm=True)
    with pytest.raises(PermissionDenied, match="another organisation"):
        sp.end_lost(report.id, "home")
    with pytest.raises(PermissionDenied):
        sp.close_found_case(case.id)
    assert counts(sp) == before and sp.lost_report(report.id).state == "open"
    with acting_as(clinic):
        assert sp.end_lost(report.id, "home").state == "home"
