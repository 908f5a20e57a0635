"""/v1/devices: a new device redeems its one-time enrollment code for its own API key (no key needed; wrong codes
count as failed key checks of the caller's address), and any device asks who it is (`GET /v1/devices/me`)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field

from sync.server.deps import Principal, get_runner, require_role
from sync.server.devices import Devices, UnknownCode
from sync.server.errors import ERROR_RESPONSES
from sync.server.limits import retry_after
from sync.server.runner import LocalRunner
from sync.server.transport import client_address

router = APIRouter(prefix="/v1/devices", tags=["devices"], responses=ERROR_RESPONSES)


class EnrollIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(..., min_length=8, max_length=40, description="The one-time code from savepets devices enroll")
    name: str | None = Field(None, max_length=100, description="This device's name (default: the code's)")


class EnrollOut(BaseModel):
    key: str = Field(..., description="This device's API key: keep it in the OS keyring; it is shown only now")
    device_id: str
    org_id: str
    org_name: str
    role: str
    name: str


class Me(BaseModel):
    key_id: str
    role: str
    device_id: str
    org_id: str


@router.post("/enroll", response_model=EnrollOut, status_code=201,
             responses={422: {"description": "The code is unknown, used, expired or mistyped"}})
async def enroll(body: EnrollIn, request: Request, runner: LocalRunner = Depends(get_runner)) -> EnrollOut:
    """Redeem a one-time enrollment code: a new device of the code's organisation and role, and its API key."""
    failures = request.app.state.auth_failures
    who = f"{client_address(request)} enroll"
    wait = failures.wait(who)
    if wait > 0:
        raise HTTPException(429, "Too many wrong enrollment codes from this address; wait before trying again.",
                            headers={"Retry-After": retry_after(wait)})
    devices = Devices(request.app.state.savepets.db)
    try:
        info, key = await runner.call(devices.redeem, body.code, request.app.state.keys, body.name)
    except UnknownCode:
        failures.take(who)
        raise
    return EnrollOut(key=key, device_id=info.id, org_id=info.org_id, org_name=info.org_name, role=info.role,
                     name=info.name)


@router.get("/me", response_model=Me)
async def me(principal: Principal = Depends(require_role())) -> Me:
    """The calling key's device and organisation."""
    return Me(key_id=principal.key_id, role=principal.role.value, device_id=principal.device_id,
              org_id=principal.org_id)
