"""Every page of the kiosk at 1280×800 and 1024×768, in Korean and English, with its longest messages shown: the
window keeps its size (a message never grows it) and the buttons a member needs are on screen, not squeezed.

Set SAVEPETS_LAYOUT_PNG=<folder> to keep a PNG of each state (to look at them)."""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.kiosk_fixtures import create_first_admin, kiosk_factory, wait_idle  # noqa: F401

SIZES = [(1280, 800), (1024, 768)]
PNG = os.environ.get("SAVEPETS_LAYOUT_PNG")


class Walk:
    """Resizes the window to each size and checks (and draws) the page shown."""

    def __init__(self, qtbot, kiosk, lang: str, sizes=tuple(SIZES)):
        self.qtbot, self.k, self.w, self.lang, self.sizes = qtbot, kiosk, kiosk.window, lang, sizes
        self.problems: list[str] = []

    def settle(self) -> None:
        from PySide6.QtWidgets import QApplication

        for _ in range(3):
            QApplication.processEvents()

    def check(self, where: str, *buttons) -> None:
        """At each size: the window is that size after the page and its messages are shown, and each button (and the
        Lock button and sync line, unless the gate is shown) lies inside it at no less than its smallest size."""
        from PySide6.QtCore import QPoint, QRect

        w = self.w
        always = [w.sync_widget] + ([] if w.locked else [w.lock_button])
        for size in self.sizes:
            w.resize(*size)
            self.settle()
            if PNG:
                Path(PNG).mkdir(parents=True, exist_ok=True)
                w.grab().save(str(Path(PNG) / f"{self.lang}-{size[0]}-{where}.png"))
            if w.size().toTuple() != size:
                self.problems.append(f"{where} at {size}: the window became {w.size().toTuple()}")
                continue
            if not w.locked:  # the page fits its frame: nothing to scroll to
                frame = w.stack.currentWidget()
                for bar, way in ((frame.verticalScrollBar(), "down"), (frame.horizontalScrollBar(), "sideways")):
                    if bar.maximum() > 0:
                        self.problems.append(f"{where} at {size}: the page scrolls {way} ({bar.maximum()} px)")
            for b in [*buttons, *always]:
                name = b.text() if hasattr(b, "text") and b.text() else b.objectName() or type(b).__name__
                if not b.isVisibleTo(w):
                    self.problems.append(f"{where} at {size}: {name} is hidden")
                    continue
                rect = QRect(b.mapTo(w, QPoint(0, 0)), b.size())
                if not w.rect().contains(rect):
                    self.problems.append(f"{where} at {size}: {name} at {rect.getRect()} is off the window")
                parent = b.parentWidget()
                while parent is not None and parent is not w:  # not cut by what holds it (a page's frame)
                    if not parent.rect().contains(QRect(b.mapTo(parent, QPoint(0, 0)), b.size())):
                        self.problems.append(f"{where} at {size}: {name} is cut off by {type(parent).__name__} "
                                             f"{parent.objectName()}")
                        break
                    parent = parent.parentWidget()
                hint = b.minimumSizeHint()
                if b.width() < hint.width() or b.height() < hint.height():
                    self.problems.append(f"{where} at {size}: {name} squeezed to {b.size().toTuple()} "
                                         f"(needs {hint.toTuple()})")

    def longest(self, *texts: str) -> str:
        return max(texts, key=len)


