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
"""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from fastapi import Depends, HTTPException, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from core.actors import Actor, acting_as
from core.errors import InvalidPhone
from core.schemas import CandidateOut, DogOut
from core.settings import Settings
from core.usecases import SavePets
from sync.server.keys import KeyStore, Principal, Role, key_id_of
from sync.server.limits import AuthGuard, retry_after
from sync.server.runner import LocalRunner

__all__ = ["FULL_VIEW", "Principal", "Role", "get_runner", "get_service", "get_settings", "key_actor", "photo_url",
           "present", "present_candidate", "require_role", "viewer_of", "Viewer", "with_photo_urls"]

# Roles that see owners' phone numbers in full: staff at a shelter or clinic, and the operator.
FULL_VIEW = frozenset({Role.ADMIN, Role.KIOSK, Role.VET})

_bearer = HTTPBearer(auto_error=False, description="Authorization: Bearer sp_<keyid>_<secret>")
_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="Alternative to the Bearer header")


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


def require_role(*roles: Role | str) -> Callable[..., AsyncIterator[Principal]]:
    allowed = frozenset(Role(r) for r in roles)

    async def dependency(principal: Principal = Depends(_authenticate)) -> AsyncIterator[Principal]:
        # async, so that the actor is set in the request's own context (a plain def would run in a worker thread,
        # whose context ends with it); the endpoint, runner.call and the thread pool all run in copies of it
        if allowed and principal.role not in allowed:
            names = ", ".join(sorted(r.value for r in allowed))
            raise HTTPException(403, f"A {principal.role.value} key may not do this (allowed: {names}).")
        with acting_as(key_actor(principal)):
            yield principal

    return dependency


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
