"""The /v1 routes: a thin layer over core.usecases.SavePets. Every blocking call goes through the runner."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, HTTPException, Path, Query, Request, Response, UploadFile
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, create_model

from core import __version__
from core.errors import AlreadyRegistered, PhotosRejected
from core.recognition.base import Decision
from core.registry.models import DogStatus
from core.schemas import DogIn, DogOut, DogUpdate, LookupResult, OwnerIn, OwnerOut, RegisterResult
from core.service.dogs_and_owners import TooManyContacts
from core.settings import Settings
from core.usecases import MAX_LOOKUP_PHOTOS, REQUIRED_PHOTOS, SavePets
from sync.server.deps import (
    Principal,
    Role,
    get_runner,
    get_service,
    get_settings,
    present,
    present_candidate,
    require_role,
    viewer_of,
)
from sync.server.errors import ERROR_RESPONSES, ErrorOut
from sync.server.idempotency import IdemKey, answer, fingerprint
from sync.server.limits import retry_after
from sync.server.runner import LocalRunner

router = APIRouter(prefix="/v1", responses=ERROR_RESPONSES)
public = APIRouter(prefix="/v1")

STAFF = (Role.ADMIN, Role.KIOSK, Role.VET)
Key = Annotated[str, Path(min_length=1, max_length=64, description="The dog's id or registration number")]

# The register form is OwnerIn's and DogIn's own fields (owner's `name` renamed `owner_name`), not a copy.
RegisterForm = create_model(
    "RegisterForm",
    phone=(str, OwnerIn.model_fields["phone"]),
    owner_name=(str, OwnerIn.model_fields["name"]),
    **{name: (f.annotation, f) for name, f in DogIn.model_fields.items()},
)
REGISTER_FIELDS = frozenset(RegisterForm.model_fields) | {"photos"}


class StatusIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: DogStatus = Field(..., description="lost or found (any role); home or deceased (staff only)")


class ContactIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(..., min_length=5, max_length=200, description=(
        "Why the owner's contact is needed (kept on the audit trail, digits removed)"),
        examples=["Found wandering near the clinic; calling the owner"])


class Health(BaseModel):
    status: str
    version: str


class Ready(BaseModel):
    ready: bool
    database: bool
    engine: str | None
    gallery_templates: int | None
    task_backend: str


def only_fields(allowed: frozenset[str]):
    """Unknown multipart fields are refused like unknown JSON fields (extra="forbid")."""

    async def check(request: Request) -> None:
        extra = sorted(set((await request.form()).keys()) - allowed)
        if extra:
            raise RequestValidationError([{"type": "extra_forbidden", "loc": ("body", k),
                                           "msg": "Extra inputs are not permitted"} for k in extra])

    return Depends(check)


def _label(upload: UploadFile, index: int) -> str:
    name = (upload.filename or "").strip()[:80]
    return name or f"photo {index + 1}"


async def _read(uploads: list[UploadFile]) -> list[tuple[str, bytes]]:
    return [(_label(u, i), await u.read()) for i, u in enumerate(uploads)]


# ---------------------------------------------------------------------------------------------- public
@public.get("/health", response_model=Health, tags=["service"])
async def health() -> Health:
    """Liveness: the process answers. No key needed."""
    return Health(status="ok", version=__version__)


@public.get("/ready", response_model=Ready, tags=["service"],
            responses={503: {"model": Ready, "description": "Not ready: database or engine unavailable"}})
async def ready(request: Request, response: Response) -> Ready:
    """Readiness: the database answers and the recognition engine and gallery are loaded. No key needed."""
    sp: SavePets = request.app.state.savepets
    runner: LocalRunner = request.app.state.runner

    def probe() -> Ready:
        try:
            with sp.db.engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
            database = True
        except Exception:  # noqa: BLE001 - any failure means not ready
            database = False
        engine = f"{sp.engine.name} {sp.engine.version}" if sp.engine is not None else None
        templates = len(sp.gallery) if database else None  # loaded at start-up: no work here
        backend_ok = runner.check()
        return Ready(ready=database and engine is not None and templates is not None and backend_ok,
                     database=database, engine=engine, gallery_templates=templates,
                     task_backend=runner.describe())

    result = await runner.call(probe)
    if not result.ready:
        response.status_code = 503
    return result


# ---------------------------------------------------------------------------------------------- dogs
@router.post("/dogs", status_code=201, response_model=RegisterResult, tags=["dogs"],
             responses={409: {"model": ErrorOut, "description": "Surely registered: details.match is that dog"},
                        413: {"model": ErrorOut, "description": "The upload is too large"}},
             dependencies=[only_fields(REGISTER_FIELDS)])
async def register(
    response: Response,
    form: Annotated[RegisterForm, Form()],
    photos: Annotated[list[UploadFile], File(description=f"Exactly {REQUIRED_PHOTOS} nose photos (JPEG or PNG)")],
    principal: Principal = Depends(require_role()),
    runner: LocalRunner = Depends(get_runner),
    sp: SavePets = Depends(get_service),
    idempotency_key: IdemKey = None,
) -> RegisterResult:
    """Register a dog from exactly 5 nose photos, the owner's phone and the dog's details.

    201 with the new registration number. When registered dogs look alike without being a sure match, the dog is
    registered all the same and flagged for a person's review: `dog.needs_review` is true and
    `possible_duplicates` lists those dogs (owner phones masked, photos with their `url`).
    409 only when the nose is surely registered already (`details.match`); 422 when a photo is unusable
    (`details.problems`, or `details.index` for a file that is no image) or a field is invalid. A refused
    registration changes nothing. With an `Idempotency-Key` header a retry gets the first answer and registers
    nothing (the same key with another request: 422 `idempotency_key_reused`).
    """
    if len(photos) != REQUIRED_PHOTOS:
        raise PhotosRejected(f"Registration needs exactly {REQUIRED_PHOTOS} nose photos; got {len(photos)}.",
                             count=len(photos))
    owner = OwnerIn(phone=form.phone, name=form.owner_name)
    dog = DogIn(**form.model_dump(exclude={"phone", "owner_name"}))
    uploads = await _read(photos)

    async def work() -> tuple[RegisterResult, dict[str, str]]:
        try:
            result = await runner.register(owner, dog, uploads)
        except AlreadyRegistered as exc:
            match = exc.details.get("match") or {}
            if match.get("dog", {}).get("id"):
                found = (await runner.call(sp.get_dog, match["dog"]["id"]) if principal.role != Role.MOBILE
                         else DogOut.model_validate(match["dog"]))  # core masked it; the public gets no owner at all
                shown = present(found, await viewer_of(principal, runner, sp), candidate=True)
                exc.details["match"] = {**match, "dog": shown.model_dump(mode="json")}
            raise
        viewer = await viewer_of(principal, runner, sp)
        return result.model_copy(update={
            "dog": present(result.dog, viewer),
            "possible_duplicates": [present_candidate(c, viewer) for c in result.possible_duplicates]}), {
            "Location": f"/v1/dogs/{result.dog.id}"}

    return await answer(runner, sp.db, principal, idempotency_key,
                        fingerprint("register", form.model_dump(mode="json"), uploads), work, 201, response)


@router.post("/lookup", response_model=LookupResult, tags=["dogs"],
             dependencies=[only_fields(frozenset({"photo", "photos", "phone"}))])
async def lookup(
    response: Response,
    photo: Annotated[list[UploadFile] | None, File(description=(
        "A nose photo (JPEG or PNG); the field may be repeated"))] = None,
    photos: Annotated[list[UploadFile] | None, File(description=(
        f"Nose photos of the same dog, the field repeated: 1 to {MAX_LOOKUP_PHOTOS} in all with `photo`"))] = None,
    phone: Annotated[str | None, Form(max_length=32, description=(
        "Ignored (kept for older apps): the app sees its own dogs in full once its phone is verified "
        "(POST /v1/me/phone)"))] = None,
    principal: Principal = Depends(require_role()),
    runner: LocalRunner = Depends(get_runner),
    sp: SavePets = Depends(get_service),
    idempotency_key: IdemKey = None,
) -> LookupResult:
    """Identify a dog from 1 to 5 nose photos of the same dog, fused into one answer.

    `decision` is `match` (one dog is sure: `match` is the dog, its owner's contact and the score), `uncertain`
    (a person compares the candidates; `match` is the best) or `no_match` (not registered; `match` is null).
    `candidates`: on a sure match the match only, else the closest dogs for a person to compare, best first,
    each with its own `decision` (for a mobile key only when the answer is `uncertain`: a `no_match` does not
    list registered dogs to the public). The public (mobile keys) gets no owner in `match` or the candidates (but
    for the app's verified owner's own dogs); staff keys get other organisations' owners redacted.
    `reason` says why (`sure_match`, `close_second`, `weak_match`,
    `no_similar_dog`, `empty_registry`) and `message` in words. Every dog's photos carry a `url` (GET it with
    the same key) for comparing by eye.
    422 for 0 or more than 5 photos (`details.count`) or an unusable photo (`details.problems[].index`, or
    `details.index` for a file that is no image). An `Idempotency-Key` header works as for `POST /v1/dogs`.
    """
    uploads = [*(photo or []), *(photos or [])]
    if not 1 <= len(uploads) <= MAX_LOOKUP_PHOTOS:
        raise PhotosRejected(f"A look-up takes 1 to {MAX_LOOKUP_PHOTOS} photos of one dog; got {len(uploads)}.",
                             count=len(uploads))
    read = await _read(uploads)

    async def work() -> tuple[LookupResult, dict[str, str]]:
        result = await runner.lookup(read)
        public = principal.role == Role.MOBILE
        shown = result.candidates if not public or result.decision != Decision.NO_MATCH else []
        viewer = await viewer_of(principal, runner, sp)
        return result.model_copy(update={
            "match": present_candidate(result.match, viewer) if result.match else None,
            "candidates": [present_candidate(c, viewer) for c in shown]}), {}

    return await answer(runner, sp.db, principal, idempotency_key,
                        fingerprint("lookup", {"phone": phone}, read), work, 200, response)


@router.get("/dogs", response_model=list[DogOut], tags=["dogs"])
async def list_dogs(
    phone: Annotated[str | None, Query(max_length=32, description="Only this owner's dogs (any format)")] = None,
    q: Annotated[str | None, Query(max_length=100, description="Name, registration number or phone")] = None,
    status: DogStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    principal: Principal = Depends(require_role()),
    runner: LocalRunner = Depends(get_runner),
    sp: SavePets = Depends(get_service),
) -> list[DogOut]:
    """A search of the registry (staff keys; other organisations' dogs come redacted and are never found by their
    owner's phone or name), an owner's dogs by phone (staff keys: their organisation's), or for the app (mobile) its
    verified phone's own dogs: `phone`, if given, must be that number; any other number gives an empty list
    (whether or not it is registered), and `q` is refused (403)."""
    if principal.role == Role.MOBILE and q:
        raise HTTPException(403, "The app lists its verified owner's own dogs only (POST /v1/me/phone).")
    dogs = await runner.call(sp.list_dogs, query=q, phone=phone, status=status, limit=limit, offset=offset)
    viewer = await viewer_of(principal, runner, sp)
    return [present(d, viewer) for d in dogs]


@router.get("/dogs/{key}", response_model=DogOut, tags=["dogs"],
            responses={404: {"model": ErrorOut, "description": "No such dog (or deleted)"}})
async def get_dog(key: Key, principal: Principal = Depends(require_role()),
                  runner: LocalRunner = Depends(get_runner), sp: SavePets = Depends(get_service)) -> DogOut:
    """One dog by id or registration number: another organisation's with its owner redacted (staff keys; ask
    `POST /v1/dogs/{key}/contact`), anyone else's owner masked and no notes for the app (mobile keys)."""
    dog = await runner.call(sp.get_dog, key)
    return present(dog, await viewer_of(principal, runner, sp))


@router.post("/dogs/{key}/contact", response_model=OwnerOut, tags=["dogs"],
             responses={404: {"model": ErrorOut, "description": "No such dog (or deleted)"},
                        429: {"model": ErrorOut, "description": "Too many contacts asked for in an hour: see "
                                                                "Retry-After; administrators are alerted"}})
async def contact(key: Key, body: ContactIn, principal: Principal = Depends(require_role(*STAFF)),
                  runner: LocalRunner = Depends(get_runner), sp: SavePets = Depends(get_service),
                  settings: Settings = Depends(get_settings)) -> OwnerOut:
    """The owner's name and phone in full, for a dog of any organisation (staff and admin keys), online only: each
    call is on the audit trail with its `reason` (5 to 200 characters). A device that asks for more than
    `contacts_per_hour` (default 20) in an hour gets 429 with Retry-After, and the administrators are alerted."""
    try:
        return await runner.call(sp.request_contact, key, body.reason, settings.contacts_per_hour)
    except TooManyContacts as exc:
        raise HTTPException(429, exc.message, headers={"Retry-After": retry_after(exc.details["retry_after"])}) \
            from None


@router.patch("/dogs/{key}", response_model=DogOut, tags=["dogs"],
              responses={404: {"model": ErrorOut, "description": "No such dog (or deleted)"}})
async def update_dog(key: Key, changes: DogUpdate, principal: Principal = Depends(require_role(*STAFF)),
                     runner: LocalRunner = Depends(get_runner), sp: SavePets = Depends(get_service)) -> DogOut:
    """Change some of a dog's details (only the fields given). Staff keys: their organisation's dogs only (403)."""
    return present(await runner.call(sp.update_dog, key, changes), principal)


@router.put("/dogs/{key}/status", response_model=DogOut, tags=["dogs"],
            responses={404: {"model": ErrorOut, "description": "No such dog (or deleted)"}})
async def set_status(key: Key, body: StatusIn, principal: Principal = Depends(require_role()),
                     runner: LocalRunner = Depends(get_runner), sp: SavePets = Depends(get_service)) -> DogOut:
    """Report a dog lost or found (staff keys: any dog; the app: its verified owner's own dogs); home or deceased
    (staff keys: their organisation's dogs)."""
    if principal.role == Role.MOBILE and body.status not in (DogStatus.LOST, DogStatus.FOUND):
        raise HTTPException(403, "A mobile key may report a dog lost or found only.")
    dog = await runner.call(sp.set_status, key, body.status)
    return present(dog, await viewer_of(principal, runner, sp))


@router.delete("/dogs/{key}", response_model=DogOut, tags=["dogs"],
               responses={404: {"model": ErrorOut, "description": "No such dog (or deleted)"}})
async def delete_dog(key: Key, principal: Principal = Depends(require_role(Role.ADMIN, Role.KIOSK)),
                     runner: LocalRunner = Depends(get_runner), sp: SavePets = Depends(get_service)) -> DogOut:
    """Remove a dog from the registry (a soft delete: the tombstone syncs). Returns the removed dog. Kiosk keys:
    their organisation's dogs only (403)."""
    return present(await runner.call(sp.delete_dog, key), principal)


# ---------------------------------------------------------------------------------------------- photos
_MEDIA = ((b"\xff\xd8", "image/jpeg"), (b"\x89PNG", "image/png"), (b"RIFF", "image/webp"), (b"BM", "image/bmp"))


@router.get("/photos/{sha256}", tags=["photos"], response_class=Response,
            responses={200: {"content": {"image/jpeg": {}, "image/png": {}}, "description": "The stored photo"},
                       404: {"model": ErrorOut, "description": "No such photo"}})
async def photo(sha256: Annotated[str, Path(min_length=64, max_length=64, pattern="^[0-9a-f]{64}$")],
                _principal: Principal = Depends(require_role()),
                runner: LocalRunner = Depends(get_runner), sp: SavePets = Depends(get_service)) -> Response:
    """A stored nose photo, as uploaded, by its sha256."""
    data = await runner.call(sp.photo_bytes, sha256)
    media = next((m for magic, m in _MEDIA if data.startswith(magic)), "application/octet-stream")
    return Response(data, media_type=media, headers={"Cache-Control": "private, max-age=86400",
                                                     "ETag": f'"{sha256}"'})
