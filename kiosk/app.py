"""Start the kiosk: QApplication, the Korean font, the style, the translations, the core service and the window."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Any

from core.errors import SavePetsError

log = logging.getLogger(__name__)

RESOURCES = Path(__file__).resolve().parent.parent / "resources"
FONT_FILE = RESOURCES / "fonts" / "NanumGothic.ttf"
# the real bold face: Qt's synthesised bold smears dense Hangul finals (the double final of 않 lost its ㄴ)
BOLD_FONT_FILE = RESOURCES / "fonts" / "NanumGothicBold.ttf"
STYLE_FILE = RESOURCES / "styles" / "kiosk.qss"
TRANSLATIONS = RESOURCES / "translations"
LANGUAGES = ("ko", "en")


def application(argv: list[str] | None = None):
    """The QApplication, made once, with the bundled font and the style."""
    from PySide6.QtGui import QFont, QFontDatabase
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        app = QApplication(argv if argv is not None else sys.argv[:1])
        app.setApplicationName("SavePets")
        app.setOrganizationName("SavePets")
    if not getattr(app, "_savepets_ready", False):
        family = None
        if FONT_FILE.is_file():
            fid = QFontDatabase.addApplicationFont(str(FONT_FILE))
            families = QFontDatabase.applicationFontFamilies(fid) if fid >= 0 else []
            family = families[0] if families else None
            if BOLD_FONT_FILE.is_file():
                QFontDatabase.addApplicationFont(str(BOLD_FONT_FILE))
        font = QFont(family or app.font().family())
        font.setPointSize(14)
        app.setFont(font)
        if STYLE_FILE.is_file():
            icons = (RESOURCES / "icons").as_posix()
            app.setStyleSheet(STYLE_FILE.read_text(encoding="utf-8").replace("@ICONS@", icons))
        app._savepets_ready = True
    return app


_translators: list = []


def set_language(lang: str) -> str:
    """Install the translation for `lang` ('ko' or 'en'; English is the source language). Returns the one used."""
    from PySide6.QtCore import QLibraryInfo, QTranslator
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    for t in _translators:
        app.removeTranslator(t)
    _translators.clear()
    lang = lang if lang in LANGUAGES else "ko"
    if lang == "en":
        return lang
    ours = QTranslator(app)
    if ours.load(str(TRANSLATIONS / f"savepets_{lang}.qm")):
        app.installTranslator(ours)
        _translators.append(ours)
    else:
        log.warning("no translation file for %s", lang)
    qt = QTranslator(app)  # Qt's own dialogs (file picker, print dialog)
    if qt.load(f"qtbase_{lang}", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)):
        app.installTranslator(qt)
        _translators.append(qt)
    return lang


def save_settings(values: dict[str, Any]):
    from kiosk.config import write_config

    return write_config(values)


class Kiosk:
    """The running kiosk: one controller (core service) and a main window, rebuilt when the language changes."""

    def __init__(self, settings, engine=None, camera: str | None = None, service=None):
        from ui.controller import Controller

        self.settings = settings
        self.camera = camera  # given at start (--camera, tests): used until another camera is saved in Settings
        self._settings_camera = str(settings.camera)
        from kiosk.credentials import resolve_api_key

        resolve_api_key(settings)  # the keyring's key (an api_key left in the config file moves there first)
        if service is None:
            def factory():
                from core.usecases import SavePets

                svc = SavePets(settings, engine=engine)
                svc.sign_in_required = True  # a kiosk in a public room: nothing without a signed-in member
                return svc

            self.controller = Controller(factory)
        else:
            service.sign_in_required = True
            self.controller = Controller(service=service)
        self.window = None
        self.sync_client = None
        self.sync_failure: str | None = None  # why the sync client could not start, shown on the sync line
        self.controller.ready.connect(self._start_sync)
        self.controller.ready.connect(self._start_notifications)
        self.notifications = None  # the outbox's delivery loop of a kiosk that tells owners itself
        self.collector = None  # cyclic garbage collection on the GUI thread (kiosk/gui_gc.py)
        self.controller.contact_online = self.request_contact  # "Show contact (online)": the server's contact route

    def sync_status(self):
        """What the sync area shows: the sync client's own status object (state, pending, last_sync)."""
        from ui.sync_status import SyncStatus

        if not self.settings.server_url:
            return SyncStatus(state="disabled")
        if self.sync_client is None:
            if self.sync_failure:
                return SyncStatus(state="error", message=self.sync_failure)
            return SyncStatus(state="offline", message="sync not started")
        status = self.sync_client.status
        from kiosk.credentials import sync_error_words

        hint = sync_error_words(getattr(status, "last_error", None))  # a revoked kiosk is told so, in words
        if hint and status.state != "online":
            return SyncStatus(state="error", pending=status.pending, message=hint)
        return status

    def enroll(self, server_url: str, code: str):
        """Enroll this kiosk with a one-time code (kiosk/credentials.py; the Settings page calls it on the worker
        thread): the key to the keyring, the server address to the config file, the organisation to the registry.
        Raises credentials.EnrollError with a message for people."""
        from kiosk import credentials

        service = self.controller.service
        done = credentials.enroll(server_url, code, self.settings.data_dir,
                                  db=service.db if service is not None else None)
        self.settings.server_url = done.server_url
        self.settings.api_key = credentials.load_api_key(self.settings.data_dir)
        return done

    def request_contact(self, key: str, reason: str):
        """Another organisation's owner (name and phone) from the server's contact route, with `reason` (the server
        keeps it on its audit trail and counts the calls of this device): run on the worker thread by the pages
        through the controller; what it returns is shown for one view and never written to this registry. Raises
        ContactError with `kind` (not_enrolled, offline, rate_limited with `minutes`, refused, not_found, invalid)."""
        from sync.client import HttpLink, Offline, SyncError

        if not self.settings.server_url or not self.settings.api_key:
            raise ContactError("This kiosk is not enrolled with a server.", "not_enrolled")
        try:
            link = HttpLink(self.settings.server_url, self.settings.api_key, timeout=(3.05, 15.0))
        except ValueError as exc:  # an address sync refuses (plain http to another machine)
            raise ContactError(str(exc), "offline") from None
        try:
            owner = link.request_contact(key, reason)
        except Offline as exc:
            raise ContactError(f"The server cannot be reached ({exc}).", "offline") from None
        except SyncError as exc:
            raise ContactError.of(exc) from None
        finally:
            link.close()
        if self.controller.service is not None:  # who asked, on this kiosk's trail (synced as the kiosk's claim)
            self.controller.service.note_online_contact(key)
        return owner

    def organisation(self) -> tuple[str | None, str | None]:
        from kiosk.credentials import organisation

        service = self.controller.service
        return organisation(service.db) if service is not None else (None, None)

    def _start_sync(self) -> None:
        """Sync in the background when a server is configured (sync/client.py). A sync client that cannot start
        (a module that fails to import included) is a fault the sync line shows as an error, never a quiet offline
        kiosk; the kiosk keeps working on its own registry."""
        if self.sync_client is not None or not self.settings.server_url:
            return
        self.sync_failure = None
        try:
            from sync.client import SyncClient  # here, not at the top: the window shows before the sync stack loads

            self.sync_client = SyncClient(self.controller.service)
            self.sync_client.start(interval=60.0)
        except Exception as exc:  # noqa: BLE001 - sync must never stop the kiosk from working offline
            log.exception("could not start sync")
            self.sync_client = None
            self.sync_failure = f"{type(exc).__name__}: {exc}"

    def _start_notifications(self) -> None:
        """A kiosk not enrolled with a server tells owners itself (reunions: core/notifications.py), through the
        SMTP server of its settings; an enrolled one leaves that to the server its reunions reach through sync."""
        service = self.controller.service
        if self.notifications is not None or service is None or not service.sends_notifications():
            return
        try:
            from core.notifications import DeliveryLoop
            from core.notify import make_transports

            self.notifications = DeliveryLoop(service.db, make_transports(self.settings),
                                              interval=self.settings.notify_interval,
                                              device_id=service.device_id).start()
        except Exception:  # noqa: BLE001 - messages wait in the outbox; the kiosk keeps working
            log.exception("could not start sending notifications")

    def stop(self) -> None:
        if self.window is not None:
            self.window.camera.stop()
            self.window.idle.close()  # its timer would otherwise sign out through a controller that has stopped
        if self.notifications is not None:
            self.notifications.stop()
        if self.sync_client is not None:
            self.sync_client.close()
        self.controller.shutdown()
        if self.collector is not None:
            self.collector.stop()
            self.collector = None

    def start(self, show: bool = True):
        from kiosk.gui_gc import GuiThreadCollector

        if self.collector is None:
            self.collector = GuiThreadCollector().start()  # Qt wrappers are never collected on a worker thread
        set_language(self.settings.language)
        self.window = self._build()
        if show:
            self.window.show()
        self.controller.load()
        return self.window

    def _build(self):
        from ui.main_window import MainWindow

        if self.camera is not None and str(self.settings.camera) != self._settings_camera:
            self.camera = None  # another camera saved in Settings since the start: the window rebuilt keeps it
        w = MainWindow(self.controller, self.settings, save_settings, self.sync_status,
                       camera_source=self.camera if self.camera is not None else self.settings.camera)
        w.language_changed.connect(self.change_language)
        w.settings_page.saved.connect(self._settings_saved)
        if hasattr(w.settings_page, "set_enrollment"):
            w.settings_page.set_enrollment(self.enroll, self.organisation)
            w.settings_page.enrolled.connect(lambda _done: self._settings_saved({}))
        return w

    def _settings_saved(self, values: dict) -> None:
        """Restart sync with the server and key just saved (the window already applied the rest)."""
        if self.sync_client is not None:
            self.sync_client.close()
            self.sync_client = None
        if self.controller.service is not None:
            self._start_sync()

    def change_language(self, lang: str) -> None:
        old = self.window
        page = old.current_page
        geometry = old.geometry()
        set_language(lang)
        old.camera.stop()
        self.window = self._build()
        self.window.setGeometry(geometry)
        self.window.show_page(page)
        self.window.show()
        old.close()
        old.deleteLater()


