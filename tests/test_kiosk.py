"""The kiosk GUI, driven through its real widgets offscreen: register, look up, registry, errors, languages."""

from __future__ import annotations

import numpy as np
import pytest

from tests.kiosk_fixtures import (  # noqa: F401
    angle_alike,
    kiosk_factory,
    noised_copies,
    real_nose_files,
    turned,
    wait_idle,
    write_images,
)


def _fill_details(page, phone="010-1234-5678", owner="김보호", name="초코"):
    page.phone.setText(phone)
    page.owner_name.setText(owner)
    page.dog_name.setText(name)
    page.breed.setText("진돗개")


def test_register_with_auto_capture_then_look_up(qtbot, tmp_path, kiosk_factory):  # noqa: F811
    from ui.camera import FolderSource

    folder = tmp_path / "noses"
    files = noised_copies(real_nose_files(1)[0], folder)
    # each photo held longer than dwell + cooldown (2.2 s): one capture per photo, in order
    k = kiosk_factory(FolderSource(folder, hold_s=2.5, fps=25))
    w = k.window
    w.show_page("register")
    page = w.register
    assert page.step == "photos"
    # auto-capture alone (no shutter press) fills all five slots, each checked on the spot
    qtbot.waitUntil(lambda: page.good_photos == 5, timeout=60_000)
    assert page.next_button.isEnabled()
    assert page.slots.states == ["ok"] * 5
    qtbot.mouseClick(page.next_button, _left())
    assert page.step == "details"

    # inline validation from the core schemas: a bad phone and a missing name
    _fill_details(page, phone="12", name="")
    qtbot.mouseClick(page.submit_button, _left())
    assert page.fields["phone"].error.isVisibleTo(page) and page.fields["phone"].error.text()
    assert page.fields["name"].error.isVisibleTo(page) and page.fields["name"].error.text()
    assert page.step == "details"

    _fill_details(page)
    qtbot.mouseClick(page.submit_button, _left())
    qtbot.waitUntil(lambda: page.step == "done", timeout=20_000)
    number = page.result.dog.registration_number
    assert number in page.number_label.text()
    png, pdf = page.save_card(str(tmp_path / "card.png")), page.save_card(str(tmp_path / "card.pdf"))
    from PySide6.QtGui import QImage

    assert QImage(png).width() == 1011
    assert open(pdf, "rb").read(5) == b"%PDF-"

    # the same dog, looked up from a photo file
    w.show_page("lookup")
    w.lookup.lookup_file(str(files[2]))
    qtbot.waitUntil(lambda: w.lookup.state != "waiting", timeout=20_000)
    assert w.lookup.state == "result"
    assert w.lookup.card.name.text() == "초코"
    assert w.lookup.card.value("number") == number
    # an administrator sees the owner's contact (shown through the core's reveal_contact, on the audit trail)
    qtbot.waitUntil(lambda: w.lookup.card.value("phone") == "010-1234-5678", timeout=5_000)
    assert w.lookup.card.verdict.text().startswith("Certain")

    # registering it again stops at the first photo with the registration found
    w.show_page("register")
    page.reset()
    page.add_file(str(files[0]))
    qtbot.waitUntil(lambda: page.step == "already", timeout=20_000)
    assert page.already_card.value("number") == number

    # the registry finds it by phone, name or number, and marks it lost
    w.show_page("registry")
    reg = w.registry
    for query in ("1234-5678", "초코", number):
        reg.search.setText(query)
        reg.refresh()
        wait_idle(qtbot, k)
        qtbot.waitUntil(lambda: reg.table.rowCount() == 1, timeout=5_000)
    reg.table.selectRow(0)  # nothing is chosen until a row is tapped (no owner's contact shown on opening)
    qtbot.waitUntil(lambda: reg.current is not None, timeout=5_000)
    qtbot.mouseClick(reg.status_buttons["lost"], _left())
    qtbot.waitUntil(lambda: reg.current is not None and reg.current.status.value == "lost", timeout=10_000)
    reg.name_edit.setText("초코2")
    qtbot.mouseClick(reg.save_button, _left())
    qtbot.waitUntil(lambda: reg.current.name == "초코2", timeout=10_000)
    assert k.controller.service.get_dog(number).status.value == "lost"


