"""Registry tables. Every synced row has a UUID primary key, created/updated timestamps (UTC), the device it
was made on and a soft-delete tombstone (deleted_at), so that sync can move it between databases."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, validates

# the shared column types and defaults (migrations name them as core.registry.models.UTCDateTime)
from core.registry.coltypes import Blob, LongText, PhoneHash, UTCDateTime, new_id, utcnow  # noqa: F401

# the encrypted column types, each value bound to its table, column and row (core/registry/encrypted.py)
from core.registry.encrypted import ROW_KEY, Encrypted, EncryptedJSON, bind_places, registry_key  # noqa: F401


class Base(DeclarativeBase):
    pass


class SyncedMixin:
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False,
                                                 index=True)
    origin_device: Mapped[str | None] = mapped_column(String(64))
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Sex(str, enum.Enum):
    MALE = "male"
    FEMALE = "female"
    UNKNOWN = "unknown"


class DogStatus(str, enum.Enum):
    HOME = "home"
    LOST = "lost"
    FOUND = "found"
    DECEASED = "deceased"


def _enum(cls: type[enum.Enum]) -> Enum:
    """Stored as the value string ('male'), portable across SQLite and MySQL."""
    return Enum(cls, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])


class Owner(SyncedMixin, Base):
    """An owner's phone and name are encrypted; `phone_hash` (set with the phone) finds an owner by phone and
    keeps one owner per phone. An erased owner (core.usecases.SavePets.erase_owner) keeps an empty phone and
    name and no hash."""

    __tablename__ = "owners"
    __table_args__ = (UniqueConstraint("phone_hash", name="uq_owner_phone_hash"),)

    phone: Mapped[str] = mapped_column(Encrypted, nullable=False)  # E.164
    phone_hash: Mapped[str | None] = mapped_column(PhoneHash)
    name: Mapped[str] = mapped_column(Encrypted, nullable=False, default="")

    dogs: Mapped[list[Dog]] = relationship(back_populates="owner")

    @validates("phone")
    def _hash_with_phone(self, _key: str, phone: str) -> str:
        self.phone_hash = phone or None  # hashed when written (PhoneHash)
        return phone


class Dog(SyncedMixin, Base):
    __tablename__ = "dogs"

    owner_id: Mapped[str] = mapped_column(ForeignKey("owners.id"), nullable=False, index=True)
    registration_number: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    breed: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    sex: Mapped[Sex] = mapped_column(_enum(Sex), nullable=False, default=Sex.UNKNOWN)
    birth_date: Mapped[date | None] = mapped_column(Date)
    neutered: Mapped[bool | None] = mapped_column(Boolean)
    notes: Mapped[str] = mapped_column(Encrypted, nullable=False, default="")  # free text: may name people
    status: Mapped[DogStatus] = mapped_column(_enum(DogStatus), nullable=False, default=DogStatus.HOME)
    # the organisation that registered the dog (server: from the registering key's device); None on a kiosk until
    # the server's copy comes back in a pull. Only that organisation's devices edit the dog or see its owner.
    org_id: Mapped[str | None] = mapped_column(String(36), index=True)

    owner: Mapped[Owner] = relationship(back_populates="dogs")
    photos: Mapped[list[NosePhoto]] = relationship(back_populates="dog", order_by="NosePhoto.position")


class NosePhoto(SyncedMixin, Base):
    __tablename__ = "nose_photos"
    __table_args__ = (UniqueConstraint("dog_id", "sha256", name="uq_photo_dog_sha"),)

    dog_id: Mapped[str] = mapped_column(ForeignKey("dogs.id"), nullable=False, index=True)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    path: Mapped[str] = mapped_column(String(200), nullable=False)  # relative to the photo store
    width: Mapped[int] = mapped_column(Integer, nullable=False)
    height: Mapped[int] = mapped_column(Integer, nullable=False)
    quality: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    dog: Mapped[Dog] = relationship(back_populates="photos")


class NoseTemplate(SyncedMixin, Base):
    __tablename__ = "nose_templates"
    # One template of a photo per model version (migration 0011): a racing insert fails here, "already there".
    __table_args__ = (Index("ix_template_model", "model_name", "model_version"),
                      Index("uq_template_photo_model", "photo_id", "model_name", "model_version", unique=True))

    photo_id: Mapped[str] = mapped_column(ForeignKey("nose_photos.id"), nullable=False, index=True)
    dog_id: Mapped[str] = mapped_column(ForeignKey("dogs.id"), nullable=False, index=True)
    model_name: Mapped[str] = mapped_column(String(64), nullable=False)
    model_version: Mapped[str] = mapped_column(String(64), nullable=False)
    dim: Mapped[int] = mapped_column(Integer, nullable=False)
    vector: Mapped[bytes] = mapped_column(Blob, nullable=False)  # float32 little-endian
    quality: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)


class ReviewFlag(SyncedMixin, Base):
    """Two registrations that may be the same dog: a person decides, nothing is merged silently."""

    __tablename__ = "review_flags"
    __table_args__ = (UniqueConstraint("dog_id", "other_dog_id", name="uq_review_pair"),)

    dog_id: Mapped[str] = mapped_column(ForeignKey("dogs.id"), nullable=False, index=True)
    other_dog_id: Mapped[str] = mapped_column(ForeignKey("dogs.id"), nullable=False, index=True)
    score: Mapped[float] = mapped_column(Float, nullable=False)
    reason: Mapped[str] = mapped_column(String(64), nullable=False, default="possible_duplicate")
    resolved: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    resolution: Mapped[str | None] = mapped_column(String(16))  # same_dog | different_dogs (core/reviews.py)


# -------------------------------------------------------------------------------- reunite (core/service/reunite.py)
class LostState(str, enum.Enum):
    OPEN = "open"
    WITHDRAWN = "withdrawn"  # the owner took the report back
    HOME = "home"  # the dog is home: the report ends


class FoundState(str, enum.Enum):
    OPEN = "open"
    REUNITED = "reunited"  # a confirmed reunion closed it
    CLOSED = "closed"  # closed otherwise (adopted, holding period over, a mistake)


class ReunionState(str, enum.Enum):
    POSSIBLE = "possible"  # a match found by recognition, for a person to confirm
    CONFIRMED = "confirmed"  # a person compared and confirmed: the found case and the lost report close
    REJECTED = "rejected"


class LostReport(SyncedMixin, Base):
    """An owner's report that a registered dog is lost: when, where, how to reach them. Synced."""

    __tablename__ = "lost_reports"

    dog_id: Mapped[str] = mapped_column(ForeignKey("dogs.id"), nullable=False, index=True)
    org_id: Mapped[str | None] = mapped_column(String(36))  # the organisation whose device took the report
    lost_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    place: Mapped[str] = mapped_column(String(200), nullable=False)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    contact_email: Mapped[str] = mapped_column(Encrypted, nullable=False, default="")
    contact_phone: Mapped[str] = mapped_column(Encrypted, nullable=False, default="")  # E.164, or "": the owner's
    channel: Mapped[str] = mapped_column(String(8), nullable=False, default="sms")  # sms | email
    language: Mapped[str] = mapped_column(String(2), nullable=False, default="ko")  # ko | en
    notify_possible: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    notes: Mapped[str] = mapped_column(Encrypted, nullable=False, default="")
    state: Mapped[LostState] = mapped_column(_enum(LostState), nullable=False, default=LostState.OPEN, index=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class FoundCase(SyncedMixin, Base):
    """A dog found without its owner: a shelter's intake of a stray, or a finder's report through the app. Its
    photos' templates are kept with it (FoundPhoto) so that new lost reports are searched among open cases."""

    __tablename__ = "found_cases"

    org_id: Mapped[str | None] = mapped_column(String(36), index=True)  # the organisation holding the case
    kind: Mapped[str] = mapped_column(String(16), nullable=False, default="intake")  # intake | finder
    found_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    place: Mapped[str] = mapped_column(String(200), nullable=False)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    notes: Mapped[str] = mapped_column(Encrypted, nullable=False, default="")
    finder_contact: Mapped[str] = mapped_column(Encrypted, nullable=False, default="")
    hold_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    state: Mapped[FoundState] = mapped_column(_enum(FoundState), nullable=False, default=FoundState.OPEN, index=True)
    dog_id: Mapped[str | None] = mapped_column(String(36))  # the dog it was reunited with
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    photos: Mapped[list[FoundPhoto]] = relationship(back_populates="case", order_by="FoundPhoto.position")


class FoundPhoto(SyncedMixin, Base):
    """A found dog's nose photo (in the photo store, by sha256) with its template of one model version."""

    __tablename__ = "found_photos"
    __table_args__ = (UniqueConstraint("case_id", "sha256", name="uq_found_photo_sha"),)

    case_id: Mapped[str] = mapped_column(ForeignKey("found_cases.id"), nullable=False, index=True)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    path: Mapped[str] = mapped_column(String(200), nullable=False)
    width: Mapped[int] = mapped_column(Integer, nullable=False)
    height: Mapped[int] = mapped_column(Integer, nullable=False)
    quality: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    model_name: Mapped[str] = mapped_column(String(64), nullable=False)
    model_version: Mapped[str] = mapped_column(String(64), nullable=False)
    dim: Mapped[int] = mapped_column(Integer, nullable=False)
    vector: Mapped[bytes] = mapped_column(Blob, nullable=False)  # float32 little-endian

    case: Mapped[FoundCase] = relationship(back_populates="photos")


class Reunion(SyncedMixin, Base):
    """A found case and a registered dog that recognition put together: possible until a person confirms or
    rejects it. One per (case, dog), with an id derived from the pair (reunion_id), so that the server and a kiosk
    that both find it make the same row."""

    __tablename__ = "reunions"
    __table_args__ = (UniqueConstraint("found_case_id", "dog_id", name="uq_reunion_pair"),)

    found_case_id: Mapped[str] = mapped_column(ForeignKey("found_cases.id"), nullable=False, index=True)
    dog_id: Mapped[str] = mapped_column(ForeignKey("dogs.id"), nullable=False, index=True)
    lost_report_id: Mapped[str | None] = mapped_column(String(36))
    score: Mapped[float] = mapped_column(Float, nullable=False)
    decision: Mapped[str] = mapped_column(String(16), nullable=False)  # match | uncertain
    source: Mapped[str] = mapped_column(String(16), nullable=False)  # lost | registry
    state: Mapped[ReunionState] = mapped_column(_enum(ReunionState), nullable=False, default=ReunionState.POSSIBLE,
                                                index=True)
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


def reunion_id(found_case_id: str, dog_id: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"savepets:reunion:{found_case_id}:{dog_id}"))


