"""Register, step 1: five nose photos, each checked on the spot (quality, a repeat, a dog already registered)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ui import texts
from ui.capture import CapturePanel
from ui.images import pixmap_from_bgr
from ui.photo_slots import PhotoSlots

PHOTOS = 5


class PhotoStep(QWidget):
    """The capture panel, the five slots and what the last check said. `photos` holds the good ones by slot."""

    next_requested = Signal()
    start_over = Signal()
    already_found = Signal(object)  # CandidateOut: a photo is of a dog already registered

    def __init__(self, controller, camera=None, parent: QWidget | None = None):
        super().__init__(parent)
        self.controller = controller
        self.photos: list = [None] * PHOTOS
        self.capture = CapturePanel(camera, multiple_files=True)  # up to five photo files at once
        self.capture.photo_taken.connect(self.add_frame)
        self.capture.file_chosen.connect(self.add_file)
        self.slots = PhotoSlots(PHOTOS)
        self.slots.slot_clicked.connect(self.select_slot)
        self.photo_status = QLabel(self.tr("Take 5 photos of the nose. Tap a photo to take it again."))
        self.photo_status.setObjectName("hint")
        self.photo_status.setWordWrap(True)
        self.next_button = QPushButton(self.tr("Next: owner and dog"))
        self.next_button.setObjectName("primary")
        self.next_button.setEnabled(False)
        self.next_button.clicked.connect(self.next_requested)
        start_over = QPushButton(self.tr("Start over"))
        start_over.clicked.connect(self.start_over)
        bottom = QHBoxLayout()
        bottom.addWidget(self.photo_status, 1)
        bottom.addWidget(start_over)
        bottom.addWidget(self.next_button)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.capture, 1)
        lay.addWidget(self.slots)
        lay.addLayout(bottom)

    def reset(self) -> None:
        self.photos = [None] * PHOTOS
        for i in range(PHOTOS):
            self.slots.set_photo(i, None, "empty")
        self.slots.set_current(0)
        self._update_photo_state()

    def start_with(self, photos) -> None:
        """Check the photos already taken (a Photo or a list: a look-up that found nothing)."""
        photos = [] if photos is None else [photos] if not isinstance(photos, list | tuple) else list(photos)
        for i, photo in enumerate(photos[:PHOTOS]):
            self._check(i, lambda photo=photo: photo)

    def select_slot(self, i: int) -> None:
        self.slots.set_current(i)
        self.photo_status.setText(self.tr("Take photo %1 again.").replace("%1", str(i + 1)))

    def _target_slot(self) -> int:
        cur = self.slots.current
        if self.slots.states[cur] in ("empty", "bad"):
            return cur
        for i, st in enumerate(self.slots.states):
            if st in ("empty", "bad"):
                return i
        return cur

    def add_frame(self, frame) -> None:
        from core.photos import photo_from_array

        self._check(self._target_slot(), lambda: photo_from_array(frame, label="capture"))

    def add_file(self, path: str) -> None:
        from core.photos import read_photo_file

        self._check(self._target_slot(), lambda: read_photo_file(path))

    def _check(self, slot: int, make_photo) -> None:
        if not self.controller.loaded:
            return
        self.slots.set_photo(slot, None, "checking")
        self.photos[slot] = None
        self._update_photo_state()
        others = {p.sha256: i for i, p in enumerate(self.photos) if p is not None}

        self.controller.check_photo(make_photo, others, lambda out: self._checked(slot, *out, others),
                                    lambda exc: self._check_failed(slot, exc), busy=self.tr("Checking the photo…"))

    def _checked(self, slot: int, photo, check, others) -> None:
        pm = pixmap_from_bgr(photo.image, 96)
        if check is None:
            self.slots.set_photo(slot, pm, "bad", self.tr("Same photo as photo %1").replace(
                "%1", str(others[photo.sha256] + 1)))
            self.photo_status.setText(self.tr("Photo %1 is the same as photo %2: move a little and take it again.")
                                      .replace("%1", str(slot + 1)).replace("%2", str(others[photo.sha256] + 1)))
        elif check.already_registered is not None:
            self.slots.set_photo(slot, pm, "bad", texts.quality_reason("already_registered"))
            self.already_found.emit(check.already_registered)
            return
        elif not check.ok:
            words = texts.quality_words(check.reasons)
            self.slots.set_photo(slot, pm, "bad", words)
            self.photo_status.setText(self.tr("Photo %1: %2. Take it again.").replace("%1", str(slot + 1))
                                      .replace("%2", words))
        else:
            self.photos[slot] = photo
            self.slots.set_photo(slot, pm, "ok")
            self.photo_status.setText(self.tr("Photo %1 is good.").replace("%1", str(slot + 1)))
        self._update_photo_state()

    def _check_failed(self, slot: int, exc) -> None:
        self.slots.set_photo(slot, None, "bad", texts.photo_error_words(exc))
        self.photo_status.setText(self.tr("Photo %1 cannot be used: %2").replace("%1", str(slot + 1))
                                  .replace("%2", texts.photo_error_words(exc)))
        self._update_photo_state()

    def reject(self, problems: list[dict]) -> None:
        """The core refused some photos at registration (PhotosRejected): those slots are to be taken again."""
        for prob in problems:
            i = prob["index"]
            self.photos[i] = None
            self.slots.set_photo(i, None, "bad", texts.quality_words(prob["reasons"]))
        self._update_photo_state()
        first = problems[0]
        self.photo_status.setText(self.tr("Photo %1: %2. Take it again.").replace("%1", str(first["index"] + 1))
                                  .replace("%2", texts.quality_words(first["reasons"])))

    def _update_photo_state(self) -> None:
        done = self.good_photos
        self.next_button.setEnabled(done == PHOTOS)
        self.slots.set_current(self._target_slot())
        if done == PHOTOS:
            self.photo_status.setText(self.tr("All 5 photos are good. Tap Next."))

    @property
    def good_photos(self) -> int:
        return sum(p is not None for p in self.photos)
