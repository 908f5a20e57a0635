"""The Reunite page's rows: a found dog (its place, when, the days left of its holding period), a lost report (the dog,
where and since when, withdraw / home) and a possible reunion (the found dog's photo beside the registered dog's).
Rows only show and emit; the page runs the use cases."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QScrollArea, QVBoxLayout, QWidget

from ui import texts
from ui.images import pixmap_from_bgr
from ui.style import set_style_property

THUMB_W, THUMB_H = 112, 84  # a camera's 4:3 nose photo
URGENT_DAYS = 2  # a found dog with this many days of its holding period left, or fewer, is highlighted


def when_words(dt) -> str:
    """A time from the core (aware, UTC) in the kiosk's local time."""
    return dt.astimezone().strftime("%Y-%m-%d %H:%M") if dt is not None else "–"


class Thumb(QLabel):
    """A nose photo as a small picture; '…' until it is loaded, a dash when it is not on this kiosk."""

    def __init__(self, sha256: str | None, parent: QWidget | None = None):
        super().__init__("…" if sha256 else "–", parent)
        self.sha256 = sha256
        self.setObjectName("thumb")
        self.setFixedSize(THUMB_W, THUMB_H)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)

    def show_image(self, images: dict) -> None:
        image = images.get(self.sha256) if self.sha256 else None
        if image is None:
            self.setText("–")
            return
        self.setPixmap(pixmap_from_bgr(image).scaled(THUMB_W - 4, THUMB_H - 4, Qt.AspectRatioMode.KeepAspectRatio,
                                                     Qt.TransformationMode.SmoothTransformation))


class Row(QFrame):
    """A card: photos on the left, a title and lines of facts, buttons on the right."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("dogCard")
        self.thumbs: list[Thumb] = []
        self.actions: list[QPushButton] = []  # buttons that change something (the member's role may not)
        self.title = QLabel()
        self.title.setObjectName("fieldValue")
        self.title.setWordWrap(True)  # a long name and number wrap rather than push the buttons off the row
        self.lines = QLabel()
        self.lines.setObjectName("hint")
        self.lines.setWordWrap(True)
        self.badge = QLabel()
        self.badge.setObjectName("statusBadge")
        self.badge.hide()
        facts = QVBoxLayout()
        facts.setSpacing(4)
        facts.addWidget(self.title)
        facts.addWidget(self.badge, 0, Qt.AlignmentFlag.AlignLeft)
        facts.addWidget(self.lines)
        facts.addStretch(1)
        self.photos = QHBoxLayout()
        self.photos.setSpacing(6)
        self.buttons = QVBoxLayout()  # one under the other: the facts keep the row's width
        self.buttons.setSpacing(8)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(8, 6, 8, 6)
        lay.setSpacing(14)
        lay.addLayout(self.photos)
        lay.addLayout(facts, 1)
        lay.addLayout(self.buttons)

    def add_thumb(self, sha256: str | None) -> Thumb:
        t = Thumb(sha256)
        self.photos.addWidget(t, 0, Qt.AlignmentFlag.AlignTop)
        self.thumbs.append(t)
        return t

    def add_button(self, text: str, name: str = "") -> QPushButton:
        b = QPushButton(text)
        if name:
            b.setObjectName(name)
        self.buttons.addWidget(b)
        return b

    def set_badge(self, text: str, status: str) -> None:
        """status: the badge's colour as the style sheet has it (home: green, found: amber, lost: red)."""
        self.badge.setText(text)
        self.badge.setVisible(bool(text))
        set_style_property(self.badge, "status", status)


class FoundRow(Row):
    """A found dog: where and when, the days left of its holding period (highlighted when 0 to 2), and its possible
    reunions to compare; a reunited one says with whom."""

    compare = Signal(str)  # the case's id
    close = Signal(str)

    def __init__(self, case, parent: QWidget | None = None):
        super().__init__(parent)
        self.case = case
        self.add_thumb(case.photos[0].sha256 if case.photos else None)
        self.title.setText(case.place)
        possible = [r for r in case.reunions if r.state == "possible"]
        kind = self.tr("Taken in as a stray") if case.kind == "intake" else self.tr("Reported by a finder")
        facts = [self.tr("Found %1").replace("%1", when_words(case.found_at)), kind]
        if case.state == "reunited":
            dog = next((r.dog for r in case.reunions if r.state == "confirmed"), None)
            self.set_badge(self.tr("Reunited"), "home")
            if dog is not None:
                facts.append(self.tr("Home again: %1 (%2)").replace("%1", dog.name)
                             .replace("%2", dog.registration_number))
        elif case.state == "closed":
            self.set_badge(self.tr("Closed"), "deceased")
        else:
            self.set_badge(self.days_left_words(case.days_left), "lost" if is_urgent(case.days_left) else "found")
            facts.append(self.tr("Possible dogs to compare: %1").replace("%1", str(len(possible))) if possible
                         else self.tr("No registered dog alike yet"))
        self.lines.setText("\n".join([" · ".join(facts[:2]), *facts[2:]]))
        if case.state == "open":
            if possible:
                b = self.add_button(self.tr("Compare"), "primary")
                b.clicked.connect(lambda: self.compare.emit(self.case.id))
            b = self.add_button(self.tr("Close…"))
            b.clicked.connect(lambda: self.close.emit(self.case.id))
            self.actions.append(b)

    def days_left_words(self, days_left: int | None) -> str:
        if days_left is None:
            return self.tr("No holding period")
        if days_left == 0:
            return self.tr("Last day today")
        return self.tr("1 day left") if days_left == 1 else self.tr("%1 days left").replace("%1", str(days_left))


