"""Routes for the mobile web app's public visitors (web/, served at /app by sync/server/webapp.py).

- ``POST /v1/public/session`` (no key): a browser with no account gets its own API key: a new device of role
  ``mobile`` in the organisation named ``app`` (kind app, made on first use). The page keeps the key in its
  localStorage. A mobile key sees no owner's data until its phone is verified (POST /v1/me/phone), and every call it
  makes is limited and audited as any key's. New sessions are limited per client address (SESSIONS_PER_HOUR, in
  process memory) and each is on the audit trail (action app_session, the new device's id; never the address).
- ``POST /v1/photos/check`` (any key): one photo's quality, as the kiosk's camera checks it before a capture: the
  page's live guidance and auto-capture. Quality only: it never searches the registry, so it tells a visitor
  nothing about registered dogs.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections import deque
from typing import Annotated

from fastapi import APIRouter, Depends, File, HTTPException, Request, UploadFile
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core import audit
from core.actors import Actor
from core.photos import decode_photo
from core.registry.models import Organisation
from core.usecases import SavePets
from sync.server.deps import Principal, Role, get_runner, get_service, require_role
from sync.server.errors import ERROR_RESPONSES, ErrorOut
from sync.server.keys import KeyStore
from sync.server.limits import retry_after
from sync.server.runner import LocalRunner
from sync.server.transport import client_address

log = logging.getLogger(__name__)

router = APIRouter(prefix="/v1", responses=ERROR_RESPONSES)

APP_ORG = "app"  # the organisation of the web app's public devices (kind "app")
SESSIONS_PER_HOUR = 20  # new public sessions per client address


class SessionOut(BaseModel):
    key: str = Field(..., description="This browser's API key (role mobile): keep it; it is shown only now")
    device_id: str
    org_id: str
    role: str


class PhotoCheckOut(BaseModel):
    ok: bool = Field(..., description="Usable for a look-up or a registration")
    quality: float = Field(..., description="0 (unusable) to 1")
    reasons: list[str] = Field(..., description="Codes of what is wrong (blurry, dark, bright, glare, small, "
                                                "no_texture); empty when ok")
    message: str = Field(..., description="The reasons in English words, or 'good'")


class HourlyWindow:
    """At most `limit` events an hour per key (a sliding window, in process memory, bounded in size)."""

    MAX_KEYS = 50_000

    def __init__(self, limit: int, seconds: float = 3600.0):
        self.limit, self.seconds = limit, seconds
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """0 when allowed (and counted), else the seconds to wait."""
        now = time.monotonic()
        with self._lock:
            events = self._events.setdefault(key, deque())
            while events and events[0] <= now - self.seconds:
                events.popleft()
            if len(events) >= self.limit:
                return events[0] + self.seconds - now
            events.append(now)
            if len(self._events) > self.MAX_KEYS:
                self._events = {k: v for k, v in self._events.items() if v and v[-1] > now - self.seconds}
            return 0.0


def _window(request: Request) -> HourlyWindow:
    state = request.app.state
    if getattr(state, "public_sessions", None) is None:
        state.public_sessions = HourlyWindow(SESSIONS_PER_HOUR)
    return state.public_sessions


def _app_org_id(sp: SavePets) -> str:
    """The id of the organisation `app`, made (kind app) if missing; two requests making it at once both get it."""
    for _ in range(2):
        try:
            with sp.db.session() as s:
                org = s.scalar(select(Organisation).where(Organisation.name == APP_ORG))
                if org is None:
                    org = Organisation(name=APP_ORG, kind="app")
                    s.add(org)
                    s.flush()
                org_id = org.id
            return org_id
        except IntegrityError:  # made by another request at the same moment: read it
            continue
    raise RuntimeError("the app organisation could not be made")


@router.post("/public/session", status_code=201, response_model=SessionOut, tags=["app"],
             responses={429: {"model": ErrorOut, "description": "Too many new sessions from this address"}})
async def new_session(request: Request, runner: LocalRunner = Depends(get_runner),
                      sp: SavePets = Depends(get_service)) -> SessionOut:
    """A new public session for the web app (no key needed): an API key of role `mobile` for a new device of the
    organisation `app`. It sees no owner's data until its phone is verified (`POST /v1/me/phone`). At most
    20 new sessions an hour per client address (429 with Retry-After)."""
    wait = _window(request).take(client_address(request))
    if wait > 0:
        raise HTTPException(429, "Too many new sessions from this address; wait before trying again.",
                            headers={"Retry-After": retry_after(wait)})
    keys: KeyStore = request.app.state.keys

    def make() -> tuple[str, str, str]:
        org_id = _app_org_id(sp)
        name = f"Web app {secrets.token_hex(3)}"
        with sp.db.session() as s:
            info, key = keys.create(Role.MOBILE, name, org=org_id, session=s)
            actor = Actor("api_key", info.id, name, Role.MOBILE.value, org=org_id, device=info.device_id)
            audit.record(s, "app_session", actor=actor, device_id=sp.device_id, detail=f"device={info.device_id}")
        return info.device_id or "", org_id, key

    device_id, org_id, key = await runner.call(make)
    log.info("public session: new app device %s", device_id)
    return SessionOut(key=key, device_id=device_id, org_id=org_id, role=Role.MOBILE.value)


@router.post("/photos/check", response_model=PhotoCheckOut, tags=["photos"])
async def check_photo(photo: Annotated[UploadFile, File(description="One nose photo (JPEG or PNG)")],
                      _principal: Principal = Depends(require_role()), runner: LocalRunner = Depends(get_runner),
                      sp: SavePets = Depends(get_service)) -> PhotoCheckOut:
    """Whether one photo is usable (the quality check of a look-up and a registration), with the reasons in words
    when it is not. Nothing is stored or searched. 422 `invalid_photo` for a file that is no image."""
    data = await photo.read()

    def check() -> PhotoCheckOut:
        decoded = decode_photo(data, (photo.filename or "photo")[:80])
        quality = sp.engine.quality(decoded.image)
        return PhotoCheckOut(ok=quality.ok, quality=round(float(quality.score), 3), reasons=list(quality.reasons),
                             message=quality.describe())

    return await runner.call(check)
