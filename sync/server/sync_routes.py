"""/v1/sync: the kiosks' offline-first sync (push, pull, photos, audit entries). Each step is a core entry point
(core/replication/server.py), which owns the lock and the transaction; this module only speaks HTTP. See docs/sync.md
for the protocol and the conflict rules."""

from __future__ import annotations

import base64
import functools

import anyio.to_thread
from fastapi import APIRouter, BackgroundTasks, Depends, HTTPException, Query, Request, Response

from core.registry.models import DEFAULT_ORG_ID, utcnow
from core.replication import server as sync
from core.replication.reunite_apply import Applied
from core.replication.trust import Caller
from core.usecases import SavePets
from sync.protocol import (
    MAX_PHOTO_BATCH_BYTES,
    MAX_PHOTO_BYTES,
    MAX_PHOTOS_PER_BATCH,
    MAX_PULL_LIMIT,
    PREFIX,
    AuditPush,
    AuditPushResult,
    MissingPhotos,
    PhotoBatch,
    PhotoBatchResult,
    PhotoData,
    PullResponse,
    PushRequest,
    PushResponse,
    ShaList,
    SyncInfo,
)
from sync.server.deps import Principal, Role, get_runner, get_service, key_actor, require_role
from sync.server.errors import ErrorOut

router = APIRouter(prefix=PREFIX, tags=["sync"])
KIOSK = Depends(require_role("kiosk", "admin"))


def _valid_sha(sha: str) -> str:
    if len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):
        raise HTTPException(400, "Not a sha256 (64 lowercase hex digits).")
    return sha


def _store_photo(sp: SavePets, sha: str, data: bytes) -> bool:
    """Verified before it is kept (core): the bytes hash to the name and decode as an image. Returns newly written."""
    if len(data) > MAX_PHOTO_BYTES:
        raise HTTPException(413, f"A photo may be at most {MAX_PHOTO_BYTES // 1024} KB.")
    return sync.receive_photo(sp, sha, data)


@router.get("/info", response_model=SyncInfo)
def info(sp: SavePets = Depends(get_service), _p=KIOSK) -> SyncInfo:
    return SyncInfo(cursor=sync.cursor(sp), server_time=utcnow(), device_id=sp.device_id)


@router.put("/photos/{sha256}", response_model=PhotoBatchResult)
async def put_photo(sha256: str, request: Request, sp: SavePets = Depends(get_service),
                    _p=KIOSK) -> PhotoBatchResult:
    """Content-addressed: sending the same photo again is a no-op; a partial upload fails the hash check.
    The body is the photo's bytes (application/octet-stream)."""
    sha = _valid_sha(sha256)
    data = await request.body()
    new = await anyio.to_thread.run_sync(_store_photo, sp, sha, data)
    return PhotoBatchResult(stored=[sha256] if new else [], present=[] if new else [sha256])


@router.post("/photos", response_model=PhotoBatchResult)
def put_photos(batch: PhotoBatch, sp: SavePets = Depends(get_service), _p=KIOSK) -> PhotoBatchResult:
    stored, present = [], []
    for p in batch.photos:
        try:
            data = base64.b64decode(p.data, validate=True)
        except ValueError:
            raise HTTPException(422, f"Photo {p.sha256}: not base64.") from None
        (stored if _store_photo(sp, p.sha256, data) else present).append(p.sha256)
    return PhotoBatchResult(stored=stored, present=present)


@router.post("/photos/missing", response_model=MissingPhotos)
def missing_photos(shas: ShaList, sp: SavePets = Depends(get_service), _p=KIOSK) -> MissingPhotos:
    return MissingPhotos(missing=sync.missing_photos(sp, [_valid_sha(sha) for sha in shas.sha256]))


@router.get("/photos/{sha256}")
def get_photo(sha256: str, sp: SavePets = Depends(get_service), _p=KIOSK) -> Response:
    sha = _valid_sha(sha256)
    if not sp.store.exists(sha):
        raise HTTPException(404, "No such photo.")
    return Response(sp.store.get(sha), media_type="application/octet-stream",
                    headers={"Cache-Control": "public, max-age=31536000, immutable"})


