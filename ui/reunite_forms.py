"""The two small forms of Reunite: a dog reported lost (from the Registry: where, when, how the owner is told) and a
stray taken in from a look-up's photos (where, when), with what came of it (the days it is held, the dogs it may be).
Each builds the core's schema (LostIn, FoundIn), runs the use case through the controller and shows its answer."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ui import texts
from ui.controller import error_message
from ui.reunite_rows import URGENT_DAYS, when_words
from ui.style import set_style_property

TIME_FORMAT = "%Y-%m-%d %H:%M"


def parse_when(text: str) -> datetime:
    """'YYYY-MM-DD HH:MM' in the kiosk's local time (empty: now), as an aware time; ValueError when malformed."""
    text = text.strip()
    if not text:
        return datetime.now().astimezone()
    return datetime.strptime(text, TIME_FORMAT).astimezone()


def now_words() -> str:
    return datetime.now().astimezone().strftime(TIME_FORMAT)


def _field(grid: QGridLayout, row: int, col: int, label: str, widget: QWidget) -> QLabel:
    words = QLabel(label)
    words.setObjectName("fieldLabel")
    box = QVBoxLayout()
    box.setSpacing(2)
    box.addWidget(words)
    box.addWidget(widget)
    grid.addLayout(box, row, col)
    return words


