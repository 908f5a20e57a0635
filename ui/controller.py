"""The one object the pages talk to: it runs core use cases off the GUI thread and reports back by signals.

Pages never touch SQL or models: they call `controller.run(fn, on_done, on_error)` with a use case of the
core `SavePets` service. Jobs run one at a time on a worker thread (SQLite allows one writer anyway), so
the window never freezes; `busy_changed` drives the progress indicator.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

log = logging.getLogger(__name__)


class _JobSignals(QObject):
    done = Signal(object)
    failed = Signal(object)


class _Job(QRunnable):
    def __init__(self, fn: Callable[[], Any]):
        super().__init__()
        self.fn = fn
        self.signals = _JobSignals()
        self.setAutoDelete(False)

    def run(self) -> None:
        try:
            result = self.fn()
        except BaseException as exc:  # noqa: BLE001 - every failure goes back to the page as a message
            if not isinstance(exc, Exception):
                raise
            log.debug("job failed: %s", "".join(traceback.format_exception(exc)))
            self.signals.failed.emit(exc)
        else:
            self.signals.done.emit(result)


class Controller(QObject):
    busy_changed = Signal(bool, str)  # busy, what (English, already translated by the caller when shown)
    ready = Signal()  # the service is loaded
    load_failed = Signal(str)
    changed = Signal()  # the registry changed (registration, edit, status)

    def __init__(self, factory: Callable[[], Any] | None = None, service: Any = None,
                 parent: QObject | None = None):
        super().__init__(parent)
        self.factory = factory
        self.service = service
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)
        self._jobs: set[_Job] = set()
        self._busy_labels: list[str] = []

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

    def quality(self, image):
        """The live quality gate; safe from the camera thread (engines keep no per-call state)."""
        engine = self.engine
        return engine.quality(image) if engine is not None else None

    # ------------------------------------------------------------ jobs
    def run(self, fn: Callable[[], Any], on_done: Callable[[Any], None] | None = None,
            on_error: Callable[[BaseException], None] | None = None, busy: str = "") -> None:
        job = _Job(fn)
        self._jobs.add(job)
        self._set_busy(busy, +1)

        def finish():
            self._jobs.discard(job)
            self._set_busy(busy, -1)

        def done(result):
            finish()
            if on_done:
                on_done(result)

        def failed(exc):
            finish()
            if on_error:
                on_error(exc)
            else:
                log.error("background job failed: %s", exc)

        job.signals.done.connect(done)
        job.signals.failed.connect(failed)
        self.pool.start(job)

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

    def wait(self, msecs: int = 30000) -> bool:
        return self.pool.waitForDone(msecs)

    def shutdown(self) -> None:
        self.pool.waitForDone(30000)
        if self.service is not None and hasattr(self.service, "close"):
            self.service.close()


def error_message(exc: BaseException) -> str:
    """A core error's message for people; pydantic validation errors condensed; anything else named."""
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
