"""Sign-in at the kiosk, driven through the real window offscreen: the first administrator, the sign-in page and its PIN
pad, wrong PINs and the lockout, the Lock button and the idle lock, what a member of role staff sees (contacts masked,
shown one at a time) and may do, and the administrators' part of the Settings page."""

from __future__ import annotations

from tests.imaging import dog_photo_bytes, dog_photos
from tests.kiosk_fixtures import ADMIN_NAME, ADMIN_PIN, create_first_admin, kiosk_factory, left, wait_idle  # noqa: F401

STAFF_NAME, STAFF_PIN = "김직원", "1357"


class FakeClock:
    """Seconds that only move when the test says (idle time, the lockout's minute)."""

    def __init__(self, start=1000.0):
        self.t = start

    def __call__(self):
        return self.t


def register_dog(sp, dog=1, phone="010-1234-5678", owner="김철수", name="초코"):
    from core.schemas import DogIn, OwnerIn

    return sp.register(OwnerIn(phone=phone, name=owner), DogIn(name=name), dog_photos(dog)).dog


def probe_file(tmp_path, dog=1):
    path = tmp_path / f"probe-{dog}.jpg"
    path.write_bytes(dog_photo_bytes(dog, 7))
    return str(path)


def type_pin(page, pin):
    for digit in pin:
        page.pad.press(digit)


def sign_in(qtbot, k, name, pin):
    """Pick the name on the sign-in page, type the PIN on the pad, press Sign in."""
    w = k.window
    page = w.signin
    wait_idle(qtbot, k)
    qtbot.waitUntil(lambda: w.screen.currentWidget() is page and any(b.text() == name for b in page.name_buttons),
                    timeout=10_000)
    qtbot.mouseClick(next(b for b in page.name_buttons if b.text() == name), left())
    assert page.name.text() == name
    type_pin(page, pin)
    qtbot.mouseClick(page.submit_button, left())
    wait_idle(qtbot, k)


def audit_of(sp, **kw):
    """The audit trail as the machine's operator reads it (savepets audit)."""
    from core.actors import acting_as, cli_actor

    with acting_as(cli_actor()):
        return sp.audit_trail(**kw)


def test_first_start_asks_for_the_first_administrator(qtbot, tmp_path, kiosk_factory):  # noqa: F811
    k = kiosk_factory(str(tmp_path / "no-camera-here"), signed_in=False)
    w, sp = k.window, k.controller.service
    qtbot.waitUntil(lambda: w.screen.currentWidget() is w.first_admin, timeout=10_000)
    assert w.locked and not w.app_area.isVisibleTo(w) and not w.lock_button.isVisibleTo(w)
    page = w.first_admin
    # every mistake is named, and nothing is made
    qtbot.mouseClick(page.submit_button, left())
    assert page.message.isVisibleTo(w) and page.message.text() == "Enter the administrator's name."
    page.name.setText("Minji Kim")
    type_pin(page, "12")  # the pad types into the PIN field
    assert page.pin.text() == "12"
    qtbot.mouseClick(page.submit_button, left())
    assert page.message.text() == "A PIN is 4 to 8 digits."
    page.pad.press("back")
    type_pin(page, "3468")
    assert page.pin.text() == "13468"
    page.pin_again.setText("13469")
    qtbot.mouseClick(page.submit_button, left())
    assert page.message.text() == "The two PINs differ. Enter the same PIN again." and page.pin_again.text() == ""
    assert not sp.has_staff() and w.locked
    # the pad also types into the second field once it is being filled
    page.pad.target = page.pin_again
    type_pin(page, "13468")
    qtbot.mouseClick(page.submit_button, left())
    qtbot.waitUntil(lambda: not w.locked, timeout=10_000)
    wait_idle(qtbot, k)
    assert w.current_page == "lookup" and w.lock_button.isVisibleTo(w)
    assert w.member_label.text() == "Minji Kim\nAdministrator"
    assert [m.role for m in sp.list_staff()] == ["admin"]
    # the administrators' part of Settings is theirs
    w.show_page("settings")
    assert w.settings_page.tabs.isTabVisible(1) and w.settings_page.admin_group.isVisibleTo(w)
    qtbot.waitUntil(lambda: w.settings_page.staff_table.rowCount() == 1, timeout=5_000)
    # the next start asks for a sign-in, not for another administrator
    w.lock()
    qtbot.waitUntil(lambda: w.screen.currentWidget() is w.signin, timeout=5_000)
    qtbot.waitUntil(lambda: [b.text() for b in w.signin.name_buttons] == ["Minji Kim"], timeout=5_000)


