"""Look up: one capture (or a photo file) -> a result card, or "not registered" with a way to register."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QStackedWidget, QVBoxLayout, QWidget

from ui.controller import error_message
from ui.widgets import CapturePanel, DogCard

MAX_POSSIBLE = 3  # dogs offered side by side when the answer is not a single clear match


class LookupPage(QWidget):
    register_requested = Signal(object)  # the core Photo that was not found
    result_shown = Signal(str)  # decision value, or "error"

    def __init__(self, controller, camera=None, parent: QWidget | None = None):
        super().__init__(parent)
        self.controller = controller
        self.last_photo = None
        self.last_result = None
        title = QLabel(self.tr("Who is this dog?"))
        title.setObjectName("pageTitle")
        hint = QLabel(self.tr("Hold the nose inside the guide. The photo is taken when the picture is good."))
        hint.setObjectName("hint")
        hint.setWordWrap(True)
        self.capture = CapturePanel(camera)
        self.capture.photo_taken.connect(self.lookup_frame)
        self.capture.file_chosen.connect(self.lookup_file)

        # the right side: waiting / result / not registered / error
        self.side = QStackedWidget()
        self.side.setMinimumWidth(460)
        waiting = QLabel(self.tr("The result appears here.\n\nYou can also drop a photo file here."))
        waiting.setObjectName("placeholder")
        waiting.setAlignment(Qt.AlignmentFlag.AlignCenter)
        waiting.setWordWrap(True)
        self.card = DogCard(vertical=True)
        self.again = QPushButton(self.tr("Look up another dog"))
        self.again.clicked.connect(self.reset)
        # when more than one registered dog is possible, each is a button that puts it on the card
        self.possible_label = QLabel(self.tr("Possible dogs (tap to compare):"))
        self.possible_label.setObjectName("hint")
        self.possible_label.hide()
        self.possible_row = QHBoxLayout()
        self.possible_buttons: list[QPushButton] = []
        result = QWidget()
        rl = QVBoxLayout(result)
        rl.addWidget(self.card)
        rl.addWidget(self.possible_label)
        rl.addLayout(self.possible_row)
        rl.addStretch(1)
        rl.addWidget(self.again)
        self.none_label = QLabel(self.tr("Not registered"))
        self.none_label.setObjectName("bigVerdict")
        none_hint = QLabel(self.tr("No dog in the registry has this nose print."))
        none_hint.setWordWrap(True)
        self.register_button = QPushButton(self.tr("Register this dog"))
        self.register_button.setObjectName("primary")
        self.register_button.clicked.connect(lambda: self.register_requested.emit(self.last_photo))
        again2 = QPushButton(self.tr("Try again"))
        again2.clicked.connect(self.reset)
        none = QWidget()
        nl = QVBoxLayout(none)
        nl.addWidget(self.none_label)
        nl.addWidget(none_hint)
        nl.addStretch(1)
        nl.addWidget(self.register_button)
        nl.addWidget(again2)
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
        for w in (waiting, result, none, err):
            self.side.addWidget(w)
        self.pages = {"waiting": waiting, "result": result, "none": none, "error": err}

        body = QHBoxLayout()
        body.addWidget(self.capture, 3)
        body.addWidget(self.side, 2)
        lay = QVBoxLayout(self)
        lay.addWidget(title)
        lay.addWidget(hint)
        lay.addLayout(body, 1)
        self.setAcceptDrops(True)

    @property
    def state(self) -> str:
        w = self.side.currentWidget()
        return next(k for k, v in self.pages.items() if v is w)

    def reset(self) -> None:
        self.side.setCurrentWidget(self.pages["waiting"])
        self.capture.view.paused = False
        self.capture.view.hold_off(1.0)

    # ------------------------------------------------------------ input
    def lookup_frame(self, frame) -> None:
        from core.photos import photo_from_array

        self._lookup(lambda: photo_from_array(frame, label="capture"))

    def lookup_file(self, path: str) -> None:
        from core.photos import read_photo_file

        self._lookup(lambda: read_photo_file(path))

    def dragEnterEvent(self, event) -> None:  # noqa: N802
        self.capture.dragEnterEvent(event)

    def dropEvent(self, event) -> None:  # noqa: N802
        self.capture.dropEvent(event)

    def _lookup(self, make_photo) -> None:
        if self.controller.service is None or self.controller.busy:
            return
        self.capture.view.paused = True  # keep the picture that was taken while the result comes

        def job():
            photo = make_photo()
            return photo, self.controller.service.lookup(photo)

        self.controller.run(job, self._show, self._error, busy=self.tr("Looking up…"))

    # ------------------------------------------------------------ output
    def _show(self, out) -> None:
        photo, result = out
        self.last_photo, self.last_result = photo, result
        if result.match is None:
            self.side.setCurrentWidget(self.pages["none"])
        else:
            from core.recognition.base import Decision

            possible = [c for c in result.candidates if c.decision != Decision.NO_MATCH][:MAX_POSSIBLE]
            self._set_possible(possible if len(possible) > 1 else [])
            self.show_candidate(result.match)
            self.side.setCurrentWidget(self.pages["result"])
        self.result_shown.emit(result.decision.value)

    def _set_possible(self, candidates) -> None:
        for b in self.possible_buttons:
            self.possible_row.removeWidget(b)
            b.deleteLater()
        self.possible_buttons = []
        for c in candidates:
            b = QPushButton(f"{c.dog.name}\n{c.dog.registration_number}")
            b.setObjectName("possibleDog")
            b.setCheckable(True)
            b.setProperty("dog_id", c.dog.id)
            b.clicked.connect(lambda _=False, c=c: self.show_candidate(c))
            self.possible_row.addWidget(b)
            self.possible_buttons.append(b)
        self.possible_label.setVisible(bool(candidates))

    def show_candidate(self, c) -> None:
        """Put one candidate of the last look-up on the card, with its own verdict."""
        self.card.show_dog(c.dog, self.controller.first_photo(c.dog), c.decision, c.probability)
        for b in self.possible_buttons:
            b.setChecked(b.property("dog_id") == c.dog.id)

    def _error(self, exc) -> None:
        from core.errors import SavePetsError
        from ui import texts

        detail = texts.photo_error_words(exc) if isinstance(exc, SavePetsError) else error_message(exc)
        text = self.tr("This photo cannot be used: %1").replace("%1", detail)
        self.error_label.setText(text)
        self.side.setCurrentWidget(self.pages["error"])
        self.result_shown.emit("error")
