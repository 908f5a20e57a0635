"""The kiosk's camera, driven through the real window offscreen: a photo file looked up is what the capture view
shows, another camera chosen in Settings is shown at once, a camera whose read blocks is noticed, said and opened
again, and the status line names the camera in the kiosk's language."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from tests.kiosk_fixtures import kiosk_factory, real_nose_files, write_images  # noqa: F401

BLUE = np.full((480, 640, 3), (200, 80, 20), np.uint8)
RED = np.full((480, 640, 3), (20, 60, 210), np.uint8)


def _colour_of(view) -> tuple[int, ...]:
    """The middle pixel of what the capture view paints (B, G, R)."""
    from PySide6.QtGui import QColor

    c = QColor(view.grab().toImage().pixel(view.width() // 2, view.height() // 4))
    return c.blue(), c.green(), c.red()


@pytest.fixture(autouse=True)
def _english_after():
    yield
    from kiosk.app import set_language

    set_language("en")


@pytest.mark.parametrize("language", ["en", "ko"])
def test_a_photo_file_looked_up_is_shown_not_the_live_camera(qtbot, tmp_path, kiosk_factory, language):  # noqa: F811
    """The live camera shows another dog (blue); the look-up of a file shows the file's photo with words that say
    it is a file, never the camera's frame with 'photo taken'; 'Look up another dog' brings the live picture back."""
    from ui.camera import ArraySource

    nose = real_nose_files(1)[0]
    k = kiosk_factory(ArraySource([BLUE]), language=language)
    w = k.window
    view = w.lookup.capture.view
    qtbot.waitUntil(lambda: view.frame is not None, timeout=10_000)
    w.lookup.lookup_file(str(nose))
    words = {"en": f"Photo file: {nose.name}", "ko": f"사진 파일: {nose.name}"}[language]
    assert view.status_text() == words  # at once, while the file is read and looked up
    qtbot.waitUntil(lambda: w.lookup.state != "waiting", timeout=20_000)
    assert w.lookup.state == "none"  # an empty registry
    assert view.status_text() == words and view.status_text() not in ("Photo taken", "사진을 찍었습니다")
    assert view.still_image is not None
    shown = view.still_image
    photo = w.lookup.last_photos[0].image
    assert (shown.width(), shown.height()) == (photo.shape[1], photo.shape[0])
    view.repaint()
    assert _colour_of(view) != (200, 80, 20)  # not the camera's blue dog
    # several files: the first one, and how many more
    w.lookup.reset()
    w.lookup.lookup_files([str(nose), str(nose)])
    assert view.status_text() == {"en": f"Photo files: {nose.name} and 1 more",
                                  "ko": f"사진 파일: {nose.name} 외 1장"}[language]
    qtbot.waitUntil(lambda: w.lookup.state != "waiting", timeout=20_000)
    # back to the camera
    w.lookup.reset()
    assert not view.still and not view.paused
    qtbot.waitUntil(lambda: _colour_of(view) == (200, 80, 20), timeout=5_000)


def test_another_camera_in_settings_is_shown_at_once(qtbot, tmp_path, kiosk_factory, monkeypatch):  # noqa: F811
    """A result of the old camera is on screen (its frame frozen); saving another camera in Settings clears it and
    the look-up page shows the new camera's picture as soon as it is opened, with no tap."""
    from tests.kiosk_fixtures import wait_idle
    from ui.camera import ArraySource

    monkeypatch.setenv("SAVEPETS_CONFIG", str(tmp_path / "config.toml"))
    k = kiosk_factory(ArraySource([BLUE]))
    w = k.window
    view = w.lookup.capture.view
    qtbot.waitUntil(lambda: view.frame is not None, timeout=10_000)
    w.lookup.lookup_frames([view.frame])
    qtbot.waitUntil(lambda: w.lookup.state != "waiting", timeout=20_000)
    wait_idle(qtbot, k)
    assert view.paused and view.status_text() == "Photo taken"
    old = view.frame

    red = tmp_path / "cam-red"
    write_images([RED], red)
    w.show_page("settings")
    w.settings_page.camera.setText(str(red))
    t0 = time.monotonic()
    w.settings_page.save()
    assert view.frame is not old and view.frame is None  # the old camera's frame is gone at once
    assert w.lookup.state == "waiting" and not view.paused
    w.show_page("lookup")
    qtbot.waitUntil(lambda: view.frame is not None and (view.frame == RED).all(), timeout=5_000)
    assert time.monotonic() - t0 < 3.0
    assert view.status_text() != "Starting the camera…"
    assert w.camera_label.text() == "Camera: folder cam-red (1 image)"


class Unpluggable:
    """A camera whose driver blocks its read while it is unplugged, like many do; opened again by `again()`."""

    def __init__(self):
        self.plugged = threading.Event()
        self.plugged.set()
        self.release = threading.Event()  # ends the reads left blocked (the test's end)
        self.opens = 0


def _stalling_source(cable: Unpluggable, frame: np.ndarray):
    from ui.camera import ArraySource, SourceError

    class Stalling(ArraySource):
        def open(self):
            if not cable.plugged.is_set():
                raise SourceError("The camera usb-Fake_Cam-video-index0 is not connected.")
            cable.opens += 1

        def read(self):
            if not cable.plugged.is_set():
                cable.release.wait(60)  # blocks: no False, no exception
                return None
            return super().read()

        def again(self):
            return _stalling_source(cable, frame)

        def describe(self):
            return "Fake Cam"

    return Stalling([frame], fps=25)