class Notification(Base):
    """A message to a person waiting to leave (core/notifications.py): retried until sent or given up, never
    sent twice for one `dedupe_key`. Holds the recipient and the text, encrypted. Local: never synced."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notification_due", "state", "next_attempt_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    dedupe_key: Mapped[str] = mapped_column(String(120), unique=True, nullable=False)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)  # code | reunion_possible | reunion_confirmed
    channel: Mapped[str] = mapped_column(String(8), nullable=False)  # email | sms
    recipient: Mapped[str] = mapped_column(Encrypted, nullable=False)
    language: Mapped[str] = mapped_column(String(2), nullable=False, default="ko")
    subject: Mapped[str] = mapped_column(String(200), nullable=False, default="SavePets")
    body: Mapped[str] = mapped_column(Encrypted, nullable=False)
    state: Mapped[str] = mapped_column(String(12), nullable=False, default="pending")  # pending | sent | failed
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)  # a sender holds it until then
    last_error: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    dog_id: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Outbox(Base):
    """Local changes waiting to be pushed to the server, in the order they were made."""

    __tablename__ = "outbox"
    __table_args__ = {"info": {ROW_KEY: "change_id"}}  # its encrypted payload is bound to the change, known before seq

    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
                                     autoincrement=True)
    change_id: Mapped[str] = mapped_column(String(36), unique=True, nullable=False, default=new_id)
    entity: Mapped[str] = mapped_column(String(32), nullable=False)
    entity_id: Mapped[str] = mapped_column(String(36), nullable=False, index=True)
    op: Mapped[str] = mapped_column(String(16), nullable=False)  # upsert | delete
    payload: Mapped[dict] = mapped_column(EncryptedJSON, nullable=False, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    pushed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)


class Meta(Base):
    """Small key/value facts about this database (device id, sync cursors)."""

    __tablename__ = "meta"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(LongText, nullable=False)


class AuditEvent(Base):
    """One entry of the audit trail (core/audit.py): who did what, when, on which device, to which dog.

    Append-only: rows are written once and never changed (only `synced_at` is set when a kiosk has pushed the row to
    the server) and leave only by the retention purge. They never hold personal data (no owner name, phone or
    note): the dog is named by its id and registration number."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_dog_at", "dog_id", "at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False, index=True)
    device_id: Mapped[str] = mapped_column(String(64), nullable=False)  # where it happened
    actor_kind: Mapped[str] = mapped_column(String(16), nullable=False)  # staff | api_key | cli | sync | system
    actor_id: Mapped[str] = mapped_column(String(64), nullable=False)
    actor_name: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    actor_role: Mapped[str | None] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(32), nullable=False, index=True)
    dog_id: Mapped[str | None] = mapped_column(String(36))
    registration_number: Mapped[str | None] = mapped_column(String(64))
    decision: Mapped[str | None] = mapped_column(String(32))  # a look-up's decision, a sign-in's outcome
    reason: Mapped[str | None] = mapped_column(String(64))  # a look-up's reason code, why a sign-in failed
    detail: Mapped[str] = mapped_column(String(255), nullable=False, default="")  # codes and counts only
    synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)  # kiosk: pushed; server: received


