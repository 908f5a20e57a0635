"""The one object the pages talk to: it runs core use cases off the GUI thread and reports back by signals.

Pages never touch SQL, models or the service itself: they call the controller's typed methods, one per use case of
the core `SavePets` service they need (`controller.list_dogs(query, status, limit, on_done=..., on_error=...)`),
each with the use case's arguments and a callback that gets its result. Jobs run one at a time on a worker thread
(SQLite allows one writer anyway), so the window never freezes; `busy_changed` drives the progress indicator;
`changed` follows every job that changes the registry.

Results come back by polling finished futures from the GUI thread with a QTimer, so callbacks always run on
the GUI thread and the worker thread never touches a Qt object.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

if TYPE_CHECKING:
    from core.actors import Actor
    from core.audit import AuditEntry
    from core.photos import Photo
    from core.schemas import (
        DogIn,
        DogOut,
        DogStatus,
        DogUpdate,
        FoundCaseOut,
        FoundIn,
        LookupResult,
        LostIn,
        LostReportOut,
        OwnerIn,
        OwnerOut,
        PhotoCheck,
        PhotoOut,
        RegisterResult,
        ReunionOut,
        ReviewList,
        ReviewResult,
    )
    from core.staff import Access, StaffOut, StaffPermissions
    from core.usecases import SavePets

log = logging.getLogger(__name__)

T = TypeVar("T")
Failed = Callable[[BaseException], None]


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
        # (dog key, reason) -> OwnerOut from the server's contact route, on the worker thread; the kiosk gives it
        # (kiosk/app.py Kiosk.request_contact); None: no server, the pages offer no online contact
        self.contact_online: Callable[[str, str], Any] | None = None
        self.enroll_with: Callable[[str, str], Any] | None = None  # the kiosk's enrollment (kiosk/app.py)
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="savepets-job")
        self._stopped = False
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
        """Run fn() on the worker thread; on_done(result) or on_error(exception) later on the GUI thread. After
        shutdown (the kiosk is quitting) nothing runs: a late timer's job has nobody left to serve."""
        if self._stopped:
            log.info("job after shutdown dropped: %s", busy or getattr(fn, "__name__", "job"))
            return
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

    def _use(self, case: Callable[[SavePets], T], on_done: Callable[[T], None] | None = None,
             on_error: Failed | None = None, busy: str = "", changes: bool = False) -> None:
        """Run case(service) on the worker thread; `changes`: the registry changed once it is done."""
        service = self.service

        def done(result: T) -> None:
            if changes:
                self.changed.emit()
            if on_done:
                on_done(result)

        self.run(lambda: case(service), done, on_error, busy)

    # ------------------------------------------------------------ use cases: staff and sign-in
    @property
    def loaded(self) -> bool:
        """Whether the core service is loaded (use cases wait for it)."""
        return self.service is not None

    @property
    def device_id(self) -> str | None:
        """This kiosk's device id (the audit trail says "this kiosk" for its own entries)."""
        return getattr(self.service, "device_id", None)

    def has_staff(self, on_done: Callable[[bool], None], on_error: Failed | None = None) -> None:
        self._use(lambda s: s.has_staff(), on_done, on_error)

    def staff_names(self, on_done: Callable[[list[str]], None], on_error: Failed | None = None) -> None:
        self._use(lambda s: s.staff_names(), on_done, on_error)

    def sign_in(self, name: str, pin: str, on_done: Callable[[tuple[Actor, Access]], None],
                on_error: Failed | None = None, busy: str = "") -> None:
        """The member and what they may do."""
        self._use(lambda s: (s.sign_in(name, pin), s.access()), on_done, on_error, busy)

    def create_first_admin(self, name: str, pin: str, on_done: Callable[[tuple[Actor, Access]], None],
                           on_error: Failed | None = None, busy: str = "") -> None:
        """The first administrator, signed in, and what they may do."""
        self._use(lambda s: (s.create_first_admin(name, pin), s.access()), on_done, on_error, busy)

    def sign_out(self, reason: str = "on_demand") -> None:
        self._use(lambda s: s.sign_out(reason))

    def staff_permissions(self, on_done: Callable[[StaffPermissions], None], on_error: Failed | None = None) -> None:
        self._use(lambda s: s.staff_permissions(), on_done, on_error)

    def set_staff_permissions(self, permissions: StaffPermissions, on_done: Callable[[StaffPermissions], None],
                              on_error: Failed | None = None) -> None:
        self._use(lambda s: s.set_staff_permissions(permissions), on_done, on_error)

    def list_staff(self, on_done: Callable[[list[StaffOut]], None], on_error: Failed | None = None) -> None:
        self._use(lambda s: s.list_staff(), on_done, on_error)

    def add_staff(self, name: str, pin: str, role: str, on_done: Callable[[StaffOut], None],
                  on_error: Failed | None = None) -> None:
        self._use(lambda s: s.add_staff(name, pin, role), on_done, on_error)

    def enable_staff(self, who: str, on_done: Callable[[StaffOut], None], on_error: Failed | None = None) -> None:
        self._use(lambda s: s.enable_staff(who), on_done, on_error)

    def disable_staff(self, who: str, on_done: Callable[[StaffOut], None], on_error: Failed | None = None) -> None:
        self._use(lambda s: s.disable_staff(who), on_done, on_error)

    def reset_staff_pin(self, who: str, pin: str, on_done: Callable[[StaffOut], None],
                        on_error: Failed | None = None) -> None:
        self._use(lambda s: s.reset_staff_pin(who, pin), on_done, on_error)

    def audit_trail(self, dog: str | None, who: str | None, since: str | None, action: str | None, limit: int,
                    on_done: Callable[[list[AuditEntry]], None], on_error: Failed | None = None,
                    busy: str = "") -> None:
        self._use(lambda s: s.audit_trail(dog=dog, who=who, since=since, action=action, limit=limit), on_done,
                  on_error, busy)

    # ------------------------------------------------------------ use cases: look-up and registration
    def lookup(self, makers: Sequence[Callable[[], Photo]], on_done: Callable[[tuple[list[Photo], LookupResult]], None],
               on_error: Failed | None = None, busy: str = "") -> None:
        """The photos made by `makers` (read or cut on the worker thread) looked up: (the photos used, the result).
        See lookup_photos."""
        self._use(lambda s: lookup_photos(s, makers), on_done, on_error, busy)

    def check_photo(self, make_photo: Callable[[], Photo], taken: Collection[str],
                    on_done: Callable[[tuple[Photo, PhotoCheck | None]], None], on_error: Failed | None = None,
                    busy: str = "") -> None:
        """One registration photo made (on the worker thread) and checked on the spot: (the photo, its check), or
        (the photo, None) when its sha256 is among `taken` (the same file as a photo already chosen)."""

        def case(s: SavePets) -> tuple[Photo, PhotoCheck | None]:
            photo = make_photo()
            return photo, None if photo.sha256 in taken else s.check_photo(photo)

        self._use(case, on_done, on_error, busy)

    def find_owner(self, phone: str, on_done: Callable[[OwnerOut | None], None],
                   on_error: Failed | None = None) -> None:
        self._use(lambda s: s.find_owner(phone), on_done, on_error)

    def register(self, owner: OwnerIn, dog: DogIn, photos: Sequence[Photo], on_done: Callable[[RegisterResult], None],
                 on_error: Failed | None = None, busy: str = "") -> None:
        self._use(lambda s: s.register(owner, dog, photos), on_done, on_error, busy, changes=True)

    # ------------------------------------------------------------ use cases: dogs and owners
    def kiosk_org(self, on_done: Callable[[tuple[str | None, str | None]], None]) -> None:
        """The organisation this kiosk is enrolled in: (id, name), or (None, None)."""
        self._use(lambda s: s.kiosk_org(), on_done, lambda _exc: None)

    def list_dogs(self, query: str | None, status: DogStatus | None, limit: int,
                  on_done: Callable[[list[DogOut]], None], on_error: Failed | None = None) -> None:
        self._use(lambda s: s.list_dogs(query=query, status=status, limit=limit), on_done, on_error)

    def update_dog(self, key: str, changes: DogUpdate, on_done: Callable[[DogOut], None],
                   on_error: Failed | None = None, busy: str = "") -> None:
        self._use(lambda s: s.update_dog(key, changes), on_done, on_error, busy, changes=True)

    def set_status(self, key: str, status: DogStatus | str, on_done: Callable[[DogOut], None],
                   on_error: Failed | None = None, busy: str = "") -> None:
        """The status by its code or its DogStatus (the core's schema turns the code into one)."""
        self._use(lambda s: s.set_status(key, status), on_done, on_error, busy, changes=True)

    def delete_dog(self, key: str, on_done: Callable[[DogOut], None], on_error: Failed | None = None,
                   busy: str = "") -> None:
        self._use(lambda s: s.delete_dog(key), on_done, on_error, busy, changes=True)

    def reveal_contact(self, key: str, on_done: Callable[[OwnerOut], None], on_error: Failed | None = None,
                       on_request: bool = True) -> None:
        """on_request=False: shown with the dog opened, not asked for (the audit trail tells them apart)."""
        self._use(lambda s: s.reveal_contact(key, on_request=on_request), on_done, on_error)

    def enroll(self, server_url: str, code: str, on_done: Callable[[Any], None], on_error: Failed | None = None,
               busy: str = "") -> None:
        """Enroll this kiosk with a server by a one-time code (enroll_with, on the worker thread); errors carry a
        `kind` (kiosk/credentials.py EnrollError)."""
        enroll = self.enroll_with
        if enroll is None:
            def enroll(_url: str, _code: str):
                raise ContactUnavailable("Enrollment is not available here.")
        self.run(lambda: enroll(server_url, code), on_done, on_error, busy)

    def request_contact_online(self, key: str, reason: str, on_done: Callable[[OwnerOut], None],
                               on_error: Failed | None = None, busy: str = "") -> None:
        """Another organisation's owner from the server (contact_online, with the reason the server audits): only
        shown by the page, never written to this registry. Errors carry a `kind` (kiosk/app.py ContactError)."""
        ask = self.contact_online
        if ask is None:
            def ask(_key: str, _reason: str):
                raise ContactUnavailable("This kiosk is not enrolled with a server.")
        self.run(lambda: ask(key, reason), on_done, on_error, busy)

    def load_photos(self, photos: Sequence[PhotoOut], on_done: Callable[[dict[str, np.ndarray]], None],
                    on_error: Failed | None = None, busy: str = "") -> None:
        """{sha256: BGR image} of these stored photos, read and decoded on the worker thread (see decode_photos)."""
        self._use(lambda s: decode_photos(self, photos), on_done, on_error, busy)

    # ------------------------------------------------------------ use cases: reviews
    def list_reviews(self, limit: int, on_done: Callable[[ReviewList], None], on_error: Failed | None = None) -> None:
        self._use(lambda s: s.list_reviews(limit=limit), on_done, on_error)

    def resolve_review(self, review_id: str, same_dog: bool, on_done: Callable[[ReviewResult], None],
                       on_error: Failed | None = None, busy: str = "") -> None:
        self._use(lambda s: s.resolve_review(review_id, same_dog), on_done, on_error, busy, changes=True)

    # ------------------------------------------------------------ use cases: reunite (lost reports, found dogs)
    def reunite_board(self, limit: int, on_done: Callable[[ReuniteBoard], None], on_error: Failed | None = None,
                      busy: str = "") -> None:
        """The Reunite page's three lists in one job: found cases (open, and the newest reunited ones), open lost
        reports (with their dogs' first photos), possible reunions."""
        def board(s: SavePets) -> ReuniteBoard:
            from core.schemas import DogStatus

            lost = s.lost_reports(state="open", limit=limit)
            first = {d.id: d.photos[0].sha256 for d in s.list_dogs(status=DogStatus.LOST, limit=max(limit, len(lost)))
                     if d.photos}
            return ReuniteBoard(found=s.found_cases(state=None, limit=limit), lost=lost,
                                reunions=s.reunions(state="possible", limit=limit), lost_photos=first)

        self._use(board, on_done, on_error, busy)

    def report_lost(self, report: LostIn, on_done: Callable[[LostReportOut], None], on_error: Failed | None = None,
                    busy: str = "") -> None:
        self._use(lambda s: s.report_lost(report), on_done, on_error, busy, changes=True)

    def end_lost(self, report_id: str, how: str, on_done: Callable[[LostReportOut], None],
                 on_error: Failed | None = None, busy: str = "") -> None:
        """how: "withdrawn" or "home"."""
        self._use(lambda s: s.end_lost(report_id, how), on_done, on_error, busy, changes=True)

    def open_found_case(self, photos: Sequence[Photo], found: FoundIn, on_done: Callable[[FoundCaseOut], None],
                        on_error: Failed | None = None, busy: str = "") -> None:
        """A stray taken in from these photos (a look-up's): the case, its days left and possible reunions."""
        self._use(lambda s: s.open_found_case(list(photos), found), on_done, on_error, busy, changes=True)

    def close_found_case(self, case_id: str, on_done: Callable[[FoundCaseOut], None], on_error: Failed | None = None,
                         busy: str = "") -> None:
        self._use(lambda s: s.close_found_case(case_id), on_done, on_error, busy, changes=True)

    def decide_reunion(self, reunion_id: str, confirm: bool, on_done: Callable[[ReunionOut], None],
                       on_error: Failed | None = None, busy: str = "") -> None:
        self._use(lambda s: s.decide_reunion(reunion_id, confirm), on_done, on_error, busy, changes=True)

    def review_count(self) -> int | None:
        """The number of open reviews, counted at once on the calling thread (one quick count, for the navigation's
        badge); None before the service is loaded or when counting fails (logged)."""
        if self.service is None:
            return None
        try:
            return self.service.review_count()
        except Exception:  # noqa: BLE001 - the count is a hint: never a reason to stop the kiosk
            log.exception("could not count the open reviews")
            return None

    def wait(self, timeout_s: float = 30.0) -> bool:
        """Block until the queued jobs have run (their callbacks come with the next event loop turns)."""
        from concurrent.futures import wait

        return not wait([j[0] for j in self._jobs], timeout=timeout_s).not_done

    def shutdown(self) -> None:
        self._stopped = True
        self.pool.shutdown(wait=True)
        if self.service is not None and hasattr(self.service, "close"):
            self.service.close()


