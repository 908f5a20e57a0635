"""Taking nose photos: the live preview with its guide and quality gate (auto-capture), and the panel around it
(shutter, photo files, drag and drop)."""

from __future__ import annotations

import time

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QBoxLayout, QFileDialog, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from ui import texts
from ui.images import bgr_to_qimage
from ui.style import AMBER, GREEN, GREY, RED


def quality_colour(q) -> QColor:
    if q is None:
        return GREY
    if q.ok:
        return GREEN
    return AMBER if q.score >= 0.4 or set(q.reasons) <= {"small", "blurry"} else RED


class CaptureView(QWidget):
    """Live preview with the nose guide, the quality gate in words and colour, and auto-capture."""

    auto_captured = Signal(object)  # BGR frame

    DWELL_S = 0.7
    COOLDOWN_S = 1.5

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setMinimumSize(320, 240)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.frame: np.ndarray | None = None
        self.image: QImage | None = None
        self.quality = None
        self.message = self.tr("Starting the camera…")
        self.auto_enabled = True
        self.paused = False
        self.dwell_s = self.DWELL_S  # a page may shorten it between the frames of one capture
        self.note = ""  # shown before the guidance words (e.g. "Photo 2/3" of a look-up)
        self.still = ""  # words of a still picture shown instead of the camera's (a photo file); "" = live
        self.still_image: QImage | None = None
        self._good_since: float | None = None
        self._cooldown_until = 0.0
        self._last_capture = b""
        self.painted_frames = 0  # distinct camera frames painted (the preview's real frame rate)
        self._fresh = False
        self._tick = QTimer(self)  # repaints the dwell progress between quality updates
        self._tick.setInterval(100)
        self._tick.timeout.connect(self._check_dwell)
        self._tick.start()

    # ------------------------------------------------------------ inputs
    def set_frame(self, frame: np.ndarray) -> None:
        if self.paused:
            return
        self.frame = frame
        self.image = bgr_to_qimage(frame)
        self._fresh = True
        self.message = ""
        self.update()

    def set_message(self, text: str) -> None:
        """A full-view message (no camera, camera lost); clears the picture, but for a photo taken (or a still) held
        beside its result: that stays, with the message on it, until resume()."""
        self.message = text
        self.quality, self._good_since = None, None
        if not (self.paused and (self.frame is not None or self.still)):
            self.frame, self.image = None, None
        self.update()

    def show_still(self, frame: np.ndarray | None, words: str) -> None:
        """Show a picture that is not the camera's (a photo file looked up), or only `words` while it is read; the
        live picture stays paused underneath until resume()."""
        self.paused = True
        self._good_since = None
        self.still = words
        self.still_image = bgr_to_qimage(frame) if frame is not None else None
        self.update()

    def resume(self) -> None:
        """The live picture again (after a photo taken, or a still shown); a message (no camera, reconnecting, another
        camera starting) in place of the picture held until now."""
        self.paused = False
        self.still, self.still_image = "", None
        if self.message:
            self.frame, self.image = None, None
        self.update()

    def set_quality(self, q) -> None:
        self.quality = q
        if q is not None and q.ok and self.frame is not None:
            if self._good_since is None:
                self._good_since = time.monotonic()
        else:
            self._good_since = None
        self._check_dwell()
        self.update()

    def dwell_progress(self) -> float:
        if self._good_since is None or not self.auto_enabled or time.monotonic() < self._cooldown_until:
            return 0.0
        return min(1.0, (time.monotonic() - self._good_since) / self.dwell_s)

    @staticmethod
    def signature(frame: np.ndarray) -> bytes:
        return frame[::16, ::16].tobytes()

    def _check_dwell(self) -> None:
        if self._good_since is None:
            return
        if self.frame is not None and self.signature(self.frame) == self._last_capture:
            self._good_since = None  # the very same still picture (a photo folder): wait for the next one
            return
        self.update()
        if (self.auto_enabled and not self.paused and self.isVisible() and self.frame is not None
                and self.dwell_progress() >= 1.0):
            self._cooldown_until = time.monotonic() + self.COOLDOWN_S
            self._good_since = None
            self._last_capture = self.signature(self.frame)
            self.auto_captured.emit(self.frame)

    def hold_off(self, seconds: float | None = None) -> None:
        """No auto-capture for a while (after any capture)."""
        self._cooldown_until = time.monotonic() + (self.COOLDOWN_S if seconds is None else seconds)
        self._good_since = None

    def status_text(self) -> str:
        if self.still:
            return self.still
        if self.message:
            return self.message
        if self.paused:
            words = self.tr("Photo taken")
        elif self.quality is None:
            words = self.tr("Put the nose inside the guide")
        else:
            words = texts.quality_words(self.quality.reasons)
        return f"{self.note} · {words}" if self.note else words

    # ------------------------------------------------------------ painting
    def guide_rect(self, area: QRectF) -> QRectF:
        side = min(area.width(), area.height()) * 0.72
        return QRectF(area.center().x() - side * 0.6, area.center().y() - side * 0.5, side * 1.2, side)

    def paintEvent(self, _event) -> None:  # noqa: N802
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        r = QRectF(self.rect())
        p.fillRect(r, QColor("#1d2127"))
        if self.still:
            self._paint_still(p, r)
            p.end()
            return
        area = r
        if self.image is not None:
            iw, ih = self.image.width(), self.image.height()
            s = min(r.width() / iw, r.height() / ih)
            area = QRectF(r.center().x() - iw * s / 2, r.center().y() - ih * s / 2, iw * s, ih * s)
            p.drawImage(area, self.image)
            self.painted_frames += self._fresh
            self._fresh = False
        colour = quality_colour(self.quality) if self.image is not None else GREY
        guide = self.guide_rect(area)
        if self.image is not None:  # dim what lies outside the guide
            shade = QPainterPath()
            shade.addRect(area)
            hole = QPainterPath()
            hole.addRoundedRect(guide, guide.height() * 0.45, guide.height() * 0.45)
            p.fillPath(shade.subtracted(hole), QColor(0, 0, 0, 110))
        if self.image is not None or not self.message:  # a message alone (no camera) is not crossed by the guide
            pen = QPen(colour, 6)
            pen.setStyle(Qt.PenStyle.SolidLine if self.image is not None else Qt.PenStyle.DashLine)
            p.setPen(pen)
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRoundedRect(guide, guide.height() * 0.45, guide.height() * 0.45)
        prog = self.dwell_progress()
        if prog > 0:
            arc = QPen(GREEN.lighter(130), 10)
            arc.setCapStyle(Qt.PenCapStyle.RoundCap)
            p.setPen(arc)
            p.drawArc(guide.adjusted(-14, -14, 14, 14), 90 * 16, int(-prog * 360 * 16))
        # the words, on a band at the bottom
        text = self.status_text()
        f = QFont(self.font())
        f.setPointSizeF(max(14.0, min(22.0, r.height() / 22)))
        f.setBold(True)
        p.setFont(f)
        band_h = p.fontMetrics().height() * 1.8
        band = QRectF(r.left(), r.bottom() - band_h, r.width(), band_h)
        if self.message and self.image is None:
            band = QRectF(r.left() + 20, r.center().y() - band_h, r.width() - 40, band_h * 2)
        p.fillRect(band, QColor(0, 0, 0, 170) if not self.message or self.image is not None else QColor(0, 0, 0, 0))
        if not self.message:
            p.fillRect(QRectF(band.left(), band.top(), 14, band.height()), colour)
        p.setPen(QColor("white"))
        p.drawText(band, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, text)
        p.end()

    def _paint_still(self, p: QPainter, r: QRectF) -> None:
        """A still picture (no guide: it is not the camera's), its words on the band; the words alone centred."""
        f = QFont(self.font())
        f.setPointSizeF(max(14.0, min(22.0, r.height() / 22)))
        f.setBold(True)
        p.setFont(f)
        band_h = p.fontMetrics().height() * 1.8
        if self.still_image is None:
            band = QRectF(r.left() + 20, r.center().y() - band_h, r.width() - 40, band_h * 2)
        else:
            iw, ih = self.still_image.width(), self.still_image.height()
            s = min(r.width() / iw, r.height() / ih)
            p.drawImage(QRectF(r.center().x() - iw * s / 2, r.center().y() - ih * s / 2, iw * s, ih * s),
                        self.still_image)
            band = QRectF(r.left(), r.bottom() - band_h, r.width(), band_h)
            p.fillRect(band, QColor(0, 0, 0, 170))
            p.fillRect(QRectF(band.left(), band.top(), 14, band.height()), GREY)
        p.setPen(QColor("white"))
        p.drawText(band, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.still)


