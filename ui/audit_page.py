"""Audit trail (administrators): who looked up, saw, registered, changed or removed what, when, and on which device.

The core keeps the trail (core/audit.py, SavePets.audit_trail, administrators only); this page filters it by dog,
by who, by period and by action, and lists it newest first. Entries hold no owner's name or phone, so nothing here
needs masking.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ui import texts
from ui.controller import error_message
from ui.style import NARROW_PAGE

SHOWN = 500  # entries fetched at once (newest first)

ACTION_WORDS = {  # core.audit.ACTIONS
    "lookup": QT_TRANSLATE_NOOP("AuditPage", "Look-up"),
    "contact_view": QT_TRANSLATE_NOOP("AuditPage", "Contact shown"),
    "register": QT_TRANSLATE_NOOP("AuditPage", "Registration"),
    "edit": QT_TRANSLATE_NOOP("AuditPage", "Details changed"),
    "status": QT_TRANSLATE_NOOP("AuditPage", "Status changed"),
    "delete": QT_TRANSLATE_NOOP("AuditPage", "Registration removed"),
    "review": QT_TRANSLATE_NOOP("AuditPage", "Review decided"),
    "owner_export": QT_TRANSLATE_NOOP("AuditPage", "Owner's data exported"),
    "owner_erase": QT_TRANSLATE_NOOP("AuditPage", "Owner's data erased"),
    "backup": QT_TRANSLATE_NOOP("AuditPage", "Backup"),
    "restore": QT_TRANSLATE_NOOP("AuditPage", "Restore"),
    "sign_in": QT_TRANSLATE_NOOP("AuditPage", "Signed in"),
    "sign_in_failed": QT_TRANSLATE_NOOP("AuditPage", "Sign-in refused"),
    "lockout": QT_TRANSLATE_NOOP("AuditPage", "Account locked (wrong PINs)"),
    "lock": QT_TRANSLATE_NOOP("AuditPage", "Kiosk locked"),
    "sign_out": QT_TRANSLATE_NOOP("AuditPage", "Signed out"),
    "user_add": QT_TRANSLATE_NOOP("AuditPage", "Staff account made"),
    "user_disable": QT_TRANSLATE_NOOP("AuditPage", "Staff account disabled"),
    "user_reset_pin": QT_TRANSLATE_NOOP("AuditPage", "PIN reset"),
    "settings": QT_TRANSLATE_NOOP("AuditPage", "Staff permissions changed"),
    "audit_purge": QT_TRANSLATE_NOOP("AuditPage", "Old entries deleted"),
}
KIND_WORDS = {
    "api_key": QT_TRANSLATE_NOOP("AuditPage", "API key: %1"),
    "cli": QT_TRANSLATE_NOOP("AuditPage", "Command line: %1"),
    "sync": QT_TRANSLATE_NOOP("AuditPage", "Sync: %1"),
    "system": QT_TRANSLATE_NOOP("AuditPage", "System"),
}
OUTCOME_WORDS = {  # sign-in outcomes and review decisions (look-ups use texts.decision_words)
    "wrong_pin": QT_TRANSLATE_NOOP("AuditPage", "wrong PIN"),
    "locked": QT_TRANSLATE_NOOP("AuditPage", "account locked"),
    "disabled": QT_TRANSLATE_NOOP("AuditPage", "account disabled"),
    "idle": QT_TRANSLATE_NOOP("AuditPage", "idle"),
    "on_demand": QT_TRANSLATE_NOOP("AuditPage", "on demand"),
    "same_dog": QT_TRANSLATE_NOOP("AuditPage", "same dog"),
    "different_dogs": QT_TRANSLATE_NOOP("AuditPage", "different dogs"),
    "enabled": QT_TRANSLATE_NOOP("AuditPage", "enabled again"),
}
VIA_WORDS = {  # where a contact was shown (contact_view's via=)
    "reveal": QT_TRANSLATE_NOOP("AuditPage", "shown on request"),
    "opened": QT_TRANSLATE_NOOP("AuditPage", "shown with the dog opened (always shown to this role)"),
    "online": QT_TRANSLATE_NOOP("AuditPage", "from the server, for another organisation's dog"),
    "lookup": QT_TRANSLATE_NOOP("AuditPage", "in a look-up's answer"),
    "list": QT_TRANSLATE_NOOP("AuditPage", "in a list of dogs"),
    "dog": QT_TRANSLATE_NOOP("AuditPage", "with the dog's details"),
    "reviews": QT_TRANSLATE_NOOP("AuditPage", "in the reviews"),
    "review": QT_TRANSLATE_NOOP("AuditPage", "with a review's decision"),
    "export": QT_TRANSLATE_NOOP("AuditPage", "in an export"),
}
FIELD_WORDS = {  # edit's fields= (core.schemas.DogUpdate)
    "name": QT_TRANSLATE_NOOP("AuditPage", "name"),
    "breed": QT_TRANSLATE_NOOP("AuditPage", "breed"),
    "sex": QT_TRANSLATE_NOOP("AuditPage", "sex"),
    "birth_date": QT_TRANSLATE_NOOP("AuditPage", "birth date"),
    "neutered": QT_TRANSLATE_NOOP("AuditPage", "neutered"),
    "notes": QT_TRANSLATE_NOOP("AuditPage", "notes"),
    "owner_name": QT_TRANSLATE_NOOP("AuditPage", "owner's name"),
}
DETAIL_WORDS = {  # the other codes of an entry's detail: key=value -> words with %1 for the value
    "photos": QT_TRANSLATE_NOOP("AuditPage", "photos: %1"),
    "candidates": QT_TRANSLATE_NOOP("AuditPage", "candidates: %1"),
    "flagged": QT_TRANSLATE_NOOP("AuditPage", "look-alikes flagged for review: %1"),
    "with": QT_TRANSLATE_NOOP("AuditPage", "with %1"),
    "dogs": QT_TRANSLATE_NOOP("AuditPage", "dogs: %1"),
    "deleted": QT_TRANSLATE_NOOP("AuditPage", "deleted: %1"),
    "days": QT_TRANSLATE_NOOP("AuditPage", "kept %1 days"),
    "from": QT_TRANSLATE_NOOP("AuditPage", "backup of %1"),
    "owner=new": QT_TRANSLATE_NOOP("AuditPage", "new owner"),
    "owner=existing": QT_TRANSLATE_NOOP("AuditPage", "existing owner"),
    "dog=kept": QT_TRANSLATE_NOOP("AuditPage", "dog kept (in the shelter's care)"),
    "dog=removed": QT_TRANSLATE_NOOP("AuditPage", "dog removed"),
}
PERIODS = (  # (label, days back; None: everything kept)
    (QT_TRANSLATE_NOOP("AuditPage", "Today"), 0),
    (QT_TRANSLATE_NOOP("AuditPage", "Last 7 days"), 7),
    (QT_TRANSLATE_NOOP("AuditPage", "Last 30 days"), 30),
    (QT_TRANSLATE_NOOP("AuditPage", "Last year"), 365),
    (QT_TRANSLATE_NOOP("AuditPage", "Everything kept"), None),
)


def _tr(text: str) -> str:
    return QCoreApplication.translate("AuditPage", text)


def action_words(action: str) -> str:
    return _tr(ACTION_WORDS[action]) if action in ACTION_WORDS else action


def who_words(entry) -> str:
    if entry.actor_kind == "staff":
        return f"{entry.actor_name} ({texts.role_words(entry.actor_role or 'staff')})"
    if entry.actor_kind == "system":
        return _tr(KIND_WORDS["system"])
    template = KIND_WORDS.get(entry.actor_kind, "%1")
    return _tr(template).replace("%1", entry.actor_name or entry.actor_id)


def details_words(entry) -> str:
    """The decision in words (a look-up's, a review's, why a sign-in failed), then the entry's own codes in words
    (the use cases in core/service/ write them as key=value; one it does not know is shown as it is)."""
    parts = []
    if entry.action == "lookup" and entry.decision:
        parts.append(texts.decision_words(entry.decision))
        if entry.reason:
            parts.append(texts.reason_words(entry.reason))
    elif entry.decision in OUTCOME_WORDS:
        parts.append(_tr(OUTCOME_WORDS[entry.decision]))
    detail = entry.detail or ""
    if detail in OUTCOME_WORDS:  # a sign-in's or a lock's reason
        return " · ".join([*parts, _tr(OUTCOME_WORDS[detail])])
    if detail.startswith("{"):  # the staff permissions set (JSON): the settings page shows them
        return " · ".join(parts)
    account = re.fullmatch(r"(?:member=(.*) )?role=(\w+)( enabled)?", detail)
    if account:  # a staff account's change: whose (core/staff.py)
        name, role, enabled = account.groups()
        who = f"{name} ({texts.role_words(role)})" if name else texts.role_words(role)
        return " · ".join([*parts, who] + ([_tr(OUTCOME_WORDS["enabled"])] if enabled else []))
    for token in detail.split():
        key, _, value = token.partition("=")
        if key == "via" and value in VIA_WORDS:
            parts.append(_tr(VIA_WORDS[value]))
        elif key == "fields":
            parts.append(", ".join(_tr(FIELD_WORDS[f]) if f in FIELD_WORDS else f for f in value.split(",")))
        elif key in ("from", "to") and entry.action == "status":
            continue
        elif key == "review":
            continue  # the review's id: the dogs say which
        elif token in DETAIL_WORDS:
            parts.append(_tr(DETAIL_WORDS[token]))
        elif key in DETAIL_WORDS and value:
            parts.append(_tr(DETAIL_WORDS[key]).replace("%1", value))
        else:
            parts.append(token)
    if entry.action == "status":
        codes = dict(p.partition("=")[::2] for p in detail.split())
        if codes.get("from") and codes.get("to"):
            parts.insert(0, f"{texts.status_words(codes['from'])} → {texts.status_words(codes['to'])}")
    return " · ".join(parts)


class AuditPage(QWidget):
    COLUMNS = 6
    DEVICE_COLUMN = 5

    def __init__(self, controller, parent: QWidget | None = None):
        super().__init__(parent)
        self.controller = controller
        self.entries: list = []
        title = QLabel(self.tr("Audit trail"))
        title.setObjectName("pageTitle")
        self.dog = QLineEdit()
        self.dog.setPlaceholderText(self.tr("Registration number"))
        self.dog.setClearButtonEnabled(True)
        self.who = QLineEdit()
        self.who.setPlaceholderText(self.tr("Who: name or key"))
        self.who.setClearButtonEnabled(True)
        self.since = QComboBox()
        for label, days in PERIODS:
            self.since.addItem(self.tr(label), days)
        self.since.setCurrentIndex(2)  # the last 30 days
        self.action = QComboBox()
        self.action.addItem(self.tr("All actions"), None)
        for code in ACTION_WORDS:
            self.action.addItem(action_words(code), code)
        self.search_button = QPushButton(self.tr("Search"))  # (the list also follows the filters as they change)
        self.search_button.clicked.connect(self.refresh)
        self._debounce = QTimer(self, singleShot=True, interval=400)
        self._debounce.timeout.connect(self.refresh)
        for edit in (self.dog, self.who):
            edit.returnPressed.connect(self.refresh)
            edit.textChanged.connect(lambda _t: self._debounce.start())
        for combo in (self.since, self.action):
            combo.currentIndexChanged.connect(lambda _i: self.refresh())
        for combo, chars in ((self.since, 8), (self.action, 12)):  # as wide as the layout gives, not the longest item
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(chars)
        filters = QHBoxLayout()
        filters.addWidget(self.dog, 3)
        filters.addWidget(self.who, 3)
        filters.addWidget(self.since, 2)
        filters.addWidget(self.action, 3)
        filters.addWidget(self.search_button)

        self.table = QTableWidget(0, self.COLUMNS)
        self.table.setHorizontalHeaderLabels([self.tr("When"), self.tr("Who"), self.tr("Action"), self.tr("Dog"),
                                              self.tr("Details"), self.tr("Device")])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(48)
        header = self.table.horizontalHeader()
        fit, stretch = QHeaderView.ResizeMode.ResizeToContents, QHeaderView.ResizeMode.Stretch
        for col, mode in enumerate((fit, fit, fit, fit, stretch, fit)):
            header.setSectionResizeMode(col, mode)
        self.message = QLabel()
        self.message.setObjectName("hint")
        self.message.setWordWrap(True)

        lay = QVBoxLayout(self)
        lay.addWidget(title)
        lay.addLayout(filters)
        lay.addWidget(self.table, 1)
        lay.addWidget(self.message)

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        self.refresh()

    def resizeEvent(self, event) -> None:  # noqa: N802
        # on a narrow screen (1024 pixels) the list leaves out the device, so that the details are read, not cut to a
        # word (a wider screen shows it)
        self.table.setColumnHidden(self.DEVICE_COLUMN, event.size().width() < NARROW_PAGE)
        super().resizeEvent(event)

    def filters(self) -> dict:
        days = self.since.currentData()
        since = None
        if days is not None:
            since = (datetime.now().replace(hour=0, minute=0, second=0, microsecond=0)
                     - timedelta(days=days)).isoformat()  # local midnight
        return {"dog": self.dog.text().strip() or None, "who": self.who.text().strip() or None, "since": since,
                "action": self.action.currentData(), "limit": SHOWN}

    def refresh(self) -> None:
        if not self.controller.loaded or self.controller.member is None:
            return
        self.controller.audit_trail(**self.filters(), on_done=self._fill, on_error=self._failed,
                                    busy=self.tr("Loading the audit trail…"))

    def _failed(self, exc) -> None:
        self._fill([])
        self.message.setText(error_message(exc))

    def _fill(self, entries) -> None:
        self.entries = entries
        here = self.controller.device_id
        self.table.setRowCount(len(entries))
        for r, e in enumerate(entries):
            device = self.tr("This kiosk") if e.device_id == here else e.device_id[:8]
            when = e.at.astimezone()
            cells = (when.strftime("%Y-%m-%d %H:%M"), who_words(e), action_words(e.action),
                     e.registration_number or "", details_words(e), device)
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if c == 0:
                    item.setToolTip(when.strftime("%Y-%m-%d %H:%M:%S %Z"))
                elif c == 5:
                    item.setToolTip(e.device_id)
                elif c == 4:
                    item.setToolTip("\n".join(x for x in (text, e.detail) if x))  # the whole text, and its codes
                item.setData(Qt.ItemDataRole.UserRole, e.id)
                self.table.setItem(r, c, item)
        if not entries:
            self.message.setText(self.tr("No entries match."))
        elif len(entries) >= SHOWN:
            self.message.setText(self.tr("The newest %1 entries; narrow the search to see older ones.")
                                 .replace("%1", str(SHOWN)))
        else:
            self.message.setText(self.tr("%n entries, newest first.", "", len(entries)))

    def apply_access(self) -> None:
        """Administrators only: the navigation shows this page to them alone (the core refuses anyone else)."""

    def clear(self) -> None:
        """The kiosk locked: nothing of the trail stays on screen."""
        for edit in (self.dog, self.who):
            edit.blockSignals(True)
            edit.clear()
            edit.blockSignals(False)
        self._debounce.stop()
        self.entries = []
        self.table.setRowCount(0)
        self.message.clear()
