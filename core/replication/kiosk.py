"""Kiosk: the sync steps as a kiosk takes them, each owning the core's write lock and its transaction, and the
kiosk's sync run built from them (`KioskSync`): push the outbox, push the audit trail, pull the other kiosks'
changes, keep photos in step.

The server is reached through a `Link`: sync/client.py speaks it over HTTP; tests also call the server's core
entry points (core/replication/server.py) in-process. Everything stays correct if the link fails anywhere: pushes
are idempotent (change_id), outbox rows are marked pushed only with the server's answer, the pull cursor moves
only in the transaction that applies the page, and photos are content-addressed (sha256) and verified."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from sqlalchemy import select, update

from core import audit
from core.registry.models import Dog, FoundCase, FoundPhoto, Meta, NosePhoto, Outbox, utcnow
from core.replication.bundle import DOG
from core.replication.messages import AnyChange, ChangeResult, PullPage, PushAnswer
from core.replication.pull import apply_page, restore_agreed
from core.replication.push import OutgoingChange, adopt_remap, mark_pushed_many, outgoing_changes, pending_count
from core.replication.reunite_states import FOUND

log = logging.getLogger(__name__)

CURSOR_KEY = "sync_cursor"  # the server seq this kiosk has pulled up to
PHOTOS_PENDING_KEY = "sync_photos_pending"  # a pull brought photo rows whose files may still be missing here
REJECTED_KEY = "sync_rejected"  # the changes the server refused (or that could not be sent), with why


class Offline(Exception):
    """The server could not be reached or kept failing (connection, timeout, overload) after the retries."""


class Stuck(Exception):
    """The sync cannot move on as things are (the server keeps asking for photos this kiosk does not have)."""


class Refused(Exception):
    """The server refused a push as a whole (HTTP 403 push_refused): nothing of it was applied. `refused` maps
    each offending change_id to why (another organisation's dog, an erasure or a merge, which go through the
    admin routes, an owner named without their phone)."""

    def __init__(self, message: str, refused: dict[str, str]):
        super().__init__(message)
        self.refused = refused


class Link(Protocol):
    """What a kiosk asks of the server. Any method may raise Offline."""

    def push(self, device_id: str, sent_at: datetime, changes: list[AnyChange]) -> PushAnswer: ...

    def pull(self, since: int, limit: int) -> PullPage: ...

    def missing_photos(self, shas: list[str]) -> list[str]: ...

    def upload_photos(self, shas: list[str], read: Callable[[str], bytes]) -> int: ...

    def fetch_photos(self, shas: list[str]) -> dict[str, bytes]: ...

    def push_audit(self, device_id: str, entries: list[dict]) -> int | None:
        """Entries stored by the server; None when the server takes no audit entries (an older server)."""


@dataclass
class PushOutcome:
    settled: int  # changes done with (applied, already there, rejected)
    missing: dict[str, list[str]]  # change_id -> the photos the server asks for first


@dataclass
class SyncReport:
    pushed: int = 0  # changes the server applied
    duplicates: int = 0  # changes the server had applied already (resends)
    rejected: int = 0
    remapped: int = 0  # owners merged or registration numbers changed by the server
    photos_up: int = 0
    audit_up: int = 0  # audit entries the server stored
    pulled: int = 0  # changes applied from the server
    photos_down: int = 0
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        def n(count: int, one: str, many: str) -> str:
            return f"{count} {one if count == 1 else many}"

        return (f"pushed {self.pushed} (+{self.duplicates} already there, {self.rejected} rejected, "
                f"{self.remapped} renumbered/merged), {n(self.photos_up, 'photo', 'photos')} up, "
                f"{n(self.audit_up, 'audit entry', 'audit entries')} up; pulled {self.pulled}, "
                f"{n(self.photos_down, 'photo', 'photos')} down; {self.seconds:.1f} s")


# ------------------------------------------------------------------------------------------------ entry points
def pending(sp) -> int:
    """Local entities with changes not yet on the server."""
    with sp.db.sessions() as s:
        return pending_count(s)


def cursor(sp) -> int:
    return int(sp.db.meta(CURSOR_KEY, "0"))


def next_push(sp, limit: int) -> list[OutgoingChange]:
    """The oldest pending changes, each entity once in its current state."""
    with sp.db.sessions() as s:
        return outgoing_changes(s, limit)


def record_push_results(sp, batch: list[OutgoingChange], results: list[ChangeResult],
                        report: SyncReport) -> PushOutcome:
    """The server's answers to a pushed batch, in one transaction: applied and duplicate changes are done (with the
    server's remaps adopted), rejected ones are logged and done (resending the same state would not help), those
    waiting for photos stay pending. Changes that could not be sent count as rejected here."""
    answers = {r.change_id: r for r in results}
    done: list[OutgoingChange] = []
    missing: dict[str, list[str]] = {}
    with sp._write_lock, sp.db.session() as s:
        for c in batch:
            r = answers.get(c.change_id)
            if c.change is None:
                if c.problem:
                    _rejected(s, c, c.problem, report)
                done.append(c)
            elif r is None:
                continue
            elif r.status in ("applied", "duplicate"):
                if r.remap:
                    adopt_remap(s, r.remap)
                    report.remapped += len(r.remap)
                done.append(c)
                if r.status == "applied":
                    report.pushed += 1
                else:
                    report.duplicates += 1
            elif r.status == "rejected":
                _rejected(s, c, r.message, report)
                done.append(c)
            else:
                missing[c.change_id] = r.missing
        mark_pushed_many(s, done, utcnow())
    return PushOutcome(settled=len(done), missing=missing)


def record_refused(sp, batch: list[OutgoingChange], refused: dict[str, str], report: SyncReport) -> int:
    """The changes of a batch the server refused, in one transaction: each is dropped from the outbox (resending it
    would be refused again and hold up every change after it), kept in `meta` (REJECTED_KEY) and the log, and its
    dog goes back to the last state agreed with the server (a refused edit or deletion is undone here; a new dog
    the server refused stays on this kiosk only). The rest of the batch is pushed again. Returns how many were
    dropped."""
    mine = [c for c in batch if c.change_id in refused]
    with sp._write_lock, sp.db.session() as s:
        for c in mine:
            _rejected(s, c, f"refused by the server: {refused[c.change_id]}", report)
            if c.entity == DOG:
                restore_agreed(s, c.entity_id)
        seqs = [q for c in mine for q in c.seqs]
        if seqs:
            s.execute(update(Outbox).where(Outbox.seq.in_(seqs), Outbox.pushed_at.is_(None))
                      .values(pushed_at=utcnow()))
    return len(mine)


def _rejected(s, c: OutgoingChange, why: str, report: SyncReport) -> None:
    log.error("sync: %s %s rejected: %s", c.entity, c.entity_id, why)
    report.rejected += 1
    report.errors.append(f"{c.entity} {c.entity_id}: {why}")
    row = s.get(Meta, REJECTED_KEY)
    lines = (row.value + "\n" if row else "") + f"{c.change_id} {why}"
    s.merge(Meta(key=REJECTED_KEY, value=lines[-20000:]))


def apply_pull_page(sp, page: PullPage, photos_wanted: bool = True) -> tuple[set[str], int]:
    """A pulled page and the new cursor in one transaction: a crash here loses neither, and applying a page again
    changes nothing. Returns (dog ids touched, changes applied)."""
    with sp._write_lock, sp.db.session() as s:
        touched, applied = apply_page(s, page.changes)
        s.merge(Meta(key=CURSOR_KEY, value=str(page.cursor)))
        if applied and photos_wanted:
            s.merge(Meta(key=PHOTOS_PENDING_KEY, value="1"))
    return touched, applied


def record_audit_sent(sp, ids: list[str]) -> None:
    with sp._write_lock, sp.db.session() as s:
        audit.mark_synced(s, ids)


def photos_to_fetch(sp) -> list[str]:
    """After a pull: the photos of live dogs and of found cases whose files are not here yet."""
    with sp.db.sessions() as s:
        shas = set(s.scalars(select(NosePhoto.sha256).join(Dog, Dog.id == NosePhoto.dog_id)
                             .where(NosePhoto.deleted_at.is_(None), Dog.deleted_at.is_(None))))
        shas |= set(s.scalars(select(FoundPhoto.sha256).join(FoundCase, FoundCase.id == FoundPhoto.case_id)
                              .where(FoundPhoto.deleted_at.is_(None), FoundCase.deleted_at.is_(None))))
    return sorted(sha for sha in shas if not sp.store.exists(sha))


def keep_photo(sp, sha256: str, data: bytes) -> bool:
    """A photo from the server, kept only if its bytes hash to its name (never a damaged one)."""
    if hashlib.sha256(data).hexdigest() != sha256:
        log.warning("sync: photo %s came damaged; not kept", sha256)
        return False
    sp.store.put(data)
    return True


def photos_fetched(sp) -> None:
    """The photos are here: templates of this kiosk's engine for those that lack one."""
    with sp._write_lock, sp.db.session() as s:
        s.merge(Meta(key=PHOTOS_PENDING_KEY, value="0"))
    sp.ensure_templates()


