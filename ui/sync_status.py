"""The sync area of the status line: what the sync client reports, in words and a coloured dot."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QWidget

from ui.style import AMBER, GREEN, GREY, RED


@dataclass
class SyncStatus:
    """What the sync area shows. The sync client (sync/client.py) may hand over any object with these fields."""

    state: str = "disabled"  # disabled | online | offline | syncing | error
    pending: int = 0  # local changes not yet sent
    last_sync: datetime | None = None
    message: str = ""


class SyncStatusWidget(QFrame):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("syncStatus")
        self.dot = QLabel("●")
        self.dot.setObjectName("syncDot")
        self.label = QLabel()
        self.label.setObjectName("syncLabel")
        lay = QHBoxLayout(self)
        lay.setContentsMargins(12, 4, 12, 4)
        lay.addWidget(self.dot)
        lay.addWidget(self.label, 1)
        self.set_status(SyncStatus())

    def set_status(self, st) -> None:
        state = getattr(st, "state", "disabled")
        state = getattr(state, "value", state)
        pending = int(getattr(st, "pending", 0) or 0)
        last = getattr(st, "last_sync", None)
        if state == "disabled":
            text, colour = self.tr("Offline registry only (no server configured)"), GREY
        elif state == "online":
            text, colour = self.tr("Online"), GREEN
        elif state == "syncing":
            text, colour = self.tr("Syncing…"), GREEN
        elif state == "error":
            text, colour = self.tr("Sync error"), RED
        else:
            text, colour = self.tr("Offline"), AMBER
        if state != "disabled":
            if pending:
                text += " · " + self.tr("%n change(s) waiting", "", pending)
            if last is not None:
                text += " · " + self.tr("last sync %1").replace("%1", last.astimezone().strftime("%H:%M"))
        self.label.setText(text)
        self.setToolTip(str(getattr(st, "message", "") or ""))  # why, for whoever is asked to fix it
        self.dot.setStyleSheet(f"color: {colour.name()};")
        self.state = state
