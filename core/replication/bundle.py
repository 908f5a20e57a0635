"""The dog bundle and the review flag state: what travels in a push and a pull, typed and validated (pydantic), and
built from the registry's rows here only.

A dog bundle is a dog with its owner, photos and templates, as one state; a flag state is one review flag. The
wire form (`model_dump(mode="json")`) is the JSON the protocol carries: times as ISO 8601 in UTC, enums as their
values, template vectors as base64. sync/protocol.py uses these models as they are, so a malformed bundle is
refused where it enters (the server answers 422 naming the field) and the rest of the core reads typed fields.
"""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_serializer,
    model_validator,
)
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.registry.models import Dog, DogStatus, NosePhoto, NoseTemplate, Owner, ReviewFlag, Sex

log = logging.getLogger(__name__)

DOG, FLAG = "dog", "review_flag"
OWNER_NAME = "owner_name"  # clock key of the owner's name inside a dog change
RESOLUTIONS = ("different_dogs", "same_dog")  # a flag's decision, in the order it may move (never back)


def iso(value: datetime | date | None) -> str | None:
    """A time as it travels and as shadows keep it: ISO 8601, in UTC."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return (value if value.tzinfo is UTC else value.astimezone(UTC)).isoformat()
    return value.isoformat()


def parse_ts(value: str | None) -> datetime | None:
    """A time kept as text (a clock in `sync_entity.clocks`): no zone means UTC."""
    return None if value is None else _utc(datetime.fromisoformat(value))


def _utc(value: datetime) -> datetime:
    if value.tzinfo is UTC:
        return value
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


# a moment: read from ISO 8601 (no zone means UTC), always timezone-aware, written back in UTC
Stamp = Annotated[datetime, AfterValidator(_utc), PlainSerializer(iso, return_type=str, when_used="json")]
Id = Annotated[str, Field(min_length=1, max_length=36)]
Device = Annotated[str | None, Field(max_length=64)]
Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
Score = Annotated[float, Field(allow_inf_nan=False)]
ClockName = Literal["name", "breed", "sex", "birth_date", "neutered", "notes", "status", "owner_name"]


class Wire(BaseModel):
    model_config = ConfigDict(str_max_length=10_000)


class DogFields(Wire):
    """The dog's own fields: each is merged on its own (last writer wins per field)."""

    name: str = Field(max_length=100)
    breed: str = Field(max_length=100)
    sex: Sex
    birth_date: date | None
    neutered: bool | None
    notes: str
    status: DogStatus


DOG_FIELDS: tuple[str, ...] = tuple(DogFields.model_fields)


class OwnerState(Wire):
    id: Id
    phone: str = Field(pattern=r"^(\+[0-9]{4,15})?$")  # E.164; empty once the owner is erased
    name: str = Field(max_length=200)
    created_at: Stamp
    updated_at: Stamp
    origin_device: Device = None
    erased_at: Stamp | None = None  # erased on request (core/owner_rights.py): every copy erases it too
    # left out of a pull for a dog of another organisation: no name, no phone ("contact available online"); a copy
    # that knows the owner in full keeps what it knows
    redacted: bool = False

    @model_validator(mode="after")
    def _phone_unless_erased(self) -> OwnerState:
        if self.redacted:
            if self.phone or self.name:
                raise ValueError("redacted: the owner's phone and name must be empty")
        elif not self.phone and self.erased_at is None:
            raise ValueError("phone: empty, but the owner is not erased (erased_at) nor redacted")
        return self

    @model_serializer(mode="wrap")
    def _erased_only_when_erased(self, handler):
        out = handler(self)
        if self.erased_at is None:
            out.pop("erased_at", None)
        if not self.redacted:
            out.pop("redacted", None)
        return out

    def redact(self) -> OwnerState:
        """This owner as a device of another organisation sees it: the id and times, no name or phone."""
        return self.model_copy(update={"phone": "", "name": "", "redacted": True})