def test_wrong_pins_lock_the_account_and_the_lock_button_hides_everything(qtbot, tmp_path, kiosk_factory):  # noqa: F811
    k = kiosk_factory(str(tmp_path / "no-camera-here"))
    w, sp = k.window, k.controller.service
    sp.add_staff(STAFF_NAME, STAFF_PIN, "staff")  # (as the signed-in administrator)
    register_dog(sp)
    # the administrator looks a dog up: its card shows the owner's contact
    w.lookup.lookup_file(probe_file(tmp_path))
    qtbot.waitUntil(lambda: w.lookup.state == "result", timeout=20_000)
    qtbot.waitUntil(lambda: w.lookup.card.value("phone") == "010-1234-5678", timeout=5_000)
    w.show_page("registry")
    qtbot.waitUntil(lambda: w.registry.table.rowCount() == 1, timeout=5_000)

    qtbot.mouseClick(w.lock_button, left())  # Lock, on demand
    assert w.locked and w.screen.currentWidget() is w.signin and not w.app_area.isVisibleTo(w)
    # nothing of the last member's work is left on the pages
    assert w.lookup.state == "waiting" and w.registry.table.rowCount() == 0 and w.registry.contact.text() == ""
    wait_idle(qtbot, k)
    assert sp.signed_in is None and k.controller.member is None
    page = w.signin
    qtbot.waitUntil(lambda: [b.text() for b in page.name_buttons] == [ADMIN_NAME, STAFF_NAME], timeout=5_000)

    clock = FakeClock()
    from datetime import UTC, datetime, timedelta

    now = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    sp.staff.clock = lambda: now + timedelta(seconds=clock())
    for left_tries in (4, 3, 2, 1):
        sign_in(qtbot, k, STAFF_NAME, "0000")
        assert w.locked and page.message.isVisibleTo(w)
        assert page.message.text() == f"Wrong PIN. Tries left before this account is locked for a minute: " \
                                      f"{left_tries}."
        assert page.pin.text() == ""  # a wrong PIN is not left to edit
    sign_in(qtbot, k, STAFF_NAME, "0000")
    assert page.message.text() == "Too many wrong PINs: this account is locked. Try again in 1 minute(s)."
    clock.t += 30
    sign_in(qtbot, k, STAFF_NAME, STAFF_PIN)  # the right PIN, still refused during the minute
    assert w.locked and "Try again in 30 seconds" in page.message.text()
    # typing an unknown name says so
    page.name.setText("nobody")
    type_pin(page, "1234")
    qtbot.mouseClick(page.submit_button, left())
    wait_idle(qtbot, k)
    assert page.message.text() == "No staff member has this name. Choose your name from the list."

    clock.t += 31
    sign_in(qtbot, k, STAFF_NAME, "0000")  # the lock-out is over, the count is not: one more wrong PIN locks longer
    assert w.locked and page.message.text() == "Too many wrong PINs: this account is locked. Try again in 5 minute(s)."
    clock.t += 5 * 60
    sign_in(qtbot, k, STAFF_NAME, STAFF_PIN)
    qtbot.waitUntil(lambda: not w.locked, timeout=5_000)
    assert w.member_label.text() == f"{STAFF_NAME}\nStaff" and sp.signed_in.name == STAFF_NAME
    assert w.current_page == "lookup" and w.lookup.state == "waiting"
    # a member of role staff has no administrators' part in Settings
    w.show_page("settings")
    assert not w.settings_page.tabs.isTabVisible(1) and not w.settings_page.admin_group.isVisibleTo(w)
    assert not w.settings_page.tabs.tabBar().isVisibleTo(w)

    # the audit trail (core/audit.py) has every try, and the lock
    actions = [e.action for e in audit_of(sp, who=STAFF_NAME, limit=50)]
    assert actions.count("sign_in_failed") == 7 and actions.count("lockout") == 2 and actions.count("sign_in") == 1
    assert [e.detail for e in audit_of(sp, who=ADMIN_NAME, action="lock")] == ["on_demand"]


