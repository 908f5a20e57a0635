"""The audit trail: who looked up, saw, registered, changed or removed what, when, from which device. No Qt, no HTTP.

Every use case that reads an owner's contact or changes the registry writes one `AuditEvent` (core/registry/models.py)
with `record()`, in the same transaction as the change where there is one. Who is `core.actors.current_actor`: the
signed-in staff member at a kiosk, the API key on the server, the OS user at the command line. Rows hold codes,
counts, the dog's id and registration number, never an owner's name, phone or a free-text note.

Kiosk rows go to the server with sync (`pending_events` / `mark_synced`, pushed by sync/client.py to
POST /v1/sync/audit, stored there by `store_pushed`, idempotent by the row's id). Rows older than the retention
(`Settings.audit_retention_days`, 2 years by default) are deleted by `purge` (`savepets audit purge`; also at start
and once a day while the service runs), which records itself.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import delete, event, insert, or_, select, update
from sqlalchemy.orm import Session

from core.actors import Actor
from core.errors import InvalidInput
from core.registry.models import AuditEvent, Dog, Meta, utcnow

# what can be recorded: the action code and what it means (the CLI, the API and the audit page list these)
ACTIONS: dict[str, str] = {
    "lookup": "identified a dog from nose photos (decision and reason recorded)",
    "contact_view": "an owner's contact details were shown",
    "contact_alert": "a device asked for too many owners' contacts in an hour: refused, administrators alerted",
    "dog_view": "a dog's record was shown to the app (owner masked unless the app's verified own phone)",
    "photo_view": "a stored nose photo was sent to the app",
    "register_refused": "a registration was refused: the nose is surely registered already (that dog named)",
    "phone_verify": "the app asked to verify its phone, or gave a code (sent, verified, wrong, expired)",
    "app_session": "the web app (/app) gave a public visitor's browser its own key (a new device of the app org)",
    "register": "registered a dog",
    "edit": "changed a dog's or its owner's details (the fields named, never their values)",
    "status": "changed a dog's status (lost, found, home, deceased)",
    "delete": "removed a dog from the registry",
    "review": "decided a review of two registrations (same dog / different dogs)",
    "owner_export": "exported an owner's data on request",
    "owner_erase": "erased an owner's name and phone on request",
    "backup": "backed up the registry",
    "restore": "restored the registry from a backup",
    "sign_in": "a staff member signed in",
    "sign_in_failed": "a wrong PIN was given",
    "lockout": "an account was locked after wrong PINs",
    "lock": "the kiosk was locked (idle or on demand)",
    "sign_out": "a staff member signed out",
    "user_add": "a staff account was made",
    "user_disable": "a staff account was disabled",
    "user_reset_pin": "a staff account's PIN was reset",
    "settings": "an administrator changed what staff may see",
    "audit_purge": "audit entries past their retention were deleted",
    "lost_report": "reported a dog lost (where, when; the owner's contact is not recorded here)",
    "lost_end": "ended a lost report (withdrawn, or the dog is home)",
    "found_open": "opened a found case: a stray taken in, or a finder's report",
    "found_close": "closed a found case without a reunion",
    "reunion_possible": "recognition put a found dog and a registered dog together, for a person to confirm",
    "reunion_confirm": "a person confirmed a reunion: the found case and the lost report closed",
    "reunion_reject": "a person rejected a possible reunion",
    "notify_queued": "a message to an owner was queued (kind and channel; never the recipient or the text)",
    "notify_sent": "a queued message was handed over (kind, channel, tries, the dog; never the recipient or text)",
    "notify_failed": "a queued message was given up after its last try (kind, channel, tries, the error)",
}
MAX_DETAIL = 255
MAX_LIST = 1000
PURGE_META = "audit_purged_at"
PURGE_EVERY = timedelta(days=1)


class AuditEntry(BaseModel):
    """One entry as the faces show it (CLI table, GET /v1/audit, the kiosk's audit page) and as sync carries it."""

    id: str = Field(..., min_length=1, max_length=36)
    at: datetime
    device_id: str = Field(..., max_length=64)
    actor_kind: str = Field(..., max_length=16)
    actor_id: str = Field(..., max_length=64)
    actor_name: str = Field("", max_length=100)
    actor_role: str | None = Field(None, max_length=16)
    action: str = Field(..., min_length=1, max_length=32)  # ACTIONS (a newer kiosk may know more)
    dog_id: str | None = Field(None, max_length=36)
    registration_number: str | None = Field(None, max_length=64)
    decision: str | None = Field(None, max_length=32)
    reason: str | None = Field(None, max_length=64)
    detail: str = Field("", max_length=MAX_DETAIL)

    @property
    def who(self) -> str:
        return f"{self.actor_kind}:{self.actor_name or self.actor_id}"


class AuditPage(BaseModel):
    count: int = Field(description="entries in this answer")
    entries: list[AuditEntry]


def entry(row: AuditEvent) -> AuditEntry:
    return AuditEntry(id=row.id, at=row.at, device_id=row.device_id, actor_kind=row.actor_kind,
                      actor_id=row.actor_id, actor_name=row.actor_name, actor_role=row.actor_role,
                      action=row.action, dog_id=row.dog_id, registration_number=row.registration_number,
                      decision=row.decision, reason=row.reason, detail=row.detail)


# ------------------------------------------------------------------------------------------------ write
def record(s: Session, action: str, *, actor: Actor, device_id: str, dog: Dog | tuple[str, str] | None = None,
           decision: str | None = None, reason: str | None = None, detail: str = "",
           at: datetime | None = None) -> AuditEvent:
    """Add one entry to the session (committed with the caller's transaction). `dog` is a Dog row or
    (id, registration number); `detail` holds codes, ids and counts only, made by the caller: never a value a person
    typed (a name, a phone, a note)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    detail = (detail or "")[:MAX_DETAIL]
    dog_id, number = (dog.id, dog.registration_number) if isinstance(dog, Dog) else (dog or (None, None))
    row = AuditEvent(at=at or _now(), device_id=device_id or "unknown", actor_kind=actor.kind,
                     actor_id=str(actor.id)[:64], actor_name=(actor.name or "")[:100], actor_role=actor.role,
                     action=action, dog_id=dog_id, registration_number=number, decision=decision,
                     reason=reason, detail=detail)
    s.add(row)
    return row


_last = [datetime.min.replace(tzinfo=UTC)]
_clock = threading.Lock()


def _now() -> datetime:
    """utcnow, strictly increasing in this process: entries written one after the other list in that order."""
    with _clock:
        _last[0] = max(utcnow(), _last[0] + timedelta(microseconds=1))
        return _last[0]


@event.listens_for(AuditEvent, "before_update")
def _append_only(_mapper, connection, target: AuditEvent) -> None:
    """Entries are never changed through the ORM (only mark_synced sets synced_at, in one statement)."""
    raise ValueError("audit entries are append-only")


@event.listens_for(AuditEvent, "before_delete")
def _no_delete(_mapper, connection, target: AuditEvent) -> None:
    raise ValueError("audit entries leave only by the retention purge")


# ------------------------------------------------------------------------------------------------ read
def parse_since(text: str | date | datetime | None) -> datetime | None:
    """'2026-11-26' (from that day's midnight, local time), an ISO date-time ('2026-11-26T09:00', '...+09:00'),
    or a date/datetime. Anything else: InvalidInput naming the expected form."""
    if text is None or text == "":
        return None
    if isinstance(text, datetime):
        value = text
    elif isinstance(text, date):
        value = datetime.combine(text, time())
    else:
        raw = str(text).strip()
        try:
            value = datetime.fromisoformat(raw)
        except ValueError:
            raise InvalidInput(f"since: {raw!r} is not a date; give YYYY-MM-DD or an ISO date and time "
                               "(2026-11-26T09:00).", field="since") from None
    try:
        if value.tzinfo is None:
            value = value.astimezone()  # the machine's local time
        return value.astimezone(UTC)
    except (OverflowError, ValueError):  # year 1 or 9999 moved across a time zone
        raise InvalidInput(f"since: {text!s} is out of range; give a date between the years 1900 and 9000.",
                           field="since") from None


def check_action(action: str | None) -> str | None:
    if action is None or action == "":
        return None
    action = action.strip().lower()
    if action not in ACTIONS:
        raise InvalidInput(f"action: {action!r} is not recorded; one of: {', '.join(ACTIONS)}.", field="action")
    return action


def list_events(s: Session, *, dog: str | None = None, who: str | None = None, since: datetime | None = None,
                action: str | None = None, limit: int = 100, offset: int = 0) -> list[AuditEntry]:
    """Newest first. `dog`: a dog's id or registration number (also one it had before a renumbering, or one since
    deleted); `who`: an actor's id or name, or kind:name as shown ('staff:kim', 'api_key:3f9c0a1b2c4d', 'cli:ops')."""
    if not 1 <= limit <= MAX_LIST:
        raise InvalidInput(f"limit: give 1 to {MAX_LIST}.", field="limit")
    if offset < 0:
        raise InvalidInput("offset: give 0 or more.", field="offset")
    stmt = select(AuditEvent)
    if dog:
        key = dog.strip()
        ids = {key, *s.scalars(select(Dog.id).where(Dog.registration_number == key))}
        stmt = stmt.where(or_(AuditEvent.dog_id.in_(ids), AuditEvent.registration_number == key))
    if who:
        w = who.strip()
        conds = [AuditEvent.actor_id == w, AuditEvent.actor_name == w]
        kind, sep, rest = w.partition(":")
        if sep and rest:
            conds.append((AuditEvent.actor_kind == kind) & or_(AuditEvent.actor_id == rest,
                                                               AuditEvent.actor_name == rest))
        stmt = stmt.where(or_(*conds))
    if since is not None:
        stmt = stmt.where(AuditEvent.at >= since)
    action = check_action(action)
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    stmt = stmt.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit).offset(offset)
    return [entry(r) for r in s.scalars(stmt)]


