"""/v1/lost, /v1/found, /v1/reunions: reunite over HTTP, a thin layer over core/service/reunite.py.

- Lost reports: any key reports a dog lost (staff keys: any dog; the app's key: its verified owner's own dogs, the
  service checks), lists and reads them (the app: its own dogs' reports), withdraws them or marks the dog home.
- Found cases: a staff key's intake of a stray, or a finder's report through the app (multipart, 1 to 5 nose
  photos). The recognition runs in the worker pool as a look-up does. A finder's answer holds no owner and no dog:
  whether the dog is registered and whether its owner is being told, in words. Listing, reading and closing cases
  is for staff keys.
- Possible reunions: what recognition put together between a found case and a registered dog, for a person to
  compare (`found_photos` beside `dog.photos`, each with its `url`) and confirm or reject. Staff keys only; a kiosk
  or vet key sees and decides only its organisation's found cases. Confirming reunites the case, ends the dog's lost
  report as home, sets the dog's status to found and queues the owner's message.

Every dog shown is presented to its reader as the /v1/dogs routes do (sync/server/deps.present): another
organisation's owner redacted for staff keys. Errors are the API's: 404 unknown id or dog, 403 not this key's to
do, 422 invalid input or a state that does not allow it (e.g. a report withdrawn already).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Form, Path, Query, Response, UploadFile
from pydantic import BaseModel, create_model

from core.errors import PhotosRejected
from core.schemas import FoundCaseOut, FoundIn, FoundPhotoOut, LostIn, LostReportOut, ReunionOut
from core.usecases import MAX_LOOKUP_PHOTOS, SavePets
from sync.server.deps import (
    Principal,
    Role,
    Viewer,
    get_runner,
    get_service,
    photo_url,
    present,
    require_role,
    viewer_of,
)
from sync.server.errors import ERROR_RESPONSES, ErrorOut
from sync.server.idempotency import IdemKey, answer, fingerprint
from sync.server.routes import _read, only_fields
from sync.server.runner import LocalRunner

router = APIRouter(prefix="/v1", responses=ERROR_RESPONSES)

STAFF = require_role(Role.ADMIN, Role.KIOSK, Role.VET)
ANY_KEY = require_role()
Id = Annotated[str, Path(min_length=1, max_length=36, description="The id (as the lists give it)")]
Limit = Annotated[int, Query(ge=1, le=500, description="At most this many, newest first")]

NOT_FOUND = {404: {"model": ErrorOut, "description": "No such report, case, reunion or dog"}}
NOT_YOURS = {403: {"model": ErrorOut, "description": "The key's role may not do this, or not to this dog or case "
                                                     "(another owner's dog; another organisation's case)"}}
ENDED = {422: {"model": ErrorOut, "description": "Invalid input, or the report, case or reunion is not open any "
                                                 "more (`details.state`); nothing was changed"}}

# The found form is FoundIn's own fields, not a copy; FoundIn itself is built from it (its cross-field checks).
FoundForm = create_model("FoundForm", **{name: (f.annotation, f) for name, f in FoundIn.model_fields.items()})
FOUND_FIELDS = frozenset(FoundForm.model_fields) | {"photo", "photos"}


class LostReportList(BaseModel):
    items: list[LostReportOut]


class FoundCaseList(BaseModel):
    items: list[FoundCaseOut]


class ReunionList(BaseModel):
    items: list[ReunionOut]


def _state(value: str) -> str | None:
    return None if value == "all" else value


def _photos(photos: list[FoundPhotoOut]) -> list[FoundPhotoOut]:
    return [p.model_copy(update={"url": photo_url(p.sha256)}) for p in photos]


def present_reunion(r: ReunionOut, viewer: Viewer) -> ReunionOut:
    """A reunion as this reader may see it: the dog presented (another organisation's owner redacted), every photo
    with its `url`."""
    return r.model_copy(update={"dog": present(r.dog, viewer), "found_photos": _photos(r.found_photos)})


def present_case(c: FoundCaseOut, viewer: Viewer) -> FoundCaseOut:
    """A found case as this reader may see it. The public (a finder, mobile key): the case, its photos and the
    message only; no reunion, no dog, no notes, nothing of any owner. A kiosk or vet key gets the reunions it may see
    (core/service/reunite.py: its organisation's cases', and a finder's case's with its organisation's dog)."""
    role = viewer.principal.role
    if role == Role.MOBILE:
        return c.model_copy(update={"reunions": [], "dog_id": None, "notes": "", "photos": _photos(c.photos)})
    return c.model_copy(update={"photos": _photos(c.photos),
                                "reunions": [present_reunion(r, viewer) for r in c.reunions]})


# ---------------------------------------------------------------------------------------------- lost reports
@router.post("/lost", status_code=201, response_model=LostReportOut, tags=["lost"],
             responses={**NOT_FOUND, **NOT_YOURS})
async def report_lost(
    response: Response,
    report: LostIn,
    principal: Principal = Depends(ANY_KEY),
    runner: LocalRunner = Depends(get_runner),
    sp: SavePets = Depends(get_service),
    idempotency_key: IdemKey = None,
) -> LostReportOut:
    """Report a registered dog lost: `dog` (its id or registration number), `lost_at` (ISO 8601 with its zone, not
    in the future), `place` (1 to 200 characters) and optionally `lat` and `lon` (both or neither), how the owner
    is told of a match (`channel` sms to `contact_phone`, the owner's registered phone when not given, or email to
    `contact_email`), in which `language` (ko, en), and whether possible matches are told too (`notify_possible`).

    The open found cases are searched for the dog at once; possible reunions appear in `GET /v1/reunions`. The
    dog's status becomes lost. 201 with Location. Staff keys report any dog; the app's key only its verified
    owner's own dogs (403). 404 for an unknown dog; 422 for a dog with an open report already, or a bad field
    (`details.errors[].field`). An `Idempotency-Key` header works as for `POST /v1/dogs`."""

    async def work() -> tuple[LostReportOut, dict[str, str]]:
        out = await runner.call(sp.report_lost, report)
        return out, {"Location": f"/v1/lost/{out.id}"}

    return await answer(runner, sp.db, principal, idempotency_key,
                        fingerprint("lost", report.model_dump(mode="json"), []), work, 201, response)


@router.get("/lost", response_model=LostReportList, tags=["lost"])
async def list_lost(
    state: Literal["open", "withdrawn", "home", "all"] = "open",
    limit: Limit = 100,
    principal: Principal = Depends(ANY_KEY),
    runner: LocalRunner = Depends(get_runner),
    sp: SavePets = Depends(get_service),
) -> LostReportList:
    """Lost reports in `state` (default open; `all`), the most recently lost first. The owner's contact comes
    masked. The app's key sees its verified owner's own dogs' reports only (none before its phone is verified)."""
    return LostReportList(items=await runner.call(sp.lost_reports, _state(state), limit))


@router.get("/lost/{report_id}", response_model=LostReportOut, tags=["lost"], responses={**NOT_FOUND, **NOT_YOURS})
async def get_lost(report_id: Id, principal: Principal = Depends(ANY_KEY), runner: LocalRunner = Depends(get_runner),
                   sp: SavePets = Depends(get_service)) -> LostReportOut:
    """One lost report (the app's key: only of its verified owner's own dogs)."""
    return await runner.call(sp.lost_report, report_id)


@router.post("/lost/{report_id}/withdraw", response_model=LostReportOut, tags=["lost"],
             responses={**NOT_FOUND, **NOT_YOURS, **ENDED})
async def withdraw_lost(report_id: Id, principal: Principal = Depends(ANY_KEY),
                        runner: LocalRunner = Depends(get_runner),
                        sp: SavePets = Depends(get_service)) -> LostReportOut:
    """The owner takes the report back (found the dog themselves, reported by mistake): the report is withdrawn and
    the dog's status home. 422 when the report is not open (withdrawn or home already)."""
    return await runner.call(sp.end_lost, report_id, "withdrawn")


@router.post("/lost/{report_id}/home", response_model=LostReportOut, tags=["lost"],
             responses={**NOT_FOUND, **NOT_YOURS, **ENDED})
async def lost_home(report_id: Id, principal: Principal = Depends(ANY_KEY), runner: LocalRunner = Depends(get_runner),
                    sp: SavePets = Depends(get_service)) -> LostReportOut:
    """The dog is home: the report ends as home and the dog's status becomes home. 422 when the report is not
    open."""
    return await runner.call(sp.end_lost, report_id, "home")


# ---------------------------------------------------------------------------------------------- found cases
@router.post("/found", status_code=201, response_model=FoundCaseOut, tags=["found"],
             responses={413: {"model": ErrorOut, "description": "The upload is too large"}},
             dependencies=[only_fields(FOUND_FIELDS)])
async def open_found(
    response: Response,
    form: Annotated[FoundForm, Form()],
    photo: Annotated[list[UploadFile] | None, File(description="A nose photo (JPEG or PNG); may be repeated")] = None,
    photos: Annotated[list[UploadFile] | None, File(description=(
        f"Nose photos of the found dog, the field repeated: 1 to {MAX_LOOKUP_PHOTOS} in all with `photo`"))] = None,
    principal: Principal = Depends(ANY_KEY),
    runner: LocalRunner = Depends(get_runner),
    sp: SavePets = Depends(get_service),
    idempotency_key: IdemKey = None,
) -> FoundCaseOut:
    """A dog found without its owner, from 1 to 5 nose photos and where and when it was found (`found_at`: ISO
    8601 with its zone, not in the future; `place`: 1 to 200 characters; `lat` and `lon`: both or neither;
    `notes`; `contact`: the finder's phone or e-mail, optional).

    A staff key opens a shelter's intake (held until `hold_until`, `days_left`); the app's key a finder's report.
    The dog is searched at once among the dogs reported lost, then among all dogs: `registered` says whether it is
    surely a registered dog, `owner_told` whether a message to its owner is on its way, `message` in words. Staff
    keys get the possible reunions (`reunions`, each dog presented as by `GET /v1/dogs/{key}`); the app's key gets
    no reunion, no dog and nothing of any owner. 422 for 0 or more than 5 photos (`details.count`), an unusable
    photo (`details.problems[].index`, or `details.index` for a file that is no image) or a bad field. An
    `Idempotency-Key` header works as for `POST /v1/dogs`."""
    uploads = [*(photo or []), *(photos or [])]
    if not 1 <= len(uploads) <= MAX_LOOKUP_PHOTOS:
        raise PhotosRejected(f"A found dog takes 1 to {MAX_LOOKUP_PHOTOS} nose photos; got {len(uploads)}.",
                             count=len(uploads))
    found = FoundIn(**form.model_dump())  # FoundIn's own checks (lat with lon); a ValidationError is a 422
    read = await _read(uploads)

    async def work() -> tuple[FoundCaseOut, dict[str, str]]:
        out = await runner.open_found_case(found, read)
        shown = present_case(out, await viewer_of(principal, runner, sp))
        return shown, ({} if principal.role == Role.MOBILE else {"Location": f"/v1/found/{out.id}"})

    return await answer(runner, sp.db, principal, idempotency_key,
                        fingerprint("found", found.model_dump(mode="json"), read), work, 201, response)


@router.get("/found", response_model=FoundCaseList, tags=["found"])
async def list_found(
    state: Literal["open", "reunited", "closed", "all"] = "open",
    limit: Limit = 100,
    principal: Principal = Depends(STAFF),
    runner: LocalRunner = Depends(get_runner),
    sp: SavePets = Depends(get_service),
) -> FoundCaseList:
    """Found cases in `state` (default open; `all`), the most recently found first, each with its photos (`url`),
    `days_left` of the holding period and its reunions (kiosk and vet keys: only in their organisation's cases).
    Staff keys only: every organisation's cases."""
    cases = await runner.call(sp.found_cases, _state(state), limit)
    viewer = await viewer_of(principal, runner, sp)
    return FoundCaseList(items=[present_case(c, viewer) for c in cases])


@router.get("/found/{case_id}", response_model=FoundCaseOut, tags=["found"], responses=NOT_FOUND)
async def get_found(case_id: Id, principal: Principal = Depends(STAFF), runner: LocalRunner = Depends(get_runner),
                    sp: SavePets = Depends(get_service)) -> FoundCaseOut:
    """One found case with its photos and reunions (kiosk and vet keys: only in their organisation's cases). Staff
    keys only."""
    return present_case(await runner.call(sp.found_case, case_id), await viewer_of(principal, runner, sp))


@router.post("/found/{case_id}/close", response_model=FoundCaseOut, tags=["found"],
             responses={**NOT_FOUND, **NOT_YOURS, **ENDED})
async def close_found(case_id: Id, principal: Principal = Depends(STAFF), runner: LocalRunner = Depends(get_runner),
                      sp: SavePets = Depends(get_service)) -> FoundCaseOut:
    """Close an open found case without a reunion (adopted, holding period over, opened by mistake). Kiosk and vet
    keys: their organisation's cases only (403). 422 when the case is not open."""
    return present_case(await runner.call(sp.close_found_case, case_id), await viewer_of(principal, runner, sp))


# ---------------------------------------------------------------------------------------------- reunions
@router.get("/reunions", response_model=ReunionList, tags=["reunions"])
async def list_reunions(
    state: Literal["possible", "confirmed", "rejected", "all"] = "possible",
    limit: Limit = 100,
    principal: Principal = Depends(STAFF),
    runner: LocalRunner = Depends(get_runner),
    sp: SavePets = Depends(get_service),
) -> ReunionList:
    """Reunions in `state` (default possible: those of open found cases): sure (`decision` match) first, then
    likely (uncertain), then the lost dogs merely closest to a found dog (no_match: compared only if nothing better
    fits), the newest cases first within each. Each with the registered dog (presented as by `GET /v1/dogs/{key}`,
    its photos with `url`), the found case's photos (`found_photos`, with `url`) to compare, the score,
    `probability`, `decision` and `source` (lost: found among dogs reported lost; registry: among all dogs). Staff
    keys; kiosk and vet keys see their organisation's found cases' reunions, and a finder's case's of their dogs."""
    rows = await runner.call(sp.reunions, _state(state), limit)
    viewer = await viewer_of(principal, runner, sp)
    return ReunionList(items=[present_reunion(r, viewer) for r in rows])


@router.get("/reunions/{reunion_id}", response_model=ReunionOut, tags=["reunions"],
            responses={**NOT_FOUND, **NOT_YOURS})
async def get_reunion(reunion_id: Id, principal: Principal = Depends(STAFF), runner: LocalRunner = Depends(get_runner),
                      sp: SavePets = Depends(get_service)) -> ReunionOut:
    """One reunion. Staff keys; kiosk and vet keys only of their organisation's found cases (403)."""
    out = await runner.call(sp.reunion, reunion_id)
    return present_reunion(out, await viewer_of(principal, runner, sp))




async def _decide(reunion_id: str, confirm: bool, principal: Principal, runner: LocalRunner,
                  sp: SavePets) -> ReunionOut:
    out = await runner.call(sp.decide_reunion, reunion_id, confirm)
    return present_reunion(out, await viewer_of(principal, runner, sp))


@router.post("/reunions/{reunion_id}/confirm", response_model=ReunionOut, tags=["reunions"],
             responses={**NOT_FOUND, **NOT_YOURS, **ENDED})
async def confirm_reunion(reunion_id: Id, principal: Principal = Depends(STAFF),
                          runner: LocalRunner = Depends(get_runner), sp: SavePets = Depends(get_service)) -> ReunionOut:
    """A person compared the photos: the same dog. The found case becomes reunited (its other possible reunions
    rejected), the dog's open lost report ends as home, the dog's status becomes found, and the owner's message is
    queued. Kiosk and vet keys: their organisation's found cases only (403). 422 when the reunion is decided
    already or its case is not open."""
    return await _decide(reunion_id, True, principal, runner, sp)


@router.post("/reunions/{reunion_id}/reject", response_model=ReunionOut, tags=["reunions"],
             responses={**NOT_FOUND, **NOT_YOURS, **ENDED})
async def reject_reunion(reunion_id: Id, principal: Principal = Depends(STAFF),
                         runner: LocalRunner = Depends(get_runner), sp: SavePets = Depends(get_service)) -> ReunionOut:
    """A person compared the photos: not the same dog. The reunion is rejected; the case stays open. Kiosk and vet
    keys: their organisation's found cases only (403). 422 when the reunion is decided already."""
    return await _decide(reunion_id, False, principal, runner, sp)