def test_owner_found_by_phone_fills_the_name(qtbot, tmp_path, kiosk_factory):  # noqa: F811
    from core.schemas import DogIn, OwnerIn
    from tests.imaging import dog_photos

    k = kiosk_factory(str(tmp_path / "no-camera-here"))
    k.controller.service.register(OwnerIn(phone="010-5555-1234", name="이주인"), DogIn(name="보리"), dog_photos(7))
    page = k.window.register
    page.phone.setText("01055551234")
    page.find_owner()
    qtbot.waitUntil(lambda: page.owner_name.text() == "이주인", timeout=10_000)
    assert "이주인" in page.owner_note.text()


def test_look_up_not_registered_offers_registration(qtbot, tmp_path, kiosk_factory):  # noqa: F811
    src = real_nose_files(1)[0]
    k = kiosk_factory(str(tmp_path / "no-camera-here"))
    w = k.window
    w.lookup.lookup_file(str(src))
    qtbot.waitUntil(lambda: w.lookup.state != "waiting", timeout=20_000)
    assert w.lookup.state == "none"
    qtbot.mouseClick(w.lookup.register_button, _left())
    assert w.current_page == "register"
    qtbot.waitUntil(lambda: w.register.slots.states[0] == "ok", timeout=20_000)
    assert w.register.good_photos == 1


def _register(sp, name, phone, images, tmp_path):
    from core.photos import read_photo_file
    from core.schemas import DogIn, OwnerIn

    photos = [read_photo_file(str(p)) for p in write_images(images, tmp_path / f"reg-{name}")]
    return sp.register(OwnerIn(phone=phone, name="김보호"), DogIn(name=name), photos)


def _two_look_alike_dogs(tmp_path, sp):
    """Two registered dogs and three probe photos half way between them: for the stand-in engine, alike to both
    (similarity ~0.94) and sure of neither. Returns (dog A, dog B, the probe files)."""
    import cv2

    base = cv2.imread(str(real_nose_files(1)[0]))
    half = angle_alike(base, 0.94)
    rng = np.random.default_rng(0)

    def noisy(img):
        return np.clip(img.astype(np.int16) + rng.integers(-3, 4, img.shape), 0, 255).astype(np.uint8)

    a = _register(sp, "초코", "010-1111-2222", [noisy(base) for _ in range(5)], tmp_path).dog
    b = _register(sp, "초롱", "010-3333-4444", [noisy(turned(base, 2 * half)) for _ in range(5)], tmp_path).dog
    probe = write_images([noisy(turned(base, half + d)) for d in (0.0, 0.25, -0.25)], tmp_path / "probe")
    return a, b, probe


def _spy_lookup(sp) -> list[int]:
    """Counts the photos of every look-up the kiosk asks the service for."""
    calls, real = [], sp.lookup

    def lookup(photos):
        calls.append(len(photos))
        return real(photos)

    sp.lookup = lookup
    return calls