class CapturePanel(QWidget):
    """The capture view with a big shutter, a file button and drag and drop of photo files."""

    photo_taken = Signal(object)  # BGR frame, from the shutter or auto-capture
    file_chosen = Signal(str)  # each file of a choice or a drop, one at a time
    files_chosen = Signal(list)  # then all of them at once

    def __init__(self, camera=None, parent: QWidget | None = None, multiple_files: bool = False):
        super().__init__(parent)
        self.camera = camera
        self.multiple_files = multiple_files
        self.setAcceptDrops(True)
        self.view = CaptureView()
        self.shutter = QPushButton(self.tr("Take photo"))
        self.shutter.setObjectName("shutter")
        self.shutter.setMinimumHeight(72)
        self.file_button = QPushButton(self.tr("Photo from file…"))
        self.file_button.setMinimumHeight(72)
        self.auto = QPushButton(self.tr("Auto-capture"))
        self.auto.setCheckable(True)
        self.auto.setChecked(True)
        self.auto.setMinimumHeight(72)
        # one row of buttons where they fit; one above the other in a narrow panel (a 1024-pixel-wide screen in English)
        self.row = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        self.row.addWidget(self.file_button)
        self.row.addWidget(self.shutter, 2)
        self.row.addWidget(self.auto)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.view, 1)
        lay.addLayout(self.row)
        self.shutter.clicked.connect(self.take)
        self.file_button.clicked.connect(self.pick_file)
        self.auto.toggled.connect(self._set_auto)
        self.view.auto_captured.connect(self._taken)
        if camera is not None:
            camera.frame_ready.connect(self._frame)
            camera.quality_ready.connect(self._quality)
            camera.failed.connect(self._camera_failed)
            camera.running_changed.connect(self._camera_running)
            camera.source_changed.connect(self.camera_started)

    def _buttons(self) -> list[QPushButton]:
        return [self.file_button, self.shutter, self.auto]

    def _one_row_width(self) -> int:
        return sum(b.minimumSizeHint().width() for b in self._buttons()) + 2 * max(0, self.row.spacing())

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - the buttons one above the other: the narrowest it can be
        view = self.view.minimumSizeHint().expandedTo(self.view.minimumSize())
        buttons = self._buttons()
        width = max(b.minimumSizeHint().width() for b in buttons)
        height = sum(b.minimumSizeHint().height() for b in buttons) + 3 * max(0, self.row.spacing())
        return QSize(max(view.width(), width), view.height() + height)

    def resizeEvent(self, event) -> None:  # noqa: N802
        narrow = event.size().width() < self._one_row_width()
        direction = QBoxLayout.Direction.TopToBottom if narrow else QBoxLayout.Direction.LeftToRight
        if self.row.direction() != direction:
            self.row.setDirection(direction)
        super().resizeEvent(event)

    def _frame(self, frame) -> None:
        if self.isVisible():
            self.view.set_frame(frame)

    def _quality(self, q) -> None:
        if self.isVisible():
            self.view.set_quality(q)

    def _camera_failed(self, kind: str, message: str) -> None:
        if kind == "reconnecting":  # the camera's watchdog (ui/camera.py): no answer, opened again by its name
            text = self.tr("Camera not responding — reconnecting…")
        elif kind == "lost":
            text = self.tr("The camera was disconnected. Reconnect it, or use “Photo from file…”.")
        else:
            text = self.tr("No camera. Check the camera in Settings, or use “Photo from file…”.")
        self.view.set_message(text)
        self.shutter.setEnabled(False)
        self.setToolTip(message)

    def _camera_running(self, running: bool) -> None:
        if running:  # started, or back after reconnecting
            self.shutter.setEnabled(True)
            self.setToolTip("")
            if self.view.paused and self.view.frame is not None and self.view.message:
                self.view.message = ""  # the photo taken, held beside its result, is "photo taken" again
                self.view.update()

    def camera_started(self) -> None:
        """A camera is being started (another one chosen): the old one's picture goes at once."""
        self.shutter.setEnabled(True)
        self.view.set_message(self.tr("Starting the camera…"))

    def _set_auto(self, on: bool) -> None:
        self.view.auto_enabled = on

    def take(self) -> None:
        frame = self.view.frame if self.view.frame is not None else (self.camera.latest() if self.camera else None)
        if frame is not None:
            self._taken(frame)

    def _taken(self, frame) -> None:
        self.view.hold_off()
        self.photo_taken.emit(frame)

    def pick_file(self) -> None:
        title = self.tr("Choose a nose photo")
        filt = self.tr("Images (*.jpg *.jpeg *.png *.bmp *.webp);;All files (*)")
        if self.multiple_files:
            paths, _ = QFileDialog.getOpenFileNames(self, title, "", filt)
        else:
            path, _ = QFileDialog.getOpenFileName(self, title, "", filt)
            paths = [path] if path else []
        self._chosen(paths)

    def _chosen(self, paths: list[str]) -> None:
        for path in paths:
            self.file_chosen.emit(path)
        if paths:
            self.files_chosen.emit(list(paths))

    def dragEnterEvent(self, event) -> None:  # noqa: N802
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802
        files = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        self._chosen(files if self.multiple_files else files[:1])