@pytest.mark.parametrize("language", ["ko", "en"])
def test_the_watchdog_says_a_stalled_camera_and_reopens_it(qtbot, tmp_path, kiosk_factory, monkeypatch,  # noqa: F811
                                                            language):
    import ui.camera

    monkeypatch.setattr(ui.camera, "STALL_S", 0.8)
    monkeypatch.setattr(ui.camera, "RETRY_S", 0.3)
    cable = Unpluggable()
    k = kiosk_factory(_stalling_source(cable, BLUE), language=language)
    w = k.window
    panel = w.lookup.capture
    view = panel.view
    qtbot.waitUntil(lambda: view.frame is not None, timeout=10_000)
    assert panel.shutter.isEnabled()

    cable.plugged.clear()  # unplugged: the read blocks
    t0 = time.monotonic()
    said = {"ko": "카메라 응답 없음 — 다시 연결하는 중…", "en": "Camera not responding — reconnecting…"}[language]
    qtbot.waitUntil(lambda: view.status_text() == said, timeout=5_000)
    assert time.monotonic() - t0 < 3.0
    assert view.frame is None and not panel.shutter.isEnabled()
    assert w.camera_label.text() == {"ko": "카메라 응답 없음", "en": "Camera not responding"}[language]
    assert w.register.capture.view.status_text() == said
    qtbot.waitUntil(lambda: w.camera.reconnects >= 2, timeout=5_000)  # still trying, still saying so
    assert view.status_text() == said
    w.resize(1280, 800)
    qtbot.wait(50)
    shot = tmp_path / f"lookup-camera-stalled-{language}.png"
    assert w.grab().save(str(shot))  # the look-up page while stalled (docs: looked at by eye)
    from PySide6.QtGui import QImage

    assert QImage(str(shot)).width() == w.width()

    opens = cable.opens
    cable.plugged.set()  # plugged back in
    qtbot.waitUntil(lambda: view.frame is not None, timeout=5_000)
    assert cable.opens > opens and panel.shutter.isEnabled() and not w.camera.reconnecting
    assert view.status_text() != said
    assert w.camera_label.text().startswith({"ko": "카메라: ", "en": "Camera: "}[language])
    cable.release.set()


@pytest.mark.parametrize("language", ["ko", "en"])
def test_the_status_line_names_the_camera_in_the_kiosk_language(qtbot, tmp_path, kiosk_factory,  # noqa: F811
                                                                 language):
    from ui.camera import FolderSource

    three = tmp_path / "cam-choco"
    write_images([BLUE, RED, BLUE], three)
    one = tmp_path / "cam-bori"
    write_images([RED], one)
    k = kiosk_factory(FolderSource(three), language=language)
    w = k.window
    expected = {"ko": ("카메라: 폴더 cam-choco (사진 3장)", "카메라: 폴더 cam-bori (사진 1장)"),
                "en": ("Camera: folder cam-choco (3 images)", "Camera: folder cam-bori (1 image)")}[language]
    qtbot.waitUntil(lambda: w.camera_label.text() == expected[0], timeout=10_000)
    w.start_camera(str(one))
    qtbot.waitUntil(lambda: w.camera_label.text() == expected[1], timeout=10_000)
    assert "images" not in w.camera_label.text() or language == "en"


def test_a_camera_saved_in_settings_outlives_a_change_of_language(qtbot, tmp_path, kiosk_factory,  # noqa: F811
                                                                   monkeypatch):
    """The kiosk started with a camera of its own (--camera); another one saved in Settings together with another
    language: the window rebuilt in that language shows the camera saved, not the one given at start."""
    from ui.camera import ArraySource

    monkeypatch.setenv("SAVEPETS_CONFIG", str(tmp_path / "config.toml"))
    k = kiosk_factory(ArraySource([BLUE]))
    w = k.window
    red = tmp_path / "cam-red"
    write_images([RED], red)
    page = w.settings_page
    page.camera.setText(str(red))
    page.language.setCurrentIndex(page.language.findData("ko"))
    page.save()
    assert k.window is not w
    view = k.window.lookup.capture.view
    qtbot.waitUntil(lambda: view.frame is not None, timeout=10_000)
    assert (view.frame == RED).all()
    assert k.window.camera_label.text() == "카메라: 폴더 cam-red (사진 1장)"


def test_a_stall_beside_a_result_keeps_the_photo_taken(qtbot, tmp_path, kiosk_factory, monkeypatch):  # noqa: F811
    """The camera stalls while a look-up's result is shown: the photo taken stays beside it, with the camera's state
    in words; back again, it is 'Photo taken' once more; the next look-up gets the live picture."""
    import ui.camera
    from tests.kiosk_fixtures import wait_idle

    monkeypatch.setattr(ui.camera, "STALL_S", 0.8)
    monkeypatch.setattr(ui.camera, "RETRY_S", 0.3)
    cable = Unpluggable()
    k = kiosk_factory(_stalling_source(cable, BLUE))
    w = k.window
    view = w.lookup.capture.view
    qtbot.waitUntil(lambda: view.frame is not None, timeout=10_000)
    w.lookup.lookup_frames([view.frame])
    qtbot.waitUntil(lambda: w.lookup.state != "waiting", timeout=20_000)
    wait_idle(qtbot, k)
    taken = view.frame
    cable.plugged.clear()
    qtbot.waitUntil(lambda: view.status_text() == "Camera not responding — reconnecting…", timeout=5_000)
    assert view.frame is taken and w.lookup.state != "waiting"
    cable.plugged.set()
    qtbot.waitUntil(lambda: not w.camera.reconnecting, timeout=5_000)
    qtbot.waitUntil(lambda: view.status_text() == "Photo taken", timeout=2_000)
    assert view.frame is taken
    w.lookup.reset()
    qtbot.waitUntil(lambda: view.frame is not None and view.frame is not taken, timeout=5_000)
    cable.release.set()
