"""Register, step 3: the registration number, the card to print or save, and a note when it awaits review."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget


class CardPreview(QLabel):
    """The card, as large as the room left allows (at most 640 pixels wide): a long review note above it shrinks the
    preview instead of growing the window."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("cardPreview")
        self.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)  # level with the buttons
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.setMinimumSize(240, 152)
        self.card: QPixmap | None = None

    def set_card(self, card: QPixmap) -> None:
        self.card = card
        self._fit()

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        if self.card is None or self.card.isNull():
            return
        w, h = min(self.width(), 640), min(self.height(), 404)
        self.setPixmap(self.card.scaled(w, h, Qt.AspectRatioMode.KeepAspectRatio,
                                        Qt.TransformationMode.SmoothTransformation))


class DoneStep(QWidget):
    another = Signal()  # register another dog

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.result = None
        self.card_image = None
        self.done_head = QLabel(self.tr("Registered"))
        self.done_head.setObjectName("bigVerdict")
        self.number_label = QLabel()
        self.number_label.setObjectName("regNumber")
        self.number_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.card_preview = CardPreview()
        self.card_note = QLabel()
        self.card_note.setObjectName("hint")
        self.card_note.setWordWrap(True)
        self.card_note.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)  # a long path wraps
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
        another.clicked.connect(self.another)
        self.buttons = [print_button, png, pdf, another]
        # the card, and its actions beside it, one above the other (the next dog at the bottom): with a review note
        # naming three look-alikes it fits a 1024x768 screen
        actions = QVBoxLayout()
        actions.setSpacing(10)
        for b in (print_button, png, pdf):
            actions.addWidget(b)
        actions.addWidget(self.card_note)
        actions.addStretch(1)
        actions.addWidget(another)
        body = QHBoxLayout()
        body.setSpacing(24)
        body.addWidget(self.card_preview, 1)
        body.addLayout(actions)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)  # the register page has its own
        lay.addWidget(self.done_head)
        lay.addWidget(self.number_label)
        lay.addWidget(self.review_note)
        lay.addLayout(body, 1)

    def show_result(self, result, first_photo: bytes | None) -> None:
        from ui.card import render_card

        self.result = result
        dog = result.dog
        self.number_label.setText(self.tr("Registration number: %1").replace("%1", dog.registration_number))
        self.card_image = render_card(dog, first_photo)
        self.card_preview.set_card(QPixmap.fromImage(self.card_image))
        self.card_note.setText(self.tr("Existing owner: the dog was added to their dogs.") if result.owner_existed
                               else "")
        alike = ", ".join(f"{c.dog.name} ({c.dog.registration_number})" for c in result.possible_duplicates)
        self.review_note.setText(self.tr("The dog was registered and flagged for an administrator's review because "
                                         "it looks like %1.").replace("%1", alike))
        self.review_note.setVisible(bool(alike))

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
