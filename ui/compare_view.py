"""Compare: the look-up's nose photos beside each candidate's, large and zoomable, for a person to decide.

Shown when a look-up is not a sure match and some registered dogs are worth comparing (LookupResult.candidates,
best first). Staff answer "This is the dog" (`confirmed`, with the candidate) or "None of these" (`rejected`); the
page decides what follows. The candidates' photos are read from the service and decoded off the GUI thread.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, QSizeF, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QImage, QPainter, QPen
from PySide6.QtWidgets import (
    QButtonGroup,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPinchGesture,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ui import texts
from ui.images import bgr_to_qimage, pixmap_from_bgr
from ui.style import set_style_property

MAX_CANDIDATES = 8  # as many as the core offers (core.recognition.decision.ScaleRule.show)
NAMED_BUTTONS = 5  # up to this many candidates the buttons carry names; past it, their rank (the name is below)
MAX_PHOTOS = 5  # photos of one candidate offered (a registration has five)
HEAD_H = 64  # the probe's title and the candidates' buttons: as high as each other, so the photos line up


class ZoomImage(QWidget):
    """One photo fitted to the widget. A tap zooms in where it was tapped, another tap shows the whole photo again;
    the wheel or two fingers zoom; a drag moves the zoomed photo."""

    TAP_ZOOM = 2.5
    MAX_ZOOM = 6.0
    DRAG_PX = 12  # a finger that moves less than this is still a tap

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setMinimumSize(240, 240)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAttribute(Qt.WidgetAttribute.WA_AcceptTouchEvents)
        self.grabGesture(Qt.GestureType.PinchGesture)
        self.image: QImage | None = None
        self.placeholder = ""
        self.zoom = 1.0
        self._offset = QPointF()  # the image's top-left corner, in widget pixels
        self._press: QPointF | None = None
        self._last = QPointF()
        self._dragged = self._pinching = False

    def set_image(self, image: QImage | None, placeholder: str = "") -> None:
        self.image = image if image is not None and not image.isNull() else None
        self.placeholder = placeholder
        self.reset_zoom()

    def reset_zoom(self) -> None:
        self.zoom = 1.0
        self._offset = self._clamp(QPointF())
        self.update()

    # ------------------------------------------------------------ geometry
    def scale(self) -> float:
        if self.image is None:
            return 1.0
        fit = min(self.width() / self.image.width(), self.height() / self.image.height())
        return fit * self.zoom

    def image_rect(self) -> QRectF:
        if self.image is None:
            return QRectF()
        s = self.scale()
        return QRectF(self._offset, QSizeF(self.image.width() * s, self.image.height() * s))

    def _clamp(self, offset: QPointF) -> QPointF:
        """Centred where the photo is smaller than the widget, else no empty border at either side."""
        if self.image is None:
            return QPointF()
        s = self.scale()
        w, h = self.image.width() * s, self.image.height() * s
        x = (self.width() - w) / 2 if w <= self.width() else min(0.0, max(self.width() - w, offset.x()))
        y = (self.height() - h) / 2 if h <= self.height() else min(0.0, max(self.height() - h, offset.y()))
        return QPointF(x, y)

    def zoom_at(self, factor: float, pos: QPointF) -> None:
        """Zoom by `factor`, keeping the point of the photo under `pos` where it is."""
        if self.image is None:
            return
        old = self.scale()
        self.zoom = min(self.MAX_ZOOM, max(1.0, self.zoom * factor))
        point = (pos - self._offset) / old
        self._offset = self._clamp(pos - point * self.scale())
        self.update()

    # ------------------------------------------------------------ input
    def mousePressEvent(self, event) -> None:  # noqa: N802
        self._press = self._last = event.position()
        self._dragged = False

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        if self._press is None or self._pinching:
            return
        pos = event.position()
        if not self._dragged and (pos - self._press).manhattanLength() < self.DRAG_PX:
            return
        self._dragged = True
        self._offset = self._clamp(self._offset + pos - self._last)
        self._last = pos
        self.update()

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802
        if self._press is not None and not self._dragged and not self._pinching:
            if self.zoom > 1.0:
                self.reset_zoom()
            else:
                self.zoom_at(self.TAP_ZOOM, event.position())
        self._press = None

    def wheelEvent(self, event) -> None:  # noqa: N802
        steps = event.angleDelta().y() / 120
        if steps:
            self.zoom_at(1.25 ** steps, event.position())

    def event(self, event) -> bool:
        if event.type() == QEvent.Type.Gesture:
            pinch = event.gesture(Qt.GestureType.PinchGesture)
            if pinch is not None:
                self._pinching = pinch.state() not in (Qt.GestureState.GestureFinished,
                                                       Qt.GestureState.GestureCanceled)
                if pinch.changeFlags() & QPinchGesture.ChangeFlag.ScaleFactorChanged:
                    centre = self.mapFromGlobal(pinch.centerPoint().toPoint())
                    self.zoom_at(pinch.scaleFactor(), QPointF(centre))
                event.accept()
                return True
        return super().event(event)

    def resizeEvent(self, _event) -> None:  # noqa: N802
        self.reset_zoom()

    # ------------------------------------------------------------ painting
    def paintEvent(self, _event) -> None:  # noqa: N802
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        r = QRectF(self.rect())
        p.fillRect(r, QColor("#1d2127"))
        if self.image is None:
            p.setPen(QColor("#c9d3d2"))
            p.drawText(r.adjusted(16, 16, -16, -16), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                       self.placeholder)
            p.end()
            return
        p.drawImage(self.image_rect(), self.image)
        # a magnifier in the corner says the photo can be zoomed; zoomed, it shows how much
        badge = QRectF(r.right() - 64, r.bottom() - 64, 52, 52)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(0, 0, 0, 150))
        p.drawEllipse(badge)
        pen = QPen(QColor("white"), 4)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        p.setPen(pen)
        p.setBrush(Qt.BrushStyle.NoBrush)
        lens = QRectF(badge.left() + 12, badge.top() + 11, 20, 20)
        p.drawEllipse(lens)
        p.drawLine(lens.bottomRight() - QPointF(3, 3), QPointF(badge.right() - 12, badge.bottom() - 12))
        sign = QPointF(lens.center())
        p.drawLine(sign - QPointF(5, 0), sign + QPointF(5, 0))
        if self.zoom <= 1.0:
            p.drawLine(sign - QPointF(0, 5), sign + QPointF(0, 5))
        p.end()


class PhotoPane(QFrame):
    """A heading, one large zoomable photo and, beside it, the other photos as thumbnails to tap."""

    THUMB = 56  # five thumbnails beside the photo fit a 800-pixel-high screen

    def __init__(self, thumbs_left: bool = True, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("comparePane")
        self.frames: list[np.ndarray] = []
        self.head = QVBoxLayout()
        self.head.setSpacing(4)
        self.view = ZoomImage()
        self.thumb_col = QVBoxLayout()
        self.thumb_col.setSpacing(6)
        self.thumb_col.addStretch(1)
        self.thumbs: list[QToolButton] = []
        self.group = QButtonGroup(self)
        row = QHBoxLayout()
        row.setSpacing(10)
        if thumbs_left:
            row.addLayout(self.thumb_col)
        row.addWidget(self.view, 1)
        if not thumbs_left:
            row.addLayout(self.thumb_col)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(12, 12, 12, 12)
        lay.addLayout(self.head)
        lay.addLayout(row, 1)

    def set_photos(self, frames: list[np.ndarray], placeholder: str = "") -> None:
        """Show the first photo large; the others as thumbnails (none when there is one photo)."""
        self.frames = list(frames)
        for b in self.thumbs:
            self.group.removeButton(b)
            self.thumb_col.removeWidget(b)
            b.deleteLater()
        self.thumbs = []
        if len(self.frames) > 1:
            for i, frame in enumerate(self.frames):
                b = QToolButton()
                b.setObjectName("compareThumb")
                b.setCheckable(True)
                b.setIcon(QIcon(pixmap_from_bgr(frame, self.THUMB)))
                b.setIconSize(QSize(self.THUMB, self.THUMB))
                b.setFixedSize(self.THUMB + 16, self.THUMB + 16)
                b.clicked.connect(lambda _=False, i=i: self.show_photo(i))
                self.group.addButton(b)
                self.thumb_col.insertWidget(i, b)
                self.thumbs.append(b)
        if self.frames:
            self.show_photo(0)
        else:
            self.view.set_image(None, placeholder)

    def show_photo(self, i: int) -> None:
        self.view.set_image(bgr_to_qimage(self.frames[i]))
        if self.thumbs:
            self.thumbs[i].setChecked(True)


class CompareView(QWidget):
    """The probe beside one candidate at a time; buttons to pick the candidate; 'This is the dog' / 'None of these'."""

    confirmed = Signal(object)  # the CandidateOut staff chose
    rejected = Signal()

    def __init__(self, controller, parent: QWidget | None = None):
        super().__init__(parent)
        self.controller = controller
        self.result = None
        self.candidates: list = []
        self.current = 0
        self.images: dict[str, np.ndarray] = {}
        self.loading = False
        self._token = 0
        self.reason = QLabel()
        self.reason.setObjectName("compareReason")
        self.reason.setWordWrap(True)

        # left: the dog being looked up
        self.probe = PhotoPane(thumbs_left=True)
        self.probe_title = QLabel(self.tr("This dog"))
        self.probe_title.setObjectName("paneTitle")
        self.probe_title.setFixedHeight(HEAD_H)
        self.probe_note = QLabel()
        self.probe_note.setObjectName("paneNote")
        self.probe.head.addWidget(self.probe_title)
        self.probe.head.addWidget(self.probe_note)
        # right: one candidate at a time, chosen with a row of buttons
        self.candidate = PhotoPane(thumbs_left=False)
        choices = QWidget()
        choices.setFixedHeight(HEAD_H)
        self.choice_row = QHBoxLayout(choices)
        self.choice_row.setContentsMargins(0, 0, 0, 0)
        self.choice_row.setSpacing(8)
        self.choice_buttons: list[QPushButton] = []
        self.choice_group = QButtonGroup(self)
        self.candidate_note = QLabel()
        self.candidate_note.setObjectName("paneNote")
        self.candidate.head.addWidget(choices)
        self.candidate.head.addWidget(self.candidate_note)
        for pane in (self.probe, self.candidate):  # the two photos exactly as large as each other
            pane.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        for note in (self.probe_note, self.candidate_note):  # two lines each, so the photos line up
            note.ensurePolished()
            note.setFixedHeight(note.fontMetrics().lineSpacing() * 2 + 4)
        panes = QHBoxLayout()
        panes.setSpacing(16)
        panes.addWidget(self.probe, 1)
        panes.addWidget(self.candidate, 1)

        self.none_button = QPushButton(self.tr("None of these"))
        self.none_button.setObjectName("bigChoice")
        self.none_button.clicked.connect(self.rejected.emit)
        self.confirm_button = QPushButton(self.tr("This is the dog"))
        self.confirm_button.setObjectName("primary")
        self.confirm_button.setProperty("big", True)
        self.confirm_button.clicked.connect(self._confirm)
        bottom = QHBoxLayout()
        bottom.setSpacing(16)
        bottom.addWidget(self.none_button, 1)
        bottom.addWidget(self.confirm_button, 1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(12)
        lay.addWidget(self.reason)
        lay.addLayout(panes, 1)
        lay.addLayout(bottom)

    # ------------------------------------------------------------ content

    def heightForWidth(self, width: int) -> int:  # noqa: N802
        """Behind the capture (the look-up page's other page) its height is none of the page's: a stack answers the
        largest of its pages', and this one's made the page scroll under a dog's card."""
        return super().heightForWidth(width) if self.isVisible() else -1
    def show_result(self, photos, result) -> None:
        """photos: the core Photos of the look-up (the probe); result: its LookupResult with candidates."""
        from core.recognition.base import Decision

        self.result = result
        self.candidates = list(result.candidates[:MAX_CANDIDATES])
        words = texts.reason_words(result.reason)
        if result.decision == Decision.NO_MATCH:
            words += " " + self.tr("These are the closest registered dogs.")
        self.reason.setText(words)
        set_style_property(self.reason, "level", "warn" if result.decision == Decision.UNCERTAIN else "bad")
        frames = [p.image for p in photos or []]
        self.probe.set_photos(frames, self.tr("No photo"))
        self.probe_note.setText(self.tr("Photos taken: %n", "", len(frames)) + "\n"
                                + self.tr("Tap a photo to zoom in, tap again to see all of it."))
        for b in self.choice_buttons:
            self.choice_group.removeButton(b)
            self.choice_row.removeWidget(b)
            b.deleteLater()
        self.choice_buttons = []
        for i, c in enumerate(self.candidates):
            b = QPushButton()
            b.setObjectName("candidateChoice")
            b.setCheckable(True)
            b.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Expanding)  # the row shares the pane
            b.ensurePolished()  # the style's font, to shorten a long name to what fits
            room = 440 // max(1, len(self.candidates)) - 22  # best first, left to right
            b.setText(b.fontMetrics().elidedText(c.dog.name, Qt.TextElideMode.ElideRight, room)
                      if len(self.candidates) <= NAMED_BUTTONS else str(i + 1))
            b.setToolTip(c.dog.name)
            b.clicked.connect(lambda _=False, i=i: self.select(i))
            self.choice_group.addButton(b)
            self.choice_row.addWidget(b)
            self.choice_buttons.append(b)
        self.images = {}
        self._load()
        self.select(0)

    def _load(self) -> None:
        """The candidates' photos, off the GUI thread; a later look-up makes an earlier answer stale."""
        self._token += 1
        token, candidates, controller = self._token, list(self.candidates), self.controller
        self.loading = True

        def done(images, token=token):
            if token == self._token:
                self.images, self.loading = images, False
                self.select(self.current)

        def failed(_exc, token=token):
            done({}, token)

        photos = [p for c in candidates for p in c.dog.photos[:MAX_PHOTOS]]
        controller.load_photos(photos, done, failed, busy=self.tr("Loading photos…"))

    def select(self, i: int) -> None:
        """Show candidate i (0 = the most alike) beside the probe."""
        if not self.candidates:
            return
        self.current = i
        c = self.candidates[i]
        self.choice_buttons[i].setChecked(True)
        dog = c.dog
        details = [dog.name, dog.registration_number] + ([dog.breed] if dog.breed else [])  # the button may elide
        how_alike = self.tr("match probability %1 · score %2").replace("%1", f"{c.probability:.0%}").replace(
            "%2", f"{c.score:.2f}")
        self.candidate_note.setText(" · ".join(details) + "\n" + how_alike)
        frames = [self.images[p.sha256] for p in dog.photos[:MAX_PHOTOS] if p.sha256 in self.images]
        placeholder = self.tr("Loading photos…") if self.loading else self.tr("No photo of this dog on this kiosk")
        self.candidate.set_photos(frames, placeholder)

    def _confirm(self) -> None:
        if self.candidates:
            self.confirmed.emit(self.candidates[self.current])