def test_auto_capture_takes_three_frames_for_one_look_up(qtbot, tmp_path, kiosk_factory):  # noqa: F811
    from core.photos import read_photo_file
    from core.schemas import DogIn, OwnerIn
    from ui.camera import FolderSource

    src = real_nose_files(1)[0]
    k = kiosk_factory(str(tmp_path / "no-camera-here"))
    w, sp = k.window, k.controller.service
    sp.register(OwnerIn(phone="010-1234-5670"), DogIn(name="콩"),
                [read_photo_file(str(p)) for p in noised_copies(src, tmp_path / "registered")])
    calls = _spy_lookup(sp)
    page = w.lookup
    guidance = []  # what the preview's band says right after each frame is taken
    page.capture.photo_taken.connect(lambda _frame: guidance.append(page.capture.view.status_text()))
    noised_copies(src, tmp_path / "probe", n=3, amplitude=4)  # three frames of one nose, each a little different
    w.start_camera(FolderSource(tmp_path / "probe", hold_s=1.0, fps=25))
    qtbot.waitUntil(lambda: page.state != "waiting", timeout=30_000)
    assert calls == [3]  # one look-up, with all three frames
    assert [g.split(" · ")[0] for g in guidance] == ["Photo 1/3", "Photo 2/3", "Photo 3/3"]
    assert page.state == "result" and page.card.name.text() == "콩"
    assert page.card.verdict.text().startswith("Certain")
    # "Look up another dog" starts a new count
    qtbot.mouseClick(page.again, _left())
    assert page.frames == [] and "/3" not in page.capture.view.status_text()


def test_not_sure_shows_the_photos_side_by_side_and_staff_choose(qtbot, tmp_path, kiosk_factory):  # noqa: F811
    from core.recognition.base import Decision
    from ui import texts

    k = kiosk_factory(str(tmp_path / "no-camera-here"))
    w, sp = k.window, k.controller.service
    a, b, probe = _two_look_alike_dogs(tmp_path, sp)
    calls = _spy_lookup(sp)
    page = w.lookup
    page.capture.files_chosen.emit([str(p) for p in probe])  # what choosing or dropping three files does
    qtbot.waitUntil(lambda: page.state != "waiting", timeout=20_000)
    assert calls == [3]
    assert page.last_result.decision == Decision.UNCERTAIN
    assert page.state == "compare"
    cv = page.compare
    assert cv.isVisibleTo(w) and not page.capture.isVisibleTo(w)
    assert cv.reason.text() == texts.reason_words(page.last_result.reason) and cv.reason.text()
    # the probe, large: the three photos taken, the first one shown
    assert len(cv.probe.frames) == 3 and len(cv.probe.thumbs) == 3
    assert cv.probe.view.image is not None and cv.probe.view.width() >= 300 and cv.probe.view.height() >= 300
    names = [btn.text() for btn in cv.choice_buttons]
    assert {"초코", "초롱"} <= set(names)
    # the candidates' registered photos come from the service
    qtbot.waitUntil(lambda: not cv.loading, timeout=10_000)
    assert len(cv.candidate.frames) == 5 and cv.candidate.view.image is not None
    # side by side, equally large (once the thumbnails that came with the photos are laid out)
    qtbot.waitUntil(lambda: cv.candidate.view.size() == cv.probe.view.size(), timeout=2_000)
    # the second most alike, beside the probe (the right dog is often not the first)
    second = page.last_result.candidates[1].dog
    other = a if second.id == b.id else b
    assert not cv.choice_buttons[1].isChecked()
    qtbot.mouseClick(cv.choice_buttons[1], _left())
    assert cv.choice_buttons[1].isChecked() and not cv.choice_buttons[0].isChecked()
    assert second.registration_number in cv.candidate_note.text() and "%" in cv.candidate_note.text()
    assert other.registration_number not in cv.candidate_note.text()
    # a tap zooms in where it lands, another tap shows the whole photo again; the wheel zooms too
    view = cv.candidate.view
    qtbot.mouseClick(view, _left(), pos=view.rect().center())
    assert view.zoom == view.TAP_ZOOM and view.image_rect().width() > view.width()
    qtbot.mouseClick(view, _left(), pos=view.rect().center())
    assert view.zoom == 1.0 and view.image_rect().width() <= view.width() + 1
    # "This is the dog": that dog's card with its owner's contact, marked as the staff's confirmation
    qtbot.mouseClick(cv.confirm_button, _left())
    assert page.state == "result"
    assert page.card.name.text() == second.name and page.card.value("number") == second.registration_number
    phone = {a.id: "010-1111-2222", b.id: "010-3333-4444"}[second.id]
    qtbot.waitUntil(lambda: page.card.value("phone") == phone, timeout=5_000)
    assert page.card.verdict.text() == "Confirmed by staff"


