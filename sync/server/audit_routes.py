"""/v1/audit: the audit trail over HTTP, for administrators (admin keys only). A thin layer over
core.usecases.SavePets.audit_trail (core/audit.py): the same filters as `savepets audit`, newest first. Bad filters
are answered 422 with the field named (``details.field``), as every invalid input."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from core.audit import AuditPage
from core.usecases import SavePets
from sync.server.deps import Principal, Role, get_runner, get_service, require_role
from sync.server.errors import ERROR_RESPONSES
from sync.server.runner import LocalRunner

router = APIRouter(prefix="/v1", responses=ERROR_RESPONSES, tags=["audit"])


@router.get("/audit", response_model=AuditPage)
async def audit_trail(
    dog: Annotated[str | None, Query(max_length=64, description="A dog's id or registration number")] = None,
    who: Annotated[str | None, Query(max_length=140, description=(
        "An actor's id or name, or kind:name as listed (staff:kim, api_key:3f9c0a1b2c4d, cli:ops)"))] = None,
    since: Annotated[str | None, Query(max_length=40, description=(
        "From this date (YYYY-MM-DD, the server's local midnight) or ISO date-time (2026-11-26T09:00+09:00) on"))]
    = None,
    action: Annotated[str | None, Query(max_length=32, description=(
        "Only this action: lookup, contact_view, contact_alert, dog_view, photo_view, register, register_refused, "
        "phone_verify, edit, status, delete, review, owner_export, owner_erase, backup, restore, sign_in, "
        "sign_in_failed, lockout, lock, sign_out, user_add, user_disable, user_reset_pin, settings, audit_purge"))]
    = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    _principal: Principal = Depends(require_role(Role.ADMIN)),
    runner: LocalRunner = Depends(get_runner),
    sp: SavePets = Depends(get_service),
) -> AuditPage:
    """Who looked up, saw, registered, changed or removed what, when and from which device (kiosk entries arrive
    with sync, under the kiosk's device id), newest first. Entries never hold an owner's name, phone or notes."""
    entries = await runner.call(sp.audit_trail, dog=dog, who=who, since=since, action=action, limit=limit,
                                offset=offset)
    return AuditPage(count=len(entries), entries=entries)
