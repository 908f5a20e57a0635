"""The colours the widgets paint with, restyling a widget on a property its style sheet selects on, and the small
screen's style sheet."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from PySide6.QtGui import QColor
from PySide6.QtWidgets import QWidget

COMPACT_STYLE = Path(__file__).resolve().parent.parent / "resources" / "styles" / "kiosk-compact.qss"
NARROW_PAGE = 950  # a page narrower than this (a 1024-pixel-wide screen) leaves a table's least needed column out
GREEN, AMBER, RED, GREY = QColor("#2e9d57"), QColor("#e0a100"), QColor("#d64541"), QColor("#8a8f98")


def set_style_property(widget: QWidget, name: str, value) -> None:
    """Set a property the style sheet selects on (e.g. [state="ok"]) and restyle the widget."""
    widget.setProperty(name, value)
    widget.style().unpolish(widget)
    widget.style().polish(widget)


@cache
def compact_style_sheet() -> str:
    """The small screen's style sheet (smaller margins and type), set on the main window over the application's."""
    try:
        return COMPACT_STYLE.read_text(encoding="utf-8")
    except OSError:
        return ""
