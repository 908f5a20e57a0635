"""Fixtures for the kiosk GUI tests: a kiosk on a fresh SQLite registry, fed by a folder of nose photos."""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import cv2  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from core.recognition.standin import angle_alike, turned  # noqa: E402, F401 - re-exported for the kiosk tests

NOSE_DATA = Path(__file__).resolve().parent.parent.parent / "shared/data/nose-pbc2022"


def real_nose_files(n_dogs: int = 3) -> list[Path]:
    """The first photo of the first few dogs of the real data set (skips the test when it is absent)."""
    if not NOSE_DATA.is_dir():
        pytest.skip("../shared/data/nose-pbc2022 is not here")
    dogs = sorted(p for p in NOSE_DATA.iterdir() if p.is_dir())[:n_dogs]
    return [sorted(d.glob("*.jpg"))[0] for d in dogs]


def noised_copies(src: Path, folder: Path, n: int = 5, amplitude: int = 3) -> list[Path]:
    """n slightly different copies of one real photo: the stand-in engine needs near-identical photos to agree."""
    folder.mkdir(parents=True, exist_ok=True)
    img = cv2.imread(str(src)).astype(np.int16)
    out = []
    for i in range(n):
        noise = np.random.default_rng(i + 1).integers(-amplitude, amplitude + 1, img.shape)
        path = folder / f"{i}.png"
        cv2.imwrite(str(path), np.clip(img + noise, 0, 255).astype(np.uint8))
        out.append(path)
    return out


ADMIN_NAME, ADMIN_PIN = "관리자", "2468"  # the first administrator every kiosk test starts with


def left():
    from PySide6.QtCore import Qt

    return Qt.MouseButton.LeftButton


def make_kiosk(qtbot, tmp_path: Path, camera, language: str = "en", engine="standin", signed_in: bool = True):
    """A shown kiosk window on a fresh registry; waits until the core service is loaded, then (signed_in) makes the
    first administrator on the first-start page, which signs them in."""
    from core.recognition.standin import StandInEngine
    from core.settings import Settings
    from kiosk.app import Kiosk, application

    application()
    settings = Settings(data_dir=tmp_path / "data", db_url=f"sqlite:///{tmp_path / 'registry.sqlite3'}",
                        language=language, camera="0")
    k = Kiosk(settings, engine=StandInEngine() if engine == "standin" else None, camera=camera)
    window = k.start()
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: k.controller.service is not None, timeout=120_000)
    if signed_in:
        create_first_admin(qtbot, k)
    return k


def create_first_admin(qtbot, k, name: str = ADMIN_NAME, pin: str = ADMIN_PIN) -> None:
    """What a shelter does on the kiosk's first start: the first administrator's name and PIN (twice)."""
    w = k.window
    qtbot.waitUntil(lambda: w.screen.currentWidget() is w.first_admin, timeout=20_000)
    page = w.first_admin
    page.name.setText(name)
    page.pin.setText(pin)
    page.pin_again.setText(pin)
    qtbot.mouseClick(page.submit_button, left())
    qtbot.waitUntil(lambda: not w.locked, timeout=20_000)
    wait_idle(qtbot, k)  # what signing in asked for (the administrator's settings) has come


def wait_idle(qtbot, kiosk, timeout: int = 20_000) -> None:
    qtbot.waitUntil(lambda: not kiosk.controller.busy, timeout=timeout)


@pytest.fixture
def kiosk_factory(qtbot, tmp_path):
    made = []

    def factory(camera, **kw):
        k = make_kiosk(qtbot, tmp_path, camera, **kw)
        made.append(k)
        return k

    yield factory
    for k in made:
        k.stop()


def write_images(images: list[np.ndarray], folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i, img in enumerate(images):
        out.append(folder / f"{i}.png")
        cv2.imwrite(str(out[-1]), img)
    return out