class ReportLostForm(QWidget):
    """A registered dog reported lost: place, when, how to reach the owner (phone or e-mail, text or e-mail, Korean or
    English), and whether to tell them of possible matches too. The open found dogs are searched for it at once."""

    reported = Signal(object)  # the core LostReportOut
    cancelled = Signal()

    def __init__(self, controller, parent: QWidget | None = None):
        super().__init__(parent)
        self.controller = controller
        self.dog = None
        self.heading = QLabel()
        self.heading.setObjectName("sectionTitle")
        self.heading.setWordWrap(True)
        note = QLabel(self.tr("The dog's status becomes lost, and the found dogs held now are searched for it at once. "
                              "Later found dogs are searched for it as they come in."))
        note.setObjectName("hint")
        note.setWordWrap(True)
        self.place = QLineEdit()
        self.place.setPlaceholderText(self.tr("A street, a park, a town"))
        self.when = QLineEdit()
        self.when.setPlaceholderText("YYYY-MM-DD HH:MM")
        self.phone = QLineEdit()
        self.phone.setPlaceholderText(self.tr("The owner's registered phone"))
        self.email = QLineEdit()
        self.email.setPlaceholderText(self.tr("Optional"))
        self.channel = QComboBox()
        self.channel.addItem(self.tr("Text message"), "sms")
        self.channel.addItem(self.tr("E-mail"), "email")
        self.language = QComboBox()
        self.language.addItem("한국어", "ko")
        self.language.addItem("English", "en")
        self.notify_possible = QCheckBox(self.tr("Also tell the owner of possible matches, not only confirmed ones"))
        grid = QGridLayout()
        grid.setHorizontalSpacing(16)
        grid.setVerticalSpacing(8)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        _field(grid, 0, 0, self.tr("Where was it lost?"), self.place)
        _field(grid, 0, 1, self.tr("When (YYYY-MM-DD HH:MM)"), self.when)
        _field(grid, 1, 0, self.tr("Owner's phone"), self.phone)
        _field(grid, 1, 1, self.tr("Owner's e-mail"), self.email)
        _field(grid, 2, 0, self.tr("Tell the owner by"), self.channel)
        _field(grid, 2, 1, self.tr("In"), self.language)
        self.message = QLabel()
        self.message.setObjectName("fieldError")
        self.message.setWordWrap(True)
        self.message.hide()
        self.cancel_button = QPushButton(self.tr("Cancel"))
        self.cancel_button.clicked.connect(self.cancelled.emit)
        self.submit_button = QPushButton(self.tr("Report lost"))
        self.submit_button.setObjectName("primary")
        self.submit_button.clicked.connect(self.submit)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.submit_button)
        card = QFrame()
        card.setObjectName("dogCard")
        cl = QVBoxLayout(card)
        cl.setSpacing(10)
        cl.addWidget(self.heading)
        cl.addWidget(note)
        cl.addLayout(grid)
        cl.addWidget(self.notify_possible)
        cl.addWidget(self.message)
        cl.addLayout(buttons)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(card)
        lay.addStretch(1)

    def start(self, dog) -> None:
        self.dog = dog
        self.heading.setText(self.tr("Report %1 (%2) lost").replace("%1", dog.name)
                             .replace("%2", dog.registration_number))
        for w in (self.place, self.phone, self.email):
            w.clear()
        self.when.setText(now_words())
        self.channel.setCurrentIndex(0)
        self.language.setCurrentIndex(0)  # the owner's language: Korean unless they ask for English
        self.notify_possible.setChecked(False)
        self._say("")
        self.submit_button.setEnabled(True)
        self.place.setFocus()

    def clear(self) -> None:
        self.dog = None
        for w in (self.place, self.phone, self.email, self.when):
            w.clear()
        self._say("")

    def _say(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def submit(self) -> None:
        from pydantic import ValidationError

        from core.schemas import LostIn

        if self.dog is None or not self.submit_button.isEnabled():
            return
        if not self.place.text().strip():
            self._say(self.tr("Where was the dog lost? Enter a place."))
            return
        try:
            when = parse_when(self.when.text())
        except ValueError:
            self._say(self.tr("Enter the time as YYYY-MM-DD HH:MM, e.g. %1.").replace("%1", now_words()))
            return
        try:
            report = LostIn(dog=self.dog.id, place=self.place.text().strip(), lost_at=when,
                            contact_phone=self.phone.text().strip() or None,
                            contact_email=self.email.text().strip() or None, channel=self.channel.currentData(),
                            language=self.language.currentData(), notify_possible=self.notify_possible.isChecked())
        except ValidationError as exc:
            self._say(self._invalid(exc))
            return
        self._say("")
        self.submit_button.setEnabled(False)
        self.controller.report_lost(report, self._done, self._failed, busy=self.tr("Saving…"))

    def _invalid(self, exc) -> str:
        first = (exc.errors() or [{}])[0]
        field = first.get("loc", ("",))[0] if first.get("loc") else ""
        if field == "lost_at":
            return self.tr("The time cannot be in the future, nor more than three years ago.")
        if field == "contact_phone":
            return self.tr("This is not a phone number.")
        if field == "contact_email" or "email" in str(first.get("msg", "")):
            return self.tr("Enter the owner's e-mail address to tell them by e-mail.")
        return error_message(exc)

    def _done(self, report) -> None:
        self.submit_button.setEnabled(True)
        self.reported.emit(report)

    def _failed(self, exc) -> None:
        self.submit_button.setEnabled(True)
        self._say(error_message(exc))


class StrayPanel(QStackedWidget):
    """On the look-up page, for a dog not surely identified: take it in as a stray from the look-up's photos (a place,
    when: now), then what came of it: the days it is held, and the registered dogs it may be."""

    cancelled = Signal()
    open_reunite = Signal(str)  # the found case's id: compare its possible dogs on the Reunite page
    again = Signal()  # look up another dog

    def __init__(self, controller, parent: QWidget | None = None):
        super().__init__(parent)
        self.controller = controller
        self.photos: list = []
        self.case = None
        # the form
        title = QLabel(self.tr("Take in as a stray"))
        title.setObjectName("bigVerdict")
        note = QLabel(self.tr("A found case is opened with these photos. Dogs reported lost are searched first, then "
                              "the whole registry; dogs reported lost later are searched against it too."))
        note.setObjectName("hint")
        note.setWordWrap(True)
        self.place = QLineEdit()
        self.place.setPlaceholderText(self.tr("A street, a park, a town"))
        self.when = QLineEdit()
        self.when.setPlaceholderText("YYYY-MM-DD HH:MM")
        grid = QGridLayout()
        grid.setVerticalSpacing(8)
        _field(grid, 0, 0, self.tr("Where was it found?"), self.place)
        _field(grid, 1, 0, self.tr("When (YYYY-MM-DD HH:MM)"), self.when)
        self.message = QLabel()
        self.message.setObjectName("fieldError")
        self.message.setWordWrap(True)
        self.message.hide()
        cancel = QPushButton(self.tr("Cancel"))
        cancel.clicked.connect(self.cancelled.emit)
        self.submit_button = QPushButton(self.tr("Open found case"))
        self.submit_button.setObjectName("primary")
        self.submit_button.clicked.connect(self.submit)
        form = QWidget()
        fl = QVBoxLayout(form)
        fl.setContentsMargins(0, 0, 0, 0)
        fl.addWidget(title)
        fl.addWidget(note)
        fl.addLayout(grid)
        fl.addWidget(self.message)
        fl.addStretch(1)
        row = QHBoxLayout()
        row.addWidget(cancel)
        row.addWidget(self.submit_button, 1)
        fl.addLayout(row)
        # what came of it
        self.done_title = QLabel()
        self.done_title.setObjectName("bigVerdict")
        self.done_title.setWordWrap(True)
        self.days = QLabel()
        self.days.setObjectName("statusBadge")
        self.done_text = QLabel()
        self.done_text.setObjectName("hint")
        self.done_text.setWordWrap(True)
        self.possible = QLabel()
        self.possible.setObjectName("fieldValue")
        self.possible.setWordWrap(True)
        self.possible.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.reunite_button = QPushButton(self.tr("Compare on the Reunite page"))
        self.reunite_button.setObjectName("primary")
        self.reunite_button.clicked.connect(lambda: self.case and self.open_reunite.emit(self.case.id))
        again = QPushButton(self.tr("Look up another dog"))
        again.clicked.connect(self.again.emit)
        done = QWidget()
        dl = QVBoxLayout(done)
        dl.setContentsMargins(0, 0, 0, 0)
        dl.addWidget(self.done_title)
        dl.addWidget(self.days, 0, Qt.AlignmentFlag.AlignLeft)
        dl.addWidget(self.done_text)
        dl.addWidget(self.possible)
        dl.addStretch(1)
        dl.addWidget(self.reunite_button)
        dl.addWidget(again)
        self.form, self.done = form, done
        self.addWidget(form)
        self.addWidget(done)

    @property
    def state(self) -> str:
        """form | done"""
        return "done" if self.currentWidget() is self.done else "form"

    def start(self, photos) -> None:
        self.photos = list(photos)
        self.case = None
        self.place.clear()
        self.when.setText(now_words())
        self._say("")
        self.submit_button.setEnabled(True)
        self.setCurrentWidget(self.form)
        self.place.setFocus()

    def clear(self) -> None:
        self.photos, self.case = [], None
        self.place.clear()
        self.when.clear()
        self.possible.clear()
        self._say("")
        self.setCurrentWidget(self.form)

    def _say(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def submit(self) -> None:
        from pydantic import ValidationError

        from core.schemas import FoundIn

        if not self.photos or not self.submit_button.isEnabled():
            return
        if not self.place.text().strip():
            self._say(self.tr("Where was the dog found? Enter a place."))
            return
        try:
            found = FoundIn(place=self.place.text().strip(), found_at=parse_when(self.when.text()))
        except ValueError as exc:  # a malformed time, or one the core's schema refuses (ValidationError is one)
            self._say(self.tr("The time cannot be in the future, nor more than three years ago.")
                      if isinstance(exc, ValidationError)
                      else self.tr("Enter the time as YYYY-MM-DD HH:MM, e.g. %1.").replace("%1", now_words()))
            return
        self._say("")
        self.submit_button.setEnabled(False)
        self.controller.open_found_case(self.photos, found, self._opened, self._failed,
                                        busy=self.tr("Opening the found case…"))

    def _failed(self, exc) -> None:
        from core.errors import SavePetsError

        self.submit_button.setEnabled(True)
        if getattr(exc, "code", "") in ("photos_rejected", "invalid_photo") and isinstance(exc, SavePetsError):
            self._say(self.tr("These photos cannot be used: %1").replace("%1", texts.photo_error_words(exc)))
        else:
            self._say(error_message(exc))

    def _opened(self, case) -> None:
        self.case = case
        self.submit_button.setEnabled(True)
        self.done_title.setText(self.tr("Found case opened"))
        if case.days_left is None:
            self.days.setText(self.tr("No holding period"))
        else:
            until = when_words(case.hold_until)[:10]
            self.days.setText(self.tr("Held until %1: last day today").replace("%1", until) if case.days_left == 0
                              else self.tr("Held until %1: 1 more day").replace("%1", until) if case.days_left == 1
                              else self.tr("Held until %1: %2 more days").replace("%1", until)
                              .replace("%2", str(case.days_left)))
        set_style_property(self.days, "status", "lost" if (case.days_left or 0) <= URGENT_DAYS else "found")
        self.done_text.setText(self.tr("Found at %1, %2.").replace("%1", case.place)
                               .replace("%2", when_words(case.found_at)) + " " + self._message(case))
        possible = [r for r in case.reunions if r.state == "possible"]
        lines = [f"{r.dog.name} ({r.dog.registration_number}) · "
                 + (self.tr("reported lost") if r.source == "lost" else self.tr("in the registry"))
                 + f" · {r.probability:.0%}" for r in possible[:4]]
        self.possible.setText(self.tr("It may be:") + "\n" + "\n".join(lines) if lines else "")
        self.possible.setVisible(bool(lines))
        self.reunite_button.setVisible(bool(possible))
        self.setCurrentWidget(self.done)

    def _message(self, case) -> str:
        if case.registered and case.owner_told:
            return self.tr("This dog is registered: its owner is being told. Confirm it on the Reunite page.")
        if case.registered:
            return self.tr("This dog is registered: confirm it on the Reunite page and call its owner.")
        if any(r.state == "possible" for r in case.reunions):
            return self.tr("It may be a registered dog: compare the photos.")
        return self.tr("No registered dog matches yet. The case stays open: a dog reported lost later is searched "
                       "against it.")
