"""Register, side step: the photos are of a dog already registered; its card is shown instead of a second entry."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget

from ui.dog_card import DogCard


class AlreadyStep(QWidget):
    start_over = Signal()

    def __init__(self, controller, parent: QWidget | None = None):
        super().__init__(parent)
        self.controller = controller
        self.candidate = None
        head = QLabel(self.tr("This dog is already registered"))
        head.setObjectName("bigVerdict")
        hint = QLabel(self.tr("A dog cannot be registered twice. This is the registration found:"))
        hint.setWordWrap(True)
        self.card = DogCard()
        self.card.attach(controller)  # the owner's contact only as the member may see it
        again = QPushButton(self.tr("Start over"))
        again.setObjectName("primary")
        again.clicked.connect(self.start_over)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)  # the register page has its own
        lay.addWidget(head)
        lay.addWidget(hint)
        lay.addWidget(self.card)
        lay.addStretch(1)
        lay.addWidget(again)

    def show_candidate(self, candidate) -> None:
        self.candidate = candidate
        dog = candidate.dog
        self.card.show_dog(dog, self.controller.first_photo(dog), candidate.decision, candidate.probability)

    def reset(self) -> None:
        self.candidate = None
        self.card.contact.forget()