def test_idle_lock_after_the_set_minutes(qtbot, tmp_path, kiosk_factory, monkeypatch):  # noqa: F811
    cfg = tmp_path / "config.toml"
    monkeypatch.setenv("SAVEPETS_CONFIG", str(cfg))
    k = kiosk_factory(str(tmp_path / "no-camera-here"))
    w, sp = k.window, k.controller.service
    register_dog(sp)
    clock = FakeClock()
    w.idle.clock = clock
    w.idle.arm()
    assert w.idle.minutes == 5  # the default
    w.lookup.lookup_file(probe_file(tmp_path))
    qtbot.waitUntil(lambda: w.lookup.state == "result", timeout=20_000)
    clock.t += 4 * 60
    w.idle.check()
    assert not w.locked
    qtbot.mouseClick(w.lookup.card, left())  # a touch: the idle time starts again
    clock.t += 4 * 60
    w.idle.check()
    assert not w.locked
    clock.t += 60
    w.idle.check()
    assert w.locked and w.screen.currentWidget() is w.signin
    assert w.lookup.state == "waiting"  # the dog and its owner are off the screen
    wait_idle(qtbot, k)
    assert sp.signed_in is None
    assert [e.detail for e in audit_of(sp, action="lock")] == ["idle"]

    # an administrator sets another idle time on the Settings page; it applies at once and is saved
    sign_in(qtbot, k, ADMIN_NAME, ADMIN_PIN)
    qtbot.waitUntil(lambda: not w.locked, timeout=5_000)
    s = w.settings_page
    s.tabs.setCurrentIndex(1)
    s.lock_minutes.setValue(2)
    qtbot.waitUntil(lambda: w.idle.minutes == 2, timeout=5_000)  # saved a moment after the change
    assert w.settings.lock_after_minutes == 2 and "2" in s.staff_message.text()
    from kiosk.config import read_config

    assert read_config(cfg)["lock_after_minutes"] == 2
    clock.t += 2 * 60 + 1
    w.idle.check()
    assert w.locked


def test_a_stopped_kiosk_does_not_lock_itself_later(qtbot, tmp_path, kiosk_factory):  # noqa: F811
    k = kiosk_factory(str(tmp_path / "no-camera-here"))
    w = k.window
    clock = FakeClock()
    w.idle.clock = clock
    w.idle.arm()
    k.stop()  # as when the kiosk quits: its worker thread is gone
    assert not w.idle.armed and not w.idle.timer.isActive()
    clock.t += 60 * 60
    w.idle.check()  # an hour later: nothing to do, and no job sent to the stopped worker
    assert not w.locked
    w.lock("idle")  # and a late lock (any late job) is dropped, not an error in the event loop
    assert w.locked and not k.controller.busy


