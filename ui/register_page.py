"""Register: 5 nose photos, each checked on the spot -> owner and dog details -> confirmation with a card."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ui import texts
from ui.controller import error_message
from ui.widgets import CapturePanel, DogCard, PhotoSlots, pixmap_from_bgr, pixmap_from_bytes, set_style_property

PHOTOS = 5


class FormField(QWidget):
    """An input with its error shown inline beneath it."""

    def __init__(self, editor: QWidget, parent: QWidget | None = None):
        super().__init__(parent)
        self.editor = editor
        self.error = QLabel()
        self.error.setObjectName("fieldError")
        self.error.setWordWrap(True)
        self.error.hide()
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        lay.addWidget(editor)
        lay.addWidget(self.error)

    def set_error(self, text: str | None) -> None:
        self.error.setText(text or "")
        self.error.setVisible(bool(text))
        set_style_property(self.editor, "invalid", bool(text))


class RegisterPage(QWidget):
    registered = Signal(object)  # RegisterResult

    def __init__(self, controller, camera=None, parent: QWidget | None = None):
        super().__init__(parent)
        self.controller = controller
        self.photos: list = [None] * PHOTOS
        self.result = None
        self.already = None
        self.steps = QStackedWidget()
        self.steps.addWidget(self._photos_step(camera))
        self.steps.addWidget(self._already_step())
        self.steps.addWidget(self._details_step())
        self.steps.addWidget(self._done_step())
        self.title = QLabel()
        self.title.setObjectName("pageTitle")
        lay = QVBoxLayout(self)
        lay.addWidget(self.title)
        lay.addWidget(self.steps, 1)
        self.go("photos")

    # ================================================================ steps
    def _photos_step(self, camera) -> QWidget:
        w = QWidget()
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
        self.next_button.clicked.connect(lambda: self.go("details"))
        start_over = QPushButton(self.tr("Start over"))
        start_over.clicked.connect(self.reset)
        bottom = QHBoxLayout()
        bottom.addWidget(self.photo_status, 1)
        bottom.addWidget(start_over)
        bottom.addWidget(self.next_button)
        lay = QVBoxLayout(w)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.capture, 1)
        lay.addWidget(self.slots)
        lay.addLayout(bottom)
        return w

    def _already_step(self) -> QWidget:
        w = QWidget()
        head = QLabel(self.tr("This dog is already registered"))
        head.setObjectName("bigVerdict")
        hint = QLabel(self.tr("A dog cannot be registered twice. This is the registration found:"))
        hint.setWordWrap(True)
        self.already_card = DogCard()
        self.already_card.attach(self.controller)  # the owner's contact only as the member may see it
        again = QPushButton(self.tr("Start over"))
        again.setObjectName("primary")
        again.clicked.connect(self.reset)
        lay = QVBoxLayout(w)
        lay.addWidget(head)
        lay.addWidget(hint)
        lay.addWidget(self.already_card)
        lay.addStretch(1)
        lay.addWidget(again)
        return w

    def _details_step(self) -> QWidget:
        w = QWidget()
        self.phone = QLineEdit()
        self.phone.setPlaceholderText("010-1234-5678")
        self.phone.setInputMethodHints(Qt.InputMethodHint.ImhDialableCharactersOnly)
        self.phone.editingFinished.connect(self.find_owner)
        self.owner_name = QLineEdit()
        self.owner_note = QLabel()
        self.owner_note.setObjectName("hint")
        self.dog_name = QLineEdit()
        self.breed = QLineEdit()
        self.sex = QComboBox()
        for value in ("unknown", "male", "female"):
            self.sex.addItem(texts.sex_words(value), value)
        self.birth = QLineEdit()
        self.birth.setPlaceholderText(self.tr("YYYY-MM-DD (optional)"))
        self.neutered = QComboBox()
        self.neutered.addItem(self.tr("Unknown"), None)
        self.neutered.addItem(self.tr("Yes"), True)
        self.neutered.addItem(self.tr("No"), False)
        self.notes = QLineEdit()
        self.fields = {name: FormField(ed) for name, ed in (
            ("phone", self.phone), ("owner_name", self.owner_name), ("name", self.dog_name),
            ("breed", self.breed), ("birth_date", self.birth), ("notes", self.notes))}
        self.owner_note.hide()

        def labelled(text: str, widget: QWidget) -> QVBoxLayout:
            box = QVBoxLayout()
            box.setSpacing(4)
            label = QLabel(text)
            label.setObjectName("fieldLabel")
            box.addWidget(label)
            box.addWidget(widget)
            return box

        owner_col = QVBoxLayout()
        head = QLabel(self.tr("Owner"))
        head.setObjectName("sectionTitle")
        owner_col.addWidget(head)
        owner_col.addLayout(labelled(self.tr("Owner's phone *"), self.fields["phone"]))
        owner_col.addWidget(self.owner_note)
        owner_col.addLayout(labelled(self.tr("Owner's name"), self.fields["owner_name"]))
        owner_col.addStretch(1)
        owner_col.addLayout(self.thumbs_layout())
        dog_col = QVBoxLayout()
        head = QLabel(self.tr("Dog"))
        head.setObjectName("sectionTitle")
        dog_col.addWidget(head)
        dog_col.addLayout(labelled(self.tr("Dog's name *"), self.fields["name"]))
        pair = QHBoxLayout()
        pair.addLayout(labelled(self.tr("Breed"), self.fields["breed"]), 2)
        pair.addLayout(labelled(self.tr("Birth date"), self.fields["birth_date"]), 2)
        dog_col.addLayout(pair)
        pair = QHBoxLayout()
        pair.addLayout(labelled(self.tr("Sex"), self.sex), 1)
        pair.addLayout(labelled(self.tr("Neutered"), self.neutered), 1)
        dog_col.addLayout(pair)
        dog_col.addLayout(labelled(self.tr("Notes"), self.fields["notes"]))
        dog_col.addStretch(1)
        form = QHBoxLayout()
        form.setSpacing(32)
        form.addLayout(owner_col, 1)
        form.addLayout(dog_col, 1)
        self.form_error = QLabel()
        self.form_error.setObjectName("errorBox")
        self.form_error.setWordWrap(True)
        self.form_error.hide()
        back = QPushButton(self.tr("Back to photos"))
        back.clicked.connect(lambda: self.go("photos"))
        self.submit_button = QPushButton(self.tr("Register"))
        self.submit_button.setObjectName("primary")
        self.submit_button.clicked.connect(self.submit)
        row = QHBoxLayout()
        row.addWidget(back)
        row.addStretch(1)
        row.addWidget(self.submit_button)
        lay = QVBoxLayout(w)
        lay.addLayout(form, 1)
        lay.addWidget(self.form_error)
        lay.addLayout(row)
        return w

    def thumbs_layout(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.thumb_labels = []
        for _ in range(PHOTOS):
            t = QLabel()
            t.setFixedSize(72, 72)
            t.setAlignment(Qt.AlignmentFlag.AlignCenter)
            t.setObjectName("thumb")
            self.thumb_labels.append(t)
            row.addWidget(t)
        row.addStretch(1)
        return row

    def _done_step(self) -> QWidget:
        w = QWidget()
        self.done_head = QLabel(self.tr("Registered"))
        self.done_head.setObjectName("bigVerdict")
        self.number_label = QLabel()
        self.number_label.setObjectName("regNumber")
        self.number_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.card_preview = QLabel()
        self.card_preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.card_preview.setObjectName("cardPreview")
        self.card_note = QLabel()
        self.card_note.setObjectName("hint")
        # registered, but it looks like dogs already registered: an administrator reviews the pair
        self.review_note = QLabel()
        self.review_note.setObjectName("warnBox")
        self.review_note.setWordWrap(True)
        self.review_note.hide()
        print_button = QPushButton(self.tr("Print card…"))
        print_button.clicked.connect(self.print_card)
        png = QPushButton(self.tr("Save card as image…"))
        png.clicked.connect(lambda: self.save_card_dialog("png"))
        pdf = QPushButton(self.tr("Save card as PDF…"))
        pdf.clicked.connect(lambda: self.save_card_dialog("pdf"))
        another = QPushButton(self.tr("Register another dog"))
        another.setObjectName("primary")
        another.clicked.connect(self.reset)
        row = QHBoxLayout()
        for b in (print_button, png, pdf):
            row.addWidget(b)
        row.addStretch(1)
        row.addWidget(another)
        lay = QVBoxLayout(w)
        lay.addWidget(self.done_head)
        lay.addWidget(self.number_label)
        lay.addWidget(self.review_note)
        lay.addWidget(self.card_preview, 1)
        lay.addWidget(self.card_note)
        lay.addLayout(row)
        return w

    # ================================================================ navigation
    STEP_INDEX = {"photos": 0, "already": 1, "details": 2, "done": 3}

    @property
    def step(self) -> str:
        i = self.steps.currentIndex()
        return next(k for k, v in self.STEP_INDEX.items() if v == i)

    def go(self, step: str) -> None:
        self.steps.setCurrentIndex(self.STEP_INDEX[step])
        self.title.setText({
            "photos": self.tr("Register a dog — 1. Nose photos"),
            "already": self.tr("Register a dog — already registered"),
            "details": self.tr("Register a dog — 2. Owner and dog"),
            "done": self.tr("Register a dog — 3. Done"),
        }[step])
        self.capture.view.paused = step != "photos"
        if step == "details":
            for i, label in enumerate(self.thumb_labels):
                p = self.photos[i]
                label.setPixmap(pixmap_from_bgr(p.image, 72) if p is not None else pixmap_from_bytes(b""))
            self.dog_name.setFocus() if self.phone.text() else self.phone.setFocus()

    def reset(self) -> None:
        self.already_card.contact.forget()
        self.photos = [None] * PHOTOS
        self.result = self.already = None
        for i in range(PHOTOS):
            self.slots.set_photo(i, None, "empty")
        self.slots.set_current(0)
        for ed in (self.phone, self.owner_name, self.dog_name, self.breed, self.birth, self.notes):
            ed.clear()
        for f in self.fields.values():
            f.set_error(None)
        self.owner_note.clear()
        self.owner_note.hide()
        self.form_error.hide()
        self.sex.setCurrentIndex(0)
        self.neutered.setCurrentIndex(0)
        self._update_photo_state()
        self.go("photos")

    def start_with(self, photos) -> None:
        """Start a registration with the photos already taken (a Photo or a list: a look-up that found nothing)."""
        self.reset()
        photos = [] if photos is None else [photos] if not isinstance(photos, list | tuple) else list(photos)
        for i, photo in enumerate(photos[:PHOTOS]):
            self._check(i, lambda photo=photo: photo)

    # ================================================================ photos
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
            self.show_already(check.already_registered)
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

    def _update_photo_state(self) -> None:
        done = sum(p is not None for p in self.photos)
        self.next_button.setEnabled(done == PHOTOS)
        nxt = self._target_slot()
        self.slots.set_current(nxt)
        if done == PHOTOS:
            self.photo_status.setText(self.tr("All 5 photos are good. Tap Next."))

    @property
    def good_photos(self) -> int:
        return sum(p is not None for p in self.photos)

    def show_already(self, candidate) -> None:
        self.already = candidate
        dog = candidate.dog
        self.already_card.show_dog(dog, self.controller.first_photo(dog), candidate.decision, candidate.probability)
        self.go("already")

    # ================================================================ details
    def find_owner(self) -> None:
        from core.errors import InvalidPhone
        from core.phone import normalize_phone

        text = self.phone.text().strip()
        if not text or not self.controller.loaded:
            return
        try:
            normalize_phone(text)
        except InvalidPhone:
            self.fields["phone"].set_error(self.tr("Enter a valid phone number, e.g. 010-1234-5678."))
            return
        self.fields["phone"].set_error(None)

        def found(owner):
            self.owner_note.show()
            if owner is None:
                self.owner_note.setText(self.tr("New owner"))
                return
            if owner.name and not self.owner_name.text().strip() and "*" not in owner.name:  # not a masked name
                self.owner_name.setText(owner.name)
            self.owner_note.setText(self.tr("Existing owner: %1").replace("%1", owner.name or owner.phone))

        self.controller.find_owner(text, found, on_error=lambda exc: None)

    def validate(self):
        """Core validation (the same schemas the server uses), errors shown beside the fields."""
        from pydantic import ValidationError

        from core.errors import SavePetsError
        from core.schemas import DogIn, OwnerIn

        for f in self.fields.values():
            f.set_error(None)
        errors: dict[str, str] = {}
        owner = dog = None
        try:
            owner = OwnerIn(phone=self.phone.text(), name=self.owner_name.text())
        except SavePetsError:
            errors["phone"] = self.tr("Enter a valid phone number, e.g. 010-1234-5678.")
        except ValidationError as exc:
            for e in exc.errors():
                errors[{"name": "owner_name"}.get(str(e["loc"][0]), str(e["loc"][0]))] = e["msg"]
        try:
            dog = DogIn(name=self.dog_name.text(), breed=self.breed.text(), sex=self.sex.currentData(),
                        birth_date=self.birth.text().strip() or None, neutered=self.neutered.currentData(),
                        notes=self.notes.text())
        except ValidationError as exc:
            for e in exc.errors():
                field = str(e["loc"][0]) if e["loc"] else "name"
                if field == "name" and not self.dog_name.text().strip():
                    errors["name"] = self.tr("The dog's name is required.")
                elif field == "birth_date":
                    errors["birth_date"] = self.tr("Use a past date written as YYYY-MM-DD.")
                else:
                    errors.setdefault(field, e["msg"])
        for field, msg in errors.items():
            (self.fields.get(field) or self.fields["name"]).set_error(msg)
        return (owner, dog) if not errors else None

    def submit(self) -> None:
        self.form_error.hide()
        valid = self.validate()
        if valid is None or not self.controller.loaded:
            return
        owner, dog = valid
        photos = list(self.photos)
        self.submit_button.setEnabled(False)
        self.controller.register(owner, dog, photos, self._registered, self._register_failed,
                                 busy=self.tr("Registering…"))

    def _register_failed(self, exc) -> None:
        from core.errors import AlreadyRegistered, PhotosRejected
        from core.schemas import CandidateOut

        self.submit_button.setEnabled(True)
        if isinstance(exc, AlreadyRegistered) and exc.details.get("match"):
            self.show_already(CandidateOut.model_validate(exc.details["match"]))
        elif isinstance(exc, PhotosRejected) and exc.details.get("problems"):
            for prob in exc.details["problems"]:
                i = prob["index"]
                self.photos[i] = None
                self.slots.set_photo(i, None, "bad", texts.quality_words(prob["reasons"]))
            self._update_photo_state()
            first = exc.details["problems"][0]
            self.photo_status.setText(self.tr("Photo %1: %2. Take it again.").replace("%1", str(first["index"] + 1))
                                      .replace("%2", texts.quality_words(first["reasons"])))
            self.go("photos")
        else:
            self.form_error.setText(error_message(exc))
            self.form_error.show()

    def _registered(self, result) -> None:
        from ui.card import render_card

        self.submit_button.setEnabled(True)
        self.result = result
        dog = result.dog
        self.number_label.setText(self.tr("Registration number: %1").replace("%1", dog.registration_number))
        self.card_image = render_card(dog, self.photos[0].data if self.photos[0] else None)
        from PySide6.QtGui import QPixmap

        self.card_preview.setPixmap(QPixmap.fromImage(self.card_image).scaled(
            640, 404, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation))
        self.card_note.setText(self.tr("Existing owner: the dog was added to their dogs.") if result.owner_existed
                               else "")
        alike = ", ".join(f"{c.dog.name} ({c.dog.registration_number})" for c in result.possible_duplicates)
        self.review_note.setText(self.tr("The dog was registered and flagged for an administrator's review because "
                                         "it looks like %1.").replace("%1", alike))
        self.review_note.setVisible(bool(alike))
        self.go("done")
        self.registered.emit(result)

    # ================================================================ card
    def save_card(self, path: str) -> str:
        from ui.card import save_card

        return str(save_card(self.card_image, path))

    def save_card_dialog(self, kind: str) -> None:
        name = f"{self.result.dog.registration_number}.{kind}" if self.result else f"card.{kind}"
        filt = self.tr("PDF (*.pdf)") if kind == "pdf" else self.tr("PNG image (*.png)")
        path, _ = QFileDialog.getSaveFileName(self, self.tr("Save card"), name, filt)
        if path:
            try:
                self.save_card(path)
                self.card_note.setText(self.tr("Saved: %1").replace("%1", path))
            except OSError as exc:
                self.card_note.setText(str(exc))

    def print_card(self) -> None:
        from ui.card import print_card

        if print_card(self.card_image, self):
            self.card_note.setText(self.tr("Sent to the printer."))
