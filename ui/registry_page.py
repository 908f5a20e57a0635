"""Registry browser: search by name, phone or number; edit a dog; mark it lost, found or home; remove it. Owners'
contacts come masked for staff members and are shown through the core's reveal_contact (ContactReveal); another
organisation's owners come redacted and are asked from the server with a reason (OnlineContact, shown for this view
only); what a member may change follows their role (controller.access), and the core refuses the rest anyway."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ui import texts
from ui.contact_reveal import ContactReveal
from ui.controller import error_message
from ui.images import pixmap_from_bytes
from ui.online_contact import OnlineContact, redacted
from ui.style import NARROW_PAGE, set_style_property


class DetailFrame(QScrollArea):
    """The chosen dog's details, never narrower than they need (their buttons are never cut); the list takes what is
    left."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QScrollArea.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        hint = super().minimumSizeHint()
        inner = self.widget().minimumSizeHint().width() if self.widget() is not None else 0
        return QSize(max(hint.width(), inner + self.verticalScrollBar().sizeHint().width()), hint.height())


class RegistryPage(QWidget):
    report_lost_requested = Signal(object)  # the dog chosen: report it lost (the form on the Reunite page)
    COLUMNS = 4
    PHONE_COLUMN = 3

    def __init__(self, controller, parent: QWidget | None = None):
        super().__init__(parent)
        self.controller = controller
        self.dogs: list = []
        self.current = None
        title = QLabel(self.tr("Registry"))
        title.setObjectName("pageTitle")
        self.search = QLineEdit()
        self.search.setPlaceholderText(self.tr("Name, phone or number"))  # short: the field is narrow at 1024 pixels
        self.search.setToolTip(self.tr("Search by name, phone or registration number"))
        self.search.setClearButtonEnabled(True)
        self.status_filter = QComboBox()
        self.status_filter.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.status_filter.setMinimumContentsLength(6)  # the search keeps the room to show what it asks
        self.status_filter.addItem(self.tr("All"), None)
        for s in ("home", "lost", "found", "deceased"):
            self.status_filter.addItem(texts.status_words(s), s)
        self.search.returnPressed.connect(self.refresh)
        self._debounce = QTimer(self, singleShot=True, interval=300)
        self._debounce.timeout.connect(self.refresh)
        self.search.textChanged.connect(lambda _t: self._debounce.start())
        self.status_filter.currentIndexChanged.connect(lambda _i: self.refresh())
        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(self.status_filter)

        self.table = QTableWidget(0, self.COLUMNS)
        self.table.setHorizontalHeaderLabels([self.tr("Registration number"), self.tr("Name"), self.tr("Status"),
                                              self.tr("Phone")])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(56)
        header = self.table.horizontalHeader()
        for col, mode in enumerate((QHeaderView.ResizeMode.ResizeToContents, QHeaderView.ResizeMode.Stretch,
                                    QHeaderView.ResizeMode.ResizeToContents, QHeaderView.ResizeMode.ResizeToContents)):
            header.setSectionResizeMode(col, mode)
        self.table.itemSelectionChanged.connect(self._selected)
        self.empty = QLabel(self.tr("No dogs found."))
        self.empty.setObjectName("placeholder")
        self.empty.hide()

        # detail / edit panel
        # the selected dog: photo, name, number, status and contact, compact enough for half the page
        self.photo = QLabel()
        self.photo.setFixedSize(120, 120)
        self.photo.setObjectName("cardPhoto")
        self.photo.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.title = QLabel()
        self.title.setObjectName("dogName")
        self.number = QLabel()
        self.number.setObjectName("fieldValue")
        self.number.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status_label = QLabel()
        self.status_label.setObjectName("statusBadge")
        self.contact = QLabel()
        self.contact.setObjectName("hint")
        self.contact.setWordWrap(True)
        self.contact.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.reveal_button = QPushButton(self.tr("Show contact"))
        self.reveal_button.setObjectName("revealContact")
        self.contact_reveal = ContactReveal(controller, self.reveal_button, self._show_contact,
                                            lambda exc: self.message.setText(error_message(exc)))
        self.online_button = QPushButton(self.tr("Show contact (online)"))
        self.online_button.setObjectName("revealContact")
        self.online_contact = OnlineContact(controller, self.online_button, self._show_online_contact,
                                            lambda text: self.message.setText(text))
        facts = QVBoxLayout()
        facts.setSpacing(2)
        for wdg in (self.title, self.number, self.status_label, self.contact, self.reveal_button, self.online_button):
            # the contact line takes the card's width (a name and phone from the server, or why there is none)
            facts.addWidget(wdg, 0, Qt.AlignmentFlag(0) if wdg is self.contact else Qt.AlignmentFlag.AlignLeft)
        header = QHBoxLayout()
        header.addWidget(self.photo, 0, Qt.AlignmentFlag.AlignTop)
        header.addLayout(facts, 1)
        self.card = QFrame()
        self.card.setObjectName("dogCard")
        self.card.setLayout(header)
        self.name_edit = QLineEdit()
        self.breed_edit = QLineEdit()
        self.owner_edit = QLineEdit()
        self.notes_edit = QLineEdit()
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        form.addRow(self.tr("Name"), self.name_edit)
        form.addRow(self.tr("Breed"), self.breed_edit)
        form.addRow(self.tr("Owner's name"), self.owner_edit)
        form.addRow(self.tr("Notes"), self.notes_edit)
        self.save_button = QPushButton(self.tr("Save changes"))
        self.save_button.setObjectName("primary")
        self.save_button.clicked.connect(self.save)
        self.status_buttons = {}
        status_row = QHBoxLayout()
        for s, label in (("lost", self.tr("Mark lost")), ("found", self.tr("Mark found")),
                         ("home", self.tr("Back home"))):
            b = QPushButton(label)
            b.setObjectName(f"status_{s}")
            b.clicked.connect(lambda _=False, s=s: self.set_status(s))
            self.status_buttons[s] = b
            status_row.addWidget(b)
        # a lost report: where, when, how to tell the owner of a found dog that may be theirs (Reunite)
        self.report_lost_button = QPushButton(self.tr("Report lost…"))
        self.report_lost_button.setObjectName("status_lost")
        self.report_lost_button.clicked.connect(lambda: self.current and self.report_lost_requested.emit(self.current))
        self.message = QLabel()
        self.message.setObjectName("hint")
        self.message.setWordWrap(True)
        # removing a registration (roles that may): asked once more, in place
        self.delete_button = QPushButton(self.tr("Remove registration…"))
        self.delete_button.setObjectName("status_lost")
        self.delete_button.clicked.connect(self.ask_delete)
        self.delete_text = QLabel()
        self.delete_text.setObjectName("warnBox")
        self.delete_text.setWordWrap(True)
        keep = QPushButton(self.tr("Keep it"))
        keep.clicked.connect(lambda: self.delete_confirm.hide())
        self.delete_yes = QPushButton(self.tr("Yes, remove"))
        self.delete_yes.setObjectName("primary")
        self.delete_yes.clicked.connect(self.delete)
        self.delete_confirm = QWidget()
        cl = QVBoxLayout(self.delete_confirm)
        cl.setContentsMargins(0, 0, 0, 0)
        cl.addWidget(self.delete_text)
        row = QHBoxLayout()
        row.addWidget(keep)
        row.addWidget(self.delete_yes)
        cl.addLayout(row)
        self.delete_confirm.hide()
        self.detail = QWidget()
        dl = QVBoxLayout(self.detail)
        dl.setContentsMargins(0, 0, 0, 0)
        dl.addWidget(self.card)
        dl.addLayout(status_row)
        dl.addWidget(self.report_lost_button)
        dl.addLayout(form)
        dl.addWidget(self.save_button)
        dl.addWidget(self.message)
        dl.addWidget(self.delete_button)
        dl.addWidget(self.delete_confirm)
        dl.addStretch(1)
        self.detail.setEnabled(False)

        left = QVBoxLayout()
        left.addLayout(top)
        left.addWidget(self.table, 1)
        left.addWidget(self.empty)
        body = QHBoxLayout()
        scroll = DetailFrame()  # the details stay reachable on short screens
        scroll.setWidget(self.detail)
        body.addLayout(left, 1)
        body.addWidget(scroll, 1)
        lay = QVBoxLayout(self)
        lay.addWidget(title)
        lay.addLayout(body, 1)

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        self.refresh()

    def resizeEvent(self, event) -> None:  # noqa: N802
        # on a narrow screen (1024 pixels) the list leaves out the phone (masked there anyway; the search still finds
        # it, the card shows it), so that names and statuses are read without scrolling sideways
        self.table.setColumnHidden(self.PHONE_COLUMN, event.size().width() < NARROW_PAGE)
        super().resizeEvent(event)

    def apply_access(self) -> None:
        """Buttons as the signed-in member's role allows (the core refuses the rest anyway)."""
        may = self.controller.may
        other = self.other_org(self.current)  # another organisation's dog: lost or found only (the core's rule)
        for w in (self.name_edit, self.breed_edit, self.notes_edit, self.save_button):
            w.setEnabled(may("edit") and not other)
        self.owner_edit.setEnabled(may("edit") and not other and self.current is not None
                                   and not self.current.owner.is_concealed and not redacted(self.current.owner))
        for s, b in self.status_buttons.items():
            b.setEnabled(may("status") and (self.current is None or self.current.status.value != s)
                         and (not other or s in ("lost", "found")))
        self.report_lost_button.setEnabled(may("status") and self.current is not None)
        self.delete_button.setVisible(may("delete"))
        self.delete_button.setEnabled(not other)
        if not may("delete"):
            self.delete_confirm.hide()

    def clear(self) -> None:
        """The kiosk locked: no search, no dog, no contact left on the page."""
        self.search.blockSignals(True)
        self.search.clear()
        self.search.blockSignals(False)
        self._debounce.stop()
        self.status_filter.blockSignals(True)
        self.status_filter.setCurrentIndex(0)
        self.status_filter.blockSignals(False)
        self.dogs = []
        self.table.setRowCount(0)
        self.contact_reveal.forget()
        self.online_contact.forget()
        self.show_dog(None)
        for label in (self.title, self.number, self.status_label, self.contact, self.message):
            label.clear()
        for ed in (self.name_edit, self.breed_edit, self.owner_edit, self.notes_edit):
            ed.clear()
        self.photo.clear()

    def other_org(self, dog) -> bool:
        """Whether `dog` belongs to another organisation than this kiosk's (enrolled: registry meta org_id)."""
        mine = getattr(self, "kiosk_org_id", None)
        org = getattr(dog, "org_id", None) if dog is not None else None
        return bool(mine and org and org != mine)

    def _kiosk_org(self, org) -> None:
        self.kiosk_org_id = org[0] if org else None
        self.apply_access()

    def refresh(self) -> None:
        if not self.controller.loaded:
            return
        self.controller.kiosk_org(self._kiosk_org)
        self.controller.list_dogs(self.search.text() or None, self.status_filter.currentData(), 200, self._fill,
                                  on_error=lambda exc: self.message.setText(error_message(exc)))

    def _fill(self, dogs) -> None:
        keep = self.current.id if self.current else None
        self.dogs = dogs
        self.table.blockSignals(True)
        self.table.setRowCount(len(dogs))
        for r, d in enumerate(dogs):
            # another organisation's owner: a short word in the narrow column, the sentence on hover and in the card
            phone = self.tr("online only") if redacted(d.owner) else texts.phone_words(d.owner.phone)
            for c, text in enumerate((d.registration_number, d.name, texts.status_words(d.status), phone)):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, d.id)
                if c == 3 and redacted(d.owner):
                    item.setToolTip(self.tr("contact available online"))
                self.table.setItem(r, c, item)
        self.table.blockSignals(False)
        self.empty.setVisible(not dogs)
        # the dog shown stays shown; otherwise nothing is chosen until a member taps a row: opening the page shows no
        # owner's contact (an administrator's would be shown, and put on the audit trail, at once)
        row = next((i for i, d in enumerate(dogs) if d.id == keep), None)
        if row is not None:
            self.table.selectRow(row)
        else:
            self.table.clearSelection()
            self.show_dog(None)

    def _selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if rows and rows[0].row() < len(self.dogs):
            self.show_dog(self.dogs[rows[0].row()])

    def show_dog(self, dog) -> None:
        another = self.current is not None and (dog is None or self.current.id != dog.id)
        self.current = dog
        self.detail.setEnabled(dog is not None)
        self.delete_confirm.hide()
        self.contact_reveal.set_dog(dog)
        if dog is None:
            self.online_contact.set_dog(None)
            return
        self.photo.setPixmap(pixmap_from_bytes(self.controller.first_photo(dog) or b"", 120))
        self.title.setText(dog.name)
        self.number.setText(dog.registration_number)
        self.status_label.setText(texts.status_words(dog.status))
        set_style_property(self.status_label, "status", dog.status.value)
        if redacted(dog.owner):
            self.contact.setText(" · ".join(x for x in (self.tr("Owner: contact available online"), dog.breed) if x))
        else:
            self.contact.setText(" · ".join(x for x in (dog.owner.name, texts.phone_words(dog.owner.phone), dog.breed)
                                            if x))
        if self.other_org(dog):
            self.message.setText(self.tr("Registered with another organisation: you may mark it lost or found; only "
                                         "that organisation changes its details or removes it."))
        elif another:  # what was said of the dog before (its contact from the server, say) is not of this one
            self.message.clear()
        self.name_edit.setText(dog.name)
        self.breed_edit.setText(dog.breed)
        self.owner_edit.setText(dog.owner.name)
        self.notes_edit.setText(dog.notes)
        self.apply_access()
        self.online_contact.set_dog(dog)  # after the rest: a contact the server gave for this dog shows again

    def _show_online_contact(self, dog, owner) -> None:
        """Another organisation's owner as the server gave it: on the card for this view only; never in the edit
        fields, never saved (self.current keeps the redacted owner)."""
        if self.current is None or self.current.id != dog.id:
            return
        self.contact.setText(" · ".join(x for x in (owner.name, texts.phone_words(owner.phone), dog.breed) if x))
        self.message.setText(self.tr("The owner's contact, from the server: shown for this view only, not kept on "
                                     "this kiosk."))

    def _show_contact(self, dog, owner) -> None:
        """The owner's contact in full, from the core's reveal_contact."""
        if self.current is None or self.current.id != dog.id:
            return
        self.current = self.current.model_copy(update={"owner": owner})
        self.contact.setText(" · ".join(x for x in (owner.name, texts.phone_words(owner.phone), dog.breed) if x))
        self.owner_edit.setText(owner.name)
        self.apply_access()

    def save(self) -> None:
        from pydantic import ValidationError

        from core.schemas import DogUpdate

        if self.current is None:
            return
        d = self.current
        changes = {k: v for k, v, old in (("name", self.name_edit.text(), d.name),
                                          ("breed", self.breed_edit.text(), d.breed),
                                          ("owner_name", self.owner_edit.text(), d.owner.name),
                                          ("notes", self.notes_edit.text(), d.notes)) if v.strip() != old}
        if not changes:
            self.message.setText(self.tr("Nothing changed."))
            return
        try:
            update = DogUpdate(**changes)
        except ValidationError as exc:
            msg = self.tr("The dog's name is required.") if "name" in changes and not changes["name"].strip() \
                else error_message(exc)
            self.message.setText(msg)
            return
        self.controller.update_dog(d.id, update, self._updated,
                                   on_error=lambda exc: self.message.setText(error_message(exc)),
                                   busy=self.tr("Saving…"))

    def set_status(self, status: str) -> None:
        if self.current is not None:  # the core schema turns the word into its DogStatus
            self.controller.set_status(self.current.id, status, self._updated,
                                       on_error=lambda exc: self.message.setText(error_message(exc)),
                                       busy=self.tr("Saving…"))

    def ask_delete(self) -> None:
        if self.current is None:
            return
        self.delete_text.setText(self.tr("Remove %1 (%2) from the registry? Every kiosk forgets it at its next sync.")
                                 .replace("%1", self.current.name).replace("%2", self.current.registration_number))
        self.delete_confirm.show()

    def delete(self) -> None:
        if self.current is None:
            return
        dog = self.current
        self.delete_confirm.hide()
        self.controller.delete_dog(dog.id, lambda _d: self._deleted(dog),
                                   on_error=lambda exc: self.message.setText(error_message(exc)),
                                   busy=self.tr("Saving…"))

    def _deleted(self, dog) -> None:
        self.message.setText(self.tr("Removed: %1 (%2).").replace("%1", dog.name)
                             .replace("%2", dog.registration_number))
        self.current = None
        self.refresh()

    def _updated(self, dog) -> None:
        self.message.setText(self.tr("Saved: %1 is now “%2”.").replace("%1", dog.name)
                             .replace("%2", texts.status_words(dog.status)))
        self.current = dog
        self.refresh()

