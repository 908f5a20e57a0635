"""The colours the widgets paint with, and restyling a widget on a property its style sheet selects on."""

from __future__ import annotations

from PySide6.QtGui import QColor
from PySide6.QtWidgets import QWidget

GREEN, AMBER, RED, GREY = QColor("#2e9d57"), QColor("#e0a100"), QColor("#d64541"), QColor("#8a8f98")


def set_style_property(widget: QWidget, name: str, value) -> None:
    """Set a property the style sheet selects on (e.g. [state="ok"]) and restyle the widget."""
    widget.setProperty(name, value)
    widget.style().unpolish(widget)
    widget.style().polish(widget)
