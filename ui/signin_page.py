"""Who is at the kiosk: the sign-in page (pick or type a name, a big PIN pad) and, on the very first start, the page
that makes the first administrator. Both cover the whole window while the kiosk is locked; the core checks the PIN
(SavePets.sign_in, create_first_admin) and counts wrong ones (core/staff.py)."""

from __future__ import annotations

from PySide6.QtCore import QRegularExpression, Qt, Signal
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import (
    QButtonGroup,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from ui.controller import error_message
from ui.style import set_style_property

PIN_MIN, PIN_MAX = 4, 8  # core.staff.PIN_MIN / PIN_MAX


def pin_field(placeholder: str) -> QLineEdit:
    field = QLineEdit()
    field.setObjectName("pinField")
    field.setEchoMode(QLineEdit.EchoMode.Password)
    field.setMaxLength(PIN_MAX)
    field.setValidator(QRegularExpressionValidator(QRegularExpression(f"[0-9]{{0,{PIN_MAX}}}")))
    field.setInputMethodHints(Qt.InputMethodHint.ImhDigitsOnly | Qt.InputMethodHint.ImhSensitiveData)
    field.setPlaceholderText(placeholder)
    field.setAlignment(Qt.AlignmentFlag.AlignCenter)
    # the dots are spaced out (kiosk.qss), the placeholder is not: "숫자 4~8자리", never "숫 자 4 ~ 8 자 리"
    field.textChanged.connect(lambda text: _mark_empty(field, not text))
    _mark_empty(field, True)
    return field


def _mark_empty(field: QLineEdit, empty: bool) -> None:
    if field.property("empty") != empty:
        field.setProperty("empty", empty)
        field.style().unpolish(field)
        field.style().polish(field)


class PinPad(QWidget):
    """Big digit keys for a touch screen; they type into `target` (a PIN field) and never take the focus."""

    entered = Signal()  # the OK key
    edited = Signal()  # a key typed into, or cleared, the target

    def __init__(self, ok_text: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self.target: QLineEdit | None = None
        grid = QGridLayout(self)
        grid.setSpacing(10)
        grid.setContentsMargins(0, 0, 0, 0)
        self.keys: dict[str, QPushButton] = {}
        layout = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "clear", "0", "back"]
        labels = {"clear": self.tr("Clear"), "back": "⌫"}
        for i, key in enumerate(layout):
            b = QPushButton(labels.get(key, key))
            b.setObjectName("pinKey")
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            b.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
            b.setMinimumSize(96, 58)
            b.clicked.connect(lambda _=False, k=key: self.press(k))
            grid.addWidget(b, i // 3, i % 3)
            self.keys[key] = b

    def press(self, key: str) -> None:
        field = self.target
        if field is None:
            return
        text = field.text()
        if key == "clear":
            field.clear()
        elif key == "back":
            field.setText(text[:-1])
        elif len(text) < field.maxLength():
            field.setText(text + key)
        self.edited.emit()


SIDE_WIDTH, SIDE_MARGIN = 360, 36  # the form beside it keeps its pad and button whole on a 1024-pixel-wide screen
NAMES_WIDTH = SIDE_WIDTH - 2 * SIDE_MARGIN  # the members' names to choose from


def _brand_panel(title: str, text: str) -> tuple[QWidget, QVBoxLayout]:
    panel = QWidget()
    panel.setObjectName("signinSide")
    panel.setFixedWidth(SIDE_WIDTH)
    lay = QVBoxLayout(panel)
    lay.setContentsMargins(SIDE_MARGIN, 28, SIDE_MARGIN, 28)
    lay.setSpacing(14)
    brand = QLabel("SavePets")
    brand.setObjectName("brand")
    heading = QLabel(title)
    heading.setObjectName("signinTitle")
    heading.setWordWrap(True)
    note = QLabel(text)
    note.setObjectName("signinNote")
    note.setWordWrap(True)
    lay.addWidget(brand)
    lay.addWidget(heading)
    lay.addWidget(note)
    return panel, lay


def _message_box() -> QLabel:
    """The error box under a sign-in form, hidden until there is something to say. Its place is kept while hidden and
    its height is fixed (two lines, the longest message's at the narrowest window), so no message grows the window."""
    box = QLabel()
    box.setObjectName("errorBox")
    box.setWordWrap(True)
    box.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    policy = box.sizePolicy()
    policy.setRetainSizeWhenHidden(True)
    policy.setVerticalPolicy(QSizePolicy.Policy.Fixed)
    box.setSizePolicy(policy)
    box.hide()
    box.ensurePolished()
    box.setFixedHeight(box.fontMetrics().lineSpacing() * 2 + 32)
    return box


def _lay_out(page: QWidget, side: QWidget, form: QWidget, fl: QVBoxLayout, pad: QWidget, submit: QWidget,
             message: QWidget, margin: int) -> None:
    """The pad, the button and the message under the form's fields; the brand panel left, the form centred right."""
    fl.addSpacing(6)
    fl.addWidget(pad, 1)
    fl.addSpacing(6)
    fl.addWidget(submit)
    fl.addWidget(message)
    right = QHBoxLayout()
    right.setContentsMargins(40, margin, 40, margin)
    right.addStretch(1)
    right.addWidget(form, 4)
    right.addStretch(1)
    lay = QHBoxLayout(page)
    lay.setContentsMargins(0, 0, 0, 0)
    lay.setSpacing(0)
    lay.addWidget(side)
    lay.addLayout(right, 1)


class SignInPage(QWidget):
    """Pick (or type) your name, enter your PIN on the pad, sign in."""

    signed_in = Signal(object, object)  # the member (core Actor) and what they may do (core.staff.Access)

    def __init__(self, controller, parent: QWidget | None = None):
        super().__init__(parent)
        self.controller = controller
        side, sl = _brand_panel(self.tr("Sign in"),
                                self.tr("Owners' names and phone numbers are kept here: only the shelter's staff "
                                        "may use this kiosk. Choose your name and enter your PIN."))
        self.names_box = QWidget()
        self.names_grid = QGridLayout(self.names_box)
        self.names_grid.setContentsMargins(0, 0, 0, 0)
        self.names_grid.setSpacing(10)
        self.name_buttons: list[QPushButton] = []
        self.name_group = QButtonGroup(self)
        self.name_group.setExclusive(True)
        scroll = QScrollArea()
        scroll.setObjectName("namesScroll")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(self.names_box)
        sl.addSpacing(8)
        sl.addWidget(scroll, 1)

        title = QLabel(self.tr("Your name"))
        title.setObjectName("fieldLabel")
        self.name = QLineEdit()
        self.name.setPlaceholderText(self.tr("Choose above, or type your name"))
        self.name.textEdited.connect(self._typed)
        self.name.returnPressed.connect(lambda: self.pin.setFocus())
        pin_title = QLabel(self.tr("PIN"))
        pin_title.setObjectName("fieldLabel")
        self.pin = pin_field(self.tr("%1 to %2 digits").replace("%1", str(PIN_MIN)).replace("%2", str(PIN_MAX)))
        self.pin.returnPressed.connect(self.submit)
        self.pad = PinPad()
        self.pad.target = self.pin
        self.submit_button = QPushButton(self.tr("Sign in"))
        self.submit_button.setObjectName("primary")
        self.submit_button.setProperty("big", True)
        self.submit_button.clicked.connect(self.submit)
        self.message = _message_box()
        form = QWidget()
        form.setObjectName("signinForm")
        form.setMaximumWidth(560)
        fl = QVBoxLayout(form)
        fl.setSpacing(8)
        fl.addWidget(title)
        fl.addWidget(self.name)
        fl.addSpacing(6)
        fl.addWidget(pin_title)
        fl.addWidget(self.pin)
        _lay_out(self, side, form, fl, self.pad, self.submit_button, self.message, margin=16)
        self.set_ready(False)

    def set_ready(self, ready: bool) -> None:
        """Nothing to sign in to until the core service is loaded."""
        for w in (self.name, self.pin, self.pad, self.submit_button):
            w.setEnabled(ready)
        if not ready:
            self._show_message(self.tr("Starting…"), level="info")

    def refresh(self) -> None:
        """The enabled members' names (what was typed meanwhile stays)."""
        if self.controller.loaded:
            self.set_ready(True)
            self.controller.staff_names(self.set_names, on_error=lambda exc: None)

    def reset(self) -> None:
        self.pin.clear()
        self.name.clear()
        self._show_message("")
        for b in self.name_buttons:
            b.setChecked(False)

    def set_names(self, names: list[str]) -> None:
        chosen = self.name.text().strip()
        for b in self.name_buttons:
            self.name_group.removeButton(b)
            self.names_grid.removeWidget(b)
            b.deleteLater()
        self.name_buttons = []
        for name in names:
            b = QPushButton(name, self.names_box)
            b.setObjectName("memberChoice")
            b.setCheckable(True)
            b.setChecked(name == chosen)
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            b.clicked.connect(lambda _=False, n=name: self.choose(n))
            self.name_group.addButton(b)
            self.name_buttons.append(b)
        # two names a row where every name fits half the panel (bold once chosen: a tenth wider), else one a row: a
        # long name was cut at the panel's edge
        half = (NAMES_WIDTH - self.names_grid.spacing()) // 2
        for b in self.name_buttons:
            b.ensurePolished()
        cols = 2 if all(b.sizeHint().width() * 1.1 <= half for b in self.name_buttons) else 1
        for i, b in enumerate(self.name_buttons):
            self.names_grid.addWidget(b, i // cols, i % cols)
        for row in range(self.names_grid.rowCount()):
            self.names_grid.setRowStretch(row, 0)
        self.names_grid.setRowStretch(len(names) // cols + 1, 1)

    def choose(self, name: str) -> None:
        self.name.setText(name)
        for b in self.name_buttons:
            b.setChecked(b.text() == name)
        self.pin.clear()
        self.pin.setFocus()
        self._show_message("")

    def _typed(self, text: str) -> None:
        for b in self.name_buttons:
            b.setChecked(b.text() == text.strip())

    def submit(self) -> None:
        if not self.controller.loaded or self.controller.busy:
            return
        name, pin = self.name.text().strip(), self.pin.text()
        if not name:
            self._show_message(self.tr("Choose or type your name."))
            return
        if len(pin) < PIN_MIN:
            self._show_message(self.tr("Enter your PIN (%1 to %2 digits).").replace("%1", str(PIN_MIN))
                               .replace("%2", str(PIN_MAX)))
            return
        self.submit_button.setEnabled(False)
        self.controller.sign_in(name, pin, self._done, self._failed, busy=self.tr("Signing in…"))

    def _done(self, out) -> None:
        self.submit_button.setEnabled(True)
        self.reset()
        self.signed_in.emit(*out)

    def _failed(self, exc) -> None:
        self.submit_button.setEnabled(True)
        self.pin.clear()
        self.pin.setFocus()
        self._show_message(self.failure_words(exc))

    def failure_words(self, exc) -> str:
        """Why a sign-in failed, in the UI's language (core.errors.SignInFailed / AccountLocked, their details)."""
        details = getattr(exc, "details", None) or {}
        reason = details.get("reason")
        if reason == "wrong_pin":
            return self.tr("Wrong PIN. Tries left before this account is locked for a minute: %n.", "",
                           int(details.get("tries_left", 0)))
        if reason == "locked":  # the wait grows with each lock-out in a row (core/staff.py: 1, 5, 15, 60 minutes)
            seconds = int(details.get("seconds", 60))
            if seconds >= 60:
                return self.tr("Too many wrong PINs: this account is locked. Try again in %n minute(s).", "",
                               -(-seconds // 60))
            return self.tr("Too many wrong PINs: this account is locked. Try again in %1 seconds.").replace(
                "%1", str(seconds))
        if reason == "unknown":
            return self.tr("No staff member has this name. Choose your name from the list.")
        if reason == "disabled":
            return self.tr("This account is disabled. An administrator can enable it in Settings.")
        if details.get("field") == "pin":
            return self.tr("A PIN is %1 to %2 digits.").replace("%1", str(PIN_MIN)).replace("%2", str(PIN_MAX))
        return error_message(exc)

    def _show_message(self, text: str, level: str = "bad") -> None:
        self.message.setText(text)
        # one object name, its look by a property with the same padding (kiosk.qss): switching the name to "hint" and
        # back lost the error box's padding (its text against the border)
        set_style_property(self.message, "level", "bad" if level == "bad" else "info")
        self.message.setVisible(bool(text))


class FirstAdminPage(QWidget):
    """The first start: nobody can use the kiosk until its first administrator is made (name and PIN twice)."""

    signed_in = Signal(object, object)  # the new administrator (core Actor), signed in, and their access

    def __init__(self, controller, parent: QWidget | None = None):
        super().__init__(parent)
        self.controller = controller
        side, sl = _brand_panel(self.tr("Welcome"),
                                self.tr("Nobody can use this kiosk yet. Create its first administrator: they sign "
                                        "in with a PIN, add the other staff members and decide what staff may see, "
                                        "in Settings."))
        sl.addStretch(1)
        self.name = QLineEdit()
        self.name.setPlaceholderText(self.tr("e.g. Kim Minji"))
        self.name.setMaxLength(50)
        self.pin = pin_field(self.tr("%1 to %2 digits").replace("%1", str(PIN_MIN)).replace("%2", str(PIN_MAX)))
        self.pin_again = pin_field(self.tr("The same PIN again"))
        self.pad = PinPad()
        self.pad.target = self.pin
        for field in (self.pin, self.pin_again):
            field.installEventFilter(self)
        self.pin.returnPressed.connect(lambda: self.pin_again.setFocus())
        self.pin_again.returnPressed.connect(self.submit)
        self.submit_button = QPushButton(self.tr("Create and sign in"))
        self.submit_button.setObjectName("primary")
        self.submit_button.setProperty("big", True)
        self.submit_button.clicked.connect(self.submit)
        self.message = _message_box()
        form = QWidget()
        form.setMaximumWidth(560)
        fl = QVBoxLayout(form)
        fl.setSpacing(8)
        text = QLabel(self.tr("Administrator's name"))
        text.setObjectName("fieldLabel")
        fl.addWidget(text)
        fl.addWidget(self.name)
        pins = QGridLayout()  # the PIN and the PIN again side by side: the page fits a 768-pixel-high screen
        pins.setHorizontalSpacing(12)
        pins.setVerticalSpacing(8)
        pins.setColumnStretch(0, 1)
        pins.setColumnStretch(1, 1)
        for col, (label, widget) in enumerate(((self.tr("PIN"), self.pin), (self.tr("PIN again"), self.pin_again))):
            text = QLabel(label)
            text.setObjectName("fieldLabel")
            pins.addWidget(text, 0, col)
            pins.addWidget(widget, 1, col)
        fl.addLayout(pins)
        for field in (self.name, self.pin, self.pin_again):  # an edit answers the message: it goes
            field.textEdited.connect(self._edited)
        self.pad.edited.connect(self._edited)
        _lay_out(self, side, form, fl, self.pad, self.submit_button, self.message, margin=20)

    def _edited(self, _text: str = "") -> None:
        self.message.hide()

    def eventFilter(self, obj, event) -> bool:  # noqa: N802
        from PySide6.QtCore import QEvent

        if event.type() == QEvent.Type.FocusIn and obj in (self.pin, self.pin_again):
            self.pad.target = obj  # the pad types where the PIN is being entered
        return False

    def submit(self) -> None:
        if not self.controller.loaded or self.controller.busy:
            return
        self.message.hide()  # the last message answered no longer stands while this try is checked
        name, pin, again = self.name.text().strip(), self.pin.text(), self.pin_again.text()
        if not name:
            self._fail(self.tr("Enter the administrator's name."), self.name)
            return
        if not PIN_MIN <= len(pin) <= PIN_MAX:
            self._fail(self.tr("A PIN is %1 to %2 digits.").replace("%1", str(PIN_MIN)).replace("%2", str(PIN_MAX)),
                       self.pin)
            return
        if again != pin:
            self.pin_again.clear()
            self._fail(self.tr("The two PINs differ. Enter the same PIN again."), self.pin_again)
            return
        self.submit_button.setEnabled(False)
        self.controller.create_first_admin(name, pin, self._done, self._failed,
                                           busy=self.tr("Creating the administrator…"))

    def _fail(self, text: str, field: QWidget | None = None) -> None:
        self.message.setText(text)
        self.message.show()
        if field is not None:
            field.setFocus()
            if field in (self.pin, self.pin_again):
                self.pad.target = field

    def _done(self, out) -> None:
        self.submit_button.setEnabled(True)
        for field in (self.name, self.pin, self.pin_again):
            field.clear()
        self.message.hide()
        self.signed_in.emit(*out)

    def _failed(self, exc) -> None:
        self.submit_button.setEnabled(True)
        self._fail(error_message(exc))
