"""The kiosk's main window: navigation, the pages, the camera, the busy indicator and the sync area; while nobody is
signed in (at start, after the Lock button or the idle time), the sign-in page covers everything but the sync line."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, QObject, QTimer, Signal
from PySide6.QtWidgets import (
    QApplication,
    QButtonGroup,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ui import texts
from ui.audit_page import AuditPage
from ui.camera import Camera, SourceError, open_source
from ui.lookup_page import LookupPage
from ui.register_page import RegisterPage
from ui.registry_page import RegistryPage
from ui.reunite_page import ReunitePage
from ui.review_page import ReviewPage
from ui.settings_page import SettingsPage
from ui.signin_page import FirstAdminPage, SignInPage
from ui.style import compact_style_sheet, set_style_property
from ui.sync_status import SyncStatus, SyncStatusWidget

log = logging.getLogger(__name__)

COMPACT_BELOW = (1200, 790)  # a window narrower or shorter than this gets the compact style (1024x768 screens)
SIDEBAR = {False: 200, True: 172}  # the navigation's width: normal, compact
# seven pages in the navigation (an administrator's) fit 800 pixels of height with 64-pixel buttons, as on a small
# screen (kiosk-compact.qss); kiosk.qss's 72 made the window 844 pixels high
NAV_STYLE = "QPushButton#nav { min-height: 64px; }"

# a touch, a click, a key or a moving mouse anywhere in the application
ACTIVITY = {QEvent.Type.MouseButtonPress, QEvent.Type.MouseMove, QEvent.Type.KeyPress, QEvent.Type.TouchBegin,
            QEvent.Type.TouchUpdate, QEvent.Type.Wheel}


class IdleWatch(QObject):
    """Emits `idle` once nobody has touched the kiosk for `minutes` while it is armed. `clock` is replaceable (tests
    move a fake one instead of waiting)."""

    idle = Signal()

    def __init__(self, minutes: float, clock: Callable[[], float] = time.monotonic, parent: QObject | None = None):
        super().__init__(parent)
        self.minutes = minutes
        self.clock = clock
        self.last = clock()
        self.armed = False
        self.timer = QTimer(self, interval=1000)
        self.timer.timeout.connect(self.check)
        QApplication.instance().installEventFilter(self)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802
        if event.type() in ACTIVITY:
            self.last = self.clock()
        return False

    def arm(self) -> None:
        self.armed = True
        self.last = self.clock()
        self.timer.start()

    def disarm(self) -> None:
        self.armed = False
        self.timer.stop()

    def check(self) -> None:
        if self.armed and self.clock() - self.last >= self.minutes * 60:
            self.disarm()
            self.idle.emit()

    def close(self) -> None:
        self.disarm()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)


class MainWindow(QMainWindow):
    language_changed = Signal(str)

    def __init__(self, controller, settings, save_settings: Callable[[dict[str, Any]], Any],
                 sync_status: Callable[[], Any] | None = None, camera_source=None, parent: QWidget | None = None):
        super().__init__(parent)
        self.controller = controller
        self.settings = settings
        self.sync_status_fn = sync_status or (lambda: SyncStatus())
        self.setWindowTitle(self.tr("SavePets — nose print registry"))
        self.resize(1280, 800)
        self.camera = Camera(quality=controller.quality, parent=self)
        self.camera.failed.connect(self._camera_failed)
        self.camera.running_changed.connect(self._camera_running)

        self.lookup = LookupPage(controller, self.camera)
        self.register = RegisterPage(controller, self.camera)
        self.registry = RegistryPage(controller)
        self.review_page = ReviewPage(controller)
        self.reunite_page = ReunitePage(controller)
        self.audit_page = AuditPage(controller)
        self.review_count = 0
        self._last_sync = None
        engine = controller.engine
        self.settings_page = SettingsPage(settings, save_settings,
                                          engine_threshold=engine.match_threshold if engine else None,
                                          controller=controller)
        self.settings_page.saved.connect(self._settings_saved)
        self.settings_page.lock_changed.connect(self._lock_minutes)
        self.lookup.register_requested.connect(self._register_from_lookup)
        self.lookup.reunite_requested.connect(self._reunite_from_lookup)
        self.reunite_page.registry_requested.connect(lambda: self.show_page("registry"))
        self.reunite_page.count_changed.connect(self._set_reunion_count)
        if hasattr(self.registry, "report_lost_requested"):
            self.registry.report_lost_requested.connect(self._report_lost)

        self.stack = QStackedWidget()
        nav = QVBoxLayout()
        nav.setSpacing(6)  # seven pages and the Lock button within 768 pixels, before the compact style applies
        brand = QLabel("SavePets")
        brand.setObjectName("brand")
        nav.addWidget(brand)
        self.nav_group = QButtonGroup(self)
        self.nav_buttons: dict[str, QPushButton] = {}
        for key, label, page in (("lookup", self.tr("Look up"), self.lookup),
                                 ("register", self.tr("Register"), self.register),
                                 ("registry", self.tr("Registry"), self.registry),
                                 ("reunite", self.tr("Reunite"), self.reunite_page),
                                 ("review", self.tr("Review"), self.review_page),
                                 ("audit", self.tr("Audit trail"), self.audit_page),
                                 ("settings", self.tr("Settings"), self.settings_page)):
            self.stack.addWidget(self._in_frame(page))
            b = QPushButton(label)
            b.setObjectName("nav")
            b.setCheckable(True)
            b.setMinimumHeight(64)
            b.clicked.connect(lambda _=False, k=key: self.show_page(k))
            self.nav_group.addButton(b)
            self.nav_buttons[key] = b
            nav.addWidget(b)
        nav.addStretch(1)
        # who is signed in, and the Lock button, always in reach
        self.member_label = QLabel()
        self.member_label.setObjectName("memberLabel")
        self.member_label.setWordWrap(True)
        self.lock_button = QPushButton(self.tr("Lock"))
        self.lock_button.setObjectName("lockButton")
        self.lock_button.setMinimumHeight(64)
        self.lock_button.setToolTip(self.tr("Sign out and hide personal data until someone signs in"))
        self.lock_button.clicked.connect(lambda: self.lock("on_demand"))
        nav.addWidget(self.member_label)
        nav.addWidget(self.lock_button)
        self.pages = {"lookup": self.lookup, "register": self.register, "registry": self.registry,
                      "reunite": self.reunite_page, "review": self.review_page, "audit": self.audit_page,
                      "settings": self.settings_page}
        side = QWidget()
        side.setObjectName("sidebar")
        side.setLayout(nav)
        side.setFixedWidth(SIDEBAR[False])
        self.sidebar = side
        self.compact = False  # a small screen (resizeEvent): the compact style sheet and a narrower sidebar
        self.setStyleSheet(NAV_STYLE)

        # the status line: sync state (always visible), the camera, the busy indicator
        self.sync_widget = SyncStatusWidget()
        self.camera_label = QLabel()
        self.camera_label.setObjectName("cameraLabel")
        self.busy_label = QLabel()
        self.busy_label.setObjectName("busyLabel")
        self.busy_bar = QProgressBar()
        self.busy_bar.setRange(0, 0)
        self.busy_bar.setFixedWidth(160)
        self.busy_bar.setTextVisible(False)
        self.busy_bar.hide()
        status = QWidget()
        status.setObjectName("statusLine")
        sl = QHBoxLayout(status)
        sl.setContentsMargins(8, 4, 8, 4)
        sl.addWidget(self.sync_widget, 1)
        sl.addWidget(self.camera_label)
        sl.addWidget(self.busy_label)
        sl.addWidget(self.busy_bar)

        body = QHBoxLayout()
        body.setContentsMargins(0, 0, 0, 0)
        body.setSpacing(0)
        body.addWidget(side)
        body.addWidget(self.stack, 1)
        self.app_area = QWidget()
        self.app_area.setLayout(body)
        # the gate: the first administrator's setup, or the sign-in page, over everything while locked
        self.signin = SignInPage(controller)
        self.first_admin = FirstAdminPage(controller)
        self.signin.signed_in.connect(self._signed_in)
        self.first_admin.signed_in.connect(self._signed_in)
        self.screen = QStackedWidget()
        for w in (self.signin, self.first_admin, self.app_area):
            self.screen.addWidget(w)
        self.idle = IdleWatch(getattr(settings, "lock_after_minutes", 5), parent=self)
        self.idle.idle.connect(lambda: self.lock("idle"))
        outer = QVBoxLayout()
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        outer.addWidget(self.screen, 1)
        outer.addWidget(status)
        central = QWidget()
        central.setLayout(outer)
        self.setCentralWidget(central)

        controller.busy_changed.connect(self._busy)
        controller.load_failed.connect(self._load_failed)
        controller.ready.connect(self._ready)
        controller.changed.connect(self.refresh_reviews)
        controller.changed.connect(self.refresh_reunite)
        self.review_page.count_changed.connect(self._set_review_count)
        self._sync_timer = QTimer(self, interval=5000)
        self._sync_timer.timeout.connect(self.refresh_sync)
        self._sync_timer.start()
        self.refresh_sync()
        self.show_page("lookup")
        if controller.member is not None:  # the window rebuilt in another language: the member stays signed in
            self._enter()
        else:
            self._open_gate()
        self.start_camera(camera_source if camera_source is not None else settings.camera)
        self._busy(controller.busy, "")

    # ------------------------------------------------------------ who is signed in
    @property
    def locked(self) -> bool:
        return self.screen.currentWidget() is not self.app_area

    def _open_gate(self) -> None:
        """The sign-in page, or the first administrator's setup when the registry has no staff account yet."""
        self.signin.reset()
        self.screen.setCurrentWidget(self.signin)
        if not self.controller.loaded:
            self.signin.set_ready(False)  # until the service is loaded (_ready)
            return
        self.controller.has_staff(self._gate_for)

    def _gate_for(self, has_staff: bool) -> None:
        if not self.locked:
            return
        if has_staff:
            self.screen.setCurrentWidget(self.signin)
            self.signin.refresh()
        else:
            self.screen.setCurrentWidget(self.first_admin)
            self.first_admin.name.setFocus()

    def _signed_in(self, member, access) -> None:
        self.controller.set_member(member, access)
        self._reset_pages()
        self.show_page("lookup")
        self._enter()

    def _enter(self) -> None:
        """Show the kiosk to the signed-in member, as their role allows."""
        member = self.controller.member
        self.member_label.setText(f"{member.name}\n{texts.role_words(member.role or 'staff')}")
        self.settings_page.apply_access()
        self.registry.apply_access()
        self.review_page.apply_access()
        self.reunite_page.apply_access()
        self.lookup.stray_button.setEnabled(self.controller.may("status"))  # a found case: a status change
        for key in ("review", "audit"):  # administrators only (README: reviews and the audit trail)
            self.nav_buttons[key].setVisible(self.controller.may("manage"))
        if self.current_page in ("review", "audit") and not self.controller.may("manage"):
            self.show_page("lookup")
        self.screen.setCurrentWidget(self.app_area)
        self.idle.arm()
        self.refresh_reviews()

    def lock(self, reason: str = "on_demand") -> None:
        """Sign the member out and hide every page's personal data until someone signs in (reason: on_demand, idle)."""
        self.idle.disarm()
        if self.controller.member is not None:
            self.controller.set_member(None, None)
            if self.controller.loaded:
                self.controller.sign_out(reason)
        self._reset_pages()
        self._open_gate()

    def _reset_pages(self) -> None:
        """Nothing of the last member's work stays on screen: results, forms, searches, the review pair."""
        self.lookup.reset()
        self.register.reset()
        self.registry.clear()
        self.review_page.clear()
        self.reunite_page.clear()
        self.audit_page.clear()
        self.settings_page.apply_access()

    # ------------------------------------------------------------ the screen's size
    def resizeEvent(self, event) -> None:  # noqa: N802
        size = event.size()
        self.set_compact(size.width() < COMPACT_BELOW[0] or size.height() < COMPACT_BELOW[1])
        super().resizeEvent(event)

    def set_compact(self, compact: bool) -> None:
        """On a small screen (1024x768) the pages keep their layout with smaller margins and type
        (resources/styles/kiosk-compact.qss, set on the window: it wins over the application's style sheet) and a
        narrower sidebar, so that every page fits without scrolling (tests/test_kiosk_layout.py)."""
        if compact == self.compact:
            return
        self.compact = compact
        self.sidebar.setFixedWidth(SIDEBAR[compact])
        self.setStyleSheet(compact_style_sheet() if compact else NAV_STYLE)

    # ------------------------------------------------------------ pages
    @staticmethod
    def _in_frame(page: QWidget) -> QScrollArea:
        """A page in a frame that scrolls only if the page cannot fit: a page's smallest size never sets the window's
        (the stack takes the largest of its pages', so one wide page made the window grow on every page, and a message
        that grew a page grew the window for good). tests/test_kiosk_layout.py checks that every page fits."""
        frame = QScrollArea()
        frame.setObjectName("pageFrame")
        frame.setWidgetResizable(True)
        frame.setFrameShape(QScrollArea.Shape.NoFrame)
        frame.setWidget(page)
        return frame

    def show_page(self, key: str) -> None:
        self.stack.setCurrentWidget(self.pages[key].parentWidget().parentWidget())  # the page's frame
        self.nav_buttons[key].setChecked(True)

    @property
    def current_page(self) -> str:
        frame = self.stack.currentWidget()
        return next(k for k, v in self.pages.items() if frame.isAncestorOf(v))

    def _register_from_lookup(self, photo) -> None:
        self.show_page("register")
        self.register.start_with(photo)

    def _reunite_from_lookup(self, case_id: str) -> None:
        """A stray taken in on the look-up page: its possible dogs compared on the Reunite page."""
        self.show_page("reunite")
        self.reunite_page.open_case(case_id)

    def _report_lost(self, dog) -> None:
        """Report lost, from the Registry: the form on the Reunite page."""
        self.show_page("reunite")
        self.reunite_page.start_report(dog)

    # ------------------------------------------------------------ camera
    def start_camera(self, spec) -> None:
        """spec: '0', a video, a folder, or a FrameSource."""
        try:
            source = open_source(spec) if isinstance(spec, str | int) or hasattr(spec, "__fspath__") else spec
        except SourceError as exc:
            self.camera.stop()
            self._camera_failed("open", exc.message)
            return
        for panel in (self.lookup.capture, self.register.capture):
            panel.camera_started()
        self.camera.start(source)

    def _camera_running(self, running: bool) -> None:
        if running:
            self.camera_label.setText(self.tr("Camera: %1").replace("%1", self.camera.description))

    def _camera_failed(self, kind: str, message: str) -> None:
        for panel in (self.lookup.capture, self.register.capture):
            panel._camera_failed(kind, message)
        if kind == "reconnecting":  # the camera's watchdog: no answer; it is being opened again by its name
            self.camera_label.setText(self.tr("Camera not responding"))
        else:
            self.camera_label.setText(self.tr("No camera") if kind == "open" else self.tr("Camera disconnected"))
        self.camera_label.setToolTip(message)

    # ------------------------------------------------------------ status
    def _busy(self, busy: bool, label: str) -> None:
        self.busy_bar.setVisible(busy)
        self.busy_label.setText(label if busy else "")

    def _ready(self) -> None:
        engine = self.controller.engine
        if engine is not None and self.settings.match_threshold is None:
            self.settings_page.threshold.setValue(engine.match_threshold)
        if self.locked:
            self._open_gate()
            return
        if self.current_page == "registry":
            self.registry.refresh()
        self.refresh_reviews()

    def _load_failed(self, message: str) -> None:
        self.busy_label.setText(self.tr("Could not start: %1").replace("%1", message))
        self.busy_label.setProperty("level", "bad")

    def refresh_sync(self) -> None:
        try:
            st = self.sync_status_fn()
        except Exception:  # noqa: BLE001 - a sync client failure shows as an error, never a crash
            st = SyncStatus(state="error")
        self.sync_widget.set_status(st)
        last = getattr(st, "last_sync", None)
        if last != self._last_sync:  # a sync may have brought review flags, reunions, or decisions taken elsewhere
            self._last_sync = last
            self.refresh_reviews()
            self.refresh_reunite()

    def refresh_reviews(self) -> None:
        """The number of open reviews, on the navigation (one quick count)."""
        if self.controller.member is None:
            return
        count = self.controller.review_count()
        if count is not None:
            self._set_review_count(count)

    def refresh_reunite(self) -> None:
        """The Reunite page's lists again when it is shown on its lists (a change here, or a sync's)."""
        if self.controller.member is not None and self.current_page == "reunite" and self.reunite_page.state == "lists":
            self.reunite_page.refresh()

    def _set_reunion_count(self, count: int) -> None:
        button = self.nav_buttons["reunite"]
        button.setText(self.tr("Reunite") + (f"  {count}" if count else ""))
        button.setToolTip(self.tr("%n possible reunion(s) to compare", "", count) if count else "")
        set_style_property(button, "attention", count > 0)

    def _set_review_count(self, count: int) -> None:
        self.review_count = count
        button = self.nav_buttons["review"]
        button.setText(self.tr("Review") + (f"  {count}" if count else ""))
        button.setToolTip(self.tr("%n pair(s) of registrations to review", "", count) if count else "")
        set_style_property(button, "attention", count > 0)
        page = self.review_page
        if (self.current_page == "review" and count != page.count and page.state != "merged"
                and page.decision.currentIndex() == 0):  # flags a sync brought, or decided elsewhere
            page.refresh()

    def _settings_saved(self, values: dict) -> None:
        if values.get("camera") != str(self.settings.camera):
            self.settings.camera = values["camera"]
            self.start_camera(values["camera"])
        if "match_threshold" in values and self.controller.engine is not None:
            self.controller.engine.threshold_override = values["match_threshold"]
            self.settings.match_threshold = values["match_threshold"]
        self.settings.server_url = values.get("server_url")
        if "api_key" in values:  # the Settings page enrolls with a code now; the key stays in the keyring
            self.settings.api_key = values["api_key"]
        self.refresh_sync()
        if values.get("language") and values["language"] != self.settings.language:
            self.settings.language = values["language"]
            self.language_changed.emit(values["language"])

    def _lock_minutes(self, minutes: int) -> None:
        self.settings.lock_after_minutes = self.idle.minutes = minutes

    def closeEvent(self, event) -> None:  # noqa: N802
        self.camera.stop()
        self.idle.close()
        super().closeEvent(event)