def trail(db, *, dog: str | None = None, who: str | None = None, since=None, action: str | None = None,
          limit: int = 100, offset: int = 0) -> list[AuditEntry]:
    """The audit trail of a registry database (core.registry.db.Database), newest first; `since` as parse_since
    reads it. Bad filters raise InvalidInput."""
    since = parse_since(since)
    with db.sessions() as s:
        return list_events(s, dog=dog, who=who, since=since, action=action, limit=limit, offset=offset)


# ------------------------------------------------------------------------------------------------ retention
def purge(s: Session, retention_days: int, *, actor: Actor, device_id: str, now: datetime | None = None,
          record_nothing: bool = True) -> int:
    """Delete the entries older than the retention; the purge itself is recorded (with how many went; an automatic
    purge that found nothing, `record_nothing=False`, is not)."""
    if retention_days < 1:
        raise InvalidInput("audit_retention_days: give 1 or more days.", field="audit_retention_days")
    now = now or utcnow()
    cutoff = now - timedelta(days=retention_days)
    gone = s.execute(delete(AuditEvent).where(AuditEvent.at < cutoff)
                     .execution_options(synchronize_session=False)).rowcount or 0
    if gone or record_nothing:
        record(s, "audit_purge", actor=actor, device_id=device_id, detail=f"deleted={gone} days={retention_days}",
               at=now)
    s.merge(Meta(key=PURGE_META, value=now.isoformat()))
    return gone