# ---------------------------------------------------------------------------------------------- sync (core/replication)
class SyncLog(Base):
    """Server: the change sequence kiosks pull from (cursor = seq); one row per changed entity, the newest only."""

    __tablename__ = "sync_log"

    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
                                     autoincrement=True)
    entity: Mapped[str] = mapped_column(String(32), nullable=False)
    entity_id: Mapped[str] = mapped_column(String(36), nullable=False, index=True)
    origin_device: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class SyncReceived(Base):
    """Server: every change_id applied, with the answer given (a resent change gets the same answer)."""

    __tablename__ = "sync_received"

    change_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    device_id: Mapped[str | None] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    result: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)


class SyncEntity(Base):
    """Per entity: server-side field clocks (last writer wins) and tombstone memory; kiosk-side shadow (the last
    state the kiosk and the server agreed on)."""

    __tablename__ = "sync_entity"

    entity_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    entity: Mapped[str] = mapped_column(String(32), nullable=False)
    clocks: Mapped[dict | None] = mapped_column(JSON)
    shadow: Mapped[dict | None] = mapped_column(EncryptedJSON)  # holds the owner's name and phone: encrypted


class SyncIdMap(Base):
    """Server: an id that was merged into another (an owner created twice offline with one phone)."""

    __tablename__ = "sync_id_map"

    from_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    entity: Mapped[str] = mapped_column(String(32), nullable=False)
    to_id: Mapped[str] = mapped_column(String(36), nullable=False)


