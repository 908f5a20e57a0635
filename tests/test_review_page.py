"""The kiosk's review page, driven through its real widgets offscreen (stand-in engine): a flagged pair is shown side
by side, "Different dogs" closes it, "Same dog" merges after a confirmation and names the owners to tell."""

from __future__ import annotations

import pytest

from tests.kiosk_fixtures import kiosk_factory, wait_idle  # noqa: F401
from tests.test_reviews import flagged_pair


def _left():
    from PySide6.QtCore import Qt

    return Qt.MouseButton.LeftButton


def open_review_page(qtbot, k):
    w = k.window
    w.show_page("review")
    page = w.review_page
    qtbot.waitUntil(lambda: page.state == "pair" and not page.loading, timeout=20_000)
    wait_idle(qtbot, k)
    return w, page


def test_a_flagged_pair_side_by_side_then_different_dogs(qtbot, tmp_path, kiosk_factory):  # noqa: F811
    k = kiosk_factory(str(tmp_path / "no-camera-here"))
    sp = k.controller.service
    older, newer = flagged_pair(sp)
    w = k.window
    w.refresh_reviews()
    assert w.nav_buttons["review"].text() == "Review  1" and w.review_count == 1
    w, page = open_review_page(qtbot, k)
    assert (page.older.name.text(), page.older.number.text()) == ("초코", older.registration_number)
    assert (page.newer.name.text(), page.newer.number.text()) == ("초코2", newer.registration_number)
    assert "2026-01-02" in page.older.details.text()
    qtbot.waitUntil(lambda: "010-9876-5432" in page.newer.details.text(), timeout=5_000)  # (reveal_contact)
    assert "0.9" in page.reason.text()
    assert len(page.older.frames) == len(page.newer.frames) == 5  # the photos, large, with thumbnails
    assert page.older.view.image is not None and page.older.view.width() >= 300
    qtbot.mouseClick(page.older.view, _left())  # a tap zooms in, another shows the whole photo
    assert page.older.view.zoom > 1
    qtbot.mouseClick(page.older.view, _left())
    assert page.older.view.zoom == 1

    qtbot.mouseClick(page.different_button, _left())
    qtbot.waitUntil(lambda: page.state == "empty", timeout=10_000)
    assert "different dogs" in page.message.text() and older.registration_number in page.message.text()
    assert sp.review_count() == 0 and sp.get_dog(newer.id).id == newer.id
    assert w.nav_buttons["review"].text() == "Review" and w.review_count == 0

    # a flag made elsewhere (another registration, a sync) shows up when the count is refreshed
    flagged_pair(sp, dog=5, other=6, phones=("010-7777-8888", "010-7777-9999"))
    w.refresh_reviews()
    qtbot.waitUntil(lambda: page.state == "pair", timeout=10_000)
    assert w.nav_buttons["review"].text() == "Review  1"


def test_same_dog_merges_after_a_confirmation_and_names_the_owners(qtbot, tmp_path, kiosk_factory):  # noqa: F811
    from datetime import UTC, datetime

    from core.errors import NotFound

    k = kiosk_factory(str(tmp_path / "no-camera-here"), language="ko")
    sp = k.controller.service
    first_old, first_new = flagged_pair(sp)
    older, newer = flagged_pair(sp, dog=3, other=4, phones=("010-2222-3333", "010-4444-5555"),
                                times=(datetime(2026, 2, 1, 1, 1, tzinfo=UTC), datetime(2026, 4, 1, 1, 1, tzinfo=UTC)))
    w, page = open_review_page(qtbot, k)
    assert w.nav_buttons["review"].text() == "검토  2"
    assert page.same_button.text() == "같은 강아지 (이전 등록으로 합치기)"
    assert page.newer.number.text() == newer.registration_number  # the newest review first
    assert page.position.isVisibleTo(page) and "2" in page.position.text()

    qtbot.mouseClick(page.same_button, _left())  # asks first: a merge cannot be undone
    assert page.decision.currentIndex() == 1 and newer.registration_number in page.confirm_text.text()
    qtbot.mouseClick(page.cancel_button, _left())
    assert page.decision.currentIndex() == 0 and sp.review_count() == 2
    qtbot.mouseClick(page.same_button, _left())
    qtbot.mouseClick(page.merge_button, _left())
    qtbot.waitUntil(lambda: page.state == "merged", timeout=10_000)
    assert older.registration_number in page.merged_title.text()

    def owners():
        return " ".join(page.owner_rows.itemAt(i).widget().text() for i in range(page.owner_rows.count()))

    # both owners to tell, in full for an administrator (each through the core's reveal_contact)
    qtbot.waitUntil(lambda: "010-2222-3333" in owners() and "010-4444-5555" in owners(), timeout=10_000)
    # one rule for the kept owner's name: the note names them as their row does (in full here), not masked below it
    assert "김철수" in owners() and "김철수" in page.tell_note.text() and "*" not in page.tell_note.text()
    qtbot.waitUntil(lambda: len(page.kept_labels) == 10, timeout=10_000)  # its own photos and the merged ones
    qtbot.waitUntil(lambda: page.continue_button.text() == "다음 검토 (1건 남음)", timeout=10_000)
    assert w.nav_buttons["review"].text() == "검토  1"
    with pytest.raises(NotFound):
        sp.get_dog(newer.id)
    assert len(sp.get_dog(older.id).photos) == 10

    qtbot.mouseClick(page.continue_button, _left())  # on to the next pair
    qtbot.waitUntil(lambda: page.state == "pair" and page.newer.number.text() == first_new.registration_number,
                    timeout=10_000)
    assert not page.position.isVisibleTo(page)  # one pair left: no paging


def test_the_review_page_is_for_administrators_only(qtbot, tmp_path, kiosk_factory):  # noqa: F811
    """README: reviews are the administrators'. A member of role staff has no Review button, is taken off the page if
    the kiosk was left on it, and the pair an administrator had open is not on the page behind."""
    from tests.kiosk_fixtures import ADMIN_NAME, ADMIN_PIN
    from tests.test_kiosk_signin import STAFF_NAME, STAFF_PIN, sign_in

    k = kiosk_factory(str(tmp_path / "no-camera-here"))
    sp = k.controller.service
    sp.add_staff(STAFF_NAME, STAFF_PIN, "staff")
    flagged_pair(sp)
    w, page = open_review_page(qtbot, k)  # an administrator, on the pair
    assert w.nav_buttons["review"].isVisibleTo(w) and page.reviews

    w.lock()
    sign_in(qtbot, k, STAFF_NAME, STAFF_PIN)
    qtbot.waitUntil(lambda: not w.locked, timeout=5_000)
    assert k.controller.member.name == STAFF_NAME
    assert not w.nav_buttons["review"].isVisibleTo(w) and not w.nav_buttons["audit"].isVisibleTo(w)
    assert w.current_page == "lookup"
    assert page.reviews == [] and page.state == "empty" and page.older.dog is None and page.newer.dog is None
    w.show_page("registry")  # whatever the member opens, the Review button stays hidden
    assert not w.nav_buttons["review"].isVisibleTo(w)

    # an administrator again: the button is back, with the count
    w.lock()
    sign_in(qtbot, k, ADMIN_NAME, ADMIN_PIN)
    qtbot.waitUntil(lambda: not w.locked, timeout=5_000)
    assert w.nav_buttons["review"].isVisibleTo(w) and w.nav_buttons["review"].text() == "Review  1"