def test_none_of_these_is_not_registered_with_the_offer_to_register(qtbot, tmp_path, kiosk_factory):  # noqa: F811
    k = kiosk_factory(str(tmp_path / "no-camera-here"))
    w, sp = k.window, k.controller.service
    _, _, probe = _two_look_alike_dogs(tmp_path, sp)
    page = w.lookup
    page.lookup_files([str(p) for p in probe])
    qtbot.waitUntil(lambda: page.state == "compare", timeout=20_000)
    qtbot.mouseClick(page.compare.none_button, _left())
    assert page.state == "none"
    assert page.none_label.text() == "Not registered"
    assert page.none_hint.text() == "None of the look-alike dogs is this dog."
    assert page.register_button.isVisibleTo(w)
    # the closest dogs can be compared again from there
    assert page.compare_button.isVisibleTo(w)
    qtbot.mouseClick(page.compare_button, _left())
    assert page.state == "compare"
    qtbot.mouseClick(page.compare.none_button, _left())
    # registering starts with the three photos of the look-up
    qtbot.mouseClick(page.register_button, _left())
    assert w.current_page == "register"
    qtbot.waitUntil(lambda: w.register.good_photos == 3, timeout=20_000)


def test_sure_match_shows_the_card_and_not_registered_offers_the_closest(qtbot, tmp_path, kiosk_factory):  # noqa: F811
    """Hand-made answers: a sure match is the card as before (no comparison); 'not registered' with the closest
    dogs named offers to compare them."""
    from core.recognition.base import Decision
    from core.schemas import CandidateOut, LookupResult

    k = kiosk_factory(str(tmp_path / "no-camera-here"))
    w, sp = k.window, k.controller.service
    a, b, _ = _two_look_alike_dogs(tmp_path, sp)
    page = w.lookup

    def answer(decision, reason, *cands):
        found = [CandidateOut(dog=d, score=p, probability=p, decision=decision) for d, p in cands]
        match = found[0] if decision != Decision.NO_MATCH else None
        return LookupResult(decision=decision, match=match, candidates=found, reason=reason, quality=0.9,
                            engine="test", elapsed_ms=1.0)

    page._show(([], answer(Decision.MATCH, "sure_match", (a, 0.99))))
    assert page.state == "result" and page.card.name.text() == "초코"
    assert page.card.verdict.text().startswith("Certain")
    page._show(([], answer(Decision.NO_MATCH, "no_similar_dog", (b, 0.3), (a, 0.2))))
    assert page.state == "none" and page.none_hint.text() == "No registered dog is alike enough to be this dog."
    qtbot.mouseClick(page.compare_button, _left())
    assert page.state == "compare"
    assert [btn.text() for btn in page.compare.choice_buttons] == ["초롱", "초코"]
    assert page.compare.reason.text().endswith("These are the closest registered dogs.")
    # as many candidates as the core offers (8): past 5 the buttons carry their rank, the name is written below
    page._show(([], answer(Decision.UNCERTAIN, "weak_match", *[(b, 0.7 - i / 100) for i in range(8)])))
    assert page.state == "compare" and [btn.text() for btn in page.compare.choice_buttons] == list("12345678")
    qtbot.mouseClick(page.compare.choice_buttons[6], _left())
    assert page.compare.candidate_note.text().startswith("초롱 · ") and "0.64" in page.compare.candidate_note.text()
    page._show(([], answer(Decision.NO_MATCH, "empty_registry")))
    assert page.state == "none" and not page.compare_button.isVisibleTo(w)
    assert page.none_hint.text() == "The registry has no dogs yet."


