"""Server: the sync steps as the server takes them, each owning its lock and its transaction. `receive_push` takes a
kiosk's batch of changes, `serve_pull` a page of the change log; `receive_photo`, `missing_photos`, `photos_for`
and `receive_audit` keep a kiosk's photos and audit entries. sync/server/sync_routes.py only turns HTTP into these
calls and their answers into JSON; tests call them in-process as well."""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import numpy as np
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core import audit
from core.actors import Actor
from core.errors import InvalidInput
from core.photos import decode_photo
from core.registry.models import Dog, utcnow
from core.replication.bulk_push import apply_new_dogs_bulk
from core.replication.changelog import (
    has_unsequenced,
    head_seq,
    note_server_state,
    pull_page,
    sequence_local_outbox,
    take_lock,
)
from core.replication.lookalikes import gallery_duplicate_finder, gallery_duplicate_screen
from core.replication.messages import AnyChange, ChangeResult, DogChange, PullPage, PushAnswer, ReuniteChange
from core.replication.reunite_apply import Applied, apply_pushed, matched, note_to_match, overdue_matches
from core.replication.rows import corrected
from core.replication.server_apply import apply_change
from core.replication.trust import Caller, PushRefused, as_received, refusals

log = logging.getLogger(__name__)

CLOCK_TOLERANCE = timedelta(seconds=2)  # within the noise of one request's latency: a kiosk's clock is taken as is
_writers = threading.Lock()  # one push at a time in this process; the database's sync lock orders processes


def clock_offset(sent_at: datetime, now: datetime) -> timedelta:
    """The server's clock minus the kiosk's, measured from the kiosk's send time (cursors never use any clock)."""
    offset = now - (sent_at if sent_at.tzinfo else sent_at.replace(tzinfo=UTC))
    return timedelta(0) if abs(offset) < CLOCK_TOLERANCE else offset


def cursor(sp) -> int:
    """The server's newest seq."""
    with sp.db.sessions() as s:
        return head_seq(s)


# the order a push is applied in: what a change names comes before it (a report's dog, a reunion's case)
_ORDER = {"dog": 0, "lost_report": 1, "found_case": 1, "reunion": 2}


def receive_push(sp, device_id: str | Caller, sent_at: datetime, changes: Sequence[AnyChange],
                 now: datetime | None = None, after: Applied | None = None) -> PushAnswer:
    """Apply a kiosk's batch of changes in one transaction under the sync lock: the common case in bulk, the rest
    one by one (dogs first, then review flags, which need their dogs), each in its own savepoint so that one bad
    change cannot block the others. Returns one answer per change, in the order given.

    `device_id` is the pushing device as its key says (a `Caller`; a bare id: a device of the default
    organisation). A push holding a change the caller may not make (core/replication/trust.py) raises PushRefused
    and applies nothing. Templates are the server's own, made from the photos (pushed vectors are dropped).

    Reunite changes (core/replication/reunite_apply.py): the owner is told of a reunion that arrives new or decided
    (sp.tell_owner, in the push's transaction); the found cases and lost reports to match are added to `after`
    (`match_pushed` runs them, off the request)."""
    caller = device_id if isinstance(device_id, Caller) else Caller(device_id)
    device_id = caller.device_id
    now = now or utcnow()
    offset = clock_offset(sent_at, now)
    fix = corrected(offset, now)
    changes = as_received(sp, changes, caller)
    with _writers:
        finder = gallery_duplicate_finder(sp)
        with sp.db.session() as s:
            take_lock(s)
            refused = refusals(s, changes, caller)
            if refused:
                log.warning("sync: push of %s refused: %s", device_id, refused)
                raise PushRefused(f"This device may not make {len(refused)} of the changes pushed; nothing of the "
                                  "push was applied.", refused=refused)
            before = _statuses(s, changes)
            sequence_local_outbox(s)
            fast: dict[str, ChangeResult] = {}
            try:
                with s.begin_nested():  # the common case in a few statements; on any surprise, one by one
                    fast = apply_new_dogs_bulk(s, list(changes), device_id=device_id, fix=fix, now=now,
                                               photo_exists=sp.store.exists, screen=gallery_duplicate_screen(sp),
                                               org_id=caller.org_id)
            except Exception:
                log.exception("sync: bulk apply failed; applying one by one")
                fast = {}
            answers: dict[int, ChangeResult] = {}
            after = after if after is not None else Applied()
            tell = getattr(sp, "tell_owner", None)
            for i, c in sorted(enumerate(changes), key=lambda ic: _ORDER.get(ic[1].entity, 3)):
                if c.change_id in fast:
                    answers[i] = fast[c.change_id]
                    continue
                try:
                    with s.begin_nested():
                        if isinstance(c, ReuniteChange):
                            answers[i] = apply_pushed(s, c, device_id=device_id, org_id=caller.org_id, fix=fix,
                                                      now=now, photo_exists=sp.store.exists, tell=tell, after=after,
                                                      admin=caller.admin)
                        else:
                            answers[i] = apply_change(s, c, device_id=device_id, fix=fix, now=now,
                                                      photo_exists=sp.store.exists, find_duplicates=finder,
                                                      org_id=caller.org_id)
                except Exception as exc:  # one bad change must not block the others
                    log.exception("sync: change %s of %s rejected", c.change_id, device_id)
                    answers[i] = ChangeResult(change_id=c.change_id, status="rejected",
                                              message=f"{type(exc).__name__}: {exc}"[:500])
            results = [answers[i] for i in range(len(changes))]
            applied = [c for c, r in zip(changes, results, strict=True)
                       if r.status == "applied" and isinstance(c, DogChange)]
            note_server_state(s, [c.entity_id for c in applied], stamp=False)
            _audit_statuses(s, applied, before, caller)
            note_to_match(s, after, now)
            head = head_seq(s)
        _update_gallery(sp, applied)
        sp.after_erasures()  # an owner erased at a kiosk: the photo files and gallery entries it removed here
    for c in applied:  # other server processes refresh their galleries (sync/server/events.py)
        for listener in list(sp.on_change):
            try:
                listener(c.entity_id)
            except Exception:  # noqa: BLE001 - a listener never undoes a committed change
                log.exception("change listener failed")
    return PushAnswer(results=results, clock_offset_s=offset.total_seconds(), cursor=head)