@pytest.mark.parametrize("size", SIZES, ids=["1280x800", "1024x768"])
@pytest.mark.parametrize("lang", ["ko", "en"])
def test_every_page_fits_with_its_longest_messages(qtbot, tmp_path, kiosk_factory, lang, size):  # noqa: F811
    from core.errors import InvalidPhoto

    k = kiosk_factory(str(tmp_path / "no-camera-here"), language=lang, signed_in=False)
    w = k.window
    walk = Walk(qtbot, k, lang, (size,))

    # the first administrator: a name, two PINs that differ
    qtbot.waitUntil(lambda: w.screen.currentWidget() is w.first_admin, timeout=20_000)
    fa = w.first_admin
    assert fa.pin.property("empty") is True  # the placeholder in ordinary letters, not the dots' spacing
    fa.name.setText("관리자")
    fa.pin.setText("2468")
    fa.pin_again.setText("2469")
    fa.submit()
    assert fa.message.isVisibleTo(w) and fa.pin.property("empty") is False
    walk.check("first-admin-pins-differ", fa.submit_button, *fa.pad.keys.values())
    create_first_admin(qtbot, k)
    sp = k.controller.service
    from tests.test_kiosk_signin import STAFF_NAME, STAFF_PIN

    sp.add_staff(STAFF_NAME, STAFF_PIN, "staff")
    sp.add_staff("Christopher Jung", "8642", "staff")  # a long name on the sign-in page's buttons

    # look-up: no camera, its message over the preview
    w.show_page("lookup")
    walk.check("lookup-no-camera", w.lookup.capture.shutter, w.lookup.capture.file_button, w.lookup.capture.auto)

    # register, 1: a file that is no photo (the longest photo message: two lines)
    reg = w.register
    w.show_page("register")
    bad = tmp_path / "not-a-photo.jpg"
    bad.write_text("hello, I am text")
    reg.add_file(str(bad))
    qtbot.waitUntil(lambda: reg.slots.states[0] == "bad", timeout=10_000)
    assert reg.photo_status.text()
    walk.check("register-photos-error", reg.next_button, reg.capture.shutter, *reg.slots.buttons)

    # register, 2: every field wrong, and the form's own error
    reg.go("details")
    reg.phone.setText("12")
    reg.birth.setText("2999-01-01")
    reg.notes.setText("x" * 2001)  # longer than a note may be
    reg.submit()
    reg.details.show_error(str(InvalidPhoto("The registry could not be written: the disk is full. Free some space "
                                            "and register again.")))
    errors = [reg.fields[f].error for f in ("phone", "name", "birth_date", "notes")]
    assert all(e.isVisibleTo(w) for e in errors) and reg.form_error.isVisibleTo(w)
    walk.check("register-details-errors", reg.submit_button, *errors, reg.form_error)
    assert all(e.height() < 3 * e.fontMetrics().lineSpacing() for e in errors), "a field's error wraps to 3 lines"

    # two dogs, the second a look-alike of the first: registered and flagged (three look-alikes named), then a dog
    # already registered
    from core.schemas import CandidateOut, RegisterResult
    from tests.test_reviews import flagged_pair

    older, newer = flagged_pair(sp)
    alike = CandidateOut(dog=older, score=0.9, probability=0.6, decision="uncertain")
    reg.reset()
    reg._registered(RegisterResult(dog=newer, owner_existed=True, possible_duplicates=[alike] * 3))
    assert reg.review_note.isVisibleTo(w)
    walk.check("register-done-flagged", *reg.done.buttons)
    reg.show_already(alike.model_copy(update={"decision": "match", "probability": 0.99}))
    walk.check("register-already", reg.already_card)

    # the registry: nothing chosen on opening (no contact shown), then a dog tapped and a long message
    w.show_page("registry")
    w.registry.refresh()
    qtbot.waitUntil(lambda: w.registry.table.rowCount() == 2, timeout=10_000)
    assert w.registry.current is None and not w.registry.table.selectionModel().selectedRows()
    w.registry.table.selectRow(0)
    qtbot.waitUntil(lambda: w.registry.current is not None, timeout=5_000)
    w.registry.message.setText(w.registry.tr("Registered with another organisation: you may mark it lost or found; "
                                             "only that organisation changes its details or removes it."))
    walk.check("registry-dog", w.registry.save_button, *w.registry.status_buttons.values())

    # review: the flagged pair, then merged with both owners to tell
    rv = w.review_page
    w.show_page("review")
    rv.refresh()
    qtbot.waitUntil(lambda: rv.count == 1 and rv.state == "pair" and not rv.loading, timeout=10_000)
    wait_idle(qtbot, k)  # the pair's photos, with their thumbnails (the panes' tallest)
    walk.check("review-pair", rv.same_button, rv.different_button)
    rv.ask_merge()
    walk.check("review-confirm-merge", rv.merge_button, rv.cancel_button)
    rv.merge()  # merged: the owners to tell, the kept registration's ten photos, the button to go on
    qtbot.waitUntil(lambda: rv.state == "merged", timeout=20_000)
    wait_idle(qtbot, k)
    qtbot.waitUntil(lambda: len(rv.kept_labels) == 10, timeout=20_000)
    wait_idle(qtbot, k)
    walk.check("review-merged", rv.continue_button, *rv.kept_labels)

    # look-up: alike to two dogs, compared side by side, then the one staff chose on its card (the comparison, taller
    # and hidden behind the capture, made the page scroll under the card)
    from tests.test_kiosk import _two_look_alike_dogs

    _a, _b, probe = _two_look_alike_dogs(tmp_path, sp)
    lookup = w.lookup
    w.show_page("lookup")
    wait_idle(qtbot, k)  # (the review's photos)
    lookup.lookup_files([str(p) for p in probe])
    qtbot.waitUntil(lambda: lookup.state == "compare" and not lookup.compare.loading, timeout=20_000)
    walk.check("lookup-compare", lookup.compare.confirm_button, lookup.compare.none_button,
               *lookup.compare.choice_buttons)
    lookup.compare.confirm_button.click()
    wait_idle(qtbot, k)
    assert lookup.state == "result"
    walk.check("lookup-confirmed", lookup.again, lookup.capture.shutter)

    # audit trail
    w.show_page("audit")
    w.audit_page.refresh()
    wait_idle(qtbot, k)
    walk.check("audit")

    # the sign-in page with its longest message
    w.lock()
    qtbot.waitUntil(lambda: w.screen.currentWidget() is w.signin, timeout=10_000)
    si = w.signin
    failures = [si.failure_words(SimpleNamespace(details=d)) for d in (
        {"reason": "wrong_pin", "tries_left": 4}, {"reason": "locked", "seconds": 3600}, {"reason": "unknown"},
        {"reason": "disabled"})]
    qtbot.waitUntil(lambda: len(si.name_buttons) == 3, timeout=10_000)
    si.choose("Christopher Jung")  # chosen: in bold, wider
    si._show_message(walk.longest(*failures))
    walk.check("signin-message", si.submit_button, *si.pad.keys.values(), *si.name_buttons)

    # a member of role staff: the owner masked on the card, with "Show contact" under it
    from tests.test_kiosk_signin import STAFF_NAME, STAFF_PIN, sign_in

    si.reset()
    sign_in(qtbot, k, STAFF_NAME, STAFF_PIN)
    qtbot.waitUntil(lambda: not w.locked, timeout=5_000)
    wait_idle(qtbot, k)
    lookup.lookup_files([str(p) for p in probe])
    qtbot.waitUntil(lambda: lookup.state == "compare" and not lookup.compare.loading, timeout=20_000)
    lookup.compare.confirm_button.click()
    wait_idle(qtbot, k)
    assert lookup.card.reveal_button.isVisibleTo(w)
    walk.check("lookup-staff-masked", lookup.card.reveal_button, lookup.again, lookup.capture.shutter)

    assert not walk.problems, "\n".join(walk.problems)


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_settings_page_fits(qtbot, tmp_path, kiosk_factory, lang):  # noqa: F811
    """Both tabs of Settings (an administrator's) with their longest messages, and the staff form, at both sizes: every
    button and field on screen, nothing to scroll (it needed 1095-1183 x 938 pixels)."""
    k = kiosk_factory(str(tmp_path / "no-camera-here"), language=lang)
    w = k.window
    sp = w.settings_page
    walk = Walk(qtbot, k, lang)
    w.show_page("settings")
    wait_idle(qtbot, k)
    # this kiosk: the longest refusal of a server address beside Save, the longest word on an enrollment
    sp.message.setText(walk.longest(sp.server_url_words("http://192.0.2.1:8000"), sp.server_url_words("nonsense")))
    answers = []
    for kind in ("bad_code", "unreachable", "insecure", "bad_url", None):
        sp._enroll_failed(SimpleNamespace(kind=kind, message="x"))
        answers.append(sp.enroll_message.text())
    sp.enroll_message.setText(walk.longest(*answers))
    sp.unlock.setChecked(True)
    walk.check("settings", sp.save_button, sp.browse_button, sp.enroll_button, sp.enroll_code, sp.server_url,
               sp.camera, sp.language, sp.unlock, sp.threshold, sp.use_default)
    # the staff: what they may see and do, the idle time, the accounts, with the longest message
    sp.tabs.setCurrentIndex(1)
    qtbot.waitUntil(lambda: sp.staff_table.rowCount() == 1, timeout=10_000)
    said = []
    for details in ({"reason": "name_taken"}, {"reason": "last_admin"}, {"reason": "self"}, {"field": "name"}):
        sp._staff_error(SimpleNamespace(details=details))
        said.append(sp.staff_message.text())
    sp.staff_message.setText(walk.longest(*said))
    walk.check("settings-staff", sp.add_button, sp.toggle_button, sp.pin_button, sp.perm_contacts, sp.perm_edit,
               sp.perm_status, sp.perm_delete, sp.lock_minutes)
    sp.open_staff_form("add")
    sp.staff_message.setText(sp.tr("The two PINs differ. Enter the same PIN again."))
    walk.check("settings-staff-form", sp.form_save, sp.form_cancel, sp.member_name, sp.member_role, sp.member_pin,
               sp.member_pin_again)
    assert not walk.problems, "\n".join(walk.problems)


