"""FastAPI dependencies shared by every router of the server (the /v1 routes and the sync routes).

Stable names, for use in other routers (e.g. sync/server/sync_routes.py):

- ``get_service(request) -> SavePets``: the process's one SavePets (registry, photo store, engine, gallery).
- ``get_runner(request) -> LocalRunner``: ``await runner.call(fn, *args)`` runs a blocking call off the event
  loop in a bounded pool; ``runner.register`` / ``runner.lookup`` run the heavy use cases (locally or on
  Celery, per settings.task_backend).
- ``get_settings(request) -> Settings``.
- ``require_role(*roles) -> dependency`` giving the calling ``Principal`` (key_id, name, role). No key or a
  wrong or revoked key: 401; a role not listed: 403; past the key's rate limit: 429 with Retry-After. The rest of
  the request acts as that key (``core.actors.acting_as(key_actor(principal))``: the audit trail's "who"); the
  context travels into ``runner.call`` and FastAPI's thread pool, and the Celery runner passes it explicitly.
  ``require_role()`` with no roles admits any valid key. Roles: ``Role.KIOSK``, ``VET``, ``MOBILE``, ``ADMIN``
  (or their strings). Use as ``principal: Principal = Depends(require_role("admin", "kiosk"))`` or in
  ``dependencies=[Depends(require_role(...))]``.
- ``present(dog, viewer)``: a DogOut as this caller may see it (see its docstring: admin all; staff their
  organisation's dogs, others' redacted; the app masked, its verified phone's own dogs in full), each photo with its
  ``url``; ``viewer_of(principal, runner, sp)`` makes the ``Viewer`` (a Principal alone will do for staff).
- ``with_photo_urls(dog)``: the dog with each photo's ``url`` (``GET /v1/photos/{sha256}``) and nothing else
  changed (for dogs core has masked already).

Keys travel as ``Authorization: Bearer sp_<keyid>_<secret>`` (``X-API-Key: ...`` is accepted too).

Staff member sessions (the web app's staff phones): ``POST /v1/staff/session`` (sync/server/staff_routes.py) checks a
member's name and PIN on a staff device key and gives a session token ``sps_<id>_<secret>``; the page sends it with
the key as ``X-SavePets-Session``, and ``require_role`` then makes the request's actor the MEMBER (kind "staff", their
id, name and role, with the key's organisation, device and role as ``via``): the core's staff permissions apply and
the audit trail names the member. ``StaffSessions`` keeps them in the registry's ``meta`` table (the secret's sha256
only; shared by every server process), bound to the device; a session ends after ``settings.lock_after_minutes``
unused, after ``SESSION_MAX`` in all, with ``DELETE /v1/staff/session``, and at once when the member is disabled or
the device's key revoked. A refused session is a 401 with a clear message (and ``X-SavePets-Session-Refused``: the
reason); a key alone acts as the key, as before.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from fastapi import Depends, HTTPException, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import delete, select
from starlette.concurrency import run_in_threadpool

from core.actors import Actor, acting_as
from core.errors import InvalidPhone
from core.registry.db import Database
from core.registry.models import Meta, StaffMember, utcnow
from core.schemas import CandidateOut, DogOut
from core.settings import Settings
from core.usecases import SavePets
from sync.server.keys import KeyStore, Principal, Role, key_id_of
from sync.server.limits import AuthGuard, retry_after
from sync.server.runner import LocalRunner

__all__ = ["FULL_VIEW", "SESSION_HEADER", "Principal", "Role", "SessionRefused", "StaffSessions", "get_runner",
           "get_service", "get_settings", "key_actor", "photo_url", "present", "present_candidate", "require_role",
           "viewer_of", "Viewer", "with_photo_urls"]

# Roles that see owners' phone numbers in full: staff at a shelter or clinic, and the operator.
FULL_VIEW = frozenset({Role.ADMIN, Role.KIOSK, Role.VET})

_bearer = HTTPBearer(auto_error=False, description="Authorization: Bearer sp_<keyid>_<secret>")
_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="Alternative to the Bearer header")
SESSION_HEADER = "X-SavePets-Session"
_session = APIKeyHeader(name=SESSION_HEADER, auto_error=False, scheme_name="StaffSession",
                        description="A staff member's session on a staff phone (POST /v1/staff/session), with its key")


def get_service(request: Request) -> SavePets:
    return request.app.state.savepets


def get_runner(request: Request) -> LocalRunner:
    return request.app.state.runner


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def _authenticate(request: Request, bearer: HTTPAuthorizationCredentials | None = Depends(_bearer),
                  header_key: str | None = Depends(_header)) -> Principal:
    """Runs in FastAPI's thread pool (a plain def): one indexed read, argon2 only on a cache miss.

    Wrong keys count against the client's address and the key id they name (limits.AuthGuard): past the limit
    further unknown secrets get 429 and are (nearly all) left unchecked, while a key that passed a check here still
    gets in, so that a flood of wrong secrets can neither keep the server hashing nor lock the key's owner out. The
    request rate counts per key id and per client address (the client behind a trusted proxy: transport.py)."""
    from sync.server.transport import client_address

    key = bearer.credentials if bearer is not None else header_key
    if not key:
        raise HTTPException(401, "An API key is required: Authorization: Bearer <key>.",
                            headers={"WWW-Authenticate": "Bearer"})
    keys: KeyStore = request.app.state.keys
    guard: AuthGuard = request.app.state.auth_guard
    address, key_id = client_address(request), key_id_of(key)
    admission = guard.admit(address, key_id, key)
    if not admission.check:
        raise HTTPException(429, "Too many wrong API keys from this address or for this key; wait before trying "
                            "again.", headers={"Retry-After": retry_after(admission.wait)})
    principal = keys.verify(key)
    if principal is None:
        wait = guard.failed(address, key_id, key)
        if admission.wait > 0:  # checked while locked out: refused as the unchecked ones are
            raise HTTPException(429, "Too many wrong API keys from this address or for this key; wait before "
                                "trying again.", headers={"Retry-After": retry_after(max(wait, admission.wait))})
        raise HTTPException(401, "The API key is not valid or has been revoked.",
                            headers={"WWW-Authenticate": "Bearer"})
    guard.passed(key)
    limiter = request.app.state.rate_limiter
    wait = max(limiter.take(f"key {principal.key_id}"), limiter.take(f"addr {address}"))
    if wait > 0:
        raise HTTPException(429, "Too many requests for this API key or from this address; slow down.",
                            headers={"Retry-After": retry_after(wait)})
    request.state.principal = principal
    return principal


def key_actor(principal: Principal) -> Actor:
    """An API key as the use cases' actor (core.actors): the audit trail names the key's id, label and role."""
    return Actor("api_key", principal.key_id, principal.name, principal.role.value, org=principal.org_id or None,
                 device=principal.device_id or None)


def require_role(*roles: Role | str, sessions: bool = True) -> Callable[..., AsyncIterator[Principal]]:
    """See the module's docstring. `sessions=False`: a member's session header is not read (the sign-in route)."""
    allowed = frozenset(Role(r) for r in roles)

    async def dependency(request: Request, principal: Principal = Depends(_authenticate),
                         session: str | None = Depends(_session)) -> AsyncIterator[Principal]:
        # async, so that the actor is set in the request's own context (a plain def would run in a worker thread,
        # whose context ends with it); the endpoint, runner.call and the thread pool all run in copies of it
        if allowed and principal.role not in allowed:
            names = ", ".join(sorted(r.value for r in allowed))
            raise HTTPException(403, f"A {principal.role.value} key may not do this (allowed: {names}).")
        actor = key_actor(principal)
        if sessions and session:
            try:
                actor = await run_in_threadpool(staff_sessions(request).check, session, principal)
            except SessionRefused as exc:
                raise HTTPException(401, exc.message, headers={"WWW-Authenticate": "Bearer",
                                                               "X-SavePets-Session-Refused": exc.reason}) from None
        with acting_as(actor):
            yield principal

    return dependency


# ------------------------------------------------------------------------------------------------ member sessions
SESSION_PREFIX = "sps"
SESSION_META = "staff_session:"  # + the session's id: the registry's meta table (key: 64 characters at most)
SESSION_MAX = timedelta(hours=12)  # a session ends this long after its sign-in, used or not
TOUCH_EVERY = timedelta(seconds=10)  # how often a use is written (the idle time is minutes)


class SessionRefused(Exception):
    """A member's session that does not act: reason unknown | other_device | expired | disabled."""

    def __init__(self, message: str, reason: str):
        super().__init__(message)
        self.message, self.reason = message, reason


