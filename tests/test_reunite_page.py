"""The kiosk's Reunite page, driven through its real widgets offscreen (stand-in engine, synthetic noses): a dog is
reported lost from the Registry, a look-alike of it that the look-up is not sure of is taken in as a stray, the
possible reunion is on the Reunite page, staff confirm it in the compare view, and the lists follow; the days left of
a found dog's holding period are shown, highlighted when 0 to 2; refusals are messages, never a crash.

SAVEPETS_REUNITE_PNG=<folder> keeps the screenshots (docs/screenshots/kiosk-reunite-*.png are made so)."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.kiosk_fixtures import kiosk_factory, left, wait_idle  # noqa: F401

PNG = os.environ.get("SAVEPETS_REUNITE_PNG")


def _register(sp, dog: int = 1, name: str = "초코", phone: str = "010-1234-5678"):
    from core.schemas import DogIn, OwnerIn
    from tests.imaging import dog_photos

    return sp.register(OwnerIn(phone=phone, name="김철수"), DogIn(name=name, breed="진돗개"), dog_photos(dog)).dog


def _look_alike_files(tmp_path: Path, dog: int = 1, other: int = 2, n: int = 3) -> list[str]:
    from tests.imaging import look_alike_photo_bytes

    folder = tmp_path / f"alike-{dog}-{other}"
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i in range(n):
        p = folder / f"{i}.jpg"
        p.write_bytes(look_alike_photo_bytes(dog, other, i))
        out.append(str(p))
    return out


def _report_lost_from_registry(qtbot, k, place: str = "망원한강공원"):
    w = k.window
    w.show_page("registry")
    reg = w.registry
    qtbot.waitUntil(lambda: reg.table.rowCount() >= 1, timeout=10_000)
    reg.table.selectRow(0)
    qtbot.waitUntil(lambda: reg.current is not None, timeout=5_000)
    qtbot.mouseClick(reg.report_lost_button, left())
    page = w.reunite_page
    assert w.current_page == "reunite" and page.state == "report"
    form = page.report_form
    assert reg.current.name in form.heading.text() and form.when.text()  # when: now, already filled in
    form.place.setText(place)
    form.phone.setText("010-5555-6666")
    form.notify_possible.setChecked(True)
    qtbot.mouseClick(form.submit_button, left())
    qtbot.waitUntil(lambda: page.state == "lists" and len(page.lost_list.rows) == 1, timeout=10_000)
    wait_idle(qtbot, k)
    return page


def _take_in_stray(qtbot, k, files, place: str = "합정역 2번 출구"):
    w = k.window
    w.show_page("lookup")
    lookup = w.lookup
    lookup.lookup_files(files)
    qtbot.waitUntil(lambda: lookup.state == "compare" and not lookup.compare.loading, timeout=20_000)
    qtbot.mouseClick(lookup.compare.none_button, left())  # none of the registered dogs, by eye: not registered
    assert lookup.state == "none" and lookup.stray_button.isVisibleTo(w)
    qtbot.mouseClick(lookup.stray_button, left())
    assert lookup.state == "stray" and lookup.stray.state == "form" and lookup.stray.when.text()
    lookup.stray.place.setText(place)
    qtbot.mouseClick(lookup.stray.submit_button, left())
    qtbot.waitUntil(lambda: lookup.stray.state == "done", timeout=20_000)
    wait_idle(qtbot, k)
    return lookup


def test_lost_then_a_stray_of_it_then_confirmed_on_the_reunite_page(qtbot, tmp_path, kiosk_factory):  # noqa: F811
    k = kiosk_factory(str(tmp_path / "no-camera-here"))
    sp = k.controller.service
    dog = _register(sp)
    w = k.window
    assert w.nav_buttons["reunite"].text() == "Reunite"

    # reported lost from the Registry: the form on the Reunite page, then the lost list
    page = _report_lost_from_registry(qtbot, k)
    assert page.tab == "lost" and "망원한강공원" in page.message.text()
    row = page.lost_list.rows[0]
    assert dog.registration_number in row.title.text() and "망원한강공원" in row.lines.text()
    assert "010-****-6666" in row.lines.text() and "possible matches too" in row.lines.text()
    assert sp.get_dog(dog.id).status.value == "lost" and len(sp.lost_reports()) == 1
    qtbot.waitUntil(lambda: row.thumbs[0].pixmap() is not None and not row.thumbs[0].pixmap().isNull(), timeout=5_000)

    # a look-alike the look-up is not sure of, taken in as a stray: days left, the dog it may be
    lookup = _take_in_stray(qtbot, k, _look_alike_files(tmp_path))
    stray = lookup.stray
    assert "10 more days" in stray.days.text() and "합정역 2번 출구" in stray.done_text.text()
    assert "초코" in stray.possible.text() and "reported lost" in stray.possible.text()
    assert stray.reunite_button.isVisibleTo(w)
    case = sp.found_cases()[0]
    assert case.days_left == 10 and case.kind == "intake" and len(case.photos) == 3

    # on to the Reunite page: the stray's photos beside the lost dog's, in the compare view
    qtbot.mouseClick(stray.reunite_button, left())
    assert w.current_page == "reunite"
    qtbot.waitUntil(lambda: page.state == "compare" and not page.compare.loading, timeout=20_000)
    wait_idle(qtbot, k)
    cmp = page.compare
    assert [c.dog.id for c in cmp.candidates] == [dog.id]
    assert "reported lost" in cmp.candidate_note.text() and "합정역 2번 출구" in cmp.reason.text()
    assert "10 days left" in cmp.reason.text()
    assert len(cmp.probe.frames) == 3 and len(cmp.candidate.frames) == 5
    assert (cmp.confirm_button.text(), cmp.none_button.text()) == ("Confirm: it is this dog", "Not this dog")
    assert w.nav_buttons["reunite"].text() == "Reunite  1"
    qtbot.mouseClick(cmp.candidate.view, left())  # a tap zooms in
    assert cmp.candidate.view.zoom > 1

    # back to the lists: the possible reunion, the found dog with its days left
    assert not page.top.isVisibleTo(w)  # the photos get the title row's height
    qtbot.mouseClick(page.compare.back_button, left())
    qtbot.waitUntil(lambda: page.state == "lists" and len(page.reunion_list.rows) == 1, timeout=10_000)
    wait_idle(qtbot, k)
    page.show_tab("reunions")
    rrow = page.reunion_list.rows[0]
    assert dog.registration_number in rrow.title.text() and "Reported lost" in rrow.lines.text()
    assert len(rrow.thumbs) == 2 and all(t.pixmap() is not None and not t.pixmap().isNull() for t in rrow.thumbs)
    frow = page.found_list.rows[0]
    assert frow.title.text() == "합정역 2번 출구" and frow.badge.text() == "10 days left"
    assert frow.badge.property("status") == "found"  # not highlighted: more than 2 days left
    assert page.tabs["reunions"].text() == "Possible reunions  1" and page.tabs["found"].text() == "Found dogs  1"

    # confirmed in the compare view (opened from the reunion's row): reunited, the lists follow
    rrow.findChild(type(page.back_button), "primary").click()
    qtbot.waitUntil(lambda: page.state == "compare" and not page.compare.loading, timeout=20_000)
    qtbot.mouseClick(cmp.confirm_button, left())
    qtbot.waitUntil(lambda: page.state == "reunited", timeout=10_000)
    wait_idle(qtbot, k)
    assert "초코" in page.done_title.text() and dog.registration_number in page.done_title.text()
    qtbot.waitUntil(lambda: "010-1234-5678" in page.owner.text(), timeout=5_000)  # an administrator: in full
    assert sp.get_dog(dog.id).status.value == "found" and sp.lost_reports() == [] and sp.reunions() == []
    assert sp.found_cases(state=None)[0].state == "reunited"
    qtbot.mouseClick(page.continue_button, left())
    qtbot.waitUntil(lambda: page.state == "lists" and not page.reunion_list.rows and not page.lost_list.rows,
                    timeout=10_000)
    wait_idle(qtbot, k)
    frow = page.found_list.rows[0]
    assert frow.badge.text() == "Reunited" and "초코" in frow.lines.text() and frow.buttons.count() == 0
    assert page.tabs["reunions"].text() == "Possible reunions  0" and page.tabs["found"].text() == "Found dogs  0"
    assert w.nav_buttons["reunite"].text() == "Reunite"


def test_days_left_highlighted_when_two_or_fewer_and_not_this_dog(qtbot, tmp_path, kiosk_factory):  # noqa: F811
    from core.schemas import FoundIn, LostIn
    from tests.test_reviews import look_alike

    k = kiosk_factory(str(tmp_path / "no-camera-here"), language="ko")
    sp = k.controller.service
    dog = _register(sp)
    now = datetime.now(UTC)
    sp.report_lost(LostIn(dog=dog.id, lost_at=now - timedelta(days=9), place="망원동"))
    sp.open_found_case(look_alike(1, 2, 3), FoundIn(found_at=now - timedelta(days=9), place="서교동"))
    sp.open_found_case(look_alike(1, 3, 2), FoundIn(found_at=now - timedelta(days=1), place="연남동"))
    w = k.window
    w.show_page("reunite")
    page = w.reunite_page
    qtbot.waitUntil(lambda: len(page.found_list.rows) == 2, timeout=10_000)
    wait_idle(qtbot, k)
    assert page.tab == "reunions" and len(page.reunion_list.rows) == 2
    first, second = page.found_list.rows  # the holding period that ends first, first
    assert (first.title.text(), first.badge.text(), first.badge.property("status")) == ("서교동", "1일 남음", "lost")
    assert (second.title.text(), second.badge.property("status")) == ("연남동", "found")

    # "Not this dog": the reunion is rejected, the case stays open
    page.compare_case(first.case.id)
    qtbot.waitUntil(lambda: page.state == "compare" and not page.compare.loading, timeout=20_000)
    qtbot.mouseClick(page.compare.none_button, left())
    qtbot.waitUntil(lambda: page.state == "lists" and len(page.reunion_list.rows) == 1, timeout=10_000)
    assert "초코" in page.message.text()
    assert {c.state for c in sp.found_cases(state=None)} == {"open"}

    # a reunion that a sync brings (found by the server): the page shows it after the sync, without a tap
    from ui.sync_status import SyncStatus

    sp.open_found_case(look_alike(1, 5, 2), FoundIn(found_at=now - timedelta(hours=2), place="상수동"))
    assert len(page.found_list.rows) == 2  # not yet: nothing told the page
    w.sync_status_fn = lambda: SyncStatus(state="online", last_sync=datetime.now(UTC))
    w.refresh_sync()
    qtbot.waitUntil(lambda: len(page.found_list.rows) == 3, timeout=10_000)
    assert any(r.title.text() == "상수동" for r in page.found_list.rows)

    # a found case closed without a reunion (adopted, say), asked once more: it leaves the lists
    row = next(r for r in page.found_list.rows if r.title.text() == "상수동")
    close = next(b for b in row.actions if b.text() == "종료…")
    qtbot.mouseClick(close, left())
    assert page.confirm_bar.isVisibleTo(w) and "상수동" in page.confirm_text.text()
    qtbot.mouseClick(page.yes_button, left())
    qtbot.waitUntil(lambda: len(page.found_list.rows) == 2, timeout=10_000)
    assert "상수동" in page.message.text() and not page.confirm_bar.isVisibleTo(w)
    assert sorted(c.state for c in sp.found_cases(state=None)) == ["closed", "open", "open"]


def test_refusals_are_messages_not_crashes(qtbot, tmp_path, kiosk_factory):  # noqa: F811
    """A report withdrawn meanwhile (another kiosk, a sync), a stray's photos the core refuses, a time in the future,
    and a member whose role may not change statuses: each a message on the page."""
    from core.schemas import LostIn
    from tests.kiosk_fixtures import write_images
    from tests.test_kiosk_signin import STAFF_NAME, STAFF_PIN, sign_in

    k = kiosk_factory(str(tmp_path / "no-camera-here"))
    sp = k.controller.service
    dog = _register(sp)
    report = sp.report_lost(LostIn(dog=dog.id, lost_at=datetime.now(UTC), place="망원동"))
    w = k.window
    w.show_page("reunite")
    page = w.reunite_page
    qtbot.waitUntil(lambda: len(page.lost_list.rows) == 1, timeout=10_000)
    sp.end_lost(report.id, "withdrawn")  # elsewhere, meanwhile
    row = page.lost_list.rows[0]
    qtbot.mouseClick(row.withdraw_button, left())
    assert page.confirm_bar.isVisibleTo(w) and "초코" in page.confirm_text.text()
    qtbot.mouseClick(page.yes_button, left())
    qtbot.waitUntil(lambda: "withdrawn already" in page.message.text(), timeout=10_000)

    # the report form: a time in the future
    page.start_report(dog)
    form = page.report_form
    form.place.setText("망원동")
    form.when.setText((datetime.now() + timedelta(days=2)).strftime("%Y-%m-%d %H:%M"))
    qtbot.mouseClick(form.submit_button, left())
    assert "future" in form.message.text() and page.state == "report"
    form.when.setText("yesterday")
    qtbot.mouseClick(form.submit_button, left())
    assert "YYYY-MM-DD HH:MM" in form.message.text()

    # a stray from photos the core's quality gate refuses (a dark frame that passed no look-up): a message
    import numpy as np

    from core.photos import read_photo_file

    lookup = w.lookup
    dark = write_images([np.full((480, 640, 3), 3, np.uint8)], tmp_path / "dark")
    lookup.stray.start([read_photo_file(str(dark[0]))])
    lookup.stray.place.setText("합정역")
    qtbot.mouseClick(lookup.stray.submit_button, left())
    qtbot.waitUntil(lambda: bool(lookup.stray.message.text()), timeout=10_000)
    assert "cannot be used" in lookup.stray.message.text() and lookup.stray.state == "form"

    # a member whose role may not change statuses: the core refuses, the page says so
    sp.add_staff(STAFF_NAME, STAFF_PIN, "staff")
    perms = sp.staff_permissions().model_copy(update={"status": False})
    sp.set_staff_permissions(perms)
    w.lock()
    sign_in(qtbot, k, STAFF_NAME, STAFF_PIN)
    qtbot.waitUntil(lambda: not w.locked, timeout=5_000)
    wait_idle(qtbot, k)
    page.start_report(dog)
    form.place.setText("망원동")
    form.submit()
    qtbot.waitUntil(lambda: "status" in form.message.text(), timeout=10_000)
    assert page.state == "report"


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_reunite_page_fits_and_screenshots(qtbot, tmp_path, kiosk_factory, lang):  # noqa: F811
    """The page's states at 1280x800 and 1024x768: nothing to scroll, every button on screen at its size (the
    layout test's walk); SAVEPETS_REUNITE_PNG keeps them at 1280x800 as kiosk-reunite-<lang>-<state>.png."""
    from core.schemas import FoundIn, LostIn
    from tests.test_kiosk_layout import Walk
    from tests.test_reviews import look_alike

    k = kiosk_factory(str(tmp_path / "no-camera-here"), language=lang)
    sp = k.controller.service
    names = ("초코", "보리", "콩이") if lang == "ko" else ("Choco", "Bori", "Kongi")
    places = (("망원한강공원 산책로", "합정역 2번 출구 앞", "연남동 경의선숲길")) if lang == "ko" else (
        ("Mangwon Hangang Park trail", "Hapjeong station, exit 2", "Yeonnam-dong forest trail"))
    dogs = [_register(sp, i + 1, n, f"010-1234-56{i}8") for i, n in enumerate(names)]
    now = datetime.now(UTC)
    sp.report_lost(LostIn(dog=dogs[0].id, lost_at=now - timedelta(days=2), place=places[0],
                          contact_email="owner@example.com", channel="email", notify_possible=True))
    sp.report_lost(LostIn(dog=dogs[1].id, lost_at=now - timedelta(hours=20), place=places[2]))
    sp.open_found_case(look_alike(1, 4, 3), FoundIn(found_at=now - timedelta(days=9), place=places[1]))
    sp.open_found_case(look_alike(2, 5, 2), FoundIn(found_at=now - timedelta(days=3), place=places[2]))
    sp.open_found_case(look_alike(7, 8, 2), FoundIn(found_at=now - timedelta(hours=3), place=places[0]))
    w = k.window
    w.show_page("reunite")
    page = w.reunite_page
    qtbot.waitUntil(lambda: len(page.found_list.rows) == 3, timeout=10_000)
    wait_idle(qtbot, k)
    walk = Walk(qtbot, k, lang)
    shots = []

    def check(state, *buttons):
        walk.check(f"reunite-{state}", *buttons)
        w.resize(1280, 800)
        walk.settle()
        shot = tmp_path / f"kiosk-reunite-{lang}-{state}.png"
        w.grab().save(str(shot))
        shots.append(shot)

    rows = page.reunion_list.rows
    assert len(rows) >= 2
    check("reunions", *page.tabs.values(), page.report_button, *[b for r in rows[:2] for b in _buttons(r)])
    page.show_tab("found")
    check("found", *[b for r in page.found_list.rows[:2] for b in _buttons(r)])
    page.show_tab("lost")
    lost_rows = page.lost_list.rows
    qtbot.mouseClick(lost_rows[0].home_button, left())
    check("lost", page.yes_button, page.keep_button, *[b for r in lost_rows[:2] for b in _buttons(r)])
    page._confirm_bar(None)
    page.compare_reunion(rows[0].reunion.id)
    qtbot.waitUntil(lambda: page.state == "compare" and not page.compare.loading, timeout=20_000)
    wait_idle(qtbot, k)
    check("compare", page.compare.confirm_button, page.compare.none_button, page.compare.back_button)
    page.start_report(dogs[2])
    page.report_form.place.setText("")
    page.report_form.submit()
    check("report", page.report_form.submit_button, page.report_form.cancel_button, page.report_form.place)
    page.compare_reunion(rows[0].reunion.id)
    qtbot.waitUntil(lambda: page.state == "compare" and not page.compare.loading, timeout=20_000)
    page.decide(True)
    qtbot.waitUntil(lambda: page.state == "reunited", timeout=10_000)
    wait_idle(qtbot, k)
    check("reunited", page.continue_button)
    # the look-up's stray form and its answer
    lookup = w.lookup
    w.show_page("lookup")
    lookup.lookup_files(_look_alike_files(tmp_path, 2, 6))
    qtbot.waitUntil(lambda: lookup.state == "compare" and not lookup.compare.loading, timeout=20_000)
    lookup.none_of_these()
    lookup.take_in()
    check("stray-form", lookup.stray.submit_button, lookup.stray.place)
    lookup.stray.place.setText(places[1])
    lookup.stray.submit()
    qtbot.waitUntil(lambda: lookup.stray.state == "done", timeout=20_000)
    wait_idle(qtbot, k)
    check("stray-done", lookup.stray.reunite_button)
    if PNG:
        import shutil

        Path(PNG).mkdir(parents=True, exist_ok=True)
        for shot in shots:
            shutil.copy(shot, Path(PNG) / shot.name)
    assert not walk.problems, "\n".join(walk.problems)


def _buttons(row):
    from PySide6.QtWidgets import QPushButton

    return [b for b in row.findChildren(QPushButton) if b.isVisibleTo(row)]