def test_first_admin_message_goes_with_an_edit_and_a_new_try(qtbot, tmp_path, kiosk_factory):  # noqa: F811
    """"The two PINs differ" does not stay up while the corrected PIN is typed and submitted, and the window keeps its
    size throughout (it grew 59 pixels and never shrank)."""
    k = kiosk_factory(str(tmp_path / "no-camera-here"), language="ko", signed_in=False)
    w = k.window
    w.resize(1280, 800)
    qtbot.waitUntil(lambda: w.screen.currentWidget() is w.first_admin, timeout=20_000)
    page = w.first_admin
    page.name.setText("관리자")
    page.pin.setText("2468")
    page.pin_again.setText("1357")
    page.submit()
    assert page.message.isVisibleTo(w) and page.message.text() == "두 PIN이 다릅니다. 같은 PIN을 다시 입력하세요."
    assert w.size().toTuple() == (1280, 800)
    page.pad.target = page.pin_again
    page.pad.press("2")  # the pad types the corrected PIN: the message goes
    assert not page.message.isVisibleTo(w)
    for key in "468":
        page.pad.press(key)
    page.submit()
    assert not page.message.isVisibleTo(w)
    qtbot.waitUntil(lambda: not w.locked, timeout=20_000)
    assert w.size().toTuple() == (1280, 800)


def test_qt_file_dialog_speaks_korean(qtbot):
    """Qt's own words: its Korean catalogue lacks the Qt 6 labels "&Look in:" and "Files of &type:"; ours fills them."""
    from PySide6.QtWidgets import QFileDialog, QLabel

    from kiosk.app import application, set_language

    application()
    try:
        set_language("ko")
        dialog = QFileDialog(None, "t")
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
        qtbot.addWidget(dialog)
        words = {label.text() for label in dialog.findChildren(QLabel)}
        assert {"찾는 위치(&L):", "파일 형식(&T):", "파일 이름(&N):"} <= words, words
    finally:
        set_language("en")