@dataclass(frozen=True)
class Opened:
    token: str
    id: str
    expires_at: datetime  # if used at least every idle period: the session's end (SESSION_MAX)
    idle_minutes: int


def _split_session(token: str) -> tuple[str, str] | None:
    parts = (token or "").strip().split("_", 2)
    if len(parts) != 3 or parts[0] != SESSION_PREFIX or len(parts[1]) != 16 or not 20 <= len(parts[2]) <= 64:
        return None
    if not all(c in "0123456789abcdef" for c in parts[1]):
        return None
    return parts[1], parts[2]


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class StaffSessions:
    """Members' sessions on staff phones, in the registry's `meta` table: {secret's sha256, member, device, key,
    opened, last used}. The secret (256 bits, random) is never stored; one indexed read checks a token."""

    def __init__(self, db: Database, idle_minutes: int, clock: Callable[[], datetime] = utcnow):
        self.db = db
        self.idle = timedelta(minutes=idle_minutes)
        self.idle_minutes = idle_minutes
        self.clock = clock

    def open(self, member: Actor, principal: Principal) -> Opened:
        """A new session of `member` on the device of `principal` (its PIN checked by the caller)."""
        sid, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
        now = self.clock()
        value = {"hash": _digest(secret), "member": member.id, "device": principal.device_id,
                 "key": principal.key_id, "opened": now.isoformat(), "used": now.isoformat()}
        with self.db.session() as s:
            self._purge(s, now)
            s.add(Meta(key=SESSION_META + sid, value=json.dumps(value)))
        return Opened(f"{SESSION_PREFIX}_{sid}_{secret}", sid, now + SESSION_MAX, self.idle_minutes)

    def _purge(self, s, now: datetime) -> None:
        """Sessions past their time: removed when a new one opens."""
        rows = s.execute(select(Meta.key, Meta.value).where(Meta.key.like(SESSION_META + "%"))).all()
        dead = [key for key, value in rows if self._ended(_load(value), now)]
        if dead:
            s.execute(delete(Meta).where(Meta.key.in_(dead)))

    def _ended(self, row: dict | None, now: datetime) -> str | None:
        if row is None:
            return "unknown"
        try:
            opened, used = datetime.fromisoformat(row["opened"]), datetime.fromisoformat(row["used"])
        except (KeyError, TypeError, ValueError):
            return "unknown"
        if now - used > self.idle:
            return f"unused for more than {self.idle_minutes} minute{'s' if self.idle_minutes != 1 else ''}"
        if now - opened > SESSION_MAX:
            return f"open for more than {int(SESSION_MAX.total_seconds() // 3600)} hours"
        return None

    def _find(self, s, token: str) -> tuple[str, dict | None]:
        parts = _split_session(token)
        if parts is None:
            return "", None
        sid, secret = parts
        meta = s.get(Meta, SESSION_META + sid)
        row = _load(meta.value) if meta is not None else None
        if row is None or not hmac.compare_digest(str(row.get("hash", "")), _digest(secret)):
            return sid, None
        return sid, row

    def check(self, token: str, principal: Principal) -> Actor:
        """The member a session acts as on this request, or SessionRefused. Their account is read each time; an
        ended session or a disabled member's is removed (committed before the refusal)."""
        now = self.clock()
        refusal: SessionRefused | None = None
        with self.db.session() as s:
            sid, row = self._find(s, token)
            if row is None:
                raise SessionRefused("The staff session is not valid or has ended: sign in with your PIN again.",
                                     "unknown")
            if row.get("device") != principal.device_id:
                raise SessionRefused("This staff session belongs to another device: sign in on this one.",
                                     "other_device")
            ended = self._ended(row, now)
            member = s.get(StaffMember, row.get("member")) if not ended else None
            if ended:
                refusal = SessionRefused(f"The staff session has ended ({ended}): sign in with your PIN again.",
                                         "expired")
            elif member is None or member.disabled_at is not None:
                refusal = SessionRefused("This staff account is disabled: an administrator can enable it.",
                                         "disabled")
            if refusal is not None:
                s.execute(delete(Meta).where(Meta.key == SESSION_META + sid))
            else:
                if now - datetime.fromisoformat(row["used"]) >= TOUCH_EVERY:
                    row["used"] = now.isoformat()
                    s.merge(Meta(key=SESSION_META + sid, value=json.dumps(row)))
                actor = Actor("staff", member.id, member.name, member.role, org=principal.org_id or None,
                              device=principal.device_id or None, via=principal.role.value)
        if refusal is not None:
            raise refusal
        return actor

    def member_of(self, token: str, principal: Principal) -> Actor | None:
        """The member of a session of this device (ended or not), or None (for DELETE)."""
        with self.db.sessions() as s:
            _sid, row = self._find(s, token)
            if row is None or row.get("device") != principal.device_id:
                return None
            member = s.get(StaffMember, row.get("member"))
            return Actor("staff", member.id, member.name, member.role) if member is not None else None

    def close(self, token: str, principal: Principal) -> Actor | None:
        """Ends a session of this device; its member, or None when there was none."""
        who = self.member_of(token, principal)
        if who is not None:
            with self.db.session() as s:
                s.execute(delete(Meta).where(Meta.key == SESSION_META + _split_session(token)[0]))
        return who


