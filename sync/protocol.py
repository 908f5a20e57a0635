"""The sync wire format (JSON over HTTP, under /v1/sync). Shared by sync/client.py and sync/server/sync_routes.py.

The changes, their answers and the pulled pages are the core's typed models (core/replication/messages.py, with the
dog bundle of core/replication/bundle.py): a push is validated where it enters, and a malformed one is answered 422
with the field named (`details.errors[].field`, e.g. `changes.0.dog.state.owner.phone`), nothing written.

Entities (`entity` names each change and pulled change): "dog" (the dog bundle), "review_flag", and for Reunite
(issue 24, core/replication/reunite_states.py) "lost_report", "found_case" (with its photos: the files go up and
down by sha256 like a dog's, each with its template) and "reunion" (its id derived from its found case and dog). A
pulled lost report or found case of another organisation than the key's comes `redacted: true`, without the
owner's contact and notes (a report) or the finder's contact and notes (a case). Protocol version 1 still: an
older kiosk never pushes these, and a pull answer carries them to a kiosk that reads them.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from core.audit import AuditEntry
from core.replication.messages import Change, PullPage, PushAnswer

PREFIX = "/v1/sync"
PROTOCOL_VERSION = 1
MAX_PUSH_CHANGES = 200
MAX_PULL_LIMIT = 1000
MAX_PHOTO_BYTES = 2 * 1024 * 1024  # one nose photo; kiosk photos are a few hundred KB at most
MAX_PHOTO_BATCH_BYTES = 8 * 1024 * 1024  # raw bytes per batch upload or download (base64 adds a third)

MAX_PHOTOS_PER_BATCH = 500
MAX_AUDIT_ENTRIES = 1000  # audit entries in one push

SHA256 = Field(..., pattern=r"^[0-9a-f]{64}$")


class PushRequest(BaseModel):
    device_id: str = Field("", max_length=64)  # ignored: the server takes the device from the key
    sent_at: datetime  # the kiosk's clock when sending: the server measures the kiosk's clock offset from it
    changes: list[Change] = Field(..., max_length=MAX_PUSH_CHANGES)


PushResponse = PushAnswer  # results (one per change), clock_offset_s, cursor


class PullResponse(PullPage):
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