def test_staff_see_contacts_masked_and_show_one(qtbot, tmp_path, kiosk_factory):  # noqa: F811
    k = kiosk_factory(str(tmp_path / "no-camera-here"))
    w, sp = k.window, k.controller.service
    sp.add_staff(STAFF_NAME, STAFF_PIN, "staff")
    dog = register_dog(sp)
    w.lock()
    sign_in(qtbot, k, STAFF_NAME, STAFF_PIN)
    qtbot.waitUntil(lambda: not w.locked, timeout=5_000)

    # a look-up: the card shows the owner masked, and a button to show the contact
    card = w.lookup.card
    w.lookup.lookup_file(probe_file(tmp_path))
    qtbot.waitUntil(lambda: w.lookup.state == "result", timeout=20_000)
    wait_idle(qtbot, k)
    assert card.value("phone") == "010-****-5678" and card.value("owner") == "김**"
    assert card.reveal_button.isVisibleTo(w)
    qtbot.mouseClick(card.reveal_button, left())
    qtbot.waitUntil(lambda: card.value("phone") == "010-1234-5678", timeout=5_000)
    assert card.value("owner") == "김철수" and not card.reveal_button.isVisibleTo(w)
    # the look-up and the contact shown, each on the audit trail as this member
    trail = audit_of(sp, dog=dog.registration_number)
    assert {(e.action, e.actor_name) for e in trail} >= {("lookup", STAFF_NAME), ("contact_view", STAFF_NAME)}

    # the registry: phones masked in the list; status changes allowed, no removal (the defaults)
    w.show_page("registry")
    reg = w.registry
    qtbot.waitUntil(lambda: reg.table.rowCount() == 1, timeout=5_000)
    assert reg.current is None  # opening the page chooses no dog: no owner shown until a row is tapped
    reg.table.selectRow(0)
    qtbot.waitUntil(lambda: reg.current is not None, timeout=5_000)
    assert reg.table.item(0, 3).text() == "010-****-5678"
    assert "010-****-5678" in reg.contact.text() and reg.reveal_button.isVisibleTo(w)
    assert not reg.owner_edit.isEnabled()  # a masked name is not for editing
    assert reg.status_buttons["lost"].isEnabled() and reg.save_button.isEnabled()
    assert not reg.delete_button.isVisibleTo(w)
    qtbot.mouseClick(reg.reveal_button, left())
    qtbot.waitUntil(lambda: "010-1234-5678" in reg.contact.text(), timeout=5_000)
    assert reg.owner_edit.text() == "김철수" and reg.owner_edit.isEnabled()
    qtbot.mouseClick(reg.status_buttons["lost"], left())
    qtbot.waitUntil(lambda: reg.current is not None and reg.current.status.value == "lost", timeout=5_000)
    # what the buttons do not offer, the core refuses in words
    reg.delete()
    qtbot.waitUntil(lambda: "Your role may not remove registrations" in reg.message.text(), timeout=5_000)
    assert sp.get_dog(dog.id).status.value == "lost"

    # an administrator takes the contacts and status changes away from staff
    w.lock()
    sign_in(qtbot, k, ADMIN_NAME, ADMIN_PIN)
    qtbot.waitUntil(lambda: not w.locked, timeout=5_000)
    s = w.settings_page
    w.show_page("settings")
    s.tabs.setCurrentIndex(1)
    qtbot.waitUntil(lambda: s.perm_contacts.currentData() == "reveal", timeout=5_000)
    assert s.perm_edit.isChecked() and s.perm_status.isChecked() and not s.perm_delete.isChecked()
    s.perm_contacts.setCurrentIndex(s.perm_contacts.findData("none"))
    s.perm_contacts.activated.emit(s.perm_contacts.currentIndex())  # what choosing in the list does
    qtbot.mouseClick(s.perm_status, left())  # saved as soon as changed
    wait_idle(qtbot, k)
    assert not s.perm_status.isChecked() and "Saved" in s.staff_message.text()
    assert sp.staff_permissions().contacts == "none" and not sp.staff_permissions().status
    w.lock()
    sign_in(qtbot, k, STAFF_NAME, STAFF_PIN)
    qtbot.waitUntil(lambda: not w.locked, timeout=5_000)
    w.show_page("registry")
    qtbot.waitUntil(lambda: reg.table.rowCount() == 1, timeout=5_000)
    reg.table.selectRow(0)
    qtbot.waitUntil(lambda: reg.current is not None, timeout=5_000)
    wait_idle(qtbot, k)
    assert "010-****-5678" in reg.contact.text() and not reg.reveal_button.isVisibleTo(w)
    assert not reg.status_buttons["home"].isEnabled()
    reg.set_status("home")
    qtbot.waitUntil(lambda: "Your role may not change a dog's status" in reg.message.text(), timeout=5_000)
    assert sp.get_dog(dog.id).status.value == "lost"


