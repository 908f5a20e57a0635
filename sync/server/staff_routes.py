"""/v1/staff/sign-in: a staff phone of the web app (a device enrolled as kiosk or vet, sync/server/webapp.py) asks for
a staff member's name and PIN before its pages open, as the kiosk does (core/staff.py, through the service's
`staff`: the same accounts, the same lock-outs after wrong PINs, each sign-in and each refusal on the audit trail).

The accounts are the server's own (`savepets users add --db <the server's database>`); a server with none asks for
no PIN. The API calls after a sign-in still act as the device's key: the PIN keeps a phone left on a desk closed, it
does not name the member on each later entry of the trail (the sign-in entry does).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from core.usecases import SavePets
from sync.server.deps import Principal, Role, get_runner, get_service, require_role
from sync.server.errors import ERROR_RESPONSES, ErrorOut
from sync.server.runner import LocalRunner

router = APIRouter(prefix="/v1/staff", tags=["staff"], responses=ERROR_RESPONSES)
STAFF_KEYS = require_role(Role.ADMIN, Role.KIOSK, Role.VET)


class SignInIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(..., min_length=1, max_length=100, description="The staff member's name (or account id)")
    pin: str = Field(..., min_length=1, max_length=32, description="Their PIN")


class SignInState(BaseModel):
    accounts: bool = Field(..., description="Whether this server has staff accounts: its staff phones ask for a PIN")


class SignedIn(BaseModel):
    name: str
    role: str = Field(..., description="staff or admin")


@router.get("/sign-in", response_model=SignInState)
async def sign_in_state(_principal: Principal = Depends(STAFF_KEYS), runner: LocalRunner = Depends(get_runner),
                        sp: SavePets = Depends(get_service)) -> SignInState:
    """Whether a staff phone asks for a member's name and PIN (the server has staff accounts)."""
    return SignInState(accounts=await runner.call(sp.staff.exists))


REFUSED = {400: {"model": ErrorOut, "description": "Unknown or disabled account, a wrong PIN (details.tries_left) or a "
                                                  "locked one (details.seconds)"}}


@router.post("/sign-in", response_model=SignedIn, responses=REFUSED)
async def sign_in(body: SignInIn, _principal: Principal = Depends(STAFF_KEYS),
                  runner: LocalRunner = Depends(get_runner), sp: SavePets = Depends(get_service)) -> SignedIn:
    """A staff member's name and PIN, checked as the kiosk checks them: 400 `sign_in_failed` (details.reason:
    unknown, disabled, wrong_pin with tries_left) or `account_locked` (details.seconds) after wrong PINs."""
    member = await runner.call(sp.staff.verify, body.name, body.pin)
    return SignedIn(name=member.name, role=member.role or "staff")