# ------------------------------------------------------------------------------------------------ a sync run
class KioskSync:
    """One kiosk's sync with the server through `link`. `on_step(what, n)` hears ("pushed", changes still pending)
    after each pushed batch and ("pulled", cursor) after each pulled page."""

    def __init__(self, sp, link: Link, *, push_batch: int = 100, pull_limit: int = 500, audit_batch: int = 500,
                 fetch_photos: bool = True, clock: Callable[[], datetime] = utcnow,
                 on_step: Callable[[str, int], None] | None = None):
        self.sp, self.link = sp, link
        self.push_batch, self.pull_limit, self.audit_batch = push_batch, pull_limit, audit_batch
        self.fetch_photos = fetch_photos
        self.clock = clock
        self.on_step = on_step or (lambda _what, _n: None)

    def run(self, report: SyncReport | None = None) -> SyncReport:
        """Push, push the audit trail, pull. Raises what the link raises (Offline) and Stuck."""
        report = report or SyncReport()
        self.push(report)
        self.push_audit(report)
        self.pull(report)
        return report

    def push(self, report: SyncReport | None = None) -> SyncReport:
        report = report or SyncReport()
        asked: dict[str, int] = {}  # change_id -> times the server asked for its photos
        while True:
            batch = next_push(self.sp, self.push_batch)
            if not batch:
                return report
            real = [c.change for c in batch if c.change is not None]
            report.photos_up += self._upload({sha for ch in real if ch.entity in (DOG, FOUND)
                                              for sha in ch.state.live_photo_shas()})
            try:
                answer = self.link.push(self.sp.device_id, self.clock(), real) if real else None
            except Refused as exc:  # nothing applied: drop what was refused, push the rest again
                if not record_refused(self.sp, batch, exc.refused, report):
                    raise Stuck(f"the server refused a push without naming a change of it: {exc}") from exc
                self.on_step("pushed", pending(self.sp))
                continue
            outcome = record_push_results(self.sp, batch, answer.results if answer else [], report)
            progress = outcome.settled > 0
            for change_id, shas in outcome.missing.items():
                asked[change_id] = asked.get(change_id, 0) + 1
                if asked[change_id] <= 2:
                    progress = True  # upload them and push again
                    report.photos_up += self._upload(set(shas))
            self.on_step("pushed", pending(self.sp))
            if not progress:
                raise Stuck("the server keeps asking for photos this kiosk does not have")

    def _upload(self, shas: set[str]) -> int:
        if not shas:
            return 0
        wanted = []
        for sha in self.link.missing_photos(sorted(shas)):
            if self.sp.store.exists(sha):
                wanted.append(sha)
            else:
                log.warning("sync: photo %s is not in this kiosk's store", sha)
        return self.link.upload_photos(wanted, self.sp.store.get) if wanted else 0

    def push_audit(self, report: SyncReport | None = None) -> SyncReport:
        """This kiosk's audit entries the server does not have yet, oldest first, in batches. An entry is marked
        sent only after the server's answer, and the server skips entries it has: a crash or a lost answer
        anywhere sends them again, never loses or doubles one."""
        report = report or SyncReport()
        while True:
            with self.sp.db.sessions() as s:
                entries = audit.pending_events(s, self.audit_batch)
            if not entries:
                return report
            stored = self.link.push_audit(self.sp.device_id, entries)
            if stored is None:
                log.warning("sync: the server takes no audit entries yet; they stay here")
                return report
            record_audit_sent(self.sp, [e["id"] for e in entries])
            report.audit_up += stored

    def pull(self, report: SyncReport | None = None) -> SyncReport:
        report = report or SyncReport()
        since = cursor(self.sp)
        touched_any = False
        while True:
            page = self.link.pull(since, self.pull_limit)
            touched, applied = apply_pull_page(self.sp, page, photos_wanted=self.fetch_photos)
            since = page.cursor
            report.pulled += applied
            touched_any = touched_any or bool(touched)
            self.on_step("pulled", since)
            if not page.has_more:
                break
        if self.fetch_photos and self.sp.db.meta(PHOTOS_PENDING_KEY) == "1":
            report.photos_down += self._download(photos_to_fetch(self.sp))
            photos_fetched(self.sp)
        if touched_any or report.photos_down:
            self.sp.refresh_gallery()
        self.sp.after_erasures()  # photo files of dogs removed by an owner's erasure (core/owner_rights.py)
        return report

    def _download(self, todo: list[str]) -> int:
        got = 0
        while todo:
            answer = self.link.fetch_photos(todo[:2000])
            if not answer:
                log.warning("sync: the server has none of %d photos asked for", len(todo[:2000]))
                todo = todo[2000:]
                continue
            got += sum(keep_photo(self.sp, sha, data) for sha, data in answer.items())
            todo = [sha for sha in todo if sha not in answer]
        return got