def match_pushed(sp, after: Applied) -> int:
    """Match the found cases and lost reports a push brought (sp.match_found_case, sp.match_lost_report): run by
    the server off the request, in its worker pool. The possible reunions found are written to the server's outbox
    and reach the kiosks (the one holding the case too) by their next pull; the owner is told where due. Each is
    then off the list the push wrote (core/replication/reunite_apply.py, MATCH_KEY); one the server died before
    matching is matched by a later `match_overdue`. A failure is logged and leaves the rest to run. Returns the
    reunions made."""
    made = 0
    for what, ids, match in (("found_case", after.cases, getattr(sp, "match_found_case", None)),
                             ("lost_report", after.reports, getattr(sp, "match_lost_report", None))):
        for entity_id in dict.fromkeys(ids):
            try:
                made += len(match(entity_id)) if match is not None else 0
            except Exception:  # noqa: BLE001 - one case that cannot be matched must not stop the others
                log.exception("sync: matching %s %s failed", what, entity_id)
            with _writers, sp.db.session() as s:
                take_lock(s)
                matched(s, [f"{what}:{entity_id}"])
    return made


_sweeping = threading.Lock()


def overdue(sp) -> Applied:
    """Pushed found cases and lost reports never matched (their server died first); cheap: one row read."""
    with sp.db.sessions() as s:
        return overdue_matches(s, utcnow())


def match_overdue(sp) -> int:
    """Match what `overdue` names, once at a time in this process (the pull route runs it in the background)."""
    if not _sweeping.acquire(blocking=False):
        return 0
    try:
        todo = overdue(sp)
        if todo:
            log.warning("sync: matching %d found cases and %d lost reports pushed but never matched",
                        len(todo.cases), len(todo.reports))
        return match_pushed(sp, todo) if todo else 0
    finally:
        _sweeping.release()


def _statuses(s, changes: Sequence[AnyChange]) -> dict[str, str]:
    """The server's status of each existing dog a push reports a status of, before the push."""
    ids = [c.entity_id for c in changes if isinstance(c, DogChange) and "status" in c.clocks]
    return dict(s.execute(select(Dog.id, Dog.status).where(Dog.id.in_(ids))).all()) if ids else {}


