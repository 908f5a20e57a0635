"""Settings: camera, language, the server and this kiosk's enrollment (a one-time code; the key goes to the
system keyring); for administrators also the operating threshold, the idle time
before the kiosk locks itself, what members of role staff may see and do, and the staff accounts (add, disable,
enable, reset a PIN). The staff part is kept in the registry by the core (SavePets.set_staff_permissions, add_staff,
...), the rest in the config file."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ui import texts
from ui.controller import error_message
from ui.signin_page import PIN_MAX, PIN_MIN, pin_field


class SettingsPage(QWidget):
    saved = Signal(dict)  # the changed values
    lock_changed = Signal(int)  # an administrator set another idle time (minutes), saved already
    enrolled = Signal(object)  # this kiosk was enrolled (kiosk.credentials.Enrolled): sync restarts with its key

    def __init__(self, settings, save: Callable[[dict[str, Any]], Any], engine_threshold: float | None = None,
                 controller=None, parent: QWidget | None = None):
        super().__init__(parent)
        self.settings = settings
        self._save = save
        self.controller = controller
        title = QLabel(self.tr("Settings"))
        title.setObjectName("pageTitle")
        # the camera: kept by its name (ui.camera.camera_spec), so that it is found again at another number
        self.camera = QLineEdit(str(settings.camera))
        self.camera.setToolTip(self.tr("A camera (its name, or a number 0, 1, …), a video file or a folder of photos"))
        self.cameras = QComboBox()  # the cameras of this machine, by name; choosing one fills the field
        self.cameras.setToolTip(self.tr("Cameras connected to this kiosk"))
        self.cameras.activated.connect(self._camera_chosen)
        self.cameras.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.cameras.setMinimumContentsLength(12)  # a long device name does not widen the page
        self.browse_button = QPushButton(self.tr("Folder…"))
        self.browse_button.clicked.connect(self._browse)
        cam_row = QHBoxLayout()
        cam_row.addWidget(self.camera, 1)
        cam_row.addWidget(self.browse_button)
        cam_box = QVBoxLayout()  # the cameras connected, when there are any, below: the column stays narrow
        cam_box.setSpacing(8)
        cam_box.addLayout(cam_row)
        cam_box.addWidget(self.cameras)
        self.list_cameras()
        self.server_url = QLineEdit(settings.server_url or "")
        self.server_url.setPlaceholderText(self.tr("empty: offline registry only"))
        self.language = QComboBox()
        self.language.addItem("한국어", "ko")
        self.language.addItem("English", "en")
        self.language.setCurrentIndex(max(0, self.language.findData(settings.language)))
        general = QGroupBox(self.tr("This kiosk"))
        form = QFormLayout(general)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        form.addRow(self.tr("Camera"), cam_box)
        form.addRow(self.tr("Language"), self.language)
        server = self._server_part()

        admin = QGroupBox(self.tr("Administrator"))
        self.unlock = QCheckBox(self.tr("Change recognition settings"))  # the group is shown to administrators only
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
        af.addRow(self.use_default)
        warn = QLabel(self.tr("A lower threshold finds more dogs but confuses more of them."))
        warn.setObjectName("hint")
        warn.setWordWrap(True)
        af.addRow(warn)
        self.admin_group = admin
        self.staff_part = self._staff_part()

        self.message = QLabel()
        self.message.setObjectName("hint")
        self.message.setWordWrap(True)
        self.save_button = QPushButton(self.tr("Save settings"))
        self.save_button.setObjectName("primary")
        self.save_button.clicked.connect(self.save)
        # two columns (this kiosk and the administrator's part; the server), what saving said beside the button: the
        # tab fits a 1024x768 screen in either language without scrolling
        left = QVBoxLayout()
        left.setSpacing(12)
        left.addWidget(general)
        left.addWidget(admin)
        left.addStretch(1)
        right = QVBoxLayout()
        right.addWidget(server)
        right.addStretch(1)
        columns = QHBoxLayout()
        columns.setSpacing(16)
        columns.addLayout(left, 1)
        columns.addLayout(right, 1)
        save_row = QHBoxLayout()
        save_row.setSpacing(16)
        save_row.addWidget(self.message, 1)
        save_row.addWidget(self.save_button, 0, Qt.AlignmentFlag.AlignBottom)
        kiosk_tab = QWidget()
        kl = QVBoxLayout(kiosk_tab)
        kl.setContentsMargins(0, 0, 0, 0)
        kl.addLayout(columns, 1)
        kl.addLayout(save_row)
        # administrators get a second tab: the staff (the first holds this kiosk's settings, for everyone)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("settingsTabs")
        self.tabs.addTab(kiosk_tab, self.tr("This kiosk"))
        self.tabs.addTab(self.staff_part, self.tr("Staff"))
        lay = QVBoxLayout(self)
        lay.addWidget(title)
        lay.addWidget(self.tabs, 1)
        self.apply_access()

    # ------------------------------------------------------------ the server: enrollment with a one-time code
    def _server_part(self) -> QWidget:
        """The server address and the enrollment: an administrator types the one-time code from `savepets devices
        enroll`; the key the server gives goes to the system keyring (kiosk/credentials.py), never on screen."""
        box = QGroupBox(self.tr("Server"))
        sf = QFormLayout(box)
        sf.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapAllRows)  # labels above the fields: half the page is enough
        sf.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.org_label = QLabel()
        self.org_label.setObjectName("orgName")
        self.org_label.setWordWrap(True)
        sf.addRow(self.tr("Organisation"), self.org_label)
        sf.addRow(self.tr("Server address"), self.server_url)
        self.enroll_code = QLineEdit()
        self.enroll_code.setPlaceholderText("ABCD-EFGH-JKMN-PQRS")
        self.enroll_code.setMaxLength(40)
        self.enroll_code.returnPressed.connect(self.enroll)
        self.enroll_button = QPushButton(self.tr("Enroll"))
        self.enroll_button.clicked.connect(self.enroll)
        code_row = QHBoxLayout()
        code_row.addWidget(self.enroll_code, 1)
        code_row.addWidget(self.enroll_button)
        self.enroll_row_label = QLabel(self.tr("Enrollment code"))
        sf.addRow(self.enroll_row_label, code_row)
        self.enroll_message = QLabel()
        self.enroll_message.setObjectName("hint")
        self.enroll_message.setWordWrap(True)
        sf.addRow(self.enroll_message)
        self._enroll_fn = None
        self._show_org(None)
        return box

    def set_enrollment(self, enroll: Callable[[str, str], Any], organisation: Callable[[], tuple]) -> None:
        """`enroll(server_url, code)` (run on the worker thread; raises an error with `kind` and `message`) and
        `organisation()` -> (id, name) of the kiosk (kiosk/app.py gives them)."""
        self._enroll_fn = enroll
        if self.controller is not None:
            self.controller.enroll_with = enroll
        self.refresh_organisation()

    def refresh_organisation(self) -> None:
        if self.controller is None or not self.controller.loaded:
            self._show_org(None)
            return
        self.controller.kiosk_org(lambda org: self._show_org(org[1]))

    def _show_org(self, name: str | None) -> None:
        self.org_name = name
        self.org_label.setText(name if name else self.tr("Not enrolled: this kiosk keeps its own registry and does "
                                                         "not sync."))
        self.enroll_row_label.setText(self.tr("New enrollment code") if name else self.tr("Enrollment code"))

    def enroll(self) -> None:
        url = self.server_url.text().strip()
        code = self.enroll_code.text().strip()
        if self._enroll_fn is None:
            self.enroll_message.setText(self.tr("Enrollment is not available here."))
            return
        if not url:
            self.enroll_message.setText(self.tr("Type the server's address first (https://host:port)."))
            self.server_url.setFocus()
            return
        if len("".join(c for c in code if c.isalnum())) < 8:
            self.enroll_message.setText(self.tr("Type the one-time code an administrator made with savepets devices "
                                                "enroll (16 letters and digits)."))
            self.enroll_code.setFocus()
            return
        self.enroll_button.setEnabled(False)
        self.enroll_message.setText(self.tr("Enrolling…"))
        self.controller.enroll(url, code, self._enrolled, self._enroll_failed, busy=self.tr("Enrolling"))

    def _enrolled(self, done) -> None:
        self.enroll_button.setEnabled(True)
        self.enroll_code.clear()
        self.server_url.setText(done.server_url)
        self.settings.server_url = done.server_url
        self._show_org(done.org_name)
        self.enroll_message.setText(self.tr("Enrolled as %1 of %2. Its key is kept in the system's keyring; sync "
                                            "starts now.").replace("%1", done.name).replace("%2", done.org_name))
        self.enrolled.emit(done)

    def _enroll_failed(self, exc: BaseException) -> None:
        self.enroll_button.setEnabled(True)
        kind = getattr(exc, "kind", None)
        if kind == "bad_code":
            text = self.tr("This code was not accepted: it may be mistyped, used already or expired. Ask an "
                           "administrator for a new one.")
            self.enroll_code.setFocus()
            self.enroll_code.selectAll()
        elif kind == "unreachable":
            text = self.tr("The server cannot be reached. Check the address and the network, then try again.")
        elif kind == "insecure":
            text = self.tr("The server address must start with https:// (http:// only for this computer, e.g. "
                           "http://127.0.0.1:8000): the key must not cross the network in clear text.")
        elif kind == "bad_url":
            text = self.tr("The server address is not a web address. Give it as https://host:port.")
        else:
            text = self.tr("Not enrolled: %1").replace("%1", getattr(exc, "message", None) or str(exc))
        self.enroll_message.setText(text)

    # ------------------------------------------------------------ administrators: staff
    def _staff_part(self) -> QWidget:
        session = QGroupBox(self.tr("Sign-in"))
        sf = QFormLayout(session)
        sf.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        sf.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.lock_minutes = QSpinBox()
        self.lock_minutes.setRange(1, 240)
        self.lock_minutes.setValue(getattr(self.settings, "lock_after_minutes", 5))
        self.lock_minutes.setSuffix(self.tr(" min"))
        sf.addRow(self.tr("Lock when idle for"), self.lock_minutes)
        lock_note = QLabel(self.tr("The kiosk also locks with the Lock button. Locking signs the member out and "
                                   "clears the pages."))
        lock_note.setObjectName("hint")
        lock_note.setWordWrap(True)
        sf.addRow(lock_note)
        # saved a moment after the last change (to the config file, like the first tab's settings)
        self._lock_debounce = QTimer(self, singleShot=True, interval=800)
        self._lock_debounce.timeout.connect(self.save_lock_minutes)
        self.lock_minutes.valueChanged.connect(lambda _v: self._lock_debounce.start())
        perms = QGroupBox(self.tr("What staff may see and do"))
        pf = QFormLayout(perms)
        pf.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        pf.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)  # two columns of it fit 1280 px in any language
        self.perm_contacts = QComboBox()
        self.perm_contacts.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.perm_contacts.setMinimumContentsLength(12)  # its longest choice does not widen the column
        self.perm_contacts.addItem(self.tr("Masked, shown on request"), "reveal")
        self.perm_contacts.addItem(self.tr("Shown with each dog opened"), "always")
        self.perm_contacts.addItem(self.tr("Never (masked only)"), "none")
        self.perm_edit = QCheckBox(self.tr("Change dogs' and owners' details"))
        self.perm_status = QCheckBox(self.tr("Mark dogs lost, found or home"))
        self.perm_delete = QCheckBox(self.tr("Remove and merge registrations"))
        pf.addRow(self.tr("Owners' contacts"), self.perm_contacts)
        for box in (self.perm_edit, self.perm_status, self.perm_delete):
            pf.addRow(box)
        note = QLabel(self.tr("Administrators may do everything. Every contact shown is recorded."))
        note.setObjectName("hint")
        note.setWordWrap(True)
        pf.addRow(note)
        # saved as soon as changed (by an administrator; each change is on the audit trail)
        self.perm_contacts.activated.connect(lambda _i: self.save_permissions())
        for box in (self.perm_edit, self.perm_status, self.perm_delete):
            box.clicked.connect(lambda _on=False: self.save_permissions())

        team = QGroupBox(self.tr("Staff accounts"))
        tl = QVBoxLayout(team)
        self.staff_table = QTableWidget(0, 3)
        self.staff_table.setHorizontalHeaderLabels([self.tr("Name"), self.tr("Role"), self.tr("State")])
        self.staff_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.staff_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.staff_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.staff_table.verticalHeader().setVisible(False)
        self.staff_table.verticalHeader().setDefaultSectionSize(48)
        self.staff_table.setMinimumHeight(150)
        header = self.staff_table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col in (1, 2):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        self.staff_table.itemSelectionChanged.connect(self._staff_selected)
        self.add_button = QPushButton(self.tr("Add…"))
        self.add_button.clicked.connect(lambda: self.open_staff_form("add"))
        self.toggle_button = QPushButton(self.tr("Disable"))
        self.toggle_button.clicked.connect(self.toggle_member)
        self.pin_button = QPushButton(self.tr("New PIN…"))
        self.pin_button.clicked.connect(lambda: self.open_staff_form("pin"))
        buttons = QHBoxLayout()
        for b in (self.add_button, self.toggle_button, self.pin_button):
            buttons.addWidget(b)
        listing = QWidget()
        ll = QVBoxLayout(listing)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addWidget(self.staff_table, 1)
        ll.addLayout(buttons)

        # the form for a new member or a new PIN, in place of the list
        self.form_title = QLabel()
        self.form_title.setObjectName("sectionTitle")
        self.member_name = QLineEdit()
        self.member_name.setMaxLength(50)
        self.member_role = QComboBox()
        for role in ("staff", "admin"):
            self.member_role.addItem(texts.role_words(role), role)
        hint = self.tr("%1 to %2 digits").replace("%1", str(PIN_MIN)).replace("%2", str(PIN_MAX))
        self.member_pin = pin_field(hint)
        self.member_pin_again = pin_field(self.tr("The same PIN again"))
        self.staff_form = QFormLayout()
        self.staff_form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.staff_form.addRow(self.tr("Name"), self.member_name)
        self.staff_form.addRow(self.tr("Role"), self.member_role)
        self.staff_form.addRow(self.tr("PIN"), self.member_pin)
        self.staff_form.addRow(self.tr("PIN again"), self.member_pin_again)
        self.form_cancel = cancel = QPushButton(self.tr("Cancel"))
        cancel.clicked.connect(self.close_staff_form)
        self.form_save = QPushButton(self.tr("Save"))
        self.form_save.setObjectName("primary")
        self.form_save.clicked.connect(self.submit_staff_form)
        row = QHBoxLayout()
        row.addWidget(cancel)
        row.addWidget(self.form_save)
        form = QWidget()
        fl = QVBoxLayout(form)
        fl.setContentsMargins(0, 0, 0, 0)
        fl.addWidget(self.form_title)
        fl.addLayout(self.staff_form)
        fl.addStretch(1)
        fl.addLayout(row)
        self.staff_pages = QStackedWidget()
        self.staff_pages.addWidget(listing)
        self.staff_pages.addWidget(form)
        self.form_mode = ""
        self.staff_message = QLabel()
        self.staff_message.setObjectName("hint")
        self.staff_message.setWordWrap(True)
        tl.addWidget(self.staff_pages, 1)
        tl.addWidget(self.staff_message)

        left = QVBoxLayout()
        left.addWidget(perms)
        left.addWidget(session)
        left.addStretch(1)
        part = QWidget()
        pl = QHBoxLayout(part)
        pl.setContentsMargins(0, 0, 0, 0)
        pl.setSpacing(16)
        pl.addLayout(left, 1)
        pl.addWidget(team, 1)
        self.members: list = []
        return part

    def save_lock_minutes(self) -> None:
        minutes = self.lock_minutes.value()
        if minutes == self.settings.lock_after_minutes:
            return
        try:
            self._save({"lock_after_minutes": minutes})
        except (OSError, ValueError, TypeError) as exc:
            self.staff_message.setText(self.tr("Could not save: %1").replace("%1", str(exc)))
            return
        self.lock_changed.emit(minutes)
        self.staff_message.setText(self.tr("The kiosk now locks after %1 minutes without a touch.")
                                   .replace("%1", str(minutes)))

    def apply_access(self) -> None:
        """The administrators' part only for administrators; it is read afresh each time one signs in."""
        admin = self.controller is not None and self.controller.may("manage")
        self.admin_group.setVisible(admin)
        self.enroll_code.setEnabled(admin)
        self.enroll_button.setEnabled(admin)
        self.enroll_code.setPlaceholderText("ABCD-EFGH-JKMN-PQRS" if admin else self.tr("administrators only"))
        self.tabs.setTabVisible(1, admin)
        self.tabs.tabBar().setVisible(admin)
        if not admin:
            self.tabs.setCurrentIndex(0)
        self.close_staff_form()
        self.staff_message.clear()
        if not admin:
            self.members = []
            self.staff_table.setRowCount(0)
            self.unlock.setChecked(False)
            return
        self.controller.staff_permissions(self._show_permissions, on_error=self._staff_error)
        self.refresh_staff()

    def _show_permissions(self, p) -> None:
        self.perm_contacts.setCurrentIndex(max(0, self.perm_contacts.findData(p.contacts)))
        self.perm_edit.setChecked(p.edit)
        self.perm_status.setChecked(p.status)
        self.perm_delete.setChecked(p.delete)

    def permissions(self):
        from core.staff import StaffPermissions

        return StaffPermissions(contacts=self.perm_contacts.currentData(), edit=self.perm_edit.isChecked(),
                                status=self.perm_status.isChecked(), delete=self.perm_delete.isChecked())

    def save_permissions(self) -> None:
        self.controller.set_staff_permissions(self.permissions(), on_error=self._staff_error,
                                              on_done=lambda p: (self._show_permissions(p), self.staff_message.setText(
                                                  self.tr("Saved: staff now see and do what is ticked."))))

    def refresh_staff(self) -> None:
        self.controller.list_staff(self._fill_staff, on_error=self._staff_error)

    def _fill_staff(self, members) -> None:
        keep = self.selected_member()
        self.members = list(members)
        self.staff_table.setRowCount(len(self.members))
        for r, m in enumerate(self.members):
            state = self.tr("Disabled") if m.disabled else self.tr("Active")
            for c, text in enumerate((m.name, texts.role_words(m.role), state)):
                self.staff_table.setItem(r, c, QTableWidgetItem(text))
        row = next((i for i, m in enumerate(self.members) if keep and m.id == keep.id), 0 if self.members else None)
        if row is not None:
            self.staff_table.selectRow(row)
        self._staff_selected()

    def selected_member(self):
        rows = self.staff_table.selectionModel().selectedRows() if self.staff_table.selectionModel() else []
        return self.members[rows[0].row()] if rows and rows[0].row() < len(self.members) else None

    def _staff_selected(self) -> None:
        m = self.selected_member()
        self.toggle_button.setEnabled(m is not None)
        self.pin_button.setEnabled(m is not None)
        self.toggle_button.setText(self.tr("Enable") if m is not None and m.disabled else self.tr("Disable"))

    def toggle_member(self) -> None:
        m = self.selected_member()
        if m is None:
            return
        use_case = self.controller.enable_staff if m.disabled else self.controller.disable_staff
        use_case(m.id, on_error=self._staff_error,
                 on_done=lambda done: (self.staff_message.setText(
                     (self.tr("%1 can sign in again.") if not done.disabled
                      else self.tr("%1 can no longer sign in.")).replace("%1", done.name)),
                     self.refresh_staff()))

    def open_staff_form(self, mode: str) -> None:
        """mode: add (a new member) or pin (a new PIN for the selected one)."""
        member = self.selected_member()
        if mode == "pin" and member is None:
            return
        self.form_mode = mode
        for field in (self.member_name, self.member_pin, self.member_pin_again):
            field.clear()
        adding = mode == "add"
        self.form_title.setText(self.tr("New staff member") if adding
                                else self.tr("New PIN for %1").replace("%1", member.name))
        for w in (self.member_name, self.member_role):
            w.setVisible(adding)
            self.staff_form.labelForField(w).setVisible(adding)
        self.member_role.setCurrentIndex(0)
        self.staff_message.clear()
        self.staff_pages.setCurrentIndex(1)
        (self.member_name if adding else self.member_pin).setFocus()

    def close_staff_form(self) -> None:
        self.form_mode = ""
        for field in (self.member_name, self.member_pin, self.member_pin_again):
            field.clear()
        self.staff_pages.setCurrentIndex(0)

    def submit_staff_form(self) -> None:
        pin, again = self.member_pin.text(), self.member_pin_again.text()
        name = self.member_name.text().strip()
        if self.form_mode == "add" and not name:
            self.staff_message.setText(self.tr("Enter the member's name."))
            return
        if not PIN_MIN <= len(pin) <= PIN_MAX:
            self.staff_message.setText(self.tr("A PIN is %1 to %2 digits.").replace("%1", str(PIN_MIN))
                                       .replace("%2", str(PIN_MAX)))
            return
        if pin != again:
            self.member_pin_again.clear()
            self.staff_message.setText(self.tr("The two PINs differ. Enter the same PIN again."))
            return
        if self.form_mode == "add":
            role = self.member_role.currentData()
            self.controller.add_staff(name, pin, role, on_error=self._staff_error,
                                      on_done=lambda m: self._staff_saved(self.tr("%1 can now sign in with their PIN.")
                                                                          .replace("%1", m.name)))
        elif self.form_mode == "pin":
            member = self.selected_member()
            self.controller.reset_staff_pin(member.id, pin, on_error=self._staff_error,
                                            on_done=lambda m: self._staff_saved(self.tr("New PIN set for %1.")
                                                                                .replace("%1", m.name)))

    def _staff_saved(self, text: str) -> None:
        self.close_staff_form()
        self.staff_message.setText(text)
        self.refresh_staff()

    def _staff_error(self, exc) -> None:
        details = getattr(exc, "details", None) or {}
        reason, field = details.get("reason"), details.get("field")
        if reason == "name_taken":
            text = self.tr("A staff member of this name exists already.")
        elif reason == "last_admin":
            text = self.tr("This is the last active administrator: add or enable another administrator first.")
        elif reason == "self":
            text = self.tr("You cannot disable your own account while signed in with it.")
        elif field == "name":
            text = self.tr("A name is 1 to 50 characters.")
        elif field == "pin":
            text = self.tr("A PIN is %1 to %2 digits.").replace("%1", str(PIN_MIN)).replace("%2", str(PIN_MAX))
        else:
            text = error_message(exc)
        self.staff_message.setText(text)

    def _unlock(self, on: bool) -> None:
        self.use_default.setEnabled(on)
        self.threshold.setEnabled(on and not self.use_default.isChecked())

    # ------------------------------------------------------------ the camera
    def list_cameras(self) -> None:
        """The cameras connected now (Linux), each by its V4L2 name; the one in the field is selected."""
        from ui.camera import list_cameras

        self.cameras.clear()
        found = list_cameras()
        self.cameras.addItem(self.tr("Connected cameras…"), None)
        for cam in found:
            self.cameras.addItem(cam.name, cam.spec)
            self.cameras.setItemData(self.cameras.count() - 1, cam.spec, Qt.ItemDataRole.ToolTipRole)
        text = self.camera.text().strip()
        current = next((i + 1 for i, c in enumerate(found) if text in (c.spec, c.name, str(c.index))), 0)
        self.cameras.setCurrentIndex(current)
        self.cameras.setVisible(bool(found))

    def _camera_chosen(self, row: int) -> None:
        spec = self.cameras.itemData(row)
        if spec:
            self.camera.setText(spec)

    def showEvent(self, event) -> None:  # noqa: N802
        self.list_cameras()  # a camera plugged in since
        super().showEvent(event)

    def _browse(self) -> None:
        path = QFileDialog.getExistingDirectory(self, self.tr("Folder of photos to use as the camera"))
        if path:
            self.camera.setText(path)

    def values(self) -> dict[str, Any]:
        from ui.camera import camera_spec

        out: dict[str, Any] = {
            "camera": camera_spec(self.camera.text()),  # a camera number is kept as that camera's name
            "server_url": self.server_url.text().strip() or None,
            "language": self.language.currentData(),
        }
        if self.unlock.isChecked():
            out["match_threshold"] = None if self.use_default.isChecked() else round(self.threshold.value(), 3)
        return out

    def server_url_words(self, url: str | None) -> str | None:
        """Why this server address cannot be saved (core.settings.server_url_problem, the rule sync/client.py
        applies), in the UI's language; None when it can (or is empty: no sync)."""
        from core.settings import server_url_problem

        if not url or server_url_problem(url) is None:
            return None
        if url.strip().lower().startswith("http://"):
            return self.tr("Not saved: the server address must start with https:// (owners' names and phone numbers "
                           "must not cross the network in clear text; http:// only for this computer, e.g. "
                           "http://127.0.0.1:8000).")
        return self.tr("Not saved: the server address is not a web address. Give it as https://host:port, e.g. "
                       "https://savepets.example.org:8443.")

    def save(self) -> None:
        values = self.values()
        problem = self.server_url_words(values.get("server_url"))
        if problem:
            self.message.setText(problem)
            self.server_url.setFocus()
            return
        try:
            where = self._save(values)
        except (OSError, ValueError, TypeError) as exc:
            self.message.setText(self.tr("Could not save: %1").replace("%1", str(exc)))
            return
        self.message.setText(self.tr("Saved to %1.").replace("%1", str(where)))
        self.camera.setText(values["camera"])  # as kept: a camera's name
        self.saved.emit(values)
