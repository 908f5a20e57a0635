"""The kiosk asks the server for another organisation's owner ("Show contact (online)"), against a real server
process: a dog of Shelter B pulled by a kiosk of Shelter A shows "contact available online" (an erased owner does
not); the button asks a reason (none: a message, nothing sent), shows the owner the server gives for this view only
(nothing written to the kiosk's registry), and says so when the server is unreachable or the kiosk asked too often."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select

from tests.imaging import dog_photo_bytes
from tests.serverkit import free_port, served

PER_HOUR = 2  # the server's contacts_per_hour: the third call of this kiosk in an hour is refused (429)
OWNER_B, PHONE_B = "홍길동", "010-4321-8765"


def register(client: httpx.Client, dog: int, phone: str, owner: str, name: str) -> dict:
    files = [("photos", (f"dog{dog}-{i}.jpg", dog_photo_bytes(dog, i), "image/jpeg")) for i in range(5)]
    r = client.post("/v1/dogs", data={"phone": phone, "owner_name": owner, "name": name}, files=files)
    assert r.status_code == 201, r.text
    return r.json()["dog"]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    with served("sqlite", tmp_path_factory.mktemp("contact-server"), contacts_per_hour=PER_HOUR) as srv:
        keys = {"a": srv.key("kiosk", "Shelter A desk", org="Shelter A"),
                "b": srv.key("kiosk", "Shelter B desk", org="Shelter B"),
                "admin": srv.key("admin", "operator")}
        with srv.client(keys["b"]) as c:
            theirs = register(c, 930_001, PHONE_B, OWNER_B, "바둑이")
            erased = register(c, 930_002, "010-5656-7878", "김영희", "누리")
            assert c.put(f"/v1/dogs/{erased['id']}/status", json={"status": "found"}).status_code == 200
        with srv.client(keys["admin"]) as c:
            r = c.post("/v1/owners/erase", json={"phone": "010-5656-7878", "confirm": True})
            assert r.status_code == 200, r.text
        with srv.client(keys["a"]) as c:
            org_a = c.get("/v1/devices/me").json()["org_id"]
        yield {"server": srv, "keys": keys, "theirs": theirs, "erased": erased, "org_a": org_a}


def contacts_asked(world) -> int:
    """The contact calls on the server's audit trail (each one a contact_view via=contact)."""
    with world["server"].client(world["keys"]["admin"]) as c:
        r = c.get("/v1/audit", params={"action": "contact_view", "limit": 500})
        assert r.status_code == 200, r.text
        return sum("via=contact" in (e.get("detail") or "") for e in r.json()["entries"])


@pytest.fixture
def kiosk(world, qtbot, tmp_path, monkeypatch):
    """A kiosk of Shelter A (signed-in administrator) that has pulled Shelter B's dogs."""
    from sync.client import SyncClient
    from tests.kiosk_fixtures import make_kiosk, wait_idle

    monkeypatch.setenv("SAVEPETS_API_KEY_FILE", str(tmp_path / "device-keys.json"))
    k = make_kiosk(qtbot, tmp_path, str(tmp_path / "no-camera"))
    sp = k.controller.service
    sp.db.set_meta("org_id", world["org_a"])
    sp.db.set_meta("org_name", "Shelter A")
    client = SyncClient(sp, world["server"].url, world["keys"]["a"], retries=1)
    try:
        report = client.sync_once()
        assert not report.errors, report.errors
    finally:
        client.close()
    k.settings.server_url, k.settings.api_key = world["server"].url, world["keys"]["a"]
    wait_idle(qtbot, k)
    yield k
    k.stop()


def registry_showing(qtbot, k, dog_id: str):
    from tests.kiosk_fixtures import wait_idle

    k.window.show_page("registry")
    page = k.window.registry
    page.refresh()
    qtbot.waitUntil(lambda: any(d.id == dog_id for d in page.dogs), timeout=20_000)
    wait_idle(qtbot, k)
    page.show_dog(next(d for d in page.dogs if d.id == dog_id))
    return page


def local_owner(k, dog_id: str) -> tuple[str, str, int]:
    """The kiosk's own copy of the dog's owner (name, phone) and its outbox size, read from its registry."""
    from core.registry.models import Dog, Outbox

    with k.controller.service.db.sessions() as s:
        owner = s.get(Dog, dog_id).owner
        return owner.name, owner.phone, s.scalar(select(func.count()).select_from(Outbox))