def _load(value: str) -> dict | None:
    try:
        row = json.loads(value)
    except ValueError:
        return None
    return row if isinstance(row, dict) else None


def staff_sessions(request: Request) -> StaffSessions:
    """The app's StaffSessions (made on first use, on the service's registry and the idle time of the settings)."""
    state = request.app.state
    found = getattr(state, "staff_sessions", None)
    if found is None:
        found = state.staff_sessions = StaffSessions(state.savepets.db, state.settings.lock_after_minutes)
    return found


def photo_url(sha256: str) -> str:
    """The path of a stored photo (the route GET /v1/photos/{sha256} in sync/server/routes.py), relative to the
    server's base URL so that it holds behind a reverse proxy."""
    return f"/v1/photos/{sha256}"


def with_photo_urls(dog: DogOut) -> DogOut:
    return dog.model_copy(update={"photos": [p.model_copy(update={"url": photo_url(p.sha256)}) for p in dog.photos]})


@dataclass(frozen=True)
class Viewer:
    """Who reads, as presenting a dog needs it: the key, and for the app (mobile) its device's verified phone (the
    keyed hash, POST /v1/me/phone/verify) with the function that hashes an owner's phone the same way."""

    principal: Principal
    own_phone_hash: str | None = None
    hash_phone: Callable[[str], str] | None = None

    def owns(self, dog: DogOut) -> bool:
        """Whether `dog`'s owner is the app's verified phone."""
        phone = dog.owner.phone
        if not self.own_phone_hash or self.hash_phone is None or not phone or "*" in phone:
            return False
        try:
            return hmac.compare_digest(self.hash_phone(phone), self.own_phone_hash)
        except InvalidPhone:
            return False