def is_urgent(days_left: int | None) -> bool:
    return days_left is not None and days_left <= URGENT_DAYS


class LostRow(Row):
    """An open lost report: the dog, where and since when, how the owner is told; withdraw it, or the dog is home."""

    compare = Signal(str)  # the dog's id
    end = Signal(str, str)  # the report's id, "withdrawn" or "home"

    def __init__(self, report, dog_sha: str | None, possible: int, parent: QWidget | None = None):
        super().__init__(parent)
        self.report = report
        self.add_thumb(dog_sha)
        self.title.setText(f"{report.dog_name} · {report.registration_number}")
        self.set_badge(texts.status_words("lost"), "lost")
        contact = report.contact if any(c.isdigit() or c == "@" for c in report.contact) else self.tr(
            "the owner's registered phone")  # the core's words when the report names no phone of its own
        how = (self.tr("by e-mail to %1") if report.channel == "email" else self.tr("by text message to %1")) \
            .replace("%1", contact)
        lines = [self.tr("Lost at %1 · since %2").replace("%1", report.place).replace("%2", when_words(report.lost_at)),
                 self.tr("Owner told %1").replace("%1", how)
                 + (" · " + self.tr("of possible matches too") if report.notify_possible else "")]
        if possible:
            lines.append(self.tr("Possible found dogs to compare: %1").replace("%1", str(possible)))
        self.lines.setText("\n".join(lines))
        if possible:
            b = self.add_button(self.tr("Compare"), "primary")
            b.clicked.connect(lambda: self.compare.emit(self.report.dog_id))
        self.withdraw_button = self.add_button(self.tr("Withdraw…"))
        self.withdraw_button.clicked.connect(lambda: self.end.emit(self.report.id, "withdrawn"))
        self.home_button = self.add_button(self.tr("Dog is home…"), "status_home")
        self.home_button.clicked.connect(lambda: self.end.emit(self.report.id, "home"))
        self.actions += [self.withdraw_button, self.home_button]


class ReunionRow(Row):
    """A possible reunion: the found dog's photo beside the registered dog's, how alike, and why it was found (a dog
    reported lost, or the whole registry)."""

    compare = Signal(str)  # the reunion's id

    def __init__(self, reunion, case, parent: QWidget | None = None):
        super().__init__(parent)
        self.reunion = reunion
        dog = reunion.dog
        self.add_thumb(reunion.found_photos[0].sha256 if reunion.found_photos else None)
        self.add_thumb(dog.photos[0].sha256 if dog.photos else None)
        self.title.setText(f"{dog.name} · {dog.registration_number}")
        decision = getattr(reunion.decision, "value", reunion.decision)
        self.set_badge(texts.decision_words(decision) if decision != "no_match" else self.tr("Not alike"),
                       {"match": "home", "uncertain": "found"}.get(decision, "deceased"))
        source = self.tr("Reported lost") if reunion.source == "lost" else self.tr("Found in the whole registry")
        how = self.tr("match probability %1 · score %2").replace("%1", f"{reunion.probability:.0%}") \
            .replace("%2", f"{reunion.score:.2f}")
        where = (self.tr("Found at %1, %2").replace("%1", case.place).replace("%2", when_words(case.found_at))
                 if case is not None else "")
        self.lines.setText("\n".join(x for x in (f"{source} · {how}", where) if x))
        b = self.add_button(self.tr("Compare"), "primary")
        b.clicked.connect(lambda: self.compare.emit(self.reunion.id))


class RowList(QScrollArea):
    """Rows one under the other, scrolling by themselves; a placeholder when there are none."""

    def __init__(self, empty_text: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QScrollArea.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        inner = QWidget()
        self.column = QVBoxLayout(inner)
        self.column.setContentsMargins(0, 0, 4, 0)
        self.column.setSpacing(10)
        self.empty = QLabel(empty_text)
        self.empty.setObjectName("placeholder")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.column.addWidget(self.empty)
        self.column.addStretch(1)
        self.setWidget(inner)
        self.rows: list[Row] = []

    def set_rows(self, rows: list[Row]) -> None:
        for r in self.rows:
            self.column.removeWidget(r)
            r.deleteLater()
        self.rows = list(rows)
        for i, r in enumerate(self.rows):
            self.column.insertWidget(1 + i, r)
        self.empty.setVisible(not self.rows)

    def show_images(self, images: dict) -> None:
        for r in self.rows:
            for t in r.thumbs:
                t.show_image(images)

    def photos_wanted(self) -> set[str]:
        return {t.sha256 for r in self.rows for t in r.thumbs if t.sha256}
