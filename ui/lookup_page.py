"""Look up: three good frames of one dog (or 1 to 5 photo files) -> the dog's card when the match is sure, the
compare view when a person must choose among look-alikes, or "not registered" with a way to register."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ui import texts
from ui.capture import CapturePanel
from ui.compare_view import CompareView
from ui.controller import error_message
from ui.dog_card import DogCard
from ui.reunite_forms import StrayPanel

FRAMES = 3  # good frames of one look-up, fused by the core
FRAME_GAP_S = 0.35  # no next frame sooner than this after one (never the same frame twice)
NEXT_DWELL_S = 0.35  # the next frames need a shorter run of good picture than the first
BURST_STALE_S = 6.0  # frames left this long without the next one belong to another try: start over
MAX_FILES = 5  # core.usecases.MAX_LOOKUP_PHOTOS


class LookupPage(QWidget):
    register_requested = Signal(object)  # the core Photos of the look-up that found nothing (a list)
    reunite_requested = Signal(str)  # a stray taken in: its found case's id, to compare on the Reunite page
    result_shown = Signal(str)  # decision value, or "error"

    def __init__(self, controller, camera=None, parent: QWidget | None = None):
        super().__init__(parent)
        self.controller = controller
        self.last_photos: list = []
        self.last_result = None
        self.frames: list = []  # good frames of the look-up being taken
        self._stale = QTimer(self, singleShot=True, interval=int(BURST_STALE_S * 1000))
        self._stale.timeout.connect(self.clear_frames)
        title = QLabel(self.tr("Who is this dog?"))
        title.setObjectName("pageTitle")
        self.hint = QLabel(self.tr("Hold the nose inside the guide. Three photos are taken by themselves when the "
                                   "picture is good."))
        self.hint.setObjectName("hint")
        self.hint.setWordWrap(True)
        self.capture = CapturePanel(camera, multiple_files=True)
        self.capture.photo_taken.connect(self.add_frame)
        # connected after the panel's own take(): the shutter looks up at once with the frames taken so far
        self.capture.shutter.clicked.connect(self.lookup_taken)
        self.capture.files_chosen.connect(self.lookup_files)
        self._still_words = ""  # the look-up being shown is of photo files: the first one is shown, with these words
        if camera is not None:  # another camera chosen: its pictures at once, not the last result's frozen frame
            camera.source_changed.connect(self._camera_changed)

        # the right side: waiting / result / not registered / error
        self.side = QStackedWidget()
        self.side.setMinimumWidth(460)
        waiting = QLabel(self.tr("The result appears here.\n\nYou can also drop photo files of one dog here "
                                 "(up to 5)."))
        waiting.setObjectName("placeholder")
        waiting.setAlignment(Qt.AlignmentFlag.AlignCenter)
        waiting.setWordWrap(True)
        self.card = DogCard(vertical=True, photo_side=180)  # 180x135: room for "Show contact" at 1024x768
        self.card.attach(controller)  # the owner's contact only as the member may see it (core reveal_contact)
        self.again = QPushButton(self.tr("Look up another dog"))
        self.again.clicked.connect(self.reset)
        result = QWidget()
        rl = QVBoxLayout(result)
        rl.addWidget(self.card)
        rl.addStretch(1)
        rl.addWidget(self.again)
        self.none_label = QLabel(self.tr("Not registered"))
        self.none_label.setObjectName("bigVerdict")
        self.none_hint = QLabel()
        self.none_hint.setWordWrap(True)
        self.register_button = QPushButton(self.tr("Register this dog"))
        self.register_button.setObjectName("primary")
        self.register_button.clicked.connect(lambda: self.register_requested.emit(list(self.last_photos)))
        # a "not registered" answer may still name the closest dogs: a person can compare them
        self.compare_button = QPushButton(self.tr("Compare with the closest dogs"))
        self.compare_button.clicked.connect(self.show_compare)
        # a dog not surely identified, without its owner: taken in as a stray (a found case, core open_found_case)
        self.stray_button = QPushButton(self.tr("Take in as a stray"))
        self.stray_button.clicked.connect(self.take_in)
        again2 = QPushButton(self.tr("Try again"))
        again2.clicked.connect(self.reset)
        none = QWidget()
        nl = QVBoxLayout(none)
        nl.addWidget(self.none_label)
        nl.addWidget(self.none_hint)
        nl.addStretch(1)
        nl.addWidget(self.register_button)
        nl.addWidget(self.stray_button)
        nl.addWidget(self.compare_button)
        nl.addWidget(again2)
        self.stray = StrayPanel(controller)
        self.stray.cancelled.connect(lambda: self._show_side("none"))
        self.stray.again.connect(self.reset)
        self.stray.open_reunite.connect(self.reunite_requested.emit)
        self.error_label = QLabel()
        self.error_label.setObjectName("errorBox")
        self.error_label.setWordWrap(True)
        again3 = QPushButton(self.tr("Try again"))
        again3.clicked.connect(self.reset)
        err = QWidget()
        el = QVBoxLayout(err)
        el.addWidget(self.error_label)
        el.addStretch(1)
        el.addWidget(again3)
        for w in (waiting, result, none, err, self.stray):
            self.side.addWidget(w)
        self.pages = {"waiting": waiting, "result": result, "none": none, "error": err, "stray": self.stray}

        main = QWidget()
        ml = QHBoxLayout(main)
        ml.setContentsMargins(0, 0, 0, 0)
        ml.addWidget(self.capture, 3)
        ml.addWidget(self.side, 2)
        # the whole width for comparing photos, when a person must choose
        self.compare = CompareView(controller)
        # its height, taller than the capture's, must not grow the window while the capture is shown (it fits the
        # page at 1280x800, where the page's hint line is hidden for it)
        self.compare.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Ignored)
        self.compare.confirmed.connect(self.confirm)
        self.compare.rejected.connect(self.none_of_these)
        self.body = QStackedWidget()
        self.body.addWidget(main)
        self.body.addWidget(self.compare)
        self.main = main
        lay = QVBoxLayout(self)
        lay.addWidget(title)
        lay.addWidget(self.hint)
        lay.addWidget(self.body, 1)
        self.setAcceptDrops(True)

    @property
    def state(self) -> str:
        """waiting | result | none | error | compare"""
        if self.body.currentWidget() is self.compare:
            return "compare"
        w = self.side.currentWidget()
        return next(k for k, v in self.pages.items() if v is w)

    def _show_side(self, key: str) -> None:
        self.body.setCurrentWidget(self.main)
        self.hint.show()
        self.side.setCurrentWidget(self.pages[key])

    def reset(self) -> None:
        self.clear_frames()
        self.stray.clear()
        self.card.forget_contacts()  # a contact revealed or asked from the server is not kept
        self._show_side("waiting")
        self._still_words = ""
        self.capture.view.resume()  # the live picture again (after a photo taken, or a photo file shown)
        self.capture.view.hold_off(1.0)

    def _camera_changed(self) -> None:
        """Another camera (Settings): the last look-up's result and its picture belong to the old one."""
        if self.state != "waiting" or self.frames or self.capture.view.paused:
            self.reset()

    # ------------------------------------------------------------ input
    def add_frame(self, frame) -> None:
        """A good frame (auto-capture or the shutter): the look-up runs once FRAMES of them are taken."""
        view = self.capture.view
        signature = view.signature(frame)
        if any(view.signature(f) == signature for f in self.frames):
            return  # the very same picture again (a still source)
        self.frames = [*self.frames, frame][-FRAMES:]
        self._stale.start()
        if len(self.frames) < FRAMES:
            view.note = self.tr("Photo %1/%2").replace("%1", str(len(self.frames))).replace("%2", str(FRAMES))
            view.dwell_s = NEXT_DWELL_S
            view.hold_off(FRAME_GAP_S)
            view.update()
            return
        self.lookup_taken()

    def lookup_taken(self) -> None:
        """Look up with the frames taken so far (all FRAMES of them, or fewer when the shutter is pressed)."""
        if not self.frames or not self.controller.loaded or self.controller.busy:
            return
        frames, n = list(self.frames), len(self.frames)
        self.clear_frames()
        self.capture.view.note = self.tr("Photo %1/%2").replace("%1", str(n)).replace("%2", str(n))
        self.lookup_frames(frames)

    def clear_frames(self) -> None:
        self.frames = []
        self._stale.stop()
        view = self.capture.view
        view.note = ""
        view.dwell_s = view.DWELL_S
        view.update()

    def lookup_frames(self, frames) -> None:
        from core.photos import photo_from_array

        self._lookup([lambda f=f, i=i: photo_from_array(f, label=f"capture {i + 1}") for i, f in enumerate(frames)])

    def lookup_file(self, path: str) -> None:
        self.lookup_files([path])

    def lookup_files(self, paths: list[str]) -> None:
        """1 to MAX_FILES photo files of one dog (more: the first MAX_FILES). The capture view shows the first file
        (once decoded, with the result) and says it is a file, not the camera's picture."""
        from pathlib import Path

        from core.photos import read_photo_file

        paths = list(paths[:MAX_FILES])
        if not paths:
            return
        first = Path(paths[0]).name
        if len(paths) == 1:
            words = self.tr("Photo file: %1").replace("%1", first)
        else:
            words = self.tr("Photo files: %1 and %2 more").replace("%1", first).replace("%2", str(len(paths) - 1))
        self._lookup([lambda p=p: read_photo_file(p) for p in paths], still_words=words)

    def dragEnterEvent(self, event) -> None:  # noqa: N802
        self.capture.dragEnterEvent(event)

    def dropEvent(self, event) -> None:  # noqa: N802
        self.capture.dropEvent(event)

    def _lookup(self, makers, still_words: str = "") -> None:
        if not self.controller.loaded or self.controller.busy or not makers:
            return
        self._still_words = still_words
        if still_words:  # photo files: not the camera's picture; the file's own once it is decoded (_show)
            self.clear_frames()
            self.capture.view.show_still(None, still_words)
        else:
            self.capture.view.paused = True  # keep the picture that was taken while the result comes
        self.controller.lookup(makers, self._show, self._error, busy=self.tr("Looking up…"))

    # ------------------------------------------------------------ output
    def _show(self, out) -> None:
        """out: (the Photos looked up, the LookupResult)."""
        from core.recognition.base import Decision

        photos, result = out
        self.last_photos, self.last_result = list(photos or []), result
        if self._still_words and self.last_photos:
            self.capture.view.show_still(self.last_photos[0].image, self._still_words)
        if result.match is not None and (result.decision == Decision.MATCH or not result.candidates):
            self.card.show_dog(result.match.dog, self.controller.first_photo(result.match.dog), result.decision,
                               result.match.probability)
            self._show_side("result")
        elif result.decision == Decision.UNCERTAIN:
            self.show_compare()
        else:
            self.none_hint.setText(texts.reason_words(
                result.reason if result.reason in ("no_similar_dog", "empty_registry") else "no_similar_dog"))
            self.compare_button.setVisible(bool(result.candidates))
            self._show_side("none")
        self.result_shown.emit(result.decision.value)

    def show_compare(self) -> None:
        """The look-up's photos beside its candidates', for a person to choose."""
        self.compare.show_result(self.last_photos, self.last_result)
        self.hint.hide()
        self.body.setCurrentWidget(self.compare)

    def confirm(self, candidate) -> None:
        """Staff chose this candidate: its card, with the owner's contact, marked as their confirmation."""
        dog = candidate.dog
        self.card.show_dog(dog, self.controller.first_photo(dog))
        self.card.set_verdict(self.tr("Confirmed by staff"), "good", f"{candidate.probability:.0%}")
        self._show_side("result")

    def none_of_these(self) -> None:
        """Staff found none of the candidates to be this dog: not registered, with the offer to register it."""
        self.none_hint.setText(self.tr("None of the look-alike dogs is this dog."))
        self.compare_button.setVisible(bool(self.last_result and self.last_result.candidates))
        self._show_side("none")

    def take_in(self) -> None:
        """The dog looked up, not surely identified, taken in as a stray from the same photos (a small form)."""
        if self.last_photos:
            self.stray.start(self.last_photos)
            self._show_side("stray")

    def _error(self, exc) -> None:
        from core.errors import SavePetsError

        detail = texts.photo_error_words(exc) if isinstance(exc, SavePetsError) else error_message(exc)
        text = self.tr("This photo cannot be used: %1").replace("%1", detail)
        self.error_label.setText(text)
        self._show_side("error")
        self.result_shown.emit("error")

