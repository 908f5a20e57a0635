"""The audit trail at the kiosk, driven through the real window offscreen: a member signs in, the kiosk locks, a look-up
and a contact shown; an administrator finds all of it on the Audit page (administrators only), filtered by dog and
by who, newest first; the page is cleared when the kiosk locks."""

from __future__ import annotations

from tests.kiosk_fixtures import ADMIN_NAME, ADMIN_PIN, kiosk_factory, left, wait_idle  # noqa: F401
from tests.test_kiosk_signin import STAFF_NAME, STAFF_PIN, probe_file, register_dog, sign_in


def rows(page) -> list[list[str]]:
    t = page.table
    return [[t.item(r, c).text() for c in range(t.columnCount())] for r in range(t.rowCount())]


def open_audit(qtbot, k, **filters) -> list[list[str]]:
    w = k.window
    page = w.audit_page
    if w.current_page != "audit":
        qtbot.mouseClick(w.nav_buttons["audit"], left())
    for name, value in filters.items():
        getattr(page, name).setText(value)
    page.refresh()
    wait_idle(qtbot, k)
    qtbot.waitUntil(lambda: page.table.rowCount() > 0 or page.message.text(), timeout=10_000)
    return rows(page)


def test_sign_in_lock_lookup_and_contact_view_are_on_the_audit_page(qtbot, tmp_path, kiosk_factory):  # noqa: F811
    k = kiosk_factory(str(tmp_path / "no-camera-here"))  # the first administrator, signed in
    w, sp = k.window, k.controller.service
    sp.add_staff(STAFF_NAME, STAFF_PIN, "staff")
    dog = register_dog(sp)
    assert w.nav_buttons["audit"].isVisibleTo(w)

    # the kiosk locks; a member of role staff signs in, looks the dog up and shows its owner's contact
    qtbot.mouseClick(w.lock_button, left())
    assert w.locked
    sign_in(qtbot, k, STAFF_NAME, STAFF_PIN)
    qtbot.waitUntil(lambda: not w.locked, timeout=5_000)
    assert not w.nav_buttons["audit"].isVisibleTo(w)  # administrators only
    w.lookup.lookup_file(probe_file(tmp_path))
    qtbot.waitUntil(lambda: w.lookup.state == "result", timeout=20_000)
    wait_idle(qtbot, k)
    card = w.lookup.card
    assert card.value("phone") == "010-****-5678"
    qtbot.mouseClick(card.reveal_button, left())
    qtbot.waitUntil(lambda: card.value("phone") == "010-1234-5678", timeout=5_000)
    qtbot.mouseClick(w.lock_button, left())

    # an administrator reads the trail on the Audit page
    sign_in(qtbot, k, ADMIN_NAME, ADMIN_PIN)
    qtbot.waitUntil(lambda: not w.locked, timeout=5_000)
    table = open_audit(qtbot, k)
    assert w.current_page == "audit"
    member = f"{STAFF_NAME} (Staff)"
    what = [(r[1], r[2]) for r in table]
    # newest first: the administrator's sign-in, the member's lock, contact shown, look-up, sign-in, the lock before
    expected = [(f"{ADMIN_NAME} (Administrator)", "Signed in"), (member, "Kiosk locked"), (member, "Contact shown"),
                (member, "Look-up"), (member, "Signed in"), (f"{ADMIN_NAME} (Administrator)", "Kiosk locked")]
    assert what[:len(expected)] == expected, what
    lookup = table[3]
    assert lookup[3] == dog.registration_number and lookup[4].startswith("Certain · One registered dog clearly")
    assert table[2][3] == dog.registration_number and table[2][5] == "This kiosk"
    assert all("김철수" not in " ".join(r) and "1234-5678" not in " ".join(r) for r in table)

    # filters: by dog, by who
    by_dog = open_audit(qtbot, k, dog=dog.registration_number)
    assert [r[2] for r in by_dog] == ["Contact shown", "Look-up", "Registration"]
    by_who = open_audit(qtbot, k, dog="", who=STAFF_NAME)
    assert {r[1] for r in by_who} == {member} and len(by_who) == 4
    page = w.audit_page
    page.who.setText("nobody")
    page.refresh()
    wait_idle(qtbot, k)
    assert page.table.rowCount() == 0 and page.message.text() == "No entries match."

    # locking leaves nothing of the trail on screen
    qtbot.mouseClick(w.lock_button, left())
    assert page.table.rowCount() == 0 and page.who.text() == ""


def test_the_audit_page_in_korean(qtbot, tmp_path, kiosk_factory):  # noqa: F811
    k = kiosk_factory(str(tmp_path / "no-camera-here"), language="ko")
    w = k.window
    assert w.nav_buttons["audit"].text() == "감사 기록"
    table = open_audit(qtbot, k)
    assert table[0][2] == "로그인" and table[0][1] == f"{ADMIN_NAME} (관리자)"
    assert w.audit_page.table.horizontalHeaderItem(0).text() == "일시"
