"""Review (administrators): two registrations that may be one dog, side by side, for a person to decide.

Each open review (core: SavePets.list_reviews, newest first) shows both dogs' nose photos large and zoomable (the
compare view's panes), with name, registration number and date, and owner. "Same dog" merges the newer
registration into the older one after a confirmation, then shows the owners to tell; "Different dogs" closes the
review. The core does the work (SavePets.resolve_review); this page only asks and shows.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ui import texts
from ui.compare_view import PhotoPane
from ui.contact_reveal import ContactReveal
from ui.controller import error_message
from ui.images import pixmap_from_bgr
from ui.style import set_style_property

PAIR_PHOTOS = 5  # photos of each dog beside the large one (a registration has five; a merged one more)
REVIEWS_SHOWN = 100  # open reviews fetched at once (the count says how many there are in all)
MAX_KEPT_PHOTOS = 10  # a merged registration's photos shown after the merge (its own five and the newer five)
KEPT_THUMB = 120
KEPT_THUMB_HIGH = KEPT_THUMB * 3 // 4 + 4  # a camera's 4:3 photo, not a square: two rows and the button fit 1280x800


def _date(dt) -> str:
    return dt.astimezone().strftime("%Y-%m-%d")


class StackPage(QWidget):
    """A page of the review's stack: hidden, its height for a width is none of the stack's (a QStackedWidget answers
    the largest of its pages', so the merged page, taller, made the pair's page scroll at 1024x768)."""

    def heightForWidth(self, width: int) -> int:  # noqa: N802
        return super().heightForWidth(width) if self.isVisible() else -1


class DogPane(PhotoPane):
    """One registration of the pair: what it is (kept or merged), its details, its photos large."""

    def __init__(self, thumbs_left: bool, controller=None, parent: QWidget | None = None):
        super().__init__(thumbs_left=thumbs_left, parent=parent)
        self.dog = None
        self.role = QLabel()
        self.role.setObjectName("reviewRole")
        self.name = QLabel()
        self.name.setObjectName("paneTitle")
        self.number = QLabel()
        self.number.setObjectName("reviewNumber")
        self.number.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details = QLabel()
        self.details.setObjectName("paneNote")
        self.details.setWordWrap(True)
        title_row = QHBoxLayout()  # name and number on one line: the pane must fit a 1280x800 screen
        title_row.setSpacing(16)
        title_row.addWidget(self.name)
        title_row.addWidget(self.number, 0, Qt.AlignmentFlag.AlignBaseline)
        title_row.addStretch(1)
        self.reveal_button = QPushButton(self.tr("Show contact"))
        self.reveal_button.setObjectName("revealContact")
        title_row.addWidget(self.reveal_button)
        self.contact = ContactReveal(controller, self.reveal_button, self._show_contact) if controller else None
        self.head.addWidget(self.role)
        self.head.addLayout(title_row)
        self.head.addWidget(self.details)

    def show_dog(self, dog, role: str) -> None:
        self.dog = dog
        self._details(dog)
        self.role.setText(role)
        if self.contact is not None:
            self.contact.set_dog(dog)

    def _show_contact(self, dog, owner) -> None:
        if self.dog is not None and self.dog.id == dog.id:
            self._details(dog.model_copy(update={"owner": owner}))

    def _details(self, dog) -> None:
        self.name.setText(dog.name)
        self.number.setText(dog.registration_number)
        registered = self.tr("Registered %1").replace("%1", _date(dog.registered_at))
        owner = " · ".join(x for x in (dog.owner.name, texts.phone_words(dog.owner.phone)) if x)
        facts = " · ".join(x for x in (dog.breed, texts.sex_words(dog.sex) if dog.sex.value != "unknown" else "") if x)
        first = " · ".join(x for x in (registered, facts) if x)
        self.details.setText(first + "\n" + self.tr("Owner: %1").replace("%1", owner))
        self.details.ensurePolished()  # two lines whatever they hold: the two photos stay level
        self.details.setMinimumHeight(self.details.fontMetrics().lineSpacing() * 2)
        self.details.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)


class ReviewPage(QWidget):
    count_changed = Signal(int)  # open reviews, after each refresh and decision
    resolved = Signal(object)  # the core ReviewResult of a decision

    def __init__(self, controller, parent: QWidget | None = None):
        super().__init__(parent)
        self.controller = controller
        self.reviews: list = []
        self.count = 0
        self.current = 0
        self.images: dict = {}
        self.loading = False
        self.last_result = None
        self._token = 0
        self.owner_reveals: list[ContactReveal] = []

        title = QLabel(self.tr("Review possible duplicates"))
        title.setObjectName("pageTitle")
        self.position = QLabel()
        self.position.setObjectName("hint")
        self.prev_button = QPushButton("◀")
        self.next_button = QPushButton("▶")
        for b, tip, step in ((self.prev_button, self.tr("Previous pair"), -1),
                             (self.next_button, self.tr("Next pair"), +1)):
            b.setToolTip(tip)
            b.setFixedWidth(72)
            b.clicked.connect(lambda _=False, step=step: self.show_review(self.current + step))
        top = QHBoxLayout()
        top.addWidget(title, 1)
        top.addWidget(self.position)
        top.addWidget(self.prev_button)
        top.addWidget(self.next_button)
        self.message = QLabel()
        self.message.setObjectName("hint")
        self.message.setWordWrap(True)

        # a pair: why it was flagged, the two registrations side by side, the decision
        self.reason = QLabel()
        self.reason.setObjectName("compareReason")
        self.reason.setWordWrap(True)
        set_style_property(self.reason, "level", "warn")
        self.older = DogPane(thumbs_left=True, controller=controller)
        self.newer = DogPane(thumbs_left=False, controller=controller)
        panes = QHBoxLayout()
        panes.setSpacing(16)
        for pane in (self.older, self.newer):  # the two photos exactly as large as each other
            pane.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
            panes.addWidget(pane, 1)
        self.different_button = QPushButton(self.tr("Different dogs"))
        self.different_button.setObjectName("bigChoice")
        self.different_button.clicked.connect(self.different)
        self.same_button = QPushButton(self.tr("Same dog (merge into the older)"))
        self.same_button.setObjectName("primary")
        self.same_button.setProperty("big", True)
        self.same_button.clicked.connect(self.ask_merge)
        choose = QWidget()
        cl = QHBoxLayout(choose)
        cl.setContentsMargins(0, 0, 0, 0)
        cl.setSpacing(16)
        cl.addWidget(self.different_button, 1)
        cl.addWidget(self.same_button, 1)
        # a merge cannot be undone: it is confirmed first, in place
        self.confirm_text = QLabel()
        self.confirm_text.setObjectName("confirmBox")  # a warning's colours in smaller type: three lines beside the
        # buttons, under the photos with their thumbnails, fit 1280x800 and 1024x768
        self.confirm_text.setWordWrap(True)
        self.cancel_button = QPushButton(self.tr("Cancel"))
        self.cancel_button.setObjectName("bigChoice")
        self.cancel_button.clicked.connect(lambda: self.decision.setCurrentIndex(0))
        self.merge_button = QPushButton(self.tr("Yes, merge"))
        self.merge_button.setObjectName("primary")
        self.merge_button.setProperty("big", True)
        self.merge_button.clicked.connect(self.merge)
        confirm = QWidget()
        fl = QHBoxLayout(confirm)
        fl.setContentsMargins(0, 0, 0, 0)
        fl.setSpacing(16)
        fl.addWidget(self.confirm_text, 1)  # the buttons as wide as their words: the question in two or three lines
        fl.addWidget(self.cancel_button)
        fl.addWidget(self.merge_button)
        self.decision = QStackedWidget()
        self.decision.addWidget(choose)
        self.decision.addWidget(confirm)
        self.decision.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        pair = StackPage()
        pl = QVBoxLayout(pair)
        pl.setContentsMargins(0, 0, 0, 0)
        pl.setSpacing(12)
        pl.addWidget(self.reason)
        pl.addLayout(panes, 1)
        pl.addWidget(self.decision)

        # nothing to review
        empty = QLabel(self.tr("Nothing to review.\n\nWhen a new registration looks like a registered dog without "
                               "being a sure match, the two appear here side by side."))
        empty.setObjectName("placeholder")
        empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        empty.setWordWrap(True)

        # after a merge: what happened and whom to tell
        self.merged_title = QLabel()
        self.merged_title.setObjectName("bigVerdict")
        self.merged_title.setWordWrap(True)
        self.merged_text = QLabel()
        self.merged_text.setObjectName("hint")
        self.merged_text.setWordWrap(True)
        self.tell_title = QLabel()
        self.tell_title.setObjectName("sectionTitle")
        self.owner_rows = QGridLayout()
        self.owner_rows.setHorizontalSpacing(24)
        self.owner_rows.setColumnStretch(2, 1)
        self.tell_note = QLabel()
        self.tell_note.setObjectName("hint")
        self.tell_note.setWordWrap(True)
        tell = QFrame()
        tell.setObjectName("dogCard")
        tl = QVBoxLayout(tell)
        tl.addWidget(self.tell_title)
        tl.addLayout(self.owner_rows)
        tl.addWidget(self.tell_note)
        # the kept registration's nose photos, its own and those it gained
        self.kept_title = QLabel()
        self.kept_title.setObjectName("sectionTitle")
        self.kept_photos = QGridLayout()
        self.kept_photos.setSpacing(8)
        self.kept_photos.setColumnStretch(5, 1)  # the photos packed to the left
        self.kept_labels: list[QLabel] = []
        self.continue_button = QPushButton()
        self.continue_button.setObjectName("primary")
        self.continue_button.setProperty("big", True)
        self.continue_button.clicked.connect(self.refresh)
        done = StackPage()
        dl = QVBoxLayout(done)
        dl.setContentsMargins(0, 0, 0, 0)
        dl.setSpacing(16)
        dl.addSpacing(8)
        dl.addWidget(self.merged_title)
        dl.addWidget(self.merged_text)
        dl.addWidget(tell)
        dl.addWidget(self.kept_title)
        dl.addLayout(self.kept_photos)
        dl.addStretch(1)
        dl.addWidget(self.continue_button)

        self.stack = QStackedWidget()
        self.pages = {"empty": empty, "pair": pair, "merged": done}
        for w in self.pages.values():
            self.stack.addWidget(w)
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addWidget(self.message)
        lay.addWidget(self.stack, 1)
        self._set_message("")
        self._set_state("empty")

    def apply_access(self) -> None:
        """Decisions as the signed-in member's role allows: "different dogs" is an edit, a merge also removes a
        registration (the core refuses anyway)."""
        may = self.controller.may
        self.different_button.setEnabled(may("edit"))
        self.same_button.setEnabled(may("edit") and may("delete"))
        self.merge_button.setEnabled(may("edit") and may("delete"))

    def clear(self) -> None:
        """The kiosk locked: no pair, no owners left on the page."""
        self._token += 1
        self.reviews, self.count, self.current, self.images, self.last_result = [], 0, 0, {}, None
        self.loading = False
        for pane in (self.older, self.newer):
            pane.dog = None
            pane.contact.forget()
        self._show_owners(None)
        self._set_message("")
        self._set_state("empty")

    def _set_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    @property
    def state(self) -> str:
        w = self.stack.currentWidget()
        return next(k for k, v in self.pages.items() if v is w)

    def _set_state(self, state: str) -> None:
        self.stack.setCurrentWidget(self.pages[state])
        pair = state == "pair"
        for w in (self.position, self.prev_button, self.next_button):
            w.setVisible(pair and len(self.reviews) > 1)

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        if self.state != "merged":  # the owners to tell stay until staff go on
            self.refresh()

    # ------------------------------------------------------------ content
    def refresh(self) -> None:
        if not self.controller.loaded:
            return
        self.controller.list_reviews(REVIEWS_SHOWN, self._fill,
                                     on_error=lambda exc: self._set_message(error_message(exc)))

    def _fill(self, page) -> None:
        keep = self.reviews[self.current].id if self.reviews and self.current < len(self.reviews) else None
        self.reviews, self.count = list(page.reviews), page.count
        self.count_changed.emit(self.count)
        if not self.reviews:
            self._set_state("empty")
            return
        at = next((i for i, r in enumerate(self.reviews) if r.id == keep), min(self.current, len(self.reviews) - 1))
        self.show_review(at)

    def show_review(self, i: int) -> None:
        if not self.reviews:
            return
        self.current = i % len(self.reviews)
        r = self.reviews[self.current]
        self.decision.setCurrentIndex(0)
        self._set_state("pair")
        self.position.setText(self.tr("Pair %1 of %2").replace("%1", str(self.current + 1))
                              .replace("%2", str(self.count)))
        why = (self.tr("Registered on two kiosks; the server found them alike.") if r.reason.endswith("_sync")
               else self.tr("Flagged when the newer dog was registered."))
        self.reason.setText(self.tr("These two registrations look alike (similarity %1). %2 Compare the noses: "
                                    "tap a photo to zoom in.").replace("%1", f"{r.score:.2f}").replace("%2", why))
        self.older.show_dog(r.older, self.tr("Older registration · kept"))
        self.newer.show_dog(r.newer, self.tr("Newer registration"))
        self.images = {}
        self._load(r)
        self._show_photos()

    def _load(self, review) -> None:
        """Both dogs' photos, read and decoded off the GUI thread; moving on makes an earlier answer stale."""
        self._token += 1
        token = self._token
        photos = review.older.photos[:PAIR_PHOTOS] + review.newer.photos[:PAIR_PHOTOS]
        self.loading = True

        def done(images, token=token):
            if token == self._token:
                self.images, self.loading = images, False
                self._show_photos()

        self.controller.load_photos(photos, done, lambda _exc, token=token: done({}, token),
                                    busy=self.tr("Loading photos…"))

    def _show_photos(self) -> None:
        if not self.reviews:
            return
        r = self.reviews[self.current]
        placeholder = self.tr("Loading photos…") if self.loading else self.tr("No photo of this dog on this kiosk")
        for pane, dog in ((self.older, r.older), (self.newer, r.newer)):
            pane.set_photos([self.images[p.sha256] for p in dog.photos[:PAIR_PHOTOS] if p.sha256 in self.images],
                            placeholder)

    # ------------------------------------------------------------ decisions
    def different(self) -> None:
        if self.reviews:
            self._resolve(False)

    def ask_merge(self) -> None:
        if not self.reviews:
            return
        r = self.reviews[self.current]
        text = self.tr("Merge %1 (%2) into %3 (%4)? The newer registration is removed and its photos join the older "
                       "one. This cannot be undone.")
        self.confirm_text.setText(text.replace("%1", r.newer.name).replace("%2", r.newer.registration_number)
                                  .replace("%3", r.older.name).replace("%4", r.older.registration_number))
        self.decision.setCurrentIndex(1)

    def merge(self) -> None:
        if self.reviews:
            self._resolve(True)

    def _resolve(self, same_dog: bool) -> None:
        if self.controller.busy:
            return
        r = self.reviews[self.current]
        for b in (self.same_button, self.different_button, self.merge_button):
            b.setEnabled(False)
        self.controller.resolve_review(r.id, same_dog, self._resolved, self._failed,
                                       busy=self.tr("Merging…") if same_dog else self.tr("Saving…"))

    def _enable(self) -> None:
        self.apply_access()

    def _failed(self, exc) -> None:
        self._enable()
        self._set_message(error_message(exc))
        self.refresh()  # decided elsewhere meanwhile (sync), or a registration removed: show what is left

    def _resolved(self, result) -> None:
        self._enable()
        self.last_result = result
        self.resolved.emit(result)
        older, newer = result.older, result.newer
        if result.resolution == "different_dogs":
            self._set_message(self.tr("Kept as different dogs: %1 (%2) and %3 (%4).")
                                 .replace("%1", older.name).replace("%2", older.registration_number)
                                 .replace("%3", newer.name).replace("%4", newer.registration_number))
            self.refresh()
            return
        self._set_message("")
        self.merged_title.setText(self.tr("Merged into %1 (%2)").replace("%1", older.name)
                                  .replace("%2", older.registration_number))
        self.merged_text.setText(
            self.tr("%1 (%2) is removed. %3 keeps its registration number and owner, and has the newer "
                    "registration's nose photos too (added: %4).").replace("%1", newer.name)
            .replace("%2", newer.registration_number).replace("%3", older.name)
            .replace("%4", str(result.photos_added)))
        self._show_owners(result)
        self.kept_title.setText(self.tr("Nose photos of %1 (%2)").replace("%1", older.name)
                                .replace("%2", str(len(older.photos))))
        self._show_kept_photos({})
        photos = older.photos[:MAX_KEPT_PHOTOS]
        self.controller.load_photos(photos, self._show_kept_photos, lambda _exc: None,
                                    busy=self.tr("Loading photos…"))
        self.continue_button.setText(self.tr("Done"))
        self._set_state("merged")
        # how many are left: the merge may also have closed or moved other reviews of the removed registration
        self._left(self.controller.review_count() or 0)

    def _left(self, count: int) -> None:
        self.continue_button.setText(self.tr("Next review (%n left)", "", count) if count else self.tr("Done"))
        self.count_changed.emit(count)

    def _show_owners(self, result) -> None:
        """The owners to tell after a merge; their contacts through reveal_contact, as the member may see them."""
        while self.owner_rows.count():
            item = self.owner_rows.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        self.owner_reveals = []
        if result is None:
            return
        older, newer = result.older, result.newer
        if result.owners_differ:
            self.tell_title.setText(self.tr("Tell both owners:"))
            roles = [self.tr("owner of %1 (%2), kept").replace("%1", older.name)
                     .replace("%2", older.registration_number),
                     self.tr("owner of %1 (%2), merged").replace("%1", newer.name)
                     .replace("%2", newer.registration_number)]
            self._kept_owner_note(result, result.owners[0])
        else:
            self.tell_title.setText(self.tr("Tell the owner:"))
            roles = [self.tr("owner of both registrations")]
            self.tell_note.setText(self.tr("%1's registration is now part of %2's: one registration number from "
                                           "now on, %3.").replace("%1", newer.name).replace("%2", older.name)
                                   .replace("%3", older.registration_number))
        for row, (owner, role, dog) in enumerate(zip(result.owners, roles, (older, newer), strict=False)):
            labels = []
            for col, (text, name) in enumerate(((owner.name or "–", "fieldValue"),
                                                (texts.phone_words(owner.phone), "fieldValue"), (role, "hint"))):
                label = QLabel(text)
                label.setObjectName(name)
                label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
                self.owner_rows.addWidget(label, row, col)
                labels.append(label)
            button = QPushButton(self.tr("Show contact"))
            button.setObjectName("revealContact")
            self.owner_rows.addWidget(button, row, 3)

            def show(_dog, full, name=labels[0], phone=labels[1], kept=row == 0 and result.owners_differ):
                name.setText(full.name or "–")
                phone.setText(texts.phone_words(full.phone))
                if kept:  # one rule for the owner's name: the note names them as the row above does
                    self._kept_owner_note(result, full)

            reveal = ContactReveal(self.controller, button, show)
            reveal.set_dog(dog.model_copy(update={"owner": owner}))  # the owner's contact, by that registration
            self.owner_reveals.append(reveal)

    def _kept_owner_note(self, result, owner) -> None:
        """Whose the kept registration is, named as the owner's row shows them: masked until their contact is shown
        (the member's role), in full once it is."""
        self.tell_note.setText(self.tr("%1's registration is now part of %2's, which stays registered to %3.")
                               .replace("%1", result.newer.name).replace("%2", result.older.name)
                               .replace("%3", owner.name or texts.phone_words(owner.phone)))

    def _show_kept_photos(self, images: dict) -> None:
        for label in self.kept_labels:
            self.kept_photos.removeWidget(label)
            label.deleteLater()
        self.kept_labels = []
        result = self.last_result
        if result is None:
            return
        shown = [p.sha256 for p in result.older.photos[:MAX_KEPT_PHOTOS] if p.sha256 in images]
        for i, sha in enumerate(shown):
            label = QLabel()
            label.setObjectName("thumb")
            label.setFixedSize(KEPT_THUMB, KEPT_THUMB_HIGH)
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            label.setPixmap(pixmap_from_bgr(images[sha]).scaled(
                KEPT_THUMB - 4, KEPT_THUMB_HIGH - 4, Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation))
            self.kept_photos.addWidget(label, i // 5, i % 5)
            self.kept_labels.append(label)
