"""Registry tables. Every synced row has a UUID primary key, created/updated timestamps (UTC), the device it
was made on and a soft-delete tombstone (deleted_at), so that sync can move it between databases."""

from __future__ import annotations

import enum
import uuid
from datetime import UTC, date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return str(uuid.uuid4())


class UTCDateTime(TypeDecorator):
    """Stored as naive UTC (MySQL DATETIME(6) has no zone), always returned timezone-aware."""

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "mysql":
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        return dialect.type_descriptor(DateTime())

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        return value.replace(tzinfo=UTC) if value is not None else None


# Large enough for a vector of 1024 float32 on MySQL (BLOB is 64 KB, so no MEDIUMBLOB needed).
Blob = LargeBinary().with_variant(mysql.BLOB(), "mysql")
LongText = Text().with_variant(mysql.MEDIUMTEXT(), "mysql")


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
    __tablename__ = "owners"

    phone: Mapped[str] = mapped_column(String(20), unique=True, nullable=False)  # E.164
    name: Mapped[str] = mapped_column(String(100), nullable=False, default="")

    dogs: Mapped[list[Dog]] = relationship(back_populates="owner")


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
    notes: Mapped[str] = mapped_column(Text, nullable=False, default="")
    status: Mapped[DogStatus] = mapped_column(_enum(DogStatus), nullable=False, default=DogStatus.HOME)

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
    __table_args__ = (Index("ix_template_model", "model_name", "model_version"),)

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


class Outbox(Base):
    """Local changes waiting to be pushed to the server, in the order they were made."""

    __tablename__ = "outbox"

    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
                                     autoincrement=True)
    change_id: Mapped[str] = mapped_column(String(36), unique=True, nullable=False, default=new_id)
    entity: Mapped[str] = mapped_column(String(32), nullable=False)
    entity_id: Mapped[str] = mapped_column(String(36), nullable=False, index=True)
    op: Mapped[str] = mapped_column(String(16), nullable=False)  # upsert | delete
    payload: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    pushed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)


class Meta(Base):
    """Small key/value facts about this database (device id, sync cursors)."""

    __tablename__ = "meta"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(LongText, nullable=False)
