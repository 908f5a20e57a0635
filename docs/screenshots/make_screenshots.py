"""Render every kiosk page offscreen, in Korean and English, into docs/screenshots/.

    QT_QPA_PLATFORM=offscreen python docs/screenshots/make_screenshots.py

Runs the real window with the stand-in engine on a temporary registry, fed by drawn nose pictures
(synthetic_nose.py), so that no real dog's photo ends up in the repository.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))
sys.path.insert(0, str(HERE))

import numpy as np  # noqa: E402
from synthetic_nose import noised, synthetic_nose  # noqa: E402

DOGS = [("초코", "Choco", "진돗개", "Jindo", "010-2345-6789", "김민지", "Minji Kim"),
        ("보리", "Bori", "푸들", "Poodle", "010-8765-4321", "이서준", "Seojun Lee"),
        ("콩이", "Kongi", "시바견", "Shiba Inu", "010-5555-1234", "박지우", "Jiwoo Park")]


def pump(seconds: float = 0.3, until=None, timeout: float = 20.0) -> None:
    from PySide6.QtCore import QCoreApplication

    end = time.monotonic() + (timeout if until else seconds)
    while time.monotonic() < end:
        QCoreApplication.processEvents()
        if until is not None and until():
            break
        time.sleep(0.01)
    QCoreApplication.processEvents()


def shoot(window, name: str) -> None:
    pump(0.2)
    path = HERE / f"{name}.png"
    window.grab().save(str(path))
    shrink(path)
    print("wrote", path.relative_to(HERE.parent.parent))


def shrink(path: Path) -> None:
    """256 colours: the same look at half the bytes in the repository."""
    from PIL import Image

    with Image.open(path) as im:
        q = im.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    q.save(path, optimize=True)


def main(lang: str) -> None:
    from core.photos import photo_from_array
    from core.recognition.standin import StandInEngine
    from core.schemas import DogIn, OwnerIn
    from core.settings import Settings
    from kiosk.app import Kiosk, application
    from ui.camera import ArraySource
    from ui.card import save_card

    ko = lang == "ko"
    application()
    tmp = Path(tempfile.mkdtemp(prefix=f"savepets-shots-{lang}-"))
    settings = Settings(data_dir=tmp, db_url=f"sqlite:///{tmp / 'registry.sqlite3'}", language=lang, camera="0")
    registered = synthetic_nose(10)
    kiosk = Kiosk(settings, engine=StandInEngine(), camera=ArraySource([registered], hold_s=60))
    w = kiosk.start()
    w.resize(1280, 800)
    pump(until=lambda: kiosk.controller.service is not None)
    sp = kiosk.controller.service
    for i, (n_ko, n_en, b_ko, b_en, phone, o_ko, o_en) in enumerate(DOGS):
        base = synthetic_nose(10 + i)
        photos = [photo_from_array(noised(base, s)) for s in range(5)]
        sp.register(OwnerIn(phone=phone, name=o_ko if ko else o_en),
                    DogIn(name=n_ko if ko else n_en, breed=b_ko if ko else b_en), photos)
    sp.set_status(sp.list_dogs()[0].id, "lost")

    # 1. look up: live preview with the guide and the quality gate
    w.lookup.capture.auto.setChecked(False)
    pump(until=lambda: w.lookup.capture.view.quality is not None and w.lookup.capture.view.frame is not None)
    shoot(w, f"{lang}-1-lookup-live")
    # 2. look up: found
    w.lookup.lookup_frame(noised(registered, 99))
    pump(until=lambda: w.lookup.state != "waiting")
    shoot(w, f"{lang}-2-lookup-found")
    # 3. look up: not registered
    w.lookup.reset()
    stranger = np.ascontiguousarray(synthetic_nose(77)[::-1])  # upside down: the stand-in engine sees another nose
    w.lookup.capture.view.set_frame(stranger)
    w.lookup.lookup_frame(stranger)
    pump(until=lambda: w.lookup.state != "waiting")
    shoot(w, f"{lang}-3-lookup-not-registered")
    w.lookup.reset()

    # 4. register: photos, one refused as too dark
    w.show_page("register")
    page = w.register
    page.capture.auto.setChecked(False)
    new_dog = synthetic_nose(50)
    kiosk.window.start_camera(ArraySource([new_dog], hold_s=60))
    for s in range(3):
        page.add_frame(noised(new_dog, s))
        pump(until=lambda: not kiosk.controller.busy)
    page.add_frame((new_dog * 0.08).astype(np.uint8))
    pump(until=lambda: not kiosk.controller.busy)
    pump(until=lambda: page.capture.view.frame is not None and page.capture.view.quality is not None)
    shoot(w, f"{lang}-4-register-photos")
    page.select_slot(3)
    for s in (3, 4):
        page.add_frame(noised(new_dog, s))
        pump(until=lambda: not kiosk.controller.busy)
    # 5. register: owner and dog, errors shown inline
    page.go("details")
    page.phone.setText("010-12")
    page.breed.setText("말티즈" if ko else "Maltese")
    page.submit()
    shoot(w, f"{lang}-5-register-details-errors")
    page.phone.setText("010-2345-6789")
    page.find_owner()
    pump(until=lambda: bool(page.owner_name.text()))
    page.dog_name.setText("두부" if ko else "Dubu")
    page.submit()
    pump(until=lambda: page.step == "done")
    # 6. register: done, with the card
    shoot(w, f"{lang}-6-register-done")
    save_card(page.card_image, HERE / f"{lang}-card.png")
    shrink(HERE / f"{lang}-card.png")
    print("wrote", f"docs/screenshots/{lang}-card.png")
    # 7. register: already registered
    page.reset()
    page.add_frame(noised(registered, 42))
    pump(until=lambda: page.step == "already")
    shoot(w, f"{lang}-7-register-already")
    page.reset()

    # 8. registry
    w.show_page("registry")
    pump(until=lambda: w.registry.table.rowCount() == 4)
    w.registry.table.selectRow(1)
    pump(0.3)
    shoot(w, f"{lang}-8-registry")
    # 9. settings
    w.show_page("settings")
    shoot(w, f"{lang}-9-settings")
    # 10. no camera
    w.show_page("lookup")
    w.start_camera(str(tmp / "no-such-camera"))
    shoot(w, f"{lang}-10-no-camera")
    kiosk.stop()
    w.close()


if __name__ == "__main__":
    for language in sys.argv[1:] or ["ko", "en"]:
        main(language)