def test_registration_flagged_for_review_says_so(qtbot, tmp_path, kiosk_factory):  # noqa: F811
    import cv2

    k = kiosk_factory(str(tmp_path / "no-camera-here"))
    w, sp = k.window, k.controller.service
    base = cv2.imread(str(real_nose_files(1)[0]))
    a = _register(sp, "초코", "010-1111-2222", [base] + [turned(base, d) for d in (0.25, 0.5, -0.25, -0.5)],
                  tmp_path).dog
    look_alike = turned(base, angle_alike(base, 0.92))  # alike, not sure: registered, flagged for review
    page = w.register
    w.show_page("register")
    for s in range(5):
        page.add_frame(np.clip(look_alike.astype(np.int16) + s - 2, 0, 255).astype(np.uint8))
        wait_idle(qtbot, k)
    qtbot.waitUntil(lambda: page.good_photos == 5, timeout=20_000)
    page.go("details")
    _fill_details(page, phone="010-5555-6666", name="초롱")
    qtbot.mouseClick(page.submit_button, _left())
    qtbot.waitUntil(lambda: page.step == "done", timeout=20_000)
    assert page.review_note.isVisibleTo(w)
    text = page.review_note.text()
    assert "registered and flagged for an administrator's review" in text
    assert f"초코 ({a.registration_number})" in text
    # a registration with no look-alike says nothing of the kind
    page._registered(page.result.model_copy(update={"possible_duplicates": []}))
    assert not page.review_note.isVisibleTo(w)


def test_non_image_file_shows_a_message(qtbot, tmp_path, kiosk_factory):  # noqa: F811
    bad = tmp_path / "not-a-photo.jpg"
    bad.write_text("hello, I am text")
    k = kiosk_factory(str(tmp_path / "no-camera-here"))
    w = k.window
    w.lookup.lookup_file(str(bad))
    qtbot.waitUntil(lambda: w.lookup.state == "error", timeout=10_000)
    assert "JPEG" in w.lookup.error_label.text()
    w.register.add_file(str(bad))
    qtbot.waitUntil(lambda: w.register.slots.states[0] == "bad", timeout=10_000)
    assert "JPEG" in w.register.photo_status.text()


def test_dark_photo_is_refused_in_words(qtbot, tmp_path, kiosk_factory):  # noqa: F811
    import cv2

    dark = tmp_path / "dark.png"
    cv2.imwrite(str(dark), np.full((200, 200, 3), 5, np.uint8))
    k = kiosk_factory(str(tmp_path / "no-camera-here"))
    k.window.lookup.lookup_file(str(dark))
    qtbot.waitUntil(lambda: k.window.lookup.state == "error", timeout=10_000)
    assert "Too dark" in k.window.lookup.error_label.text()


def test_missing_camera_shows_a_message_and_file_import_still_works(qtbot, tmp_path, kiosk_factory):  # noqa: F811
    src = real_nose_files(1)[0]
    k = kiosk_factory(str(tmp_path / "no-camera-here"))
    w = k.window
    assert "No camera" in w.lookup.capture.view.status_text()
    assert not w.lookup.capture.shutter.isEnabled()
    assert w.camera_label.text() == "No camera"
    w.lookup.lookup_file(str(src))
    qtbot.waitUntil(lambda: w.lookup.state == "none", timeout=20_000)


def test_camera_index_that_does_not_exist(qtbot, tmp_path, kiosk_factory):  # noqa: F811
    k = kiosk_factory("9")
    qtbot.waitUntil(lambda: "No camera" in k.window.lookup.capture.view.status_text(), timeout=15_000)


