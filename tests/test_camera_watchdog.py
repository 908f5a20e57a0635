"""The camera watchdog and cameras by name (ui/camera.py): a read that blocks is noticed, said, and the camera
opened again by its name, at whatever index it has come back; nothing on the GUI thread waits for the blocked read.

No real camera here: the V4L2 names and /dev/v4l links live in a folder of the test's own (ui.camera.V4L_SYS and
V4L_DEV point there) and cv2.VideoCapture is a fake whose read blocks while its camera is "unplugged".
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

BLUE = np.full((480, 640, 3), (200, 80, 20), np.uint8)
RED = np.full((480, 640, 3), (20, 60, 210), np.uint8)


class FakeMachine:
    """/sys/class/video4linux and /dev/v4l of a machine with cameras that can be unplugged and plugged back."""

    def __init__(self, root: Path):
        self.sys, self.dev, self.nodes = root / "sys", root / "dev" / "v4l", root / "dev"
        for d in (self.sys, self.dev / "by-id", self.dev / "by-path"):
            d.mkdir(parents=True, exist_ok=True)

    def plug(self, index: int, name: str, serial: str, port: str, metadata_node: bool = True) -> None:
        """A USB camera: its capture node videoN and (like most UVC cameras) a metadata node videoN+1."""
        for n, node_index in ((index, 0), (index + 1, 1)) if metadata_node else ((index, 0),):
            d = self.sys / f"video{n}"
            d.mkdir()
            (d / "name").write_text(name + "\n")
            (d / "index").write_text(f"{node_index}\n")
            (self.nodes / f"video{n}").write_text("")
            suffix = f"video-index{node_index}"
            os.symlink(f"../../video{n}", self.dev / "by-id" / f"usb-{serial}-{suffix}")
            os.symlink(f"../../video{n}", self.dev / "by-path" / f"pci-0000:00:14.0-usb-0:{port}:1.0-{suffix}")

    def unplug(self, index: int) -> None:
        for n in (index, index + 1):
            for d in (self.dev / "by-id", self.dev / "by-path"):
                for link in d.iterdir():
                    if os.path.realpath(link).endswith(f"/video{n}"):
                        link.unlink()
            if (self.sys / f"video{n}").is_dir():
                for f in (self.sys / f"video{n}").iterdir():
                    f.unlink()
                (self.sys / f"video{n}").rmdir()
            (self.nodes / f"video{n}").unlink(missing_ok=True)


class FakeCapture:
    """cv2.VideoCapture(index) of the fake machine: frames while its index is plugged, a read that blocks (like many
    drivers) once it is unplugged; `unblock` lets the stuck reads end (they return False then)."""

    frames: dict[int, np.ndarray] = {}
    plugged: set[int] = set()
    opened: list[int] = []
    unblock = threading.Event()

    def __init__(self, index):
        self.index = index
        self.ok = index in self.plugged
        if self.ok:
            FakeCapture.opened.append(index)

    def isOpened(self):  # noqa: N802 - cv2's name
        return self.ok

    def set(self, *_a):
        return True

    def read(self):
        if self.index not in self.plugged:
            self.unblock.wait(60)  # the driver blocks
            return False, None
        time.sleep(0.02)
        return True, self.frames[self.index].copy()

    def release(self):
        self.ok = False


@pytest.fixture
def machine(tmp_path, monkeypatch):
    import ui.camera as camera

    m = FakeMachine(tmp_path / "machine")
    monkeypatch.setattr(camera, "V4L_SYS", m.sys)
    monkeypatch.setattr(camera, "V4L_DEV", m.dev)
    FakeCapture.frames, FakeCapture.plugged, FakeCapture.opened = {}, set(), []
    FakeCapture.unblock = threading.Event()
    monkeypatch.setattr(camera.cv2, "VideoCapture", FakeCapture)
    yield m
    FakeCapture.unblock.set()  # the reads left behind end


def test_cameras_are_listed_and_resolved_by_name(machine):
    from ui.camera import CameraSource, SourceError, camera_spec, list_cameras, open_source, resolve_camera

    machine.plug(0, "Integrated Camera", "Chicony_Integrated_Camera_0001", "7")
    machine.plug(2, "HD Webcam C525", "046d_HD_Webcam_C525_A1B2C3", "2")
    cams = list_cameras()
    assert [(c.index, c.name) for c in cams] == [(0, "Integrated Camera"), (2, "HD Webcam C525")]  # no metadata node
    c525 = cams[1]
    assert c525.spec == str(machine.dev / "by-id" / "usb-046d_HD_Webcam_C525_A1B2C3-video-index0")
    # what the settings store for a number typed or chosen: that camera's name; anything else as it is
    assert camera_spec("2") == c525.spec
    assert camera_spec("7") == "7" and camera_spec("/some/folder") == "/some/folder" and camera_spec("") != ""
    # names resolve to today's index: the by-id link, the by-path link, the V4L2 name
    assert resolve_camera(c525.spec) == 2
    by_path = next(p for p in (machine.dev / "by-path").iterdir() if "0:2:1.0-video-index0" in p.name)
    assert resolve_camera(str(by_path)) == 2
    assert resolve_camera("HD Webcam C525") == 2
    assert isinstance(open_source(c525.spec), CameraSource) and open_source(c525.spec).name == c525.spec
    assert open_source("HD Webcam C525").name == "HD Webcam C525"
    # plugged back in at another index: the same name finds it there
    machine.unplug(2)
    with pytest.raises(SourceError, match="not connected"):
        resolve_camera(c525.spec)
    with pytest.raises(SourceError):
        resolve_camera("HD Webcam C525")
    machine.plug(4, "HD Webcam C525", "046d_HD_Webcam_C525_A1B2C3", "1")
    assert resolve_camera(c525.spec) == 4 and resolve_camera("HD Webcam C525") == 4
    # a camera opened by number learns its name, and is opened again by it
    FakeCapture.plugged, FakeCapture.frames = {0, 4}, {0: BLUE, 4: RED}
    src = CameraSource(4)
    src.open()
    assert src.name == c525.spec and src.label == "HD Webcam C525"
    again = src.again()
    assert again.name == c525.spec and again.index is None
    src.close()


def test_no_cameras_on_a_machine_without_video4linux(tmp_path, monkeypatch):
    import ui.camera as camera

    monkeypatch.setattr(camera, "V4L_SYS", tmp_path / "none")
    monkeypatch.setattr(camera, "V4L_DEV", tmp_path / "none-dev")
    assert camera.list_cameras() == [] and camera.camera_spec("0") == "0"
    assert isinstance(camera.open_source("0"), camera.CameraSource)
    with pytest.raises(camera.SourceError, match="No camera, folder or video"):
        camera.open_source("no such camera or folder")


def test_a_stalled_read_is_noticed_and_the_camera_reopened_by_name(qtbot, machine):
    """Unplugged mid-session, the driver's read blocks: within the stall time the camera says it is reconnecting,
    the GUI thread keeps turning, and once the camera is back (at another index) its pictures come again."""
    from kiosk.app import application
    from ui.camera import Camera, CameraSource

    application()
    machine.plug(0, "HD Webcam C525", "046d_HD_Webcam_C525_A1B2C3", "2")
    FakeCapture.plugged, FakeCapture.frames = {0}, {0: BLUE}
    cam = Camera(stall_s=0.6, retry_s=0.2)
    events: list[tuple] = []
    cam.failed.connect(lambda kind, msg: events.append(("failed", kind, msg)))
    cam.running_changed.connect(lambda on: events.append(("running", on)))
    frames: list[np.ndarray] = []
    cam.frame_ready.connect(frames.append)
    cam.start(CameraSource(0))
    qtbot.waitUntil(lambda: len(frames) > 3, timeout=5000)
    assert cam.description == "HD Webcam C525"

    # unplugged: the read blocks; the GUI thread is never held (a timer keeps firing every 20 ms meanwhile)
    ticks: list[float] = []
    from PySide6.QtCore import QTimer

    beat = QTimer(interval=20)
    beat.timeout.connect(lambda: ticks.append(time.monotonic()))
    beat.start()
    machine.unplug(0)
    FakeCapture.plugged = set()
    t0 = time.monotonic()
    qtbot.waitUntil(lambda: ("failed", "reconnecting") in [e[:2] for e in events], timeout=5000)
    noticed = time.monotonic() - t0
    assert 0.5 < noticed < 2.5, noticed
    assert cam.reconnecting and ("running", False) in events
    assert "not answered" in next(e[2] for e in events if e[:2] == ("failed", "reconnecting"))
    stuck = cam.left_behind[0]
    assert stuck.blocked_in == "read" and stuck.thread.is_alive()  # left in the driver, not waited for
    # while it is unplugged it keeps trying, by name, and says so only once
    qtbot.waitUntil(lambda: cam.reconnects >= 3, timeout=5000)
    assert [e for e in events if e[0] == "failed"] == [events[[e[0] for e in events].index("failed")]]
    # plugged back in, at another index: opened again by its name there, and pictures come
    machine.plug(2, "HD Webcam C525", "046d_HD_Webcam_C525_A1B2C3", "1")
    FakeCapture.plugged, FakeCapture.frames = {2}, {2: RED}
    n = len(frames)
    qtbot.waitUntil(lambda: len(frames) > n + 3, timeout=5000)
    assert not cam.reconnecting and events[-1] == ("running", True)
    assert FakeCapture.opened[-1] == 2 and cam.worker.source.opened_index == 2
    assert (frames[-1] == RED).all()
    beat.stop()
    gaps = np.diff(ticks)
    assert len(ticks) > 20 and gaps.max() < 0.5, gaps.max()  # the GUI thread never waited on the blocked read
    cam.stop()


def test_a_source_that_cannot_be_opened_again_is_lost(qtbot):
    """A stalled source with no way to open it again (a video file, a folder) fails as 'lost', and stops."""
    from kiosk.app import application
    from ui.camera import ArraySource, Camera

    application()
    release = threading.Event()

    class Stuck(ArraySource):
        def read(self):
            if self._i >= 5:
                release.wait(30)
            return super().read()

    cam = Camera(stall_s=0.4)
    failed: list = []
    cam.failed.connect(lambda kind, msg: failed.append(kind))
    cam.start(Stuck([BLUE]))
    qtbot.waitUntil(lambda: failed == ["lost"], timeout=5000)
    assert not cam.reconnecting and cam.worker is None
    release.set()
    cam.stop()


def test_settings_list_cameras_by_name_and_keep_a_number_as_its_name(qtbot, machine, tmp_path):
    """The Settings page lists the connected cameras by their V4L2 names; choosing one, or typing its number, keeps
    the camera's name in the config file (its number can change when it is plugged in again)."""
    from core.settings import Settings
    from kiosk.app import application
    from kiosk.config import read_config, write_config
    from ui.settings_page import SettingsPage

    application()
    machine.plug(0, "Integrated Camera", "Chicony_Integrated_Camera_0001", "7")
    machine.plug(2, "HD Webcam C525", "046d_HD_Webcam_C525_A1B2C3", "2")
    cfg = tmp_path / "config.toml"
    page = SettingsPage(Settings(data_dir=tmp_path / "data", camera="0"), lambda v: write_config(v, cfg))
    qtbot.addWidget(page)
    names = [page.cameras.itemText(i) for i in range(page.cameras.count())]
    assert names[1:] == ["Integrated Camera", "HD Webcam C525"]
    assert page.cameras.currentIndex() == 1  # "0" is the integrated camera
    c525 = str(machine.dev / "by-id" / "usb-046d_HD_Webcam_C525_A1B2C3-video-index0")
    page.cameras.activated.emit(2)
    page.cameras.setCurrentIndex(2)
    assert page.camera.text() == c525
    page.save()
    assert read_config(cfg)["camera"] == c525
    page.camera.setText("0")  # a number typed: kept as that camera's name
    page.save()
    assert read_config(cfg)["camera"] == str(machine.dev / "by-id" / "usb-Chicony_Integrated_Camera_0001-video-index0")
    assert page.camera.text() == read_config(cfg)["camera"]
    page.camera.setText(str(tmp_path))  # a folder stays a folder
    page.save()
    assert read_config(cfg)["camera"] == str(tmp_path)
