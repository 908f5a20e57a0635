"""The outbox of notifications to people: queued in the registry database, sent by a transport, retried, a final
state, every end on the audit trail. No Qt, no HTTP (the server's webhook transport is in sync/server/webhook.py).

- `enqueue(s, dedupe_key=..., ...)` adds a `Notification` row in the caller's transaction, unless one with that
  dedupe key exists (the unique index decides, also under a race between two servers on one MySQL). The caller's
  use case writes its own audit entry.
- `reunion_message` / `code_message` make the texts (Korean or English): what happened, whom to contact, the
  reference; never an owner's data or anyone's phone.
- `deliver_due(db, transports)` sends what is due: each row is first *claimed* by a conditional UPDATE (a lease in
  `claimed_until`), so two senders (two server replicas, the loop and a request) never send one message twice; then
  sent through the transport of its channel (core/notify.py: Transport) with the row's id as the message id (the
  webhook's Idempotency-Key, the e-mail's Message-ID: a resend after a crash between send and mark is
  recognisable); then marked `sent`, or retried later with a growing backoff, or `failed` after MAX_ATTEMPTS or
  GIVE_UP_AFTER (a code: one try, valid CODE_VALID). A final row keeps no recipient and no text (both blanked),
  and its end is audited (notify_sent / notify_failed: the kind, channel, attempts and the dog; never the
  recipient or the text).
- `deliver_now(db, transports, id)` sends one row at once and says how it ended (the app's one-time codes);
  `deliver_pending(db, settings)` is one round for the kiosk (SMTP and the log only); `DeliveryLoop` runs rounds
  in a thread (the server), woken at once when an enqueue commits in this process.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import event, func, or_, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import audit
from core.actors import SYSTEM
from core.notify import NotifyFailed, Transport
from core.registry.encrypted import place_rows, place_values
from core.registry.models import Dog, Notification, new_id, utcnow

log = logging.getLogger(__name__)

KINDS = ("code", "reunion_possible", "reunion_confirmed")
CHANNELS = ("email", "sms")
LANGUAGES = ("ko", "en")
STATES = ("pending", "sent", "failed")

MAX_ATTEMPTS = 12  # then "failed"
GIVE_UP_AFTER = timedelta(hours=24)  # after its creation a message is tried once more at most, then "failed"
FIRST_RETRY = timedelta(seconds=30)  # the wait after the first failed try; doubled each try, at most MAX_RETRY
MAX_RETRY = timedelta(hours=1)
LEASE = timedelta(minutes=5)  # a claimed row is another sender's again after this (a sender that died)
CODE_VALID = timedelta(minutes=10)  # a one-time code is worth nothing after this (sync/server/me_routes.py)
ATTEMPTS_OF = {"code": 1}  # a code is tried once: the app is told at once whether it went
VALID_FOR = {"code": CODE_VALID}
MAX_ERROR = 255


# ------------------------------------------------------------------------------------------------ enqueue
def enqueue(s: Session, *, dedupe_key: str, kind: str, channel: str, recipient: str, language: str, subject: str,
            body: str, dog_id: str | None = None) -> bool:
    """Queue one message in the caller's transaction (sent once it commits): True if added, False if a message with
    `dedupe_key` exists already (sent, pending or failed; a failed one is not queued again). ValueError for a
    kind, channel or language not known, or an empty recipient or text."""
    if kind not in KINDS:
        raise ValueError(f"notification kind {kind!r}: one of {', '.join(KINDS)}")
    if channel not in CHANNELS:
        raise ValueError(f"notification channel {channel!r}: one of {', '.join(CHANNELS)}")
    if language not in LANGUAGES:
        raise ValueError(f"notification language {language!r}: one of {', '.join(LANGUAGES)}")
    if not dedupe_key or len(dedupe_key) > 120:
        raise ValueError("dedupe_key: 1 to 120 characters")
    if not recipient.strip() or not body.strip():
        raise ValueError("a notification needs a recipient and a text")
    if s.scalar(select(Notification.id).where(Notification.dedupe_key == dedupe_key)) is not None:
        return False
    now = utcnow()
    values = {"id": new_id(), "dedupe_key": dedupe_key, "kind": kind, "channel": channel,
              "recipient": recipient.strip(), "language": language, "subject": _line(subject, 200) or "SavePets",
              "body": body, "state": "pending", "attempts": 0, "next_attempt_at": now, "created_at": now,
              "dog_id": dog_id, "last_error": ""}
    if s.get_bind().dialect.name == "sqlite":  # one writer at a time; pysqlite's savepoints are unreliable
        added = s.execute(sqlite_insert(Notification).values(place_rows(Notification, [values]))
                          .on_conflict_do_nothing(index_elements=["dedupe_key"])).rowcount == 1
    else:  # a savepoint: a row another transaction added meanwhile (the unique index) leaves the caller's intact
        try:
            with s.begin_nested():
                s.add(Notification(**values))
                s.flush()
            added = True
        except IntegrityError:
            added = False
    if not added:
        return False
    if kind != "code":  # a code is sent by its request (deliver_now), not by the loop
        _wake_after_commit(s)
    return True


# ------------------------------------------------------------------------------------------------ texts
_ZONE = "Asia/Seoul"


def _line(text: str, limit: int) -> str:
    """One line of at most `limit` characters: control characters and runs of spaces made one space."""
    return re.sub(r"[\s\x00-\x1f\x7f]+", " ", str(text or "")).strip()[:limit]


def _when(when: datetime, language: str, zone: str) -> str:
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    local = when.astimezone(ZoneInfo(zone))
    label = local.tzname() or zone
    if language == "ko":
        return f"{local:%Y년 %m월 %d일 %H:%M} ({label})"
    return f"{local:%d %b %Y, %H:%M} ({label})"


def reunion_message(kind: str, language: str, *, dog_name: str, place: str, when: datetime, org_name: str,
                    ref: str, zone: str = _ZONE) -> tuple[str, str]:
    """(subject, body) telling an owner that their lost dog was found (`reunion_confirmed`) or that a found dog may
    be theirs (`reunion_possible`): where and when it was found, the organisation that holds it (whom to contact),
    the reference to give them. `when` is shown in `zone` (default Korea's time)."""
    if kind not in ("reunion_possible", "reunion_confirmed"):
        raise ValueError(f"reunion message kind {kind!r}: reunion_possible or reunion_confirmed")
    if language not in LANGUAGES:
        raise ValueError(f"language {language!r}: ko or en")
    dog = _line(dog_name, 60) or ("반려견" if language == "ko" else "your dog")
    place, org, ref = _line(place, 120), _line(org_name, 100), _line(ref, 64)
    at = _when(when, language, zone)
    if language == "ko":
        if kind == "reunion_confirmed":
            subject = f"[SavePets] {dog}을(를) 찾았습니다"
            body = (f"[SavePets] 잃어버린 {dog}이(가) 확인되었습니다. {at}에 {place}에서 발견되어 지금 {org}에서 "
                    f"보호하고 있습니다. {org}에 연락하여 참조번호 {ref}을(를) 알려 주시고 {dog}을(를) 데려가세요.")
        else:
            subject = f"[SavePets] {dog}일 수 있는 개가 발견되었습니다"
            body = (f"[SavePets] {dog}일 수 있는 개가 {at}에 {place}에서 발견되어 {org}에서 보호하고 있습니다. "
                    f"아직 확인되지 않았습니다. {org}에 연락하여 참조번호 {ref}을(를) 알려 주세요.")
    elif kind == "reunion_confirmed":
        subject = f"SavePets: {dog} has been found"
        body = (f"SavePets: your lost dog {dog} has been identified. {dog} was found at {place} on {at} and is "
                f"being cared for by {org}. Please contact {org} and give the reference {ref} to take {dog} home.")
    else:
        subject = f"SavePets: a dog that may be {dog} was found"
        body = (f"SavePets: a dog that may be {dog} was found at {place} on {at} and is being cared for by {org}. "
                f"It is not confirmed yet. Please contact {org} and give the reference {ref}.")
    return subject[:200], body


def code_message(language: str, code: str) -> tuple[str, str]:
    """(subject, body) of a one-time code (the app's phone verification), valid CODE_VALID."""
    if language not in LANGUAGES:
        raise ValueError(f"language {language!r}: ko or en")
    minutes = int(CODE_VALID.total_seconds() // 60)
    if language == "ko":
        return ("SavePets 인증번호",
                f"SavePets 인증번호 (code: {code}), {minutes}분 동안 유효합니다. 다른 사람에게 알려 주지 마세요.")
    return "SavePets code", f"SavePets code: {code} (valid {minutes} minutes). Do not share it."


# ------------------------------------------------------------------------------------------------ the state
def counts(s: Session) -> dict[str, int]:
    """How many messages are pending, sent and failed."""
    out = dict.fromkeys(STATES, 0)
    for state, n in s.execute(select(Notification.state, func.count(Notification.id)).group_by(Notification.state)):
        out[state] = n
    return out


def backoff(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed try: FIRST_RETRY, doubled each time, at most MAX_RETRY."""
    return min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), MAX_RETRY)


# ------------------------------------------------------------------------------------------------ sending
def _due(s: Session, now: datetime, limit: int, ids: Sequence[str] | None) -> list[str]:
    free = or_(Notification.claimed_until.is_(None), Notification.claimed_until < now)
    stmt = select(Notification.id).where(Notification.state == "pending", free)
    if ids is not None:
        stmt = stmt.where(Notification.id.in_(list(ids)))
    else:
        stmt = stmt.where(Notification.next_attempt_at <= now)
    return list(s.scalars(stmt.order_by(Notification.next_attempt_at, Notification.id).limit(limit)))


def _claim(db, notification_id: str, now: datetime) -> datetime | None:
    """Take the row for LEASE, counting the try; the lease (claimed_until) when this sender got it, else None.
    One conditional UPDATE in its own transaction: the database lets one sender win."""
    lease = now + LEASE
    with db.session() as s:
        got = s.execute(update(Notification)
                        .where(Notification.id == notification_id, Notification.state == "pending",
                               or_(Notification.claimed_until.is_(None), Notification.claimed_until < now))
                        .values(claimed_until=lease, attempts=Notification.attempts + 1)
                        .execution_options(synchronize_session=False)).rowcount
    return lease if got == 1 else None


def _finish(db, row: Notification, lease: datetime, now: datetime, *, state: str, error: str, device_id: str,
            next_at: datetime | None = None) -> bool:
    """Mark the claimed row: `sent` / `failed` (recipient and text blanked, audited) or `pending` again at
    `next_at`. False when the lease was lost meanwhile (another sender has the row now)."""
    values: dict = {"claimed_until": None, "last_error": error[:MAX_ERROR]}
    if state == "pending":
        values["next_attempt_at"] = next_at
    else:
        values.update(state=state, recipient="", body="")
        if state == "sent":
            values["sent_at"] = now
    with db.session() as s:
        done = s.execute(update(Notification)
                         .where(Notification.id == row.id, Notification.claimed_until == lease,
                                Notification.state == "pending")
                         .values(**place_values(Notification, row.id, values))
                         .execution_options(synchronize_session=False)).rowcount
        if done != 1:
            log.warning("notification %s: its claim ran out before it was marked %s", row.id, state)
            return False
        if state != "pending":
            number = s.scalar(select(Dog.registration_number).where(Dog.id == row.dog_id)) if row.dog_id else None
            detail = f"id={row.id} kind={row.kind} channel={row.channel} attempts={row.attempts}"
            if state == "failed":
                detail += f" error={_line(error, 120)}"
            audit.record(s, "notify_sent" if state == "sent" else "notify_failed", actor=SYSTEM, device_id=device_id,
                         dog=(row.dog_id, number) if row.dog_id else None, detail=detail)
    return True


def _deadline(row: Notification) -> datetime:
    return row.created_at + VALID_FOR.get(row.kind, GIVE_UP_AFTER)


def _send_one(db, transports: Mapping[str, Transport], notification_id: str, now: datetime, device_id: str,
              clock: Callable[[], datetime]) -> str | None:
    """Claim, send and mark one row: its state afterwards, or None when another sender has it."""
    lease = _claim(db, notification_id, now)
    if lease is None:
        return None
    with db.sessions() as s:
        row = s.get(Notification, notification_id)
        if row is None:  # deleted meanwhile
            return None
        s.expunge(row)
    attempts_allowed = ATTEMPTS_OF.get(row.kind, MAX_ATTEMPTS)
    if row.kind in VALID_FOR and now >= _deadline(row):  # a code not sent while it was valid: never sent late
        _finish(db, row, lease, now, state="failed", error="expired before it was sent", device_id=device_id)
        return "failed"
    transport = transports.get(row.channel)
    try:
        if transport is None:
            raise NotifyFailed(f"no transport for channel {row.channel}: this server has none configured (set "
                               + ("notify_webhook_url or notify_smtp)" if row.channel == "sms" else "notify_smtp)"))
        transport.send(row.recipient, row.subject, row.body, row.id, language=row.language)
    except NotifyFailed as exc:
        error = str(exc) or type(exc).__name__
    except Exception as exc:  # noqa: BLE001 - a transport's bug must not stop the round; its text may hold data
        log.exception("notification %s: the %s transport failed unexpectedly", row.id, row.channel)
        error = f"transport error: {type(exc).__name__}"
    else:
        _finish(db, row, lease, clock(), state="sent", error="", device_id=device_id)
        return "sent"
    after = clock()
    next_at = after + backoff(row.attempts)
    if row.attempts >= attempts_allowed or after >= _deadline(row):
        _finish(db, row, lease, after, state="failed", error=error, device_id=device_id)
        log.warning("notification %s (%s, %s) failed after %d tries: %s", row.id, row.kind, row.channel,
                    row.attempts, error)
        return "failed"
    _finish(db, row, lease, after, state="pending", error=error, device_id=device_id,
            next_at=min(next_at, _deadline(row)))
    log.info("notification %s (%s, %s) not sent, try %d, again in %s: %s", row.id, row.kind, row.channel,
             row.attempts, next_at - after, error)
    return "pending"


def deliver_due(db, transports: Mapping[str, Transport], *, now: datetime | None = None, limit: int = 50,
                device_id: str | None = None, ids: Sequence[str] | None = None) -> dict[str, int]:
    """One round: send up to `limit` due pending messages (or the pending ones of `ids`, due or not), each claimed
    first. `db` is a core.registry.db.Database; `transports` maps a channel to its Transport (a channel without one:
    its messages fail this try, last_error says why). `now` (tests) stands for the time throughout. Returns counts:
    sent, retry (pending again), failed, skipped (another sender had it)."""
    device_id = device_id or db.device_id()
    fixed = now
    clock = (lambda: fixed) if fixed is not None else utcnow
    now = clock()
    with db.sessions() as s:
        due = _due(s, now, limit, ids)
    out = {"sent": 0, "retry": 0, "failed": 0, "skipped": 0}
    for notification_id in due:
        state = _send_one(db, transports, notification_id, clock() if fixed is None else fixed, device_id, clock)
        out[{"sent": "sent", "failed": "failed", "pending": "retry", None: "skipped"}[state]] += 1
    return out


def deliver_now(db, transports: Mapping[str, Transport], notification_id: str, *, device_id: str | None = None,
                wait: float = 30.0) -> str:
    """Send one message at once and say how it ended: "sent", "failed" or "pending" (to be retried). If another
    sender holds it, wait (up to `wait` seconds) for that one to end it."""
    deliver_due(db, transports, ids=[notification_id], device_id=device_id, limit=1)
    deadline = time.monotonic() + wait
    while True:
        with db.sessions() as s:
            row = s.execute(select(Notification.state, Notification.claimed_until)
                            .where(Notification.id == notification_id)).first()
        if row is None:
            return "failed"
        if row.state != "pending" or row.claimed_until is None or time.monotonic() >= deadline:
            return row.state
        time.sleep(0.1)


def deliver_pending(db, settings, *, transports: Mapping[str, Transport] | None = None,
                    device_id: str | None = None, limit: int = 50) -> dict[str, int]:
    """One round for a kiosk or a script (no CLI, no HTTP): the transports of `settings` (core.notify:
    SMTP, or the log on loopback) unless given."""
    from core.notify import make_transports

    return deliver_due(db, transports if transports is not None else make_transports(settings),
                       device_id=device_id, limit=limit)


# ------------------------------------------------------------------------------------------------ waking, the loop
_wakers: set[Callable[[], None]] = set()
_wakers_lock = threading.Lock()


def _wake_all(_session=None) -> None:
    with _wakers_lock:
        wakers = list(_wakers)
    for wake in wakers:
        wake()


def _wake_after_commit(s: Session) -> None:
    """Wake this process's delivery loops once `s` commits (a new message is waiting)."""
    if not s.info.get("savepets_notify_listening"):
        s.info["savepets_notify_listening"] = True
        event.listen(s, "after_commit", _after_commit)
    s.info["savepets_notify_pending"] = True


def _after_commit(s: Session) -> None:
    if s.info.pop("savepets_notify_pending", False):
        _wake_all()


class DeliveryLoop:
    """Rounds of `deliver_due` in a thread of their own: every `interval` seconds, and at once when a message is
    queued in this process. `stop()` ends it (waits for the round in progress)."""

    def __init__(self, db, transports: Mapping[str, Transport], *, interval: float = 5.0,
                 device_id: str | None = None, limit: int = 50):
        self.db, self.transports, self.interval, self.limit = db, transports, interval, limit
        self.device_id = device_id
        self._wake, self._stop = threading.Event(), threading.Event()
        self._thread: threading.Thread | None = None
        self.rounds = 0
        self.last: dict[str, int] = {}

    def start(self) -> DeliveryLoop:
        self.device_id = self.device_id or self.db.device_id()
        with _wakers_lock:
            _wakers.add(self.wake)
        self._thread = threading.Thread(target=self._run, name="savepets-notifications", daemon=True)
        self._thread.start()
        return self

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 30.0) -> None:
        with _wakers_lock:
            _wakers.discard(self.wake)
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                self.last = deliver_due(self.db, self.transports, device_id=self.device_id, limit=self.limit)
                self.rounds += 1
            except Exception:  # noqa: BLE001 - the database away for a moment: the next round tries again
                log.exception("notification round failed")
            if self.last.get("sent", 0) + self.last.get("retry", 0) + self.last.get("failed", 0) >= self.limit:
                continue  # more may be due at once
            self._wake.wait(self.interval)

    def status(self) -> dict[str, int]:
        with self.db.sessions() as s:
            return counts(s)
