"""Render every kiosk page offscreen, in Korean and English, into docs/screenshots/.

    QT_QPA_PLATFORM=offscreen python docs/screenshots/make_screenshots.py
    QT_QPA_PLATFORM=offscreen python docs/screenshots/make_screenshots.py ko --real ../shared/data/nose-pbc2022 \
        --out /tmp/savepets-shots

Runs the real window with the stand-in engine on a temporary registry, fed by drawn nose pictures
(synthetic_nose.py), so that no real dog's photo ends up in the repository. With --real, the noses are the first
photos of a nose data set (one folder per dog) and the pictures go to --out, which must lie outside the repository:
to check how real photos look on the pages.
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

import cv2  # noqa: E402
import numpy as np  # noqa: E402
from synthetic_nose import noised, synthetic_nose  # noqa: E402

from core.recognition.standin import angle_alike, turned  # noqa: E402

OUT = HERE
REAL: Path | None = None  # a nose data set: one folder of photos per dog

STAFF = [("한지민", "Jimin Han", "admin"), ("정하늘", "Haneul Jung", "staff"), ("최도윤", "Doyun Choi", "staff")]
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


def nose(seed: int) -> np.ndarray:
    """A nose picture as a 640x480 camera frame: drawn, or with --real the first photo of the data set's dog number
    `seed` (counted from 10), enlarged to fill the frame like a nose held in the guide."""
    if REAL is None:
        return synthetic_nose(seed)
    from ui.camera import letterbox

    dogs = sorted(d for d in REAL.iterdir() if d.is_dir())
    img = cv2.imread(str(sorted(dogs[seed - 10].glob("*.jpg"))[0]))
    return letterbox(img, (640, 480))


def shoot(window, name: str) -> None:
    pump(0.2)
    path = OUT / f"{name}.png"
    window.grab().save(str(path))
    shrink(path)
    print("wrote", path)


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
    registered = nose(10)
    kiosk = Kiosk(settings, engine=StandInEngine(), camera=ArraySource([registered], hold_s=60))
    w = kiosk.start()
    w.resize(1280, 800)
    pump(until=lambda: kiosk.controller.service is not None)
    sp = kiosk.controller.service
    staff = [(n_ko if ko else n_en, role) for n_ko, n_en, role in STAFF]
    admin_name, staff_name = staff[0][0], staff[1][0]

    def sign_in(name: str, pin: str, lock: bool = True) -> None:
        """As a member does it: (lock the kiosk,) pick the name, the PIN on the pad, OK."""
        if lock:
            w.lock()
            pump(until=lambda: not kiosk.controller.busy and len(w.signin.name_buttons) == len(staff))
        w.signin.choose(name)
        for digit in pin:
            w.signin.pad.press(digit)
        w.signin.submit()
        pump(until=lambda: not w.locked and not kiosk.controller.busy)

    # 16. the first start: the first administrator's name and PIN
    pump(until=lambda: w.screen.currentWidget() is w.first_admin)
    first = w.first_admin
    first.name.setText(admin_name)
    for digit in "2468":
        first.pad.press(digit)
    first.pad.target = first.pin_again
    first.pad.press("2")
    shoot(w, f"{lang}-16-first-admin")
    first.pin_again.setText("2468")
    first.submit()
    pump(until=lambda: not w.locked and not kiosk.controller.busy)
    for name, role in staff[1:]:
        sp.add_staff(name, "1357", role)
    # 17. sign-in: pick the name, the PIN on the pad (here after a wrong PIN)
    w.lock()
    pump(until=lambda: len(w.signin.name_buttons) == len(staff) and not kiosk.controller.busy)
    w.signin.choose(staff_name)
    for digit in "1111":
        w.signin.pad.press(digit)
    w.signin.submit()
    pump(until=lambda: not kiosk.controller.busy and w.signin.message.isVisible())
    for digit in "13":
        w.signin.pad.press(digit)
    shoot(w, f"{lang}-17-sign-in")
    w.signin.reset()
    sign_in(admin_name, "2468", lock=False)
    for i, (n_ko, n_en, b_ko, b_en, phone, o_ko, o_en) in enumerate(DOGS):
        base = nose(10 + i)
        photos = [photo_from_array(noised(base, s)) for s in range(5)]
        sp.register(OwnerIn(phone=phone, name=o_ko if ko else o_en),
                    DogIn(name=n_ko if ko else n_en, breed=b_ko if ko else b_en), photos)
    sp.set_status(sp.list_dogs()[0].id, "lost")

    # 1. look up: live preview with the guide and the quality gate
    w.lookup.capture.auto.setChecked(False)
    pump(until=lambda: w.lookup.capture.view.quality is not None and w.lookup.capture.view.frame is not None)
    w.lookup.add_frame(registered)  # the first of the three frames of a look-up is taken
    shoot(w, f"{lang}-1-lookup-live")
    w.lookup.clear_frames()
    # 2. look up: found (an administrator sees the owner's contact, through reveal_contact)
    w.lookup.lookup_frames([noised(registered, 99)])
    pump(until=lambda: w.lookup.state != "waiting" and not kiosk.controller.busy)
    shoot(w, f"{lang}-2-lookup-found")
    # 3. look up: not registered
    w.lookup.reset()
    stranger = np.ascontiguousarray(nose(78)[::-1])  # upside down: the stand-in engine sees another nose
    w.lookup.capture.view.set_frame(stranger)
    w.lookup.lookup_frames([stranger])
    pump(until=lambda: w.lookup.state != "waiting")
    shoot(w, f"{lang}-3-lookup-not-registered")
    w.lookup.reset()

    # 4. register: photos, one refused as too dark
    w.show_page("register")
    page = w.register
    page.capture.auto.setChecked(False)
    new_dog = nose(50)
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
    save_card(page.card_image, OUT / f"{lang}-card.png")
    shrink(OUT / f"{lang}-card.png")
    print("wrote", OUT / f"{lang}-card.png")
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
    # 9. settings; 19. an administrator's second tab: what staff may see and do, the staff accounts
    w.show_page("settings")
    shoot(w, f"{lang}-9-settings")
    w.settings_page.tabs.setCurrentIndex(1)
    shoot(w, f"{lang}-19-settings-staff")
    w.settings_page.tabs.setCurrentIndex(0)
    # 10. no camera
    w.show_page("lookup")
    w.start_camera(str(tmp / "no-such-camera"))
    shoot(w, f"{lang}-10-no-camera")

    # 13. register: a dog that looks like a registered one (for the stand-in engine: the same nose, turned) is
    # registered and flagged for an administrator's review
    look_alike = turned(registered, angle_alike(registered, 0.93))
    w.show_page("register")
    page.reset()
    for s in range(5):
        page.add_frame(noised(look_alike, 60 + s))
        pump(until=lambda: not kiosk.controller.busy)
    page.go("details")
    page.phone.setText("010-3333-4444")
    page.owner_name.setText("최유나" if ko else "Yuna Choi")
    page.dog_name.setText("초롱" if ko else "Chorong")
    page.submit()
    pump(until=lambda: page.step == "done")
    assert page.result.possible_duplicates, "the look-alike was not flagged"
    shoot(w, f"{lang}-13-register-flagged")
    # 11. look up: not sure (two registered dogs alike): the photos side by side for a person to choose
    w.show_page("lookup")
    angle = -angle_alike(registered, 0.94)  # turned the other way: alike, not sure
    w.start_camera(ArraySource([turned(registered, angle)], hold_s=60))
    w.lookup.reset()
    pump(until=lambda: w.lookup.capture.view.frame is not None)
    w.lookup.lookup_frames([noised(turned(registered, angle + d), 70 + i) for i, d in enumerate((0, .2, -.2))])
    pump(until=lambda: w.lookup.state != "waiting")
    assert w.lookup.state == "compare", w.lookup.state
    pump(until=lambda: not w.lookup.compare.loading)
    shoot(w, f"{lang}-11-lookup-compare")
    w.lookup.compare.candidate.view.zoom_at(2.5, w.lookup.compare.candidate.view.rect().center().toPointF())
    w.lookup.compare.probe.view.zoom_at(2.5, w.lookup.compare.probe.view.rect().center().toPointF())
    shoot(w, f"{lang}-11b-lookup-compare-zoomed")
    # 12. look up: staff chose the dog: its card, marked as their confirmation
    w.lookup.compare.confirm_button.click()
    shoot(w, f"{lang}-12-lookup-confirmed")
    # 14. review (administrators): the pair flagged at 13 side by side; merged, with the owners to tell
    w.show_page("review")
    review = w.review_page
    pump(until=lambda: review.state == "pair" and not review.loading)
    shoot(w, f"{lang}-14-review")
    review.ask_merge()
    review.merge()
    pump(until=lambda: review.state == "merged" and len(review.kept_labels) == len(review.last_result.older.photos)
         and not kiosk.controller.busy)
    shoot(w, f"{lang}-15-review-merged")
    # 18. a member of role staff: the owner's contact masked, shown on a tap
    sign_in(staff_name, "1357")
    w.lookup.lookup_frames([noised(registered, 98)])
    pump(until=lambda: w.lookup.state != "waiting" and not kiosk.controller.busy)
    shoot(w, f"{lang}-18-lookup-staff-masked")
    # 20. the audit trail (administrators): the member shows the owner's contact and locks; an administrator reads
    # who did what, newest first
    w.lookup.card.reveal_button.click()
    pump(until=lambda: not kiosk.controller.busy and not w.lookup.card.reveal_button.isVisible())
    sign_in(admin_name, "2468")
    w.show_page("audit")
    pump(until=lambda: w.audit_page.table.rowCount() > 0 and not kiosk.controller.busy)
    shoot(w, f"{lang}-20-audit")
    kiosk.stop()
    w.close()


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("languages", nargs="*", default=["ko", "en"])
    ap.add_argument("--real", type=Path, help="a nose data set (one folder per dog): real photos instead of drawn")
    ap.add_argument("--out", type=Path, help="where the pictures go (required with --real, outside the repository)")
    args = ap.parse_args()
    if args.real is not None:
        if args.out is None or args.out.resolve().is_relative_to(HERE.parent.parent):
            ap.error("--real needs --out outside the repository: no real dog's photo goes into it")
        REAL = args.real.resolve()
    OUT = (args.out or HERE).resolve()
    OUT.mkdir(parents=True, exist_ok=True)
    for language in args.languages:
        main(language)