def test_camera_unplugged_mid_session(qtbot, tmp_path, kiosk_factory):  # noqa: F811
    from ui.camera import ArraySource

    class Unplugged(ArraySource):
        def read(self):
            return super().read() if self._i < 10 else None

    frame = np.full((480, 640, 3), 120, np.uint8)
    k = kiosk_factory(Unplugged([frame]))
    view = k.window.lookup.capture.view
    qtbot.waitUntil(lambda: "disconnected" in view.status_text(), timeout=10_000)
    assert k.window.camera_label.text() == "Camera disconnected"


def test_korean_is_the_default_language(qtbot, tmp_path, kiosk_factory):  # noqa: F811
    k = kiosk_factory(str(tmp_path / "none"), language="ko")
    w = k.window
    assert w.nav_buttons["lookup"].text() == "조회"
    assert w.register.next_button.text() == "다음: 보호자와 강아지 정보"
    assert "오프라인" in w.sync_widget.label.text()
    assert "카메라" in w.lookup.capture.view.status_text()
    # Hangul in the bundled font, with its real bold face (not a synthesised one) for titles and verdicts
    from PySide6.QtGui import QFontDatabase, QFontInfo

    family = QFontInfo(w.font()).family()
    assert family.startswith("Nanum") and "Bold" in QFontDatabase.styles(family)
    # switching the language in the settings rebuilds the window in English
    w.settings_page.language.setCurrentIndex(w.settings_page.language.findData("en"))
    w.settings_page.values()
    w._settings_saved({**w.settings_page.values(), "camera": str(tmp_path / "none")})
    assert k.window is not w
    assert k.window.nav_buttons["lookup"].text() == "Look up"
    from kiosk.app import set_language

    set_language("en")


def test_settings_are_written_to_the_config_file(qtbot, tmp_path, kiosk_factory, monkeypatch):  # noqa: F811
    cfg = tmp_path / "config.toml"
    cfg.write_text('engine = "classical"\n')
    monkeypatch.setenv("SAVEPETS_CONFIG", str(cfg))
    k = kiosk_factory(str(tmp_path / "none"))
    s = k.window.settings_page
    s.camera.setText(str(tmp_path))
    s.server_url.setText("https://savepets.example/api")
    s.unlock.setChecked(True)
    s.use_default.setChecked(False)
    s.threshold.setValue(0.9)
    s.save()
    from core.settings import Settings
    from kiosk.config import read_config

    data = read_config(cfg)
    assert data == {"engine": "classical", "camera": str(tmp_path), "server_url": "https://savepets.example/api",
                    "language": "en", "match_threshold": 0.9}
    loaded = Settings()
    assert loaded.server_url == "https://savepets.example/api" and loaded.match_threshold == 0.9
    assert k.controller.engine.threshold == 0.9


def test_sync_area_words():
    from datetime import UTC, datetime

    from kiosk.app import application
    from ui.sync_status import SyncStatus, SyncStatusWidget

    application()
    w = SyncStatusWidget()
    assert "no server" in w.label.text()
    w.set_status(SyncStatus(state="offline", pending=3))
    assert "Offline" in w.label.text() and "3" in w.label.text()
    w.set_status(SyncStatus(state="online", pending=0, last_sync=datetime(2026, 1, 1, tzinfo=UTC)))
    assert w.label.text().startswith("Online") and "last sync" in w.label.text()


def test_frame_sources(tmp_path):
    import cv2

    from ui.camera import CameraSource, FolderSource, SourceError, VideoSource, open_source

    for i, v in enumerate((40, 120)):
        cv2.imwrite(str(tmp_path / f"{i}.png"), np.full((100, 150, 3), v, np.uint8))
    src = FolderSource(tmp_path, hold_s=0.2, fps=10, size=(640, 480))
    src.open()
    frames = [src.read() for _ in range(5)]
    assert frames[0].shape == (480, 640, 3)
    assert frames[0][240, 320, 0] == 40 and frames[2][240, 320, 0] == 120 and frames[4][240, 320, 0] == 40
    assert isinstance(open_source("0"), CameraSource)
    assert isinstance(open_source(str(tmp_path)), FolderSource)
    video = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 25, (320, 240))
    for v in range(0, 250, 25):
        writer.write(np.full((240, 320, 3), v, np.uint8))
    writer.release()
    vs = open_source(str(video))
    assert isinstance(vs, VideoSource)
    vs.open()
    assert [vs.read() is not None for _ in range(15)] == [True] * 15  # loops
    vs.close()
    with pytest.raises(SourceError):
        open_source(str(tmp_path / "missing"))
    with pytest.raises(SourceError):
        FolderSource(tmp_path / "empty-does-not-exist").open()


