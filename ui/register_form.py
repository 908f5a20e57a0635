"""Register, step 2: the owner's and the dog's details, checked with the core's schemas, errors beside the fields."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from ui import texts
from ui.images import pixmap_from_bgr, pixmap_from_bytes
from ui.style import set_style_property

THUMBS = 5


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


class DetailsStep(QWidget):
    """The form; `submitted` carries the valid (OwnerIn, DogIn), `back` returns to the photos."""

    submitted = Signal(object, object)
    back = Signal()

    def __init__(self, controller, parent: QWidget | None = None):
        super().__init__(parent)
        self.controller = controller
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
            box.addStretch(1)  # beside a field with an error below it, the label stays level with its neighbour's
            return box

        # two columns: the owner (and the form's own error, where the owner leaves room) and the dog; the photos
        # taken small in the buttons' row: with every error shown it fits a 1024x768 screen
        self.form_error = QLabel()
        self.form_error.setObjectName("errorBox")
        self.form_error.setWordWrap(True)
        self.form_error.hide()
        owner_col = QVBoxLayout()
        head = QLabel(self.tr("Owner"))
        head.setObjectName("sectionTitle")
        owner_col.addWidget(head)
        owner_col.addLayout(labelled(self.tr("Owner's phone *"), self.fields["phone"]))
        owner_col.addWidget(self.owner_note)
        owner_col.addLayout(labelled(self.tr("Owner's name"), self.fields["owner_name"]))
        owner_col.addSpacing(8)
        owner_col.addWidget(self.form_error)
        owner_col.addStretch(1)
        dog_col = QVBoxLayout()
        head = QLabel(self.tr("Dog"))
        head.setObjectName("sectionTitle")
        dog_col.addWidget(head)
        dog_col.addLayout(labelled(self.tr("Dog's name *"), self.fields["name"]))
        pair = QHBoxLayout()
        pair.setSpacing(16)  # not the columns' 32
        pair.addLayout(labelled(self.tr("Breed"), self.fields["breed"]), 1)
        pair.addLayout(labelled(self.tr("Birth date"), self.fields["birth_date"]), 1)
        dog_col.addLayout(pair)
        pair = QHBoxLayout()
        pair.setSpacing(16)  # not the columns' 32
        pair.addLayout(labelled(self.tr("Sex"), self.sex), 1)
        pair.addLayout(labelled(self.tr("Neutered"), self.neutered), 1)
        dog_col.addLayout(pair)
        dog_col.addLayout(labelled(self.tr("Notes"), self.fields["notes"]))
        dog_col.addStretch(1)
        for col in (owner_col, dog_col):
            col.setSpacing(10)
        form = QHBoxLayout()
        form.setSpacing(32)
        form.addLayout(owner_col, 1)
        form.addLayout(dog_col, 1)
        back = QPushButton(self.tr("Back to photos"))
        back.clicked.connect(self.back)
        self.submit_button = QPushButton(self.tr("Register"))
        self.submit_button.setObjectName("primary")
        self.submit_button.clicked.connect(self.submit)
        row = QHBoxLayout()
        row.setSpacing(16)
        row.addWidget(back)
        row.addLayout(self._thumbs_layout(), 1)
        row.addWidget(self.submit_button)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)  # the register page has its own
        lay.addLayout(form, 1)
        lay.addLayout(row)

    def _thumbs_layout(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.setSpacing(8)
        self.thumb_labels = []
        for _ in range(THUMBS):
            t = QLabel()
            t.setFixedSize(56, 56)  # five of them fit between the buttons on a 1024-pixel-wide screen
            t.setAlignment(Qt.AlignmentFlag.AlignCenter)
            t.setObjectName("thumb")
            self.thumb_labels.append(t)
            row.addWidget(t)
        row.insertStretch(0, 1)
        row.addStretch(1)
        return row

    def show_photos(self, photos: list) -> None:
        """The photos taken, small, beside the owner's details; the focus where typing starts."""
        for label, p in zip(self.thumb_labels, photos, strict=False):
            label.setPixmap(pixmap_from_bgr(p.image, 56) if p is not None else pixmap_from_bytes(b""))
        self.dog_name.setFocus() if self.phone.text() else self.phone.setFocus()

    def reset(self) -> None:
        for ed in (self.phone, self.owner_name, self.dog_name, self.breed, self.birth, self.notes):
            ed.clear()
        for f in self.fields.values():
            f.set_error(None)
        self.owner_note.clear()
        self.owner_note.hide()
        self.form_error.hide()
        self.sex.setCurrentIndex(0)
        self.neutered.setCurrentIndex(0)

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
                errors[{"name": "owner_name"}.get(str(e["loc"][0]), str(e["loc"][0]))] = self._words(e)
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
                    errors["birth_date"] = texts.unbroken_date_format(self.tr("A past date (YYYY-MM-DD)."))
                else:
                    errors.setdefault(field, self._words(e))
        for field, msg in errors.items():
            (self.fields.get(field) or self.fields["name"]).set_error(msg)
        return (owner, dog) if not errors else None

    def _words(self, error: dict) -> str:
        """A field's error in the kiosk's language (pydantic's own messages are English)."""
        if error.get("type") == "string_too_long":
            return self.tr("At most %1 characters.").replace("%1", str((error.get("ctx") or {}).get("max_length")))
        return error["msg"]

    def submit(self) -> None:
        self.form_error.hide()
        valid = self.validate()
        if valid is None or not self.controller.loaded:
            return
        self.submitted.emit(*valid)

    def show_error(self, text: str) -> None:
        self.form_error.setText(text)
        self.form_error.show()