class PhotoState(Wire):
    id: Id
    sha256: Sha256
    width: int = Field(ge=1, le=100_000)
    height: int = Field(ge=1, le=100_000)
    quality: Score
    position: int = Field(ge=0)
    created_at: Stamp
    deleted_at: Stamp | None = None
    origin_device: Device = None


class Float32Vector(Wire):
    """A template's vector on the wire: `dim` float32 (little-endian), base64; `data` the bytes."""

    dim: int = Field(ge=1, le=4096)
    vector: str

    @field_validator("vector")
    @classmethod
    def _float32s(cls, v: str, info: ValidationInfo) -> str:
        try:
            n = len(binascii.a2b_base64(v, strict_mode=True))
        except (binascii.Error, ValueError):
            raise ValueError("not base64") from None
        dim = info.data.get("dim")
        if dim is not None and n != 4 * dim:
            raise ValueError(f"{n} bytes, but dim {dim} needs {4 * dim} (float32)")
        return v

    @property
    def data(self) -> bytes:
        return base64.b64decode(self.vector)


class TemplateState(Float32Vector):
    id: Id
    photo_id: Id
    model_name: str = Field(min_length=1, max_length=64)
    model_version: str = Field(min_length=1, max_length=64)
    quality: Score
    created_at: Stamp
    deleted_at: Stamp | None = None
    origin_device: Device = None

    def live_for(self, engine) -> bool:
        """A live template of this engine (name, version and size)."""
        return self.deleted_at is None and (self.model_name, self.model_version, self.dim) == (
            engine.name, engine.version, engine.dim)


class DogBundle(Wire):
    """A dog with its owner, photos and templates: the unit of replication."""

    id: Id
    registration_number: str = Field(min_length=1, max_length=64)
    registered_at: Stamp
    created_at: Stamp
    updated_at: Stamp
    deleted_at: Stamp | None = None
    origin_device: Device = None
    org_id: str | None = Field(None, max_length=36)  # the organisation the dog belongs to (set by the server)
    fields: DogFields
    owner: OwnerState
    photos: list[PhotoState] = []
    templates: list[TemplateState] = []

    def live_photo_shas(self) -> list[str]:
        return [p.sha256 for p in self.photos if p.deleted_at is None]

    def redacted(self) -> DogBundle:
        """This dog as a device of another organisation pulls it: everything non-personal (templates included, for
        offline recognition), its owner redacted and its notes (free text that may name people) left out."""
        return self.model_copy(update={"owner": self.owner.redact(),
                                       "fields": self.fields.model_copy(update={"notes": ""})})

    def slim(self) -> dict:
        """What a kiosk keeps of an agreed state (its shadow): everything but the photos and templates, which
        only grow and are named by their ids."""
        slim = self.model_dump(mode="json", exclude={"photos", "templates"})
        slim["photo_ids"] = sorted(p.id for p in self.photos)
        slim["template_ids"] = sorted(t.id for t in self.templates)
        return slim


class FlagState(Wire):
    """A review flag: two registrations that may be one dog, and the decision on them."""

    id: Id
    dog_id: Id
    other_dog_id: Id
    score: Score
    reason: str = Field("possible_duplicate", max_length=64)
    resolved: bool = False
    resolution: Literal["different_dogs", "same_dog"] | None = None
    created_at: Stamp
    updated_at: Stamp
    deleted_at: Stamp | None = None
    origin_device: Device = None


# ------------------------------------------------------------------------------------------------ from the rows
Invalid = Callable[[str, ValidationError], None]
_OWNER = tuple(k for k in OwnerState.model_fields if k not in ("erased_at", "redacted"))  # columns of the same names
_PHOTO = tuple(PhotoState.model_fields)
_TEMPLATE = tuple(k for k in TemplateState.model_fields if k != "vector")


