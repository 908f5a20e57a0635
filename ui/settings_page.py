"""Settings: camera, server, API key, language, and the operating threshold for administrators."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)


class SettingsPage(QWidget):
    saved = Signal(dict)  # the changed values

    def __init__(self, settings, save: Callable[[dict[str, Any]], Any], engine_threshold: float | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.settings = settings
        self._save = save
        title = QLabel(self.tr("Settings"))
        title.setObjectName("pageTitle")
        self.camera = QLineEdit(str(settings.camera))
        self.camera.setToolTip(self.tr("A camera number (0, 1, …), a video file or a folder of photos"))
        browse = QPushButton(self.tr("Folder…"))
        browse.clicked.connect(self._browse)
        cam_row = QHBoxLayout()
        cam_row.addWidget(self.camera, 1)
        cam_row.addWidget(browse)
        self.server_url = QLineEdit(settings.server_url or "")
        self.server_url.setPlaceholderText(self.tr("empty: offline registry only"))
        self.api_key = QLineEdit(settings.api_key or "")
        self.api_key.setEchoMode(QLineEdit.EchoMode.Password)
        self.language = QComboBox()
        self.language.addItem("한국어", "ko")
        self.language.addItem("English", "en")
        self.language.setCurrentIndex(max(0, self.language.findData(settings.language)))
        general = QGroupBox(self.tr("This kiosk"))
        form = QFormLayout(general)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        form.addRow(self.tr("Camera"), cam_row)
        form.addRow(self.tr("Server address"), self.server_url)
        form.addRow(self.tr("API key"), self.api_key)
        form.addRow(self.tr("Language"), self.language)

        admin = QGroupBox(self.tr("Administrator"))
        self.unlock = QCheckBox(self.tr("Change recognition settings (administrators only)"))
        self.threshold = QDoubleSpinBox()
        self.threshold.setRange(0.0, 1.0)
        self.threshold.setDecimals(3)
        self.threshold.setSingleStep(0.01)
        self.use_default = QCheckBox(self.tr("Use the engine's default"))
        current = settings.match_threshold
        self.use_default.setChecked(current is None)
        self.threshold.setValue(current if current is not None else (engine_threshold or 0.5))
        self.threshold.setEnabled(False)
        self.use_default.setEnabled(False)
        self.unlock.toggled.connect(self._unlock)
        self.use_default.toggled.connect(lambda on: self.threshold.setEnabled(self.unlock.isChecked() and not on))
        af = QFormLayout(admin)
        af.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        af.addRow(self.unlock)
        af.addRow(self.tr("Match threshold"), self.threshold)
        af.addRow("", self.use_default)
        warn = QLabel(self.tr("A lower threshold finds more dogs but confuses more of them."))
        warn.setObjectName("hint")
        warn.setWordWrap(True)
        af.addRow(warn)

        self.message = QLabel()
        self.message.setObjectName("hint")
        self.message.setWordWrap(True)
        save = QPushButton(self.tr("Save settings"))
        save.setObjectName("primary")
        save.clicked.connect(self.save)
        lay = QVBoxLayout(self)
        lay.addWidget(title)
        lay.addWidget(general)
        lay.addWidget(admin)
        lay.addWidget(self.message)
        lay.addStretch(1)
        lay.addWidget(save)

    def _unlock(self, on: bool) -> None:
        self.use_default.setEnabled(on)
        self.threshold.setEnabled(on and not self.use_default.isChecked())

    def _browse(self) -> None:
        path = QFileDialog.getExistingDirectory(self, self.tr("Folder of photos to use as the camera"))
        if path:
            self.camera.setText(path)

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "camera": self.camera.text().strip() or "0",
            "server_url": self.server_url.text().strip() or None,
            "api_key": self.api_key.text().strip() or None,
            "language": self.language.currentData(),
        }
        if self.unlock.isChecked():
            out["match_threshold"] = None if self.use_default.isChecked() else round(self.threshold.value(), 3)
        return out

    def save(self) -> None:
        values = self.values()
        try:
            where = self._save(values)
        except (OSError, ValueError, TypeError) as exc:
            self.message.setText(self.tr("Could not save: %1").replace("%1", str(exc)))
            return
        self.message.setText(self.tr("Saved to %1.").replace("%1", str(where)))
        self.saved.emit(values)