class ContactError(Exception):
    """The server gave no contact. kind: not_enrolled | offline | rate_limited (`minutes` to wait) | refused (the key
    may not, e.g. revoked) | not_found (the dog is not on the server) | invalid (the server refused the reason).
    `message` is the server's, for the log; the pages say it in the kiosk's language by `kind`."""

    def __init__(self, message: str, kind: str, minutes: int | None = None):
        super().__init__(message)
        self.message, self.kind, self.minutes = message, kind, minutes

    @classmethod
    def of(cls, exc) -> ContactError:
        """A sync.client.SyncError of the contact route by its status."""
        status = getattr(exc, "status", 0)
        if status == 429:
            seconds = int((getattr(exc, "body", None) or {}).get("retry_after") or 3600)
            return cls(str(exc), "rate_limited", max(1, -(-seconds // 60)))
        kind = {401: "refused", 403: "refused", 404: "not_found", 422: "invalid"}.get(status, "refused")
        return cls(str(exc), kind)


class NoDisplay(SavePetsError):
    code = "no_display"


def run(settings, camera: str | None = None, engine=None) -> int:
    if not os.environ.get("QT_QPA_PLATFORM") and sys.platform.startswith("linux") and not (
            os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        raise NoDisplay("No screen found (DISPLAY and WAYLAND_DISPLAY are not set). Start the kiosk on its screen, "
                        "or set QT_QPA_PLATFORM=offscreen to run it without one.")
    app = application()
    kiosk = Kiosk(settings, engine=engine, camera=camera)
    kiosk.start()
    from PySide6.QtCore import QTimer

    # the first turn of the event loop, once the window is on screen (bench/bench_cold_start.py waits for it)
    QTimer.singleShot(0, lambda: log.info("kiosk window shown"))
    code = app.exec()
    kiosk.stop()
    return code
