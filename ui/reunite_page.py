"""Reunite: the found dogs held here, the dogs reported lost, and the possible reunions recognition found between them
(core: SavePets.found_cases, lost_reports, reunions), for staff to compare and confirm.

Three lists behind three tabs: possible reunions (the found dog's photo beside the registered dog's), found dogs
(where, when, the days left of their holding period, highlighted when 0 to 2) and lost reports (the dog, where, since
when; withdraw, or the dog is home). "Compare" opens the found dog's photos beside each dog it may be, large and
zoomable (the look-up's compare view), with "Confirm" and "Not this dog"; a confirmed reunion closes the found case
(reunited) and the dog's lost report (home). A dog is reported lost from the Registry (ReportLostForm, shown here).
The core does the work; this page asks and shows, and refreshes when the registry changes (a sync included).
"""

from __future__ import annotations

from types import SimpleNamespace

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ui import texts
from ui.compare_view import CompareView
from ui.contact_reveal import ContactReveal
from ui.controller import error_message
from ui.reunite_forms import ReportLostForm
from ui.reunite_rows import FoundRow, LostRow, ReunionRow, RowList, when_words
from ui.style import set_style_property

LISTED = 100  # of each list, fetched at once
REUNITED_SHOWN = 5  # found dogs already reunited, newest first, listed after the open ones


class ReunionCompare(CompareView):
    """The look-up's compare view for a found dog: its photos beside each dog it may be (the case's possible
    reunions, as candidates), confirmed or rejected one dog at a time."""

    def __init__(self, controller, parent: QWidget | None = None):
        super().__init__(controller, parent)
        self.probe_title.setText(self.tr("Found dog"))
        self.none_button.setText(self.tr("Not this dog"))
        self.confirm_button.setText(self.tr("Confirm: it is this dog"))
        # back to the lists beside the decisions: the page's title row is hidden, the photos get its height
        self.back_button = QPushButton(self.tr("Back"))
        self.back_button.setObjectName("bigChoice")
        bottom = self.layout().itemAt(self.layout().count() - 1).layout()
        bottom.insertWidget(0, self.back_button)

    def show_result(self, photos, result) -> None:
        super().show_result(photos, result)
        # (a plural of the base class's is not found under this class's name: its note in this class's words)
        self.probe_note.setText(self.tr("Photos of the found dog: %1").replace("%1", str(len(self.probe.frames)))
                                + "\n" + self.tr("Tap a photo to zoom in, tap again to see all of it."))

    def select(self, i: int) -> None:
        super().select(i)
        if not self.candidates:
            return
        r = self.candidates[self.current]
        source = self.tr("reported lost") if r.source == "lost" else self.tr("found in the whole registry")
        lines = self.candidate_note.text().split("\n")
        lines[0] = " · ".join((r.dog.name, r.dog.registration_number, source))
        self.candidate_note.setText("\n".join(lines))

    @property
    def reunion(self):
        return self.candidates[self.current] if self.candidates else None