def test_another_organisations_owner_from_the_server_shown_never_kept(world, kiosk, qtbot):
    from tests.kiosk_fixtures import wait_idle

    theirs = world["theirs"]
    page = registry_showing(qtbot, kiosk, theirs["id"])
    assert "contact available online" in page.contact.text() and OWNER_B not in page.contact.text()
    row = next(i for i, d in enumerate(page.dogs) if d.id == theirs["id"])
    assert page.table.item(row, 3).text() == "online only"
    assert page.table.item(row, 3).toolTip() == "contact available online"
    assert page.online_button.isVisible() and page.online_button.text() == "Show contact (online)"
    before = contacts_asked(world)
    kept_before = local_owner(kiosk, theirs["id"])
    assert kept_before[:2] == ("", "")

    page.online_button.click()  # no reason: a message, nothing sent
    dialog = page.online_contact.dialog
    assert dialog is not None and dialog.isVisible()
    dialog.reason.setText("  hi ")
    dialog.ask_button.click()
    assert "at least 5 characters" in dialog.problem.text() and dialog.isVisible()
    wait_idle(qtbot, kiosk)
    assert contacts_asked(world) == before

    dialog.reason.setText("Found near the park; calling the owner")
    dialog.ask_button.click()
    assert not dialog.isVisible()
    qtbot.waitUntil(lambda: OWNER_B in page.contact.text(), timeout=20_000)
    assert "010-4321-8765" in page.contact.text() and not page.online_button.isVisible()
    assert "not kept on this kiosk" in page.message.text()
    assert contacts_asked(world) == before + 1
    assert local_owner(kiosk, theirs["id"]) == kept_before  # nothing written here: no owner, no outbox entry
    asked = kiosk.controller.service.audit_trail(dog=theirs["id"], action="contact_view")
    assert [(e.detail, e.actor_kind) for e in asked] == [("via=online", "staff")]  # who asked, on the kiosk's trail
    assert page.current.owner.redacted and page.owner_edit.text() == ""

    page.show_dog(next(d for d in page.dogs if d.id == world["erased"]["id"]))  # another dog: the contact is gone
    page.show_dog(next(d for d in page.dogs if d.id == theirs["id"]))
    assert OWNER_B not in page.contact.text() and page.online_button.isVisible()


def test_an_erased_owner_is_not_offered_online(world, kiosk, qtbot):
    erased = world["erased"]
    page = registry_showing(qtbot, kiosk, erased["id"])
    assert not page.current.owner.redacted
    assert "contact available online" not in page.contact.text()
    row = next(i for i, d in enumerate(page.dogs) if d.id == erased["id"])
    assert page.table.item(row, 3).text() == ""
    assert not page.online_button.isVisible()


def test_the_look_up_card_offers_the_contact_online(world, kiosk, qtbot):
    card = kiosk.window.lookup.card
    dog = kiosk.controller.service.get_dog(world["theirs"]["id"])
    card.show_dog(dog)
    assert card.value("phone") == "contact available online" and card.value("owner") == "–"
    assert not card.online_button.isHidden()
    erased = kiosk.controller.service.get_dog(world["erased"]["id"])
    card.show_dog(erased)
    assert card.value("phone") == "" and card.online_button.isHidden()


def test_unreachable_server_and_too_many_requests_say_so(world, kiosk, qtbot):
    theirs = world["theirs"]
    page = registry_showing(qtbot, kiosk, theirs["id"])
    url = kiosk.settings.server_url
    kiosk.settings.server_url = f"http://127.0.0.1:{free_port()}"
    page.online_button.click()
    page.online_contact.dialog.reason.setText("Found near the park; calling the owner")
    page.online_contact.dialog.ask_button.click()
    qtbot.waitUntil(lambda: "not reachable" in page.message.text(), timeout=30_000)
    assert "The server is not reachable: the contact is available online" in page.message.text()
    assert OWNER_B not in page.contact.text() and page.online_button.isEnabled()

    kiosk.settings.server_url = url
    for _ in range(PER_HOUR + 1):  # the kiosk's quota is used up (the first test asked once already, or not)
        if "Too many" in page.message.text():
            break
        page.online_contact.owner = None
        page.online_contact.set_dog(page.current)
        page.message.clear()
        page.online_button.click()
        page.online_contact.dialog.reason.setText("Checking the owner once more")
        page.online_contact.dialog.ask_button.click()
        qtbot.waitUntil(lambda: page.message.text() != "", timeout=20_000)
    assert "Too many contact requests from this kiosk; try again in" in page.message.text()
    assert "minute" in page.message.text()


def test_korean_texts_of_this_session(qtbot):
    from PySide6.QtCore import QCoreApplication

    from kiosk.app import application, set_language

    application()
    try:
        set_language("ko")
        tr = QCoreApplication.translate
        for context, text in (
                ("RegistryPage", "Show contact (online)"), ("ReasonDialog", "Ask the server"),
                ("ReasonDialog", "Show contact (online)"), ("DogCard", "contact available online"),
                ("RegistryPage", "contact available online"),
                ("OnlineContact", "The server is not reachable: the contact is available online only. Try again "
                                  "when this kiosk is online."),
                ("SettingsPage", "Enroll")):
            korean = tr(context, text)
            assert korean != text and any("가" <= ch <= "힣" for ch in korean), (context, text)
        waiting = tr("OnlineContact", "Too many contact requests from this kiosk; try again in %n minute(s).", "", 7)
        assert "7" in waiting and any("가" <= ch <= "힣" for ch in waiting)
    finally:
        set_language("en")