@router.post("/photos/fetch", response_model=PhotoBatch)
def fetch_photos(shas: ShaList, sp: SavePets = Depends(get_service), _p=KIOSK) -> PhotoBatch:
    """Several photos in one answer, up to a size limit: the client asks again for the ones not sent."""
    found = sync.photos_for(sp, [_valid_sha(sha) for sha in shas.sha256], MAX_PHOTO_BATCH_BYTES, MAX_PHOTOS_PER_BATCH)
    return PhotoBatch(photos=[PhotoData(sha256=sha, data=base64.b64encode(data).decode("ascii"))
                              for sha, data in found.items()])


def caller(principal: Principal) -> Caller:
    """The pushing or pulling device as its key says (never what a body says): device, organisation, admin."""
    return Caller(device_id=principal.device_id or f"key:{principal.key_id}", org_id=principal.org_id or DEFAULT_ORG_ID,
                  admin=principal.role == Role.ADMIN, actor=key_actor(principal))


@router.post("/push", response_model=PushResponse, responses={403: {"model": ErrorOut, "description": (
    "A change this key's device may not make (another organisation's dog, found case or reunion, or lost report "
    "other than its end at a confirmed reunion; an erasure, a merge, an owner named without their phone): "
    "details.refused names each change and why; nothing of the push was applied")}})
def push(req: PushRequest, background: BackgroundTasks, sp: SavePets = Depends(get_service),
         principal: Principal = KIOSK, runner=Depends(get_runner)) -> PushResponse:
    """Up to 200 changes (dogs, review flags, lost reports, found cases, reunions), each answered applied /
    duplicate / missing_photos / rejected (with remaps). The device and organisation are the key's (a `device_id`
    in the body is ignored). The found cases and lost reports it brings are matched after the answer, in the
    server's worker pool: a possible reunion found reaches the kiosks by their next pull."""
    after = Applied()
    answer = sync.receive_push(sp, caller(principal), req.sent_at, req.changes, after=after)
    if after:
        background.add_task(_match, runner, functools.partial(sync.match_pushed, sp, after))
    return answer


async def _match(runner, work) -> None:
    """Matching after a push, in the pool of the server's heavy work (sync/server/runner.py), off the request."""
    await anyio.to_thread.run_sync(work, limiter=runner.heavy)


@router.post("/audit", response_model=AuditPushResult)
def push_audit(req: AuditPush, sp: SavePets = Depends(get_service), principal: Principal = KIOSK) -> AuditPushResult:
    """A kiosk's audit entries (core/audit.py), stored under the key's device id (a `device_id` in the body is
    ignored), who each names kept as the kiosk's claim; entries already here (a resend) are skipped, so the kiosk
    may resend whatever it is not sure arrived."""
    return AuditPushResult(received=len(req.entries),
                           stored=sync.receive_audit(sp, caller(principal).device_id, req.entries))


@router.get("/pull", response_model=PullResponse)
def pull(background: BackgroundTasks, since: int = Query(0, ge=0), limit: int = Query(200, ge=1, le=MAX_PULL_LIMIT),
         sp: SavePets = Depends(get_service), principal: Principal = KIOSK,
         runner=Depends(get_runner)) -> PullResponse:
    """The server's changes after `since` (a seq from an earlier answer), oldest first. Dogs of another organisation
    than the key's come with their owner redacted (`owner.redacted: true`) and no notes; their templates in full. So
    do lost reports (without the owner's contact and notes) and found cases (without the finder's contact and
    notes) of another organisation (`redacted: true`)."""
    if sync.overdue(sp):  # pushed found cases or lost reports a server died before matching
        background.add_task(_match, runner, functools.partial(sync.match_overdue, sp))
    page = sync.serve_pull(sp, since, limit, caller(principal))
    return PullResponse(changes=page.changes, cursor=page.cursor, has_more=page.has_more, server_time=utcnow())
