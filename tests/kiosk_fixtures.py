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


def make_kiosk(qtbot, tmp_path: Path, camera, language: str = "en", engine="standin"):
    """A shown kiosk window on a fresh registry; waits until the core service is loaded."""
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
    return k


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