def test_administrators_manage_staff_in_settings(qtbot, tmp_path, kiosk_factory):  # noqa: F811
    k = kiosk_factory(str(tmp_path / "no-camera-here"), language="ko")
    w, sp = k.window, k.controller.service
    w.show_page("settings")
    s = w.settings_page
    s.tabs.setCurrentIndex(1)
    qtbot.waitUntil(lambda: s.staff_table.rowCount() == 1, timeout=5_000)
    assert s.staff_table.item(0, 0).text() == ADMIN_NAME

    qtbot.mouseClick(s.add_button, left())
    assert s.staff_pages.currentIndex() == 1 and s.member_name.isVisibleTo(w)
    s.member_name.setText(STAFF_NAME)
    s.member_pin.setText(STAFF_PIN)
    s.member_pin_again.setText("1358")
    qtbot.mouseClick(s.form_save, left())
    assert s.staff_message.text() and s.staff_pages.currentIndex() == 1  # the PINs differ: still the form
    s.member_pin_again.setText(STAFF_PIN)
    qtbot.mouseClick(s.form_save, left())
    qtbot.waitUntil(lambda: s.staff_table.rowCount() == 2, timeout=5_000)
    assert s.staff_pages.currentIndex() == 0 and STAFF_NAME in s.staff_message.text()
    assert {m.name: m.role for m in sp.list_staff()} == {ADMIN_NAME: "admin", STAFF_NAME: "staff"}
    # the same name again is refused in words
    qtbot.mouseClick(s.add_button, left())
    s.member_name.setText(STAFF_NAME)
    s.member_pin.setText("2222")
    s.member_pin_again.setText("2222")
    qtbot.mouseClick(s.form_save, left())
    qtbot.waitUntil(lambda: s.staff_message.text() == "같은 이름의 직원이 이미 있습니다.", timeout=5_000)
    qtbot.mouseClick(next(b for b in s.findChildren(type(s.add_button)) if b.text() == "취소"), left())

    # the administrator cannot disable themselves; the member can be disabled, enabled, and given a new PIN
    s.staff_table.selectRow(0)
    qtbot.mouseClick(s.toggle_button, left())
    qtbot.waitUntil(lambda: "로그인한 자신의 계정" in s.staff_message.text(), timeout=5_000)
    row = next(i for i, m in enumerate(s.members) if m.name == STAFF_NAME)
    s.staff_table.selectRow(row)
    qtbot.mouseClick(s.toggle_button, left())
    qtbot.waitUntil(lambda: any(m.name == STAFF_NAME and m.disabled for m in s.members), timeout=5_000)
    assert STAFF_NAME not in sp.staff_names()
    qtbot.mouseClick(s.toggle_button, left())
    qtbot.waitUntil(lambda: any(m.name == STAFF_NAME and not m.disabled for m in s.members), timeout=5_000)
    qtbot.mouseClick(s.pin_button, left())
    assert not s.member_name.isVisibleTo(w) and STAFF_NAME in s.form_title.text()
    s.member_pin.setText("8642")
    s.member_pin_again.setText("8642")
    qtbot.mouseClick(s.form_save, left())
    qtbot.waitUntil(lambda: s.staff_pages.currentIndex() == 0, timeout=5_000)
    w.lock()
    sign_in(qtbot, k, STAFF_NAME, "8642")
    qtbot.waitUntil(lambda: not w.locked, timeout=5_000)
    assert w.member_label.text() == f"{STAFF_NAME}\n직원"
