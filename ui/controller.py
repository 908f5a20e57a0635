"""The one object the pages talk to: it runs core use cases off the GUI thread and reports back by signals.

Pages never touch SQL or models: they call `controller.run(fn, on_done, on_error)` with a use case of the
core `SavePets` service. Jobs run one at a time on a worker thread (SQLite allows one writer anyway), so
the window never freezes; `busy_changed` drives the progress indicator.

Results come back by polling finished futures from the GUI thread with a QTimer, so callbacks always run on
the GUI thread and the worker thread never touches a Qt object.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

log = logging.getLogger(__name__)


class Controller(QObject):
    busy_changed = Signal(bool, str)  # busy, what (English, already translated by the caller when shown)
    ready = Signal()  # the service is loaded
    load_failed = Signal(str)
    changed = Signal()  # the registry changed (registration, edit, status)
    member_changed = Signal()  # a member signed in (member, access set) or the kiosk locked (both None)

    def __init__(self, factory: Callable[[], Any] | None = None, service: Any = None,
                 parent: QObject | None = None):
        super().__init__(parent)
        self.factory = factory
        self.service = service
        self.member = None  # the signed-in staff member (core.actors.Actor), None while locked
        self.access = None  # what they may do (core.staff.Access): pages show buttons and contacts by it
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="savepets-job")
        self._jobs: list[tuple[Future, Callable, Callable, str]] = []
        self._busy_labels: list[str] = []
        self._timer = QTimer(self)
        self._timer.setInterval(15)
        self._timer.timeout.connect(self._poll)

    # ------------------------------------------------------------ service
    @property
    def engine(self):
        return self.service.engine if self.service is not None else None

    def load(self) -> None:
        """Build the core service (engine loading, gallery) off the GUI thread."""
        if self.service is not None:
            self.ready.emit()
            return

        def build():
            svc = self.factory()
            svc.gallery  # noqa: B018 - warm the index now, not at the first look-up
            return svc

        def done(svc):
            self.service = svc
            self.ready.emit()

        self.run(build, done, lambda exc: self.load_failed.emit(error_message(exc)), busy=self.tr("Loading…"))

    def first_photo(self, dog) -> bytes | None:
        """The dog's first nose photo (a small file read), or None when it has none on this kiosk."""
        return self.photo_bytes(dog.photos[0].sha256) if dog.photos else None

    def photo_bytes(self, sha256: str) -> bytes | None:
        """One stored nose photo (a small file read), or None when it is not on this kiosk."""
        if self.service is None:
            return None
        try:
            return self.service.photo_bytes(sha256)
        except Exception:  # noqa: BLE001 - a photo not synced here yet must not hide the dog
            return None

    def quality(self, image):
        """The live quality gate; safe from the camera thread (engines keep no per-call state)."""
        engine = self.engine
        return engine.quality(image) if engine is not None else None

    def set_member(self, member, access) -> None:
        self.member, self.access = member, access
        self.member_changed.emit()

    def may(self, need: str) -> bool:
        """Whether the signed-in member may do this (buttons follow it; the core refuses anyway)."""
        return self.access is not None and self.access.may(need)

    # ------------------------------------------------------------ jobs
    def run(self, fn: Callable[[], Any], on_done: Callable[[Any], None] | None = None,
            on_error: Callable[[BaseException], None] | None = None, busy: str = "") -> None:
        """Run fn() on the worker thread; on_done(result) or on_error(exception) later on the GUI thread."""
        future = self.pool.submit(fn)
        self._jobs.append((future, on_done, on_error, busy))
        self._set_busy(busy, +1)
        self._timer.start()

    def _poll(self) -> None:
        finished = [j for j in self._jobs if j[0].done()]
        for job in finished:
            self._jobs.remove(job)
        if not self._jobs:
            self._timer.stop()
        for future, on_done, on_error, busy in finished:
            self._set_busy(busy, -1)
            exc = future.exception()
            try:
                if exc is None:
                    if on_done:
                        on_done(future.result())
                elif on_error:
                    on_error(exc)
                else:
                    log.error("background job failed: %s", exc, exc_info=exc)
            except Exception:  # a page's callback must not stop the other results from arriving
                log.exception("job callback failed")

    def _set_busy(self, label: str, delta: int) -> None:
        if delta > 0:
            self._busy_labels.append(label)
        elif label in self._busy_labels:
            self._busy_labels.remove(label)
        self.busy_changed.emit(bool(self._busy_labels), self._busy_labels[-1] if self._busy_labels else "")

    @property
    def busy(self) -> bool:
        return bool(self._busy_labels)

    def call(self, name: str, *args, on_done=None, on_error=None, busy: str = "", changes: bool = False, **kw):
        """Run a use case by name: controller.call("lookup", photo, on_done=...)."""

        def fn():
            return getattr(self.service, name)(*args, **kw)

        def done(result):
            if changes:
                self.changed.emit()
            if on_done:
                on_done(result)

        self.run(fn, done, on_error, busy)

    def wait(self, timeout_s: float = 30.0) -> bool:
        """Block until the queued jobs have run (their callbacks come with the next event loop turns)."""
        from concurrent.futures import wait

        return not wait([j[0] for j in self._jobs], timeout=timeout_s).not_done

    def shutdown(self) -> None:
        self.pool.shutdown(wait=True)
        if self.service is not None and hasattr(self.service, "close"):
            self.service.close()


def error_message(exc: BaseException) -> str:
    """A core error's message for people (a role's refusal in the UI's language); pydantic validation errors
    condensed; anything else named."""
    if getattr(exc, "code", None) == "forbidden":
        from ui import texts

        return texts.denied_words(exc)
    msg = getattr(exc, "message", None)
    if msg:
        return msg
    errors = getattr(exc, "errors", None)
    if callable(errors):
        try:
            return "; ".join(e.get("msg", "") for e in errors())
        except Exception:  # noqa: BLE001
            pass
    return f"{type(exc).__name__}: {exc}"