def test_registration_card_has_a_readable_qr_code(tmp_path):
    from datetime import UTC, datetime

    import cv2

    from core.schemas import DogOut, OwnerOut
    from kiosk.app import application
    from ui.card import render_card, save_card

    application()
    dog = DogOut(id="d1", registration_number="SP-2026-ABCD-1234", registered_at=datetime.now(UTC), name="초코",
                 breed="", sex="unknown", birth_date=None, neutered=None, notes="", status="home",
                 owner=OwnerOut(id="o1", phone="+821012345678", name="김보호"), updated_at=datetime.now(UTC))
    path = save_card(render_card(dog, None), tmp_path / "card.png")
    text, _, _ = cv2.QRCodeDetector().detectAndDecode(cv2.imread(str(path)))
    assert text == "SP-2026-ABCD-1234"


def test_default_engine_look_up(qtbot, tmp_path, kiosk_factory):  # noqa: F811
    """The engine the product ships (core.recognition.factory.load_engine), not the stand-in."""
    src = real_nose_files(1)[0]
    k = kiosk_factory(str(tmp_path / "none"), engine="default")
    k.window.lookup.lookup_file(str(src))
    qtbot.waitUntil(lambda: k.window.lookup.state != "waiting", timeout=120_000)
    assert k.window.lookup.state == "none", k.window.lookup.error_label.text()  # an empty registry: never a match
    from core.recognition.base import Decision
    from core.recognition.standin import StandInEngine

    assert k.controller.engine.name != StandInEngine().name and k.settings.engine == "auto"
    result = k.window.lookup.last_result
    assert (result.decision, result.reason, result.gallery_dogs) == (Decision.NO_MATCH, "empty_registry", 0)


def _left():
    from PySide6.QtCore import Qt

    return Qt.MouseButton.LeftButton


def test_pyside_signal_emit_keeps_its_references():
    """PySide6 6.12.0 on Python 3.11 drops a reference to True at every emit(): the kiosk aborts after a while."""
    import sys

    from PySide6.QtCore import QObject, Signal

    class Emitter(QObject):
        changed = Signal(object)

    e = Emitter()
    e.changed.connect(lambda _x: None)
    before = sys.getrefcount(True)
    for _ in range(50):
        e.changed.emit(1)
    assert sys.getrefcount(True) - before > -10


def test_register_from_five_photo_files_with_no_camera(qtbot, tmp_path, kiosk_factory):  # noqa: F811
    files = noised_copies(real_nose_files(2)[1], tmp_path / "noses")
    k = kiosk_factory(str(tmp_path / "no-camera-here"))
    page = k.window.register
    for f in files:  # what the file picker (several at once) or a drop of five files does
        page.capture.file_chosen.emit(str(f))
    qtbot.waitUntil(lambda: page.good_photos == 5, timeout=20_000)
    page.go("details")
    _fill_details(page, phone="010-9999-0000", name="두부")
    page.submit()
    qtbot.waitUntil(lambda: page.step == "done", timeout=20_000)
    assert page.result.dog.name == "두부"


