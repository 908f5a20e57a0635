"""Reusable widgets: the guided capture view, the capture panel, photo slots, the dog card, sync status."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPainterPath, QPen, QPixmap
from PySide6.QtWidgets import (
    QFileDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from core.recognition.base import Decision
from ui import texts

GREEN, AMBER, RED, GREY = QColor("#2e9d57"), QColor("#e0a100"), QColor("#d64541"), QColor("#8a8f98")


def bgr_to_qimage(frame: np.ndarray) -> QImage:
    frame = np.ascontiguousarray(frame)
    h, w = frame.shape[:2]
    img = QImage(frame.data, w, h, frame.strides[0], QImage.Format.Format_BGR888)
    img._keep = frame  # the QImage borrows the array's memory
    return img


def set_style_property(widget: QWidget, name: str, value) -> None:
    """Set a property the style sheet selects on (e.g. [state="ok"]) and restyle the widget."""
    widget.setProperty(name, value)
    widget.style().unpolish(widget)
    widget.style().polish(widget)


def pixmap_from_bytes(data: bytes, side: int | None = None) -> QPixmap:
    pm = QPixmap()
    pm.loadFromData(data)
    if side and not pm.isNull():
        pm = pm.scaled(side, side, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)
    return pm


def pixmap_from_bgr(frame: np.ndarray, side: int | None = None) -> QPixmap:
    pm = QPixmap.fromImage(bgr_to_qimage(frame))
    if side:
        pm = pm.scaled(side, side, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)
    return pm


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
        """A full-view message (no camera, camera lost); clears the picture."""
        self.message = text
        self.frame, self.image, self.quality, self._good_since = None, None, None, None
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
        p.fillRect(band, QColor(0, 0, 0, 170) if not self.message else QColor(0, 0, 0, 0))
        if not self.message:
            p.fillRect(QRectF(band.left(), band.top(), 14, band.height()), colour)
        p.setPen(QColor("white"))
        p.drawText(band, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, text)
        p.end()


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
        row = QHBoxLayout()
        row.addWidget(self.file_button)
        row.addWidget(self.shutter, 2)
        row.addWidget(self.auto)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.view, 1)
        lay.addLayout(row)
        self.shutter.clicked.connect(self.take)
        self.file_button.clicked.connect(self.pick_file)
        self.auto.toggled.connect(self._set_auto)
        self.view.auto_captured.connect(self._taken)
        if camera is not None:
            camera.frame_ready.connect(self._frame)
            camera.quality_ready.connect(self._quality)
            camera.failed.connect(self._camera_failed)

    def _frame(self, frame) -> None:
        if self.isVisible():
            self.view.set_frame(frame)

    def _quality(self, q) -> None:
        if self.isVisible():
            self.view.set_quality(q)

    def _camera_failed(self, kind: str, message: str) -> None:
        if kind == "lost":
            text = self.tr("The camera was disconnected. Reconnect it, or use “Photo from file…”.")
        else:
            text = self.tr("No camera. Check the camera in Settings, or use “Photo from file…”.")
        self.view.set_message(text)
        self.shutter.setEnabled(False)
        self.setToolTip(message)

    def camera_started(self) -> None:
        self.shutter.setEnabled(True)
        self.view.message = self.tr("Starting the camera…")
        self.view.update()

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
        from PySide6.QtGui import QIcon

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


class ContactReveal:
    """Shows an owner's contact only through the core's `reveal_contact` (one audited showing): at once for a member
    who may always see contacts (administrators), on a tap of `button` for one who may reveal them one at a time, never
    for one who may not. Dogs in results come with the contact masked (core.schemas.OwnerOut.concealed)."""

    def __init__(self, controller, button: QPushButton, show: Callable[[object, object], None],
                 failed: Callable[[BaseException], None] | None = None):
        self.controller = controller
        self.button = button
        self.show = show  # (dog, owner in full)
        self.failed = failed
        self.dog = None
        self.revealed: dict[str, object] = {}  # dog id -> owner, shown again without asking until forget()
        button.clicked.connect(self.reveal)
        button.hide()

    def forget(self) -> None:
        """The kiosk locked, or the page was reset: contacts shown so far are asked for again."""
        self.revealed.clear()
        self.dog = None
        self.button.hide()

    def set_dog(self, dog) -> None:
        self.dog = dog
        if dog is not None and dog.id in self.revealed:
            self.button.hide()
            self.show(dog, self.revealed[dog.id])
            return
        concealed = dog is not None and dog.owner.is_concealed
        mode = getattr(self.controller.access, "contacts", "none") if concealed else "none"
        self.button.setVisible(mode == "reveal")
        self.button.setEnabled(True)
        if mode == "always":
            self.reveal()

    def reveal(self) -> None:
        dog = self.dog
        if dog is None or not self.controller.loaded:
            return
        self.button.setEnabled(False)

        def done(owner, dog=dog):
            if self.dog is dog:  # another dog shown meanwhile: this contact is not for it
                self.revealed[dog.id] = owner
                self.button.hide()
                self.show(dog, owner)

        def error(exc, dog=dog):
            if self.dog is dog:
                self.button.setEnabled(True)
                if self.failed is not None:
                    self.failed(exc)

        self.controller.reveal_contact(dog.id, done, on_error=error)


class DogCard(QFrame):
    """A dog's photo, name, number, status and owner contact, with the confidence in words. The contact comes masked
    for staff members; `attach(controller)` shows it through ContactReveal (a "Show contact" button or at once)."""

    def __init__(self, parent: QWidget | None = None, vertical: bool = False, photo_side: int = 200):
        super().__init__(parent)
        self.setObjectName("dogCard")
        self.photo_side = photo_side
        self.photo = QLabel()
        self.photo.setFixedSize(photo_side, photo_side)
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
            self.photo.setPixmap(pixmap_from_bytes(photo, self.photo_side))
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

