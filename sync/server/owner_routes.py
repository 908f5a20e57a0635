"""/v1/owners: an owner's rights over their data, over HTTP: a copy of everything held about them (export) and
erasure on request (core/owner_rights.py). Admin keys only. The phone travels in the JSON body, not the URL, so
that it stays out of access logs. Errors as the rest of the API: 404 no owner with that phone (or erased
already), 422 a bad phone or body (`confirm` missing), 403 a key that is not an admin's.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from core.owner_rights import ErasureResult, OwnerExport
from core.usecases import SavePets
from sync.server.deps import Principal, Role, get_runner, get_service, require_role
from sync.server.errors import ERROR_RESPONSES, ErrorOut
from sync.server.runner import LocalRunner

router = APIRouter(prefix="/v1", responses=ERROR_RESPONSES, tags=["owners"])
ADMINS = require_role(Role.ADMIN)
NO_OWNER = {404: {"model": ErrorOut, "description": "No owner with this phone (or erased already)"}}


class OwnerRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    phone: str = Field(..., min_length=1, max_length=32, description="The owner's phone, any format",
                       examples=["010-1234-5678"])


class ErasureRequest(OwnerRequest):
    confirm: Literal[True] = Field(..., description="true: erase, knowing it cannot be undone")


@router.post("/owners/export", response_model=OwnerExport, responses=NO_OWNER)
async def export_owner(req: OwnerRequest, principal: Principal = Depends(ADMINS),
                       runner: LocalRunner = Depends(get_runner), sp: SavePets = Depends(get_service)) -> OwnerExport:
    """Everything the registry holds about the owner of `phone`: the owner, their dogs (removed ones too, with
    `removed_at`) with registration numbers, and each dog's photos by SHA-256 (`GET /v1/photos/{sha256}`)."""
    return await runner.call(sp.export_owner, req.phone)


@router.post("/owners/erase", response_model=ErasureResult, responses=NO_OWNER)
async def erase_owner(req: ErasureRequest, principal: Principal = Depends(ADMINS),
                      runner: LocalRunner = Depends(get_runner), sp: SavePets = Depends(get_service)) -> ErasureResult:
    """Erase the owner of `phone`: their name and phone removed here and, through sync, on every kiosk; their
    dogs removed with photos and nose templates, except dogs in the shelter's care (status `found`), which stay
    registered without an owner (`kept`). Cannot be undone."""
    return await runner.call(sp.erase_owner, req.phone)
