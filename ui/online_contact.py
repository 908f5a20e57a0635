"""Another organisation's owner, asked from the server: dogs pulled from another organisation come with their owner
redacted (no name, no phone: "contact available online"). A "Show contact (online)" button asks the member why
(5 to 200 characters, kept on the server's audit trail), then asks the server through the controller
(controller.request_contact_online; the kiosk layer does the HTTP), and shows the name and phone for this view only:
nothing is written to this kiosk's registry, and the contact is forgotten when another dog is shown or the kiosk
locks."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

REASON_MIN, REASON_MAX = 5, 200  # the server's rule (sync/server/routes.py ContactIn)


def redacted(owner) -> bool:
    """Whether this owner came redacted from the server (another organisation's dog): the core's marker
    (core.schemas.OwnerOut.redacted). An erased owner has no name or phone either, but is not redacted: there is no
    contact to ask for."""
    return bool(getattr(owner, "redacted", False))


def reason_problem(reason: str) -> str | None:
    """Why this reason cannot be sent, in the UI's language; None when it can."""
    text = " ".join((reason or "").split())
    if len(text) < REASON_MIN:
        return QCoreApplication.translate("OnlineContact", "Say why you need the owner's contact (at least %1 "
                                          "characters).").replace("%1", str(REASON_MIN))
    if len(text) > REASON_MAX:
        return QCoreApplication.translate("OnlineContact", "The reason is too long: at most %1 characters.") \
            .replace("%1", str(REASON_MAX))
    return None


def contact_error_words(exc: BaseException) -> str:
    """Why the server gave no contact (kiosk/app.py ContactError's kind), in the UI's language."""
    kind = getattr(exc, "kind", None)
    if kind == "offline":
        return QCoreApplication.translate(
            "OnlineContact", "The server is not reachable: the contact is available online only. Try again when "
                             "this kiosk is online.")
    if kind == "rate_limited":
        minutes = int(getattr(exc, "minutes", None) or 60)  # a plain name: lupdate skips a call among the arguments
        return QCoreApplication.translate(
            "OnlineContact", "Too many contact requests from this kiosk; try again in %n minute(s).", "", minutes)
    if kind == "refused":
        return QCoreApplication.translate(
            "OnlineContact", "The server refused: this kiosk may not ask for contacts (its key was revoked, or it "
                             "is not enrolled). Ask an administrator.")
    if kind == "not_found":
        return QCoreApplication.translate(
            "OnlineContact", "The server does not know this dog (removed, or not synced yet).")
    if kind == "invalid":
        return QCoreApplication.translate(
            "OnlineContact", "The server did not accept the reason: say in 5 to 200 characters why you need the "
                             "contact.")
    if kind == "not_enrolled":
        return QCoreApplication.translate(
            "OnlineContact", "This kiosk is not enrolled with a server: the contact is available online only.")
    why = getattr(exc, "message", None) or str(exc)
    return QCoreApplication.translate("OnlineContact", "No contact from the server: %1").replace("%1", why)


class ReasonDialog(QDialog):
    """Why the member needs the owner's contact: one line, required, 5 to 200 characters; `asked(reason)` when
    it is given. Opened with open() (the kiosk's event loop keeps running)."""

    asked = Signal(str)

    def __init__(self, dog, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("Show contact (online)"))
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.setMinimumWidth(560)
        title = QLabel(self.tr("Owner of %1 (%2)").replace("%1", dog.name).replace("%2", dog.registration_number))
        title.setObjectName("sectionTitle")
        title.setWordWrap(True)
        intro = QLabel(self.tr("This dog is registered with another organisation. Its owner's name and phone come "
                               "from the server, for this view only: they are not kept on this kiosk. Say why you "
                               "need them; the server keeps your reason on its audit trail."))
        intro.setObjectName("hint")
        intro.setWordWrap(True)
        self.reason = QLineEdit()
        self.reason.setMaxLength(REASON_MAX)
        self.reason.setPlaceholderText(self.tr("e.g. Found near the park; calling the owner"))
        self.reason.returnPressed.connect(self.ask)
        self.problem = QLabel()
        self.problem.setObjectName("hint")
        self.problem.setWordWrap(True)
        self.ask_button = QPushButton(self.tr("Ask the server"))
        self.ask_button.setObjectName("primary")
        self.ask_button.setDefault(True)
        self.ask_button.clicked.connect(self.ask)
        cancel = QPushButton(self.tr("Cancel"))
        cancel.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(cancel)
        buttons.addWidget(self.ask_button)
        lay = QVBoxLayout(self)
        lay.addWidget(title)
        lay.addWidget(intro)
        lay.addWidget(QLabel(self.tr("Reason")))
        lay.addWidget(self.reason)
        lay.addWidget(self.problem)
        lay.addLayout(buttons)

    def ask(self) -> None:
        problem = reason_problem(self.reason.text())
        if problem:
            self.problem.setText(problem)
            self.reason.setFocus()
            return
        self.asked.emit(" ".join(self.reason.text().split()))
        self.accept()


class OnlineContact:
    """The "Show contact (online)" button of a page or card: shown for a dog whose owner came redacted (and a
    member who may see contacts); asks the reason, then the server; `show(dog, owner)` with what it answers,
    `failed(text)` with why not. The contact is held for the dog shown only."""

    def __init__(self, controller, button: QPushButton, show: Callable[[object, object], None],
                 failed: Callable[[str], None]):
        self.controller = controller
        self.button = button
        self.show = show
        self.failed = failed
        self.dog = None
        self.owner = None  # the contact the server gave for self.dog (this view only)
        self.dialog: ReasonDialog | None = None
        button.clicked.connect(self.ask)
        button.hide()

    def forget(self) -> None:
        """The kiosk locked or the page was reset: nothing of a contact left."""
        self.dog = self.owner = None
        self._close_dialog()
        self.button.hide()

    def set_dog(self, dog) -> None:
        if dog is None or self.dog is None or dog.id != self.dog.id:
            self.owner = None  # another dog: the contact shown was for the one before
            self._close_dialog()
        self.dog = dog
        if dog is not None and self.owner is not None:
            self.button.hide()
            self.show(dog, self.owner)
            return
        self.button.setVisible(dog is not None and redacted(dog.owner) and self.controller.may("contacts"))
        self.button.setEnabled(True)

    def ask(self) -> None:
        """The reason first (the dialog); the server once it is given."""
        dog = self.dog
        if dog is None:
            return
        self._close_dialog()
        self.dialog = ReasonDialog(dog, self.button.window())
        self.dialog.asked.connect(lambda reason, dog=dog: self.send(dog, reason))
        self.dialog.open()

    def send(self, dog, reason: str) -> None:
        problem = reason_problem(reason)
        if problem:  # never sent without a reason
            self.failed(problem)
            return
        self.button.setEnabled(False)

        def done(owner, dog=dog):
            if self.dog is not None and self.dog.id == dog.id:
                self.owner = owner
                self.button.hide()
                self.show(dog, owner)

        def error(exc, dog=dog):
            if self.dog is not None and self.dog.id == dog.id:
                self.button.setEnabled(True)
                self.failed(contact_error_words(exc))

        self.controller.request_contact_online(
            dog.registration_number, reason, done, on_error=error,
            busy=QCoreApplication.translate("OnlineContact", "Asking the server…"))

    def _close_dialog(self) -> None:
        if self.dialog is not None:
            self.dialog.close()
            self.dialog.deleteLater()
            self.dialog = None
