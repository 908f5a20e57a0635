"""/v1/sync: the kiosks' offline-first sync (push, pull, photos). The logic lives in core/replication.py;
this module only speaks HTTP. See docs/sync.md for the protocol and the conflict rules."""

from __future__ import annotations

import base64
import hashlib
import logging
import threading
from datetime import UTC, timedelta

import anyio.to_thread
import numpy as np
from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core import audit
from core.errors import InvalidPhoto
from core.photos import decode_photo
from core.registry.models import Dog, Outbox, utcnow
from core.replication import (
    ApplyResult,
    apply_new_dogs_bulk,
    apply_push,
    decode_vector,
    gallery_duplicate_finder,
    gallery_duplicate_screen,
    head_seq,
    note_server_state,
    pull_page,
    sequence_local_outbox,
    take_lock,
)
from core.usecases import SavePets
from sync.protocol import (
    MAX_PHOTO_BATCH_BYTES,
    MAX_PHOTO_BYTES,
    MAX_PHOTOS_PER_BATCH,
    MAX_PULL_LIMIT,
    PREFIX,
    AuditPush,
    AuditPushResult,
    ChangeResult,
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
from sync.server.deps import get_service, require_role

log = logging.getLogger(__name__)

router = APIRouter(prefix=PREFIX, tags=["sync"])
_writers = threading.Lock()  # one push at a time in this process; the database lock orders processes
KIOSK = Depends(require_role("kiosk", "admin"))
CLOCK_TOLERANCE = timedelta(seconds=2)


def _valid_sha(sha: str) -> str:
    if len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):
        raise HTTPException(400, "Not a sha256 (64 lowercase hex digits).")
    return sha


def _store_photo(sp: SavePets, sha: str, data: bytes) -> bool:
    """Verified before it is kept: the bytes hash to the name and decode as an image. Returns newly written."""
    if len(data) > MAX_PHOTO_BYTES:
        raise HTTPException(413, f"A photo may be at most {MAX_PHOTO_BYTES // 1024} KB.")
    if hashlib.sha256(data).hexdigest() != sha:
        raise HTTPException(422, f"The photo's bytes do not hash to {sha}: incomplete or damaged upload.")
    if sp.store.exists(sha):
        return False
    try:
        decode_photo(data, label=sha[:12])
    except InvalidPhoto as exc:
        raise HTTPException(422, exc.message) from None
    return sp.store.put(data)[1]


@router.get("/info", response_model=SyncInfo)
def info(sp: SavePets = Depends(get_service), _p=KIOSK) -> SyncInfo:
    with sp.db.sessions() as s:
        cursor = head_seq(s)
    return SyncInfo(cursor=cursor, server_time=utcnow(), device_id=sp.device_id)


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
    return MissingPhotos(missing=[sha for sha in dict.fromkeys(shas.sha256)
                                  if not sp.store.exists(_valid_sha(sha))])


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
    out, total = [], 0
    for sha in dict.fromkeys(shas.sha256):
        if not sp.store.exists(_valid_sha(sha)):
            continue
        data = sp.store.get(sha)
        if out and (total + len(data) > MAX_PHOTO_BATCH_BYTES or len(out) >= MAX_PHOTOS_PER_BATCH):
            break
        total += len(data)
        out.append(PhotoData(sha256=sha, data=base64.b64encode(data).decode("ascii")))
    return PhotoBatch(photos=out)