def _audit_statuses(s, applied: list[DogChange], before: dict, caller: Caller) -> None:
    """A dog reported lost or found through sync (any organisation's dog may be): who said so, in the audit trail,
    under the pushing key."""
    for c in applied:
        old = before.get(c.entity_id)
        if old is None:
            continue
        dog = s.get(Dog, c.entity_id)
        if dog is not None and dog.status != old:
            actor = caller.actor or Actor("sync", caller.device_id, "", None, org=caller.org_id,
                                          device=caller.device_id)
            audit.record(s, "status", actor=actor, device_id=caller.device_id, dog=dog,
                         detail=f"status={dog.status.value} via=sync"
                                + ("" if caller.owns(dog) else " org=other"))


def _update_gallery(sp, applied: list[DogChange]) -> None:
    """This process's gallery after a push: the new templates of live dogs in, deleted dogs out. O(batch),
    unlike a full refresh, which reads every template."""
    if not applied:
        return
    with sp.db.sessions() as s:
        live = set(s.scalars(select(Dog.id).where(Dog.id.in_({c.entity_id for c in applied}),
                                                  Dog.deleted_at.is_(None))))
    keys, owners, vecs = [], [], []
    for c in applied:
        if c.entity_id not in live:
            sp.gallery.remove_dog(c.entity_id)
            continue
        for t in c.state.templates:
            if t.live_for(sp.engine):
                keys.append(t.id)
                owners.append(c.entity_id)
                vecs.append(np.frombuffer(t.data, np.float32))
    if keys:
        sp.gallery.add(keys, owners, np.stack(vecs))


def serve_pull(sp, since: int, limit: int, caller: Caller | None = None) -> PullPage:
    """The changes after `since`, oldest first. Changes made through the REST API join the log first. For a
    `caller` other than an administrator, dogs of other organisations come with their owner redacted and no notes
    (their templates in full: offline recognition)."""
    with sp.db.sessions() as s:
        unsequenced = has_unsequenced(s)
    if unsequenced:
        with _writers, sp.db.session() as s:
            take_lock(s)
            sequence_local_outbox(s)
    with sp.db.sessions() as s:
        if caller is None or caller.admin:
            return pull_page(s, since, limit)
        return pull_page(s, since, limit, org_id=caller.org_id, full_view=False)


def receive_photo(sp, sha256: str, data: bytes) -> bool:
    """A kiosk's photo, kept only if its bytes hash to its name and decode as an image (half an upload never
    becomes a photo). Returns whether it was new here."""
    if hashlib.sha256(data).hexdigest() != sha256:
        raise InvalidInput(f"The photo's bytes do not hash to {sha256}: incomplete or damaged upload.",
                           sha256=sha256)
    if sp.store.exists(sha256):
        return False
    decode_photo(data, label=sha256[:12])  # InvalidPhoto when it is no image
    return sp.store.put(data)[1]


def missing_photos(sp, shas: Sequence[str]) -> list[str]:
    return [sha for sha in dict.fromkeys(shas) if not sp.store.exists(sha)]


def photos_for(sp, shas: Sequence[str], max_bytes: int, max_count: int) -> dict[str, bytes]:
    """Photos asked for that are here, in order, until the next would pass `max_bytes` or `max_count` (at least
    one): the kiosk asks again for the rest."""
    out: dict[str, bytes] = {}
    total = 0
    for sha in dict.fromkeys(shas):
        if not sp.store.exists(sha):
            continue
        data = sp.store.get(sha)
        if out and (total + len(data) > max_bytes or len(out) >= max_count):
            break
        total += len(data)
        out[sha] = data
    return out


def receive_audit(sp, device_id: str, entries: Sequence[audit.AuditEntry]) -> int:
    """A kiosk's audit entries, kept under its device id (the key's, never the entries'); who each entry names is
    kept as the kiosk's claim (core/audit.py store_pushed); entries already here (a resend) are skipped. Returns
    how many were new."""
    for attempt in range(3):
        try:
            with sp.db.session() as s:
                return audit.store_pushed(s, entries, device_id=device_id)
        except IntegrityError:  # the same entries pushed twice at once (a resend racing the first): look again
            if attempt == 2:
                raise
    raise AssertionError("unreachable")