def purge_database(db, retention_days: int, *, actor: Actor, device_id: str, record_nothing: bool = True) -> int:
    """`purge` in a transaction of its own (the command line, the daily purge)."""
    with db.session() as s:
        return purge(s, retention_days, actor=actor, device_id=device_id, record_nothing=record_nothing)


def purge_due(s: Session, now: datetime | None = None) -> bool:
    """Whether a day has passed since the last purge (or none was ever made)."""
    row = s.get(Meta, PURGE_META)
    if row is None:
        return True
    try:
        last = datetime.fromisoformat(row.value)
    except ValueError:
        return True
    return (now or utcnow()) - last >= PURGE_EVERY


# ------------------------------------------------------------------------------------------------ sync
def pending_events(s: Session, limit: int = 500) -> list[dict[str, Any]]:
    """Kiosk: the oldest entries not yet on the server, as they travel (JSON-able)."""
    rows = s.scalars(select(AuditEvent).where(AuditEvent.synced_at.is_(None))
                     .order_by(AuditEvent.at, AuditEvent.id).limit(limit))
    return [wire(r) for r in rows]


def pending_count(s: Session) -> int:
    from sqlalchemy import func

    return s.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.synced_at.is_(None))) or 0


def wire(row: AuditEvent) -> dict[str, Any]:
    e = entry(row).model_dump(mode="json")
    return e


def mark_synced(s: Session, ids: Sequence[str], now: datetime | None = None) -> None:
    now = now or utcnow()
    for i in range(0, len(ids), 500):
        s.execute(update(AuditEvent).where(AuditEvent.id.in_(list(ids[i:i + 500])), AuditEvent.synced_at.is_(None))
                  .values(synced_at=now).execution_options(synchronize_session=False))


CLAIMED = "claimed; "  # the start of `detail` of an entry a kiosk pushed: who it names is the kiosk's say-so


def is_claimed(detail: str | None) -> bool:
    """Whether an entry's "who" is a pushing kiosk's claim (its device is the key's): `detail LIKE 'claimed; %'`."""
    return (detail or "").startswith(CLAIMED)


def store_pushed(s: Session, events: Iterable[AuditEntry], *, device_id: str, now: datetime | None = None) -> int:
    """Server: entries pushed by a kiosk, kept under the pushing device's id, the key's (never the device an entry
    names). Who an entry names (a staff member signed in at the kiosk) is only the kiosk's word: the actor is kept
    as sent, and `detail` starts with CLAIMED so that a reader (and a query) tells it from what the server saw
    itself. An entry already here (a resend after a lost answer) is skipped, so nothing is ever stored twice.
    Returns how many were new."""
    now = now or utcnow()
    events = list(events)
    if not events:
        return 0
    have = set()
    ids = [e.id for e in events]
    for i in range(0, len(ids), 500):
        have |= set(s.scalars(select(AuditEvent.id).where(AuditEvent.id.in_(ids[i:i + 500]))))
    rows, seen = [], set()
    for e in events:
        if e.id in have or e.id in seen:
            continue
        seen.add(e.id)
        at = e.at if e.at.tzinfo else e.at.replace(tzinfo=UTC)
        detail = e.detail or ""
        claim = CLAIMED + ("" if e.device_id == device_id else f"device={e.device_id[:64]} ")
        rows.append({"id": e.id, "at": min(at, now), "device_id": device_id, "actor_kind": e.actor_kind[:16],
                     "actor_id": e.actor_id[:64], "actor_name": (e.actor_name or "")[:100],
                     "actor_role": (e.actor_role or None) and e.actor_role[:16], "action": e.action,
                     "dog_id": e.dog_id, "registration_number": e.registration_number, "decision": e.decision,
                     "reason": e.reason, "detail": (claim + detail)[:MAX_DETAIL], "synced_at": now})
    if rows:
        s.execute(insert(AuditEvent), rows)
    return len(rows)