# ------------------------------------------------------------------------------------------------ server (sync/server)
DEFAULT_ORG_ID = "default"  # the organisation that keys and dogs made before organisations existed belong to


class Organisation(Base):
    """A shelter, a clinic, the app, or the operator (sync/server/devices.py). Server-local: never synced."""

    __tablename__ = "organisations"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100), unique=True, nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False, default="shelter")  # shelter|clinic|app|operator
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class Device(Base):
    """A kiosk, a vet's PC, an app install, an operator's tool: what an API key belongs to. Revoking the device
    revokes its keys (a stolen kiosk is stopped in one command)."""

    __tablename__ = "devices"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    role: Mapped[str] = mapped_column(String(16), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    verified_phone_hash: Mapped[str | None] = mapped_column(String(64))  # mobile: the owner's phone, once verified


class EnrollmentCode(Base):
    """A one-time code an administrator makes (`savepets devices enroll`) for a new device to fetch its key with."""

    __tablename__ = "enrollment_codes"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)  # the code's first part, shown in lists
    code_hash: Mapped[str] = mapped_column(String(64), nullable=False)  # sha256 of the whole code
    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), nullable=False)
    role: Mapped[str] = mapped_column(String(16), nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    device_id: Mapped[str | None] = mapped_column(String(36))  # the device it enrolled


class ApiKey(Base):
    """A REST API key (sync/server/keys.py), stored hashed, of one device. Server-local: never synced."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)  # the key id, shown in `keys list`
    device_id: Mapped[str | None] = mapped_column(ForeignKey("devices.id"), index=True)  # set for every key
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    role: Mapped[str] = mapped_column(String(16), nullable=False)
    secret_hash: Mapped[str] = mapped_column(String(255), nullable=False)  # argon2id
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class IdempotencyKey(Base):
    """The first answer to a POST /v1/dogs or /v1/lookup that carried an Idempotency-Key header, for a retry with the
    same key (sync/server/idempotency.py): one per API key and header value, kept 24 h. Server-local: never synced."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("api_key_id", "idem_key", name="uq_idempotency_key"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    api_key_id: Mapped[str] = mapped_column(String(16), nullable=False)
    idem_key: Mapped[str] = mapped_column(String(64), nullable=False)  # the header's value
    request_hash: Mapped[str] = mapped_column(String(64), nullable=False)  # sha256 of the route, fields and photos
    status: Mapped[int | None] = mapped_column(Integer)  # None while the first request is still running
    response: Mapped[dict | None] = mapped_column(EncryptedJSON)  # {"body": ..., "headers": ...}: owners' data
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, index=True)


class StaffMember(Base):
    """A staff account of this registry (core/staff.py; migration 0006_staff_users). Local: never synced."""

    __tablename__ = "staff_users"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100), unique=True, nullable=False)
    role: Mapped[str] = mapped_column(String(16), nullable=False)
    pin_hash: Mapped[str] = mapped_column(String(255), nullable=False)  # argon2id
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_tries: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


bind_places(Base)  # every ORM write places its encrypted values (core/registry/encrypted.py)