@dataclass(frozen=True)
class ReuniteBoard:
    """What the Reunite page lists (core FoundCaseOut, LostReportOut, ReunionOut)."""

    found: list[FoundCaseOut]
    lost: list[LostReportOut]
    reunions: list[ReunionOut]
    lost_photos: dict[str, str] = field(default_factory=dict)  # a lost dog's id -> its first nose photo's sha256


class ContactUnavailable(Exception):
    """No server to ask for a contact (the kiosk gave no contact_online)."""

    kind = "not_enrolled"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


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


def lookup_photos(service: SavePets, makers: Sequence[Callable[[], Photo]]) -> tuple[list[Photo], LookupResult]:
    """(photos, service.lookup(photos)) on the worker thread. A photo that cannot be read, or that the core's
    quality gate refuses, is left out while others remain (a frame passes the live gate on a small copy, and the
    full gate can still refuse it); with none left, the first problem is raised."""
    from core.errors import PhotosRejected, SavePetsError

    photos, first_error = [], None
    for make in makers:
        try:
            photos.append(make())
        except SavePetsError as exc:
            first_error = first_error or exc
    if not photos:
        raise first_error
    try:
        return photos, service.lookup(photos)
    except PhotosRejected as exc:
        bad = {p["index"] for p in exc.details.get("problems") or []}
        good = [p for i, p in enumerate(photos) if i not in bad]
        if not bad or not good:
            raise
        return good, service.lookup(good)


def decode_photos(controller: Controller, photos: Sequence[PhotoOut]) -> dict[str, np.ndarray]:
    """{sha256: BGR image} of these photos, read and decoded on the worker thread (no Qt here); a photo that is not
    on this kiosk (not synced yet) or cannot be decoded is left out."""
    from core.photos import decode_photo

    out: dict[str, np.ndarray] = {}
    for p in photos:
        data = controller.photo_bytes(p.sha256)
        if data is None:
            continue
        try:
            out[p.sha256] = decode_photo(data, label=p.sha256[:8]).image
        except Exception:  # noqa: BLE001 - one damaged file must not hide the dog's other photos
            continue
    return out