class ReunitePage(QWidget):
    count_changed = Signal(int)  # possible reunions to decide, after each refresh
    registry_requested = Signal()  # staff want to report a dog lost: it is chosen in the Registry

    def __init__(self, controller, parent: QWidget | None = None):
        super().__init__(parent)
        self.controller = controller
        self.board = None
        self.case = None  # the found case being compared
        self.decided = None  # the last confirmed reunion
        self._token = 0
        self._ask = None  # what the confirmation bar will do: a callable
        self._pending_case = None  # a found case to compare once the lists come (a stray just taken in)

        title = QLabel(self.tr("Reunite"))
        title.setObjectName("pageTitle")
        self.back_button = QPushButton(self.tr("Back to the lists"))
        self.back_button.clicked.connect(self.show_lists)
        self.top = QWidget()
        top = QHBoxLayout(self.top)
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(title, 1)
        top.addWidget(self.back_button)
        self.message = QLabel()
        self.message.setObjectName("hint")
        self.message.setWordWrap(True)

        # the three lists, behind tabs that say how many each holds
        self.tab_group = QButtonGroup(self)
        self.tabs: dict[str, QPushButton] = {}
        tab_row = QHBoxLayout()
        tab_row.setSpacing(8)
        self.reunion_list = RowList(self.tr("No possible reunions. When a found dog looks like a registered dog, the "
                                            "two appear here to compare."))
        self.found_list = RowList(self.tr("No found dogs held. Take one in from the look-up page: when a dog is not "
                                          "surely identified, tap “Take in as a stray”."))
        self.lost_list = RowList(self.tr("No dogs reported lost. To report one, open it in the Registry and tap "
                                         "“Report lost”."))
        self.lists = QStackedWidget()
        for key, widget in (("reunions", self.reunion_list), ("found", self.found_list), ("lost", self.lost_list)):
            b = QPushButton()
            b.setCheckable(True)
            b.setObjectName("candidateChoice")
            b.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            b.clicked.connect(lambda _=False, k=key: self.show_tab(k))
            self.tab_group.addButton(b)
            self.tabs[key] = b
            tab_row.addWidget(b, 1)
            self.lists.addWidget(widget)
        self.report_button = QPushButton(self.tr("Report a dog lost…"))
        self.report_button.clicked.connect(self.registry_requested.emit)
        # a step that cannot be undone (withdraw, home, close) is asked once more, in place
        self.confirm_text = QLabel()
        self.confirm_text.setObjectName("confirmBox")
        self.confirm_text.setWordWrap(True)
        self.keep_button = QPushButton(self.tr("Cancel"))
        self.keep_button.clicked.connect(lambda: self._confirm_bar(None))
        self.yes_button = QPushButton()
        self.yes_button.setObjectName("primary")
        self.yes_button.clicked.connect(self._confirmed)
        self.confirm_bar = QWidget()
        cb = QHBoxLayout(self.confirm_bar)
        cb.setContentsMargins(0, 0, 0, 0)
        cb.addWidget(self.confirm_text, 1)
        cb.addWidget(self.keep_button)
        cb.addWidget(self.yes_button)
        self.confirm_bar.hide()
        lists_page = QWidget()
        ll = QVBoxLayout(lists_page)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.setSpacing(10)
        ll.addLayout(tab_row)
        ll.addWidget(self.lists, 1)
        ll.addWidget(self.confirm_bar)

        # comparing a found dog with the dogs it may be
        self.compare = ReunionCompare(controller)
        self.compare.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Ignored)
        self.compare.confirmed.connect(lambda _c: self.decide(True))
        self.compare.rejected.connect(lambda: self.decide(False))
        self.compare.back_button.clicked.connect(self.show_lists)
        # reporting a dog lost (from the Registry)
        self.report_form = ReportLostForm(controller)
        self.report_form.reported.connect(self._reported)
        self.report_form.cancelled.connect(self.show_lists)
        # a reunion confirmed: whom to call
        self.done_title = QLabel()
        self.done_title.setObjectName("bigVerdict")
        self.done_title.setWordWrap(True)
        self.done_text = QLabel()
        self.done_text.setObjectName("hint")
        self.done_text.setWordWrap(True)
        self.owner = QLabel()
        self.owner.setObjectName("fieldValue")
        self.owner.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.reveal_button = QPushButton(self.tr("Show contact"))
        self.reveal_button.setObjectName("revealContact")
        self.owner_reveal = ContactReveal(controller, self.reveal_button, self._show_owner,
                                          lambda exc: self._say(error_message(exc)))
        card = QFrame()
        card.setObjectName("dogCard")
        owner_row = QHBoxLayout(card)
        owner_row.addWidget(self.owner, 1)
        owner_row.addWidget(self.reveal_button)
        self.continue_button = QPushButton(self.tr("Back to the lists"))
        self.continue_button.setObjectName("primary")
        self.continue_button.setProperty("big", True)
        self.continue_button.clicked.connect(self.show_lists)
        done = QWidget()
        dl = QVBoxLayout(done)
        dl.setContentsMargins(0, 0, 0, 0)
        dl.setSpacing(16)
        dl.addWidget(self.done_title)
        dl.addWidget(self.done_text)
        dl.addWidget(card)
        dl.addStretch(1)
        dl.addWidget(self.continue_button)

        self.body = QStackedWidget()
        self.pages = {"lists": lists_page, "compare": self.compare, "report": self.report_form, "reunited": done}
        for w in self.pages.values():
            self.body.addWidget(w)
        lay = QVBoxLayout(self)
        lay.addWidget(self.top)
        lay.addWidget(self.message)
        lay.addWidget(self.body, 1)
        self.tabs["reunions"].setChecked(True)
        self._counts(0, 0, 0)
        self._say("")
        self._set_state("lists")

    # ------------------------------------------------------------ state
    @property
    def state(self) -> str:
        """lists | compare | report | reunited"""
        w = self.body.currentWidget()
        return next(k for k, v in self.pages.items() if v is w)

    @property
    def tab(self) -> str:
        return next(k for k, b in self.tabs.items() if b.isChecked())

    def _set_state(self, state: str) -> None:
        self.body.setCurrentWidget(self.pages[state])
        self.back_button.setVisible(state == "report")
        self.top.setVisible(state != "compare")
        self.report_button.setVisible(state == "lists")

    def _say(self, text: str, level: str = "") -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))
        self.message.setObjectName("errorBox" if level == "bad" else "hint")  # a refusal in the error's colours
        set_style_property(self.message, "level", level)

    def show_tab(self, key: str) -> None:
        self.tabs[key].setChecked(True)
        self.lists.setCurrentIndex(list(self.tabs).index(key))
        self._confirm_bar(None)

    def show_lists(self) -> None:
        self._set_state("lists")
        self.refresh()

    def clear(self) -> None:
        """The kiosk locked: no case, no dog, no owner left on the page."""
        self._token += 1
        self.board, self.case, self.decided, self._pending_case = None, None, None, None
        for rows in (self.reunion_list, self.found_list, self.lost_list):
            rows.set_rows([])
        self.owner_reveal.forget()
        self.owner.clear()
        self.report_form.clear()
        self._confirm_bar(None)
        self._counts(0, 0, 0)
        self._say("")
        self._set_state("lists")

    def apply_access(self) -> None:
        """Reporting, deciding and closing change dogs' statuses: buttons as the member's role allows (the core
        refuses anyway)."""
        may = self.controller.may("status")
        rows = [*self.found_list.rows, *self.lost_list.rows]
        for b in (self.compare.confirm_button, self.compare.none_button, self.report_button,
                  *(b for r in rows for b in r.actions)):
            b.setEnabled(may)

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        if self.state == "lists":
            self.refresh()

    # ------------------------------------------------------------ the lists
    def refresh(self) -> None:
        """The three lists again (on showing, after a change, after a sync); the page stays where it is."""
        if not self.controller.loaded or self.controller.member is None:
            return
        self._token += 1
        token = self._token
        self.controller.reunite_board(LISTED, lambda board: token == self._token and self._fill(board),
                                      on_error=lambda exc: self._say(error_message(exc), "bad"))

    def _fill(self, board) -> None:
        first = self.board is None
        self.board = board
        cases = {c.id: c for c in board.found}
        open_cases = sorted((c for c in board.found if c.state == "open"),
                            key=lambda c: (c.days_left is None, c.days_left or 0, -c.found_at.timestamp()))
        reunited = [c for c in board.found if c.state == "reunited"][:REUNITED_SHOWN]
        rows = []
        for c in [*open_cases, *reunited]:
            row = FoundRow(c)
            row.compare.connect(self.compare_case)
            row.close.connect(self.ask_close)
            rows.append(row)
        self.found_list.set_rows(rows)
        possible_of = {}
        for r in board.reunions:
            possible_of[r.dog.id] = possible_of.get(r.dog.id, 0) + 1
        rows = []
        for report in board.lost:
            row = LostRow(report, board.lost_photos.get(report.dog_id), possible_of.get(report.dog_id, 0))
            row.compare.connect(self.compare_dog)
            row.end.connect(self.ask_end)
            rows.append(row)
        self.lost_list.set_rows(rows)
        # the list to decide: sure and likely reunions, best first; the merely closest lost dogs ("not alike") are
        # compared from their found case, as a look-up's closest dogs are
        likely = sorted((r for r in board.reunions if _value(r.decision) != "no_match"),
                        key=lambda r: (_value(r.decision) != "match", -r.score))
        rows = []
        for r in likely:
            row = ReunionRow(r, cases.get(r.found_case_id))
            row.compare.connect(self.compare_reunion)
            rows.append(row)
        self.reunion_list.set_rows(rows)
        self._counts(len(likely), len(open_cases), len(board.lost))
        if first:  # opening the page: the reunions to decide first, else the found dogs
            self.show_tab("reunions" if likely else "found" if open_cases else "lost"
                          if board.lost else "reunions")
        self.apply_access()
        self._load_thumbs()
        if self._pending_case:
            case_id, self._pending_case = self._pending_case, None
            self.compare_case(case_id)

    def open_case(self, case_id: str) -> None:
        """Compare a found case's possible dogs (a stray just taken in on the look-up page)."""
        self._pending_case = case_id
        self._set_state("lists")
        self.refresh()

    def _counts(self, reunions: int, found: int, lost: int) -> None:
        for key, words, n in (("reunions", self.tr("Possible reunions"), reunions),
                              ("found", self.tr("Found dogs"), found), ("lost", self.tr("Lost reports"), lost)):
            self.tabs[key].setText(f"{words}  {n}")
        set_style_property(self.tabs["reunions"], "attention", reunions > 0)
        self.count_changed.emit(reunions)

    def _load_thumbs(self) -> None:
        from core.schemas import FoundPhotoOut

        wanted = set().union(*(rows.photos_wanted() for rows in (self.reunion_list, self.found_list,
                                                                  self.lost_list)))
        if not wanted:
            return
        token = self._token

        def done(images, token=token):
            if token == self._token:
                for rows in (self.reunion_list, self.found_list, self.lost_list):
                    rows.show_images(images)

        photos = [FoundPhotoOut(id=sha, sha256=sha, position=0) for sha in sorted(wanted)]
        self.controller.load_photos(photos, done, lambda _exc: None, busy=self.tr("Loading photos…"))

    # ------------------------------------------------------------ confirming a step in place
    def _confirm_bar(self, ask) -> None:
        """ask: (question, the button's words, what to do), or None to hide the bar."""
        self._ask = ask[2] if ask else None
        if ask:
            self.confirm_text.setText(ask[0])
            self.yes_button.setText(ask[1])
        self.confirm_bar.setVisible(ask is not None)

    def _confirmed(self) -> None:
        act, self._ask = self._ask, None
        self.confirm_bar.hide()
        if act is not None:
            act()

    def ask_end(self, report_id: str, how: str) -> None:
        report = next((r for r in (self.board.lost if self.board else []) if r.id == report_id), None)
        if report is None:
            return
        name = f"{report.dog_name} ({report.registration_number})"
        if how == "home":
            ask = (self.tr("Is %1 home? The lost report ends and the dog's status becomes “at home”.")
                   .replace("%1", name), self.tr("Yes, it is home"))
        else:
            ask = (self.tr("Withdraw the lost report of %1? It is no longer searched for among found dogs.")
                   .replace("%1", name), self.tr("Yes, withdraw"))
        self._confirm_bar((*ask, lambda: self.controller.end_lost(
            report_id, how, self._ended, lambda exc: self._say(error_message(exc), "bad"),
            busy=self.tr("Saving…"))))

    def _ended(self, report) -> None:
        words = (self.tr("%1 is home: the lost report is closed.") if report.state == "home"
                 else self.tr("The lost report of %1 is withdrawn."))
        self._say(words.replace("%1", report.dog_name), "good")
        self.refresh()

    def ask_close(self, case_id: str) -> None:
        case = self._case(case_id)
        if case is None:
            return
        self._confirm_bar((self.tr("Close the found case at %1 (%2) without a reunion? Its dog is no longer searched "
                                   "for owners.").replace("%1", case.place).replace("%2", when_words(case.found_at)),
                           self.tr("Yes, close it"),
                           lambda: self.controller.close_found_case(
                               case_id, self._closed, lambda exc: self._say(error_message(exc), "bad"),
                               busy=self.tr("Saving…"))))

    def _closed(self, case) -> None:
        self._say(self.tr("The found case at %1 is closed.").replace("%1", case.place), "good")
        self.refresh()

    # ------------------------------------------------------------ comparing
    def _case(self, case_id: str):
        return next((c for c in (self.board.found if self.board else []) if c.id == case_id), None)

    def compare_reunion(self, reunion_id: str) -> None:
        r = next((r for r in (self.board.reunions if self.board else []) if r.id == reunion_id), None)
        if r is not None:
            self.compare_case(r.found_case_id, reunion_id)

    def compare_dog(self, dog_id: str) -> None:
        """A lost dog's most alike possible reunion."""
        r = max((r for r in (self.board.reunions if self.board else []) if r.dog.id == dog_id),
                key=lambda r: r.score, default=None)
        if r is not None:
            self.compare_case(r.found_case_id, r.id)

    def compare_case(self, case_id: str, reunion_id: str | None = None) -> None:
        """The found dog's photos beside each dog it may be; `reunion_id`: the one shown first."""
        case = self._case(case_id)
        if case is None:  # not among those listed now (opened on another kiosk): the lists again
            self._say(self.tr("This found case is no longer open."), "bad")
            self.show_lists()
            return
        candidates = [r for r in case.reunions if r.state == "possible"]
        if not candidates:
            self._say(self.tr("No registered dog is left to compare with the dog found at %1.")
                      .replace("%1", case.place))
            self.show_lists()
            return
        self.case = case
        self._confirm_bar(None)
        self._say("")
        first = next((i for i, r in enumerate(candidates) if r.id == reunion_id), 0)
        token = self._token

        def loaded(images, token=token):
            if token != self._token or self.case is not case:
                return
            photos = [SimpleNamespace(image=images[p.sha256]) for p in case.photos if p.sha256 in images]
            lost = any(r.source == "lost" for r in candidates)
            self.compare.show_result(photos, SimpleNamespace(
                candidates=candidates, decision=candidates[0].decision,
                reason="reunion_lost" if lost else "reunion_registry"))
            self.compare.reason.setText(self.tr("Found at %1, %2 · %3").replace("%1", case.place)
                                        .replace("%2", when_words(case.found_at)).replace("%3", self._days(case)))
            set_style_property(self.compare.reason, "level", "warn")
            self.compare.select(first)
            self._set_state("compare")
            self._say("")

        self.controller.load_photos(case.photos, loaded, lambda _exc, token=token: loaded({}, token),
                                    busy=self.tr("Loading photos…"))

    def _days(self, case) -> str:
        if case.days_left is None:
            return self.tr("no holding period")
        if case.days_left == 0:
            return self.tr("last day today")
        return self.tr("1 day left") if case.days_left == 1 else self.tr("%1 days left").replace(
            "%1", str(case.days_left))

    def decide(self, confirm: bool) -> None:
        r = self.compare.reunion
        if r is None or not self.compare.confirm_button.isEnabled():
            return
        for b in (self.compare.confirm_button, self.compare.none_button):
            b.setEnabled(False)
        self.controller.decide_reunion(r.id, confirm, self._decided, self._decide_failed,
                                       busy=self.tr("Saving…"))

    def _decide_failed(self, exc) -> None:
        self.apply_access()
        self._say(error_message(exc), "bad")
        self.show_lists()  # decided elsewhere meanwhile (a sync), or the case closed: show what is left

    def _decided(self, reunion) -> None:
        self.apply_access()
        if reunion.state != "confirmed":
            left = [c for c in self.compare.candidates if c.id != reunion.id]
            self._say(self.tr("Not %1: noted.").replace("%1", reunion.dog.name))
            if left and self.case is not None:
                case = self.case.model_copy(update={"reunions": left})
                self.board.found[:] = [case if c.id == case.id else c for c in self.board.found]
                self.compare_case(case.id)
            else:
                self.show_lists()
            return
        self.decided = reunion
        dog = reunion.dog
        self._say("")
        self.done_title.setText(self.tr("Reunited: %1 (%2)").replace("%1", dog.name)
                                .replace("%2", dog.registration_number))
        place = self.case.place if self.case is not None else ""
        self.done_text.setText(self.tr("The found case at %1 is closed as reunited, and %2's lost report ended: the "
                                       "dog is going home. Call the owner to come and fetch it.")
                               .replace("%1", place).replace("%2", dog.name))
        self._owner_words(dog.owner)
        self.owner_reveal.set_dog(dog)
        self._set_state("reunited")
        self.refresh()

    def _owner_words(self, owner) -> None:
        self.owner.setText(self.tr("Owner: %1").replace("%1", " · ".join(
            x for x in (owner.name, texts.phone_words(owner.phone)) if x) or "–"))

    def _show_owner(self, dog, owner) -> None:
        if self.decided is not None and self.decided.dog.id == dog.id:
            self._owner_words(owner)

    # ------------------------------------------------------------ a dog reported lost (from the Registry)
    def start_report(self, dog) -> None:
        self._confirm_bar(None)
        self._say("")
        self.report_form.start(dog)
        self._set_state("report")

    def _reported(self, report) -> None:
        self._say(self.tr("%1 is reported lost at %2. Found dogs held now were searched for it; those it may be are "
                          "listed under Possible reunions.").replace("%1", report.dog_name)
                  .replace("%2", report.place), "good")
        self._set_state("lists")
        self.show_tab("lost")
        self.refresh()


def _value(decision) -> str:
    return getattr(decision, "value", decision)