def problems(exc: ValidationError) -> str:
    """What is wrong, field by field, without the values (they may be personal data)."""
    return "; ".join(f"{'.'.join(str(x) for x in e['loc'])}: {e['msg']}" for e in exc.errors(include_input=False))


def _skip(entity_id: str, exc: ValidationError) -> None:
    log.error("sync: %s cannot travel and is left out: %s", entity_id, problems(exc))


def dog_bundles(s: Session, dog_ids: list[str], on_invalid: Invalid = _skip) -> dict[str, DogBundle]:
    """Many dog bundles in four queries (a pull page, a push batch). A dog whose rows do not make a valid bundle
    goes to `on_invalid` (by default logged and left out) instead of stopping the others."""
    if not dog_ids:
        return {}
    dogs = s.execute(select(Dog.__table__).where(Dog.id.in_(dog_ids))).mappings().all()
    if not dogs:
        return {}
    owners = {o["id"]: o for o in s.execute(select(Owner.__table__).where(
        Owner.id.in_({d["owner_id"] for d in dogs}))).mappings()}
    photos: dict[str, list] = {}
    for p in s.execute(select(NosePhoto.__table__).where(NosePhoto.dog_id.in_(dog_ids))
                       .order_by(NosePhoto.position, NosePhoto.id)).mappings():
        photos.setdefault(p["dog_id"], []).append(p)
    templates: dict[str, list] = {}
    for t in s.execute(select(NoseTemplate.__table__).where(NoseTemplate.dog_id.in_(dog_ids))
                       .order_by(NoseTemplate.id)).mappings():
        templates.setdefault(t["dog_id"], []).append(t)
    out = {}
    for dog in dogs:
        o = owners[dog["owner_id"]]
        try:
            out[dog["id"]] = DogBundle(
                id=dog["id"], registration_number=dog["registration_number"], registered_at=dog["registered_at"],
                created_at=dog["created_at"], updated_at=dog["updated_at"], deleted_at=dog["deleted_at"],
                origin_device=dog["origin_device"], org_id=dog["org_id"], fields={f: dog[f] for f in DOG_FIELDS},
                owner={**{k: o[k] for k in _OWNER}, "erased_at": o["deleted_at"],
                       # a kiosk's placeholder for an owner it was never shown (another organisation's dog)
                       "redacted": not o["phone"] and o["deleted_at"] is None},
                photos=[{k: p[k] for k in _PHOTO} for p in photos.get(dog["id"], [])],
                templates=[{**{k: t[k] for k in _TEMPLATE}, "vector": base64.b64encode(t["vector"]).decode("ascii")}
                           for t in templates.get(dog["id"], [])])
        except ValidationError as exc:
            on_invalid(dog["id"], exc)
    return out


def dog_bundle(s: Session, dog_id: str) -> DogBundle | None:
    return dog_bundles(s, [dog_id]).get(dog_id)


def flag_state(s: Session, flag_id: str, on_invalid: Invalid = _skip) -> FlagState | None:
    f = s.get(ReviewFlag, flag_id)
    if f is None:
        return None
    try:
        return FlagState(id=f.id, dog_id=f.dog_id, other_dog_id=f.other_dog_id, score=f.score, reason=f.reason,
                         resolved=f.resolved, resolution=f.resolution, created_at=f.created_at,
                         updated_at=f.updated_at, deleted_at=f.deleted_at, origin_device=f.origin_device)
    except ValidationError as exc:
        on_invalid(flag_id, exc)
        return None


def states(s: Session, items: list[tuple[str, str]], on_invalid: Invalid = _skip) -> dict[str, DogBundle | FlagState]:
    """The current states of (entity, id) pairs, by id; entities gone (or that cannot travel) are absent."""
    out: dict[str, DogBundle | FlagState] = dict(dog_bundles(s, [i for e, i in items if e == DOG], on_invalid))
    for e, i in items:
        if e == FLAG and (st := flag_state(s, i, on_invalid)) is not None:
            out[i] = st
    return out
