"""The sync wire format (JSON over HTTP, under /v1/sync). Shared by sync/client.py and sync/server/sync_routes.py.

Entity states are plain JSON objects built by core/replication.py (`dog_state`, `flag_state`); they are kept
as dicts here so that the protocol does not duplicate the registry's columns.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from core.audit import AuditEntry

PREFIX = "/v1/sync"
PROTOCOL_VERSION = 1
MAX_PUSH_CHANGES = 200
MAX_PULL_LIMIT = 1000
MAX_PHOTO_BYTES = 2 * 1024 * 1024  # one nose photo; kiosk photos are a few hundred KB at most
MAX_PHOTO_BATCH_BYTES = 8 * 1024 * 1024  # raw bytes per batch upload or download (base64 adds a third)

MAX_PHOTOS_PER_BATCH = 500
MAX_AUDIT_ENTRIES = 1000  # audit entries in one push

SHA256 = Field(..., pattern=r"^[0-9a-f]{64}$")


class Change(BaseModel):
    """One local change, coalesced per entity. `change_id` is the idempotency key: the server applies a
    change_id at most once and answers a resend with the first answer. A review flag is applied after the dogs of
    the same push; until its dogs are on the server it is answered `missing_photos` with no photo named."""

    change_id: str = Field(..., min_length=1, max_length=36)
    entity: Literal["dog", "review_flag"]
    entity_id: str = Field(..., min_length=1, max_length=36)
    op: Literal["upsert", "delete"]
    state: dict[str, Any]
    clocks: dict[str, str] = {}  # field -> ISO time of the local edit (kiosk clock; corrected by the server)


class PushRequest(BaseModel):
    device_id: str = Field(..., min_length=1, max_length=64)
    sent_at: datetime  # the kiosk's clock when sending: the server measures the kiosk's clock offset from it
    changes: list[Change] = Field(..., max_length=MAX_PUSH_CHANGES)


class ChangeResult(BaseModel):
    change_id: str
    status: Literal["applied", "duplicate", "missing_photos", "rejected"]
    remap: dict[str, dict[str, str]] = {}  # {"owners": {kiosk id: server id}, "numbers": {dog id: number}}
    missing: list[str] = []  # photo sha256s to upload before pushing the change again
    message: str = ""
    seq: int | None = None


class PushResponse(BaseModel):
    results: list[ChangeResult]
    clock_offset_s: float  # server minus kiosk, as measured
    cursor: int  # the server's newest seq after the push


class PulledChange(BaseModel):
    seq: int
    entity: Literal["dog", "review_flag"]
    entity_id: str
    state: dict[str, Any]


class PullResponse(BaseModel):
    changes: list[PulledChange]
    cursor: int  # pass as `since` next time; only ever the server's seq, never a clock
    has_more: bool
    server_time: datetime


class PhotoData(BaseModel):
    sha256: str = SHA256
    data: str  # base64


class PhotoBatch(BaseModel):
    photos: list[PhotoData] = Field(..., max_length=MAX_PHOTOS_PER_BATCH)


class PhotoBatchResult(BaseModel):
    stored: list[str]  # newly written
    present: list[str]  # already there (a resend is a no-op)


class ShaList(BaseModel):
    sha256: list[str] = Field(..., max_length=5000)


class MissingPhotos(BaseModel):
    missing: list[str]


class AuditPush(BaseModel):
    """A kiosk's audit entries not yet on the server (oldest first). Idempotent by entry id: a resend after a lost
    answer stores nothing twice. The server keeps them under the pushing device's id."""

    device_id: str = Field(..., min_length=1, max_length=64)
    entries: list[AuditEntry] = Field(..., max_length=MAX_AUDIT_ENTRIES)


class AuditPushResult(BaseModel):
    received: int
    stored: int  # new on the server (entries it had already are skipped)


class SyncInfo(BaseModel):
    protocol: int = PROTOCOL_VERSION
    cursor: int
    server_time: datetime
    device_id: str
