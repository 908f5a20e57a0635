"""The row of photo slots of a registration: thumbnails with their state in words; tap one to retake it."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import QHBoxLayout, QSizePolicy, QToolButton, QWidget

from ui.style import set_style_property


class PhotoSlots(QWidget):
    """N photo slots with thumbnails; tap one to retake it. States: empty, checking, ok, bad."""

    slot_clicked = Signal(int)

    def __init__(self, count: int = 5, parent: QWidget | None = None):
        super().__init__(parent)
        self.buttons: list[QToolButton] = []
        self.states = ["empty"] * count
        self.current = 0
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        for i in range(count):
            b = QToolButton()
            b.setObjectName("slot")
            b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextUnderIcon)
            b.setIconSize(QSize(96, 96))
            b.setMinimumSize(120, 136)
            b.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            b.clicked.connect(lambda _=False, i=i: self.slot_clicked.emit(i))
            self.buttons.append(b)
            lay.addWidget(b)
        self.refresh()

    def set_photo(self, i: int, pixmap: QPixmap | None, state: str, text: str = "") -> None:
        b = self.buttons[i]
        b.setIcon(QIcon(pixmap) if pixmap is not None else QIcon())
        self.states[i] = state
        b.setToolTip(text)
        b.setProperty("detail", text)
        self.refresh()

    def set_current(self, i: int) -> None:
        self.current = i
        self.refresh()

    def refresh(self) -> None:
        words = {"empty": self.tr("Empty"), "checking": self.tr("Checking…"), "ok": self.tr("Good"),
                 "bad": self.tr("Retake")}
        for i, b in enumerate(self.buttons):
            b.setText(f"{i + 1}. {words[self.states[i]]}")
            b.setProperty("state", self.states[i])
            set_style_property(b, "current", i == self.current)