@router.post("/push", response_model=PushResponse)
def push(req: PushRequest, sp: SavePets = Depends(get_service), _p=KIOSK) -> PushResponse:
    now = utcnow()
    sent = req.sent_at if req.sent_at.tzinfo else req.sent_at.replace(tzinfo=UTC)
    offset = now - sent  # kiosk clocks are corrected by this; cursors never use any clock
    if abs(offset) < CLOCK_TOLERANCE:  # within the noise of one request's latency: take the kiosk's clock as is
        offset = timedelta(0)
    with _writers:
        finder = gallery_duplicate_finder(sp)
        with sp.db.session() as s:
            take_lock(s)
            sequence_local_outbox(s)
            fast: dict[str, ApplyResult] = {}
            try:
                with s.begin_nested():  # the common case in a few statements; on any surprise, one by one
                    fast = apply_new_dogs_bulk(s, [c.model_dump() for c in req.changes], device_id=req.device_id,
                                               offset=offset, photo_exists=sp.store.exists,
                                               screen=gallery_duplicate_screen(sp), now=now)
            except Exception:
                log.exception("sync: bulk apply failed; applying one by one")
                fast = {}
            answers: dict[int, ChangeResult] = {}
            # dogs first, then review flags: a flag needs its dogs, which may come in the same push
            for i, c in sorted(enumerate(req.changes), key=lambda ic: ic[1].entity != "dog"):
                if c.change_id in fast:
                    answers[i] = ChangeResult(change_id=c.change_id, **fast[c.change_id].to_dict())
                    continue
                try:
                    with s.begin_nested():
                        r = apply_push(s, change_id=c.change_id, entity=c.entity, entity_id=c.entity_id, op=c.op,
                                       payload={"state": c.state, "clocks": c.clocks}, device_id=req.device_id,
                                       offset=offset, photo_exists=sp.store.exists, find_duplicates=finder,
                                       now=now)
                except Exception as exc:  # one bad change must not block the others
                    log.exception("sync: change %s of %s rejected", c.change_id, req.device_id)
                    r = ApplyResult(status="rejected", message=f"{type(exc).__name__}: {exc}"[:500])
                answers[i] = ChangeResult(change_id=c.change_id, **r.to_dict())
            results = [answers[i] for i in range(len(req.changes))]
            note_server_state(s, list(dict.fromkeys(c.entity_id for c, r in zip(req.changes, results, strict=True)
                                                    if r.status == "applied" and c.entity == "dog")), stamp=False)
            cursor = head_seq(s)
        applied = [c for c, r in zip(req.changes, results, strict=True) if r.status == "applied" and c.entity == "dog"]
        _update_gallery(sp, applied)
        sp.after_erasures()  # an owner erased at a kiosk: the photo files and gallery entries it removed here
    for c in applied:  # other server processes refresh their galleries (sync/server/events.py)
        for listener in list(sp.on_change):
            try:
                listener(c.entity_id)
            except Exception:  # noqa: BLE001 - a listener never undoes a committed change
                log.exception("change listener failed")
    return PushResponse(results=results, clock_offset_s=offset.total_seconds(), cursor=cursor)


def _update_gallery(sp: SavePets, applied: list) -> None:
    """This process's gallery after a push: the new templates of live dogs in, deleted dogs out. O(batch),
    unlike a full refresh, which reads every template."""
    if not applied:
        return
    e = sp.engine
    ids = list({c.entity_id for c in applied})
    with sp.db.sessions() as s:
        live = set(s.scalars(select(Dog.id).where(Dog.id.in_(ids), Dog.deleted_at.is_(None))))
    keys, owners, vecs = [], [], []
    for c in applied:
        if c.entity_id not in live:
            sp.gallery.remove_dog(c.entity_id)
            continue
        for t in c.state.get("templates", []):
            if (t["model_name"], t["model_version"], t["dim"]) == (e.name, e.version, e.dim) \
                    and t.get("deleted_at") is None:
                keys.append(t["id"])
                owners.append(c.entity_id)
                vecs.append(np.frombuffer(decode_vector(t["vector"]), np.float32))
    if keys:
        sp.gallery.add(keys, owners, np.stack(vecs))


@router.post("/audit", response_model=AuditPushResult)
def push_audit(req: AuditPush, sp: SavePets = Depends(get_service), _p=KIOSK) -> AuditPushResult:
    """A kiosk's audit entries (core/audit.py), stored under the pushing device's id; entries already here (a resend)
    are skipped, so the kiosk may resend whatever it is not sure arrived."""
    for attempt in range(3):
        try:
            with sp.db.session() as s:
                stored = audit.store_pushed(s, req.entries, device_id=req.device_id)
            break
        except IntegrityError:  # the same entries pushed twice at once (a resend racing the first): look again
            if attempt == 2:
                raise
    return AuditPushResult(received=len(req.entries), stored=stored)


@router.get("/pull", response_model=PullResponse)
def pull(since: int = Query(0, ge=0), limit: int = Query(200, ge=1, le=MAX_PULL_LIMIT),
         sp: SavePets = Depends(get_service), _p=KIOSK) -> PullResponse:
    """The server's changes after `since` (a seq from an earlier answer), oldest first."""
    with sp.db.sessions() as s:
        unsequenced = s.scalar(select(Outbox.seq).where(Outbox.pushed_at.is_(None)).limit(1)) is not None
    if unsequenced:  # changes made through the REST API join the sequence first
        with _writers, sp.db.session() as s:
            take_lock(s)
            sequence_local_outbox(s)
    with sp.db.sessions() as s:
        changes, cursor, more = pull_page(s, since, limit)
    return PullResponse(changes=changes, cursor=cursor, has_more=more, server_time=utcnow())