def test_sync_line_follows_the_sync_client(qtbot, tmp_path, kiosk_factory):  # noqa: F811
    """With a server configured but unreachable, the line says offline and counts the waiting changes."""
    from core.schemas import DogIn, OwnerIn
    from tests.imaging import dog_photos

    k = kiosk_factory(str(tmp_path / "none"))
    k.settings.server_url = "http://127.0.0.1:9"  # nothing listens there
    k._start_sync()
    assert k.sync_client is not None and k.sync_failure is None
    k.controller.service.register(OwnerIn(phone="010-4444-1234"), DogIn(name="별"), dog_photos(3))
    w = k.window

    def refused_and_shown() -> bool:  # a sync tried and refused: offline, not an error (the loop may be retrying)
        w.refresh_sync()
        return w.sync_widget.state == "offline" and k.sync_client.status.last_error is not None

    qtbot.waitUntil(refused_and_shown, timeout=30_000)
    line = w.sync_widget.label.text()
    assert line.startswith("Offline") and "1 change(s) waiting" in line, line  # the one registration
    assert "Connection refused" in w.sync_widget.toolTip()
    k.sync_client.close()
    k.sync_client = None


def test_a_sync_client_that_cannot_load_is_an_error_not_offline(qtbot, tmp_path, kiosk_factory, monkeypatch):  # noqa: F811
    """A broken sync module (here: one that fails to import) shows as a sync error on the line, with why; the kiosk
    keeps working on its own registry."""
    import sys

    k = kiosk_factory(str(tmp_path / "none"))
    k.settings.server_url = "http://127.0.0.1:9"
    monkeypatch.setitem(sys.modules, "sync.client", None)  # `from sync.client import ...` now raises ImportError
    k._start_sync()
    assert k.sync_client is None
    assert k.sync_failure.startswith("ModuleNotFoundError")
    k.window.refresh_sync()
    assert k.window.sync_widget.state == "error"
    assert k.window.sync_widget.label.text() == "Sync error"
    assert "sync.client" in k.window.sync_widget.toolTip()
    assert k.controller.service.list_dogs() == []  # the registry still answers


def test_kiosk_without_a_screen_says_so(monkeypatch):
    import sys

    from core.settings import Settings
    from kiosk.app import NoDisplay, run

    if not sys.platform.startswith("linux"):
        pytest.skip("the check is for Linux displays")
    for var in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(var, raising=False)
    with pytest.raises(NoDisplay, match="No screen"):
        run(Settings())


def test_a_kiosk_of_its_own_tells_the_owner_of_a_confirmed_reunion(qtbot, tmp_path, kiosk_factory, smtp):  # noqa: F811
    """Not enrolled with a server, the kiosk sends the owner's messages itself: a confirmed reunion's e-mail reaches
    the SMTP server of its settings (a real one here)."""
    from datetime import UTC, datetime, timedelta

    from core.schemas import DogIn, FoundIn, LostIn, OwnerIn
    from tests.imaging import dog_photos

    k = kiosk_factory(str(tmp_path / "none"))
    k.settings.notify_smtp = f"127.0.0.1:{smtp.port}"
    k.settings.notify_interval = 0.2
    k.notifications.stop()
    k.notifications = None
    k._start_notifications()  # again, with the SMTP server now in its settings
    sp = k.controller.service
    dog = sp.register(OwnerIn(phone="010-4444-1234"), DogIn(name="별"), dog_photos(3)).dog
    now = datetime.now(UTC)
    sp.report_lost(LostIn(dog=dog.id, lost_at=now - timedelta(days=1), place="망원동", channel="email",
                          contact_email="owner@example.org"))
    case = sp.open_found_case(dog_photos(3, 2, first_shot=5), FoundIn(found_at=now, place="합정역"))
    sp.decide_reunion(case.reunions[0].id, confirm=True)
    qtbot.waitUntil(lambda: len(smtp.messages) == 2, timeout=30_000)  # possible (a sure match), then confirmed
    assert {to for tos, _ in smtp.messages for to in tos} == {"owner@example.org"}
    assert "별" in smtp.messages[-1][1].get_content()
    k.stop()
