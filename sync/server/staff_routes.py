"""/v1/staff: a staff phone of the web app (a device enrolled as kiosk or vet, sync/server/webapp.py) signs a staff
member in with their name and PIN, as the kiosk does (core/staff.py, through the service's `staff`: the same
accounts, the same lock-outs after wrong PINs, each sign-in and each refusal on the audit trail), and gets a member
session for the calls after it.

- `GET /v1/staff/sign-in`: whether the server has staff accounts (its staff phones ask for a PIN).
- `POST /v1/staff/session` (also `POST /v1/staff/sign-in`): name and PIN → a session token (`sps_...`). The page
  sends it on every later call with the device's key, as `X-SavePets-Session`; each call then acts as the member
  (sync/server/deps.py, `require_role`): the core's staff permissions apply (contacts masked, revealed one at a time)
  and every entry of the audit trail names the member. The session is bound to this device; it ends after the idle
  time (`lock_after_minutes`, the kiosk's) unused, 12 hours after the sign-in, with `DELETE`, and at once when the
  member is disabled or the device's key revoked (401).
- `GET /v1/staff/session`: the member a session acts as (401 when it does not).
- `DELETE /v1/staff/session`: the phone locks (on demand, or idle): the session ends, a `lock` entry names the member.

The accounts are the server's own (`savepets users add --db <the server's database>`); a server with none asks for
no PIN, and its staff phones act as their keys.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.security import APIKeyHeader
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from core.actors import current_actor
from core.usecases import SavePets
from sync.server.deps import SESSION_HEADER, Principal, Role, get_runner, get_service, require_role, staff_sessions
from sync.server.errors import ERROR_RESPONSES, ErrorOut
from sync.server.runner import LocalRunner

router = APIRouter(prefix="/v1/staff", tags=["staff"], responses=ERROR_RESPONSES)
STAFF_KEYS = require_role(Role.ADMIN, Role.KIOSK, Role.VET)
STAFF_KEYS_ONLY = require_role(Role.ADMIN, Role.KIOSK, Role.VET, sessions=False)  # a session header is not read
_session = APIKeyHeader(name=SESSION_HEADER, auto_error=False, scheme_name="StaffSession")


class SignInIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(..., min_length=1, max_length=100, description="The staff member's name (or account id)")
    pin: str = Field(..., min_length=1, max_length=32, description="Their PIN")


class SignInState(BaseModel):
    accounts: bool = Field(..., description="Whether this server has staff accounts: its staff phones ask for a PIN")


class SignedIn(BaseModel):
    name: str
    role: str = Field(..., description="staff or admin")
    id: str = Field("", description="The member's account id")
    session: str = Field("", description=f"The session token: send it as {SESSION_HEADER} with the device's key")
    idle_minutes: int = Field(0, description="The session ends after this many minutes unused (ask the PIN again)")
    expires_at: datetime | None = Field(None, description="The session ends at this time at the latest")


@router.get("/sign-in", response_model=SignInState)
async def sign_in_state(_principal: Principal = Depends(STAFF_KEYS_ONLY), runner: LocalRunner = Depends(get_runner),
                        sp: SavePets = Depends(get_service)) -> SignInState:
    """Whether a staff phone asks for a member's name and PIN (the server has staff accounts)."""
    return SignInState(accounts=await runner.call(sp.staff.exists))


REFUSED = {400: {"model": ErrorOut, "description": "Unknown or disabled account, a wrong PIN (details.tries_left) or a "
                                                  "locked one (details.seconds)"}}


@router.post("/session", response_model=SignedIn, responses=REFUSED)
@router.post("/sign-in", response_model=SignedIn, responses=REFUSED)
async def sign_in(body: SignInIn, request: Request, principal: Principal = Depends(STAFF_KEYS_ONLY),
                  runner: LocalRunner = Depends(get_runner), sp: SavePets = Depends(get_service)) -> SignedIn:
    """A staff member's name and PIN, checked as the kiosk checks them: 400 `sign_in_failed` (details.reason:
    unknown, disabled, wrong_pin with tries_left) or `account_locked` (details.seconds) after wrong PINs. Signed in:
    the member and a session token for this device (see the module's docstring)."""
    member = await runner.call(sp.staff.verify, body.name, body.pin)
    opened = await run_in_threadpool(staff_sessions(request).open, member, principal)
    return SignedIn(name=member.name, role=member.role or "staff", id=member.id, session=opened.token,
                    idle_minutes=opened.idle_minutes, expires_at=opened.expires_at)


@router.get("/session", response_model=SignedIn)
async def session_member(_principal: Principal = Depends(STAFF_KEYS)) -> SignedIn:
    """The member this request's session acts as (401 when the session has ended; 404 without one)."""
    actor = current_actor()
    if actor.kind != "staff":
        raise HTTPException(404, f"No staff session: send one as {SESSION_HEADER} (POST /v1/staff/session).")
    return SignedIn(name=actor.name, role=actor.role or "staff", id=actor.id)


@router.delete("/session", status_code=204, response_class=Response)
async def sign_out(request: Request, reason: str = "on_demand", principal: Principal = Depends(STAFF_KEYS_ONLY),
                   token: str | None = Depends(_session), sp: SavePets = Depends(get_service)) -> Response:
    """The phone locks (`reason`: on_demand or idle): the session ends (also one already ended; 204 either way)."""
    who = await run_in_threadpool(staff_sessions(request).close, token or "", principal)
    if who is not None:
        why = reason if reason in ("on_demand", "idle") else "on_demand"
        await run_in_threadpool(sp.staff.note, "lock", who, f"{why} device={principal.device_id}")
    return Response(status_code=204)
