"""A dog's card on screen: photo, name, number, status, owner contact (through ContactReveal) and the verdict."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QGridLayout, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from core.recognition.base import Decision
from ui import texts
from ui.contact_reveal import ContactReveal
from ui.images import pixmap_from_bytes
from ui.style import set_style_property


class DogCard(QFrame):
    """A dog's photo, name, number, status and owner contact, with the confidence in words. The contact comes masked
    for staff members; `attach(controller)` shows it through ContactReveal (a "Show contact" button or at once)."""

    def __init__(self, parent: QWidget | None = None, vertical: bool = False, photo_side: int = 200):
        super().__init__(parent)
        self.setObjectName("dogCard")
        self.photo_side = photo_side
        self.photo = QLabel()
        # beside the details a square; above them (a narrow side panel) as tall as a camera's 4:3 photo, no more: the
        # card with "Show contact" fits the page at 1280x800 and 1024x768
        self.photo.setFixedSize(photo_side, photo_side * 3 // 4 if vertical else photo_side)
        self.photo.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.photo.setObjectName("cardPhoto")
        self.verdict = QLabel()
        self.verdict.setObjectName("verdict")
        self.verdict.setWordWrap(True)
        self.name = QLabel()
        self.name.setObjectName("dogName")
        self.rows = QGridLayout()
        self._values: dict[str, QLabel] = {}
        labels = [("number", self.tr("Registration number")), ("breed", self.tr("Breed")),
                  ("sex", self.tr("Sex")), ("status", self.tr("Status")), ("owner", self.tr("Owner")),
                  ("phone", self.tr("Contact"))]
        for r, (key, label) in enumerate(labels):
            k = QLabel(label)
            k.setObjectName("fieldKey")
            v = QLabel()
            v.setObjectName("fieldValue")
            v.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.rows.addWidget(k, r, 0)
            self.rows.addWidget(v, r, 1)
            self._values[key] = v
        self.reveal_button = QPushButton(self.tr("Show contact"))
        self.reveal_button.setObjectName("revealContact")
        self.reveal_button.hide()
        self.rows.addWidget(self.reveal_button, len(labels), 0, 1, 2)  # under the (masked) contact
        # another organisation's dog: its owner came redacted, asked from the server with a reason (ui/online_contact)
        self.online_button = QPushButton(self.tr("Show contact (online)"))
        self.online_button.setObjectName("revealContact")
        self.online_button.hide()
        self.rows.addWidget(self.online_button, len(labels) + 1, 0, 1, 2)
        self.contact_note = QLabel()
        self.contact_note.setObjectName("hint")
        self.contact_note.setWordWrap(True)
        self.contact_note.hide()
        self.rows.addWidget(self.contact_note, len(labels) + 2, 0, 1, 2)
        self.online = None
        self.rows.setColumnStretch(1, 1)
        self.rows.setHorizontalSpacing(16)
        self.contact: ContactReveal | None = None
        self.dog = None
        text = QVBoxLayout()
        text.addWidget(self.name)
        text.addLayout(self.rows)
        text.addStretch(1)
        if vertical:  # a narrow side panel: verdict, photo, then the details
            lay = QVBoxLayout(self)
            lay.addWidget(self.verdict)
            lay.addWidget(self.photo, 0, Qt.AlignmentFlag.AlignHCenter)
            lay.addLayout(text, 1)
        else:
            text.insertWidget(0, self.verdict)
            lay = QHBoxLayout(self)
            lay.setSpacing(20)
            lay.addWidget(self.photo, 0, Qt.AlignmentFlag.AlignTop)
            lay.addLayout(text, 1)

    def value(self, key: str) -> str:
        return self._values[key].text()

    def attach(self, controller) -> None:
        """Show owners' contacts through the core's reveal_contact, as the signed-in member may."""
        from ui.online_contact import OnlineContact

        self.contact = ContactReveal(controller, self.reveal_button, self.show_contact)
        self.online = OnlineContact(controller, self.online_button, self.show_online_contact, self.note)

    def note(self, text: str) -> None:
        """A line under the contact (why the server gave none, or where the contact shown comes from)."""
        self.contact_note.setText(text)
        self.contact_note.setVisible(bool(text))

    def show_online_contact(self, dog, owner) -> None:
        """Another organisation's owner as the server gave it: shown, never kept (self.dog stays redacted)."""
        self._values["owner"].setText(owner.name or "–")
        self._values["phone"].setText(texts.phone_words(owner.phone))
        self.note(self.tr("From the server: shown for this view only, not kept on this kiosk."))

    def forget_contacts(self) -> None:
        """The page was reset or the kiosk locked: no contact, revealed or from the server, is kept."""
        if self.contact is not None:
            self.contact.forget()
        if self.online is not None:
            self.online.forget()
        self.note("")

    def show_contact(self, dog, owner) -> None:
        """The owner's contact in full (from reveal_contact)."""
        self.dog = dog.model_copy(update={"owner": owner})
        self._values["owner"].setText(owner.name or "–")
        self._values["phone"].setText(texts.phone_words(owner.phone))

    def show_dog(self, dog, photo: bytes | None = None, decision: str | None = None,
                 probability: float | None = None) -> None:
        self.dog = dog
        self.name.setText(dog.name)
        self._values["number"].setText(dog.registration_number)
        self._values["breed"].setText(dog.breed or "–")
        self._values["sex"].setText(texts.sex_words(dog.sex))
        self._values["status"].setText(texts.status_words(dog.status))
        from ui.online_contact import redacted

        self._values["owner"].setText(dog.owner.name or "–")
        # another organisation's owner (pulled redacted): asked from the server; an erased owner shows nothing
        phone = self.tr("contact available online") if redacted(dog.owner) else texts.phone_words(dog.owner.phone)
        self._values["phone"].setText(phone)
        self.note("")
        if photo:
            pm = pixmap_from_bytes(photo)
            if not pm.isNull():
                pm = pm.scaled(self.photo.size(), Qt.AspectRatioMode.KeepAspectRatio,
                               Qt.TransformationMode.SmoothTransformation)
            self.photo.setPixmap(pm)
        else:
            self.photo.setText(self.tr("No photo"))
        if decision is None:
            self.verdict.hide()
        else:
            d = Decision(decision)
            level = "good" if d == Decision.MATCH else "warn" if d == Decision.UNCERTAIN else "bad"
            self.set_verdict(texts.decision_words(decision), level,
                             f"{probability:.0%}" if probability is not None else "")
        if self.contact is not None:
            self.contact.set_dog(dog)
        if self.online is not None:
            self.online.set_dog(dog)

    def set_verdict(self, text: str, level: str, tooltip: str = "") -> None:
        """The band above the dog: its words and colour (level: good, warn or bad)."""
        self.verdict.setText(text)
        self.verdict.setToolTip(tooltip)
        set_style_property(self.verdict, "level", level)
        self.verdict.show()