async def viewer_of(principal: Principal, runner: LocalRunner, sp: SavePets) -> Viewer:
    """The Viewer of a request (one read of the device for an app's key, nothing for staff)."""
    if principal.role != Role.MOBILE:
        return Viewer(principal)
    return Viewer(principal, await runner.call(sp.verified_phone_hash), sp.phone_hash_of)


def present(dog: DogOut, who: Viewer | Principal, candidate: bool = False) -> DogOut:
    """`dog` as this caller may see it, each photo with its ``url``:

    - admin keys: everything;
    - staff keys (kiosk, vet): their organisation's dogs in full; another organisation's with the owner redacted
      (``owner.redacted``, ``owner.contact`` says how to ask: POST /v1/dogs/{key}/contact) and no notes;
    - the app (mobile): its verified phone's own dogs with the owner in full; anyone else's with the owner's phone
      and name masked (``010-****-8765``, ``홍*동``), or no owner at all for a look-up's candidate (`candidate`);
      never notes.
    """
    viewer = who if isinstance(who, Viewer) else Viewer(who)
    role, dog = viewer.principal.role, with_photo_urls(dog)
    if role == Role.ADMIN:
        return dog
    if role in (Role.KIOSK, Role.VET):
        return dog if dog.org_id and dog.org_id == viewer.principal.org_id else dog.redacted()
    if viewer.owns(dog):
        return dog.model_copy(update={"notes": ""})
    return dog.anonymous() if candidate else dog.public()


def present_candidate(c: CandidateOut, who: Viewer | Principal) -> CandidateOut:
    """A look-up's (or a registration's look-alike's) candidate: for the public, no owner at all."""
    return c.model_copy(update={"dog": present(c.dog, who, candidate=True)})
