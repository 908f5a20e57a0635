"""The reunite entities as they travel (issue 24): a lost report, a found case with its photos (each with its
template vector), a reunion. Typed and validated like the dog bundle (core/replication/bundle.py): a malformed
state is refused where it enters (422 naming the field), and built from the registry's rows here only.

Each is its own small entity, like a review flag (`FlagState`): state-based, so applying the same state twice
changes nothing. Their states only move forward (`RANK`): a lost report open -> withdrawn | home, a found case
open -> reunited | closed, a reunion possible -> confirmed | rejected; a final state is never left.

What another organisation's device sees (`redacted()`): of a lost report, neither the owner's contact nor the
notes; of a found case, neither the finder's contact nor the notes. A copy that knows them keeps what it knows."""

from __future__ import annotations

import base64
import logging
from typing import Literal

from pydantic import Field, ValidationError, model_serializer, model_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.registry.models import DEFAULT_ORG_ID, Dog, FoundCase, FoundPhoto, LostReport, Reunion, reunion_id
from core.replication.bundle import Device, Float32Vector, Id, Invalid, Score, Sha256, Stamp, Wire, problems

log = logging.getLogger(__name__)

LOST, FOUND, REUNION = "lost_report", "found_case", "reunion"  # the outbox's and the change log's entity names
REUNITE_ENTITIES = (LOST, FOUND, REUNION)

# how far each state has gone: a state only ever moves to a higher rank; the final ones share theirs (first wins)
RANK = {"open": 0, "withdrawn": 1, "home": 1,  # lost report
        "reunited": 1, "closed": 1,  # found case (open: 0)
        "possible": 0, "confirmed": 1, "rejected": 1}  # reunion

Phone = Field("", pattern=r"^(\+[0-9]{4,15})?$")  # E.164, or ""
Lat = Field(None, ge=-90, le=90, allow_inf_nan=False)
Lon = Field(None, ge=-180, le=180, allow_inf_nan=False)


def _both_or_neither(lat: float | None, lon: float | None) -> None:
    if (lat is None) != (lon is None):
        raise ValueError("give both lat and lon, or neither")


class _Redactable(Wire):
    # left out of a pull for another organisation's device: the personal fields are empty and a copy that knows them
    # keeps what it knows
    redacted: bool = False

    @model_serializer(mode="wrap")
    def _redacted_only_when_redacted(self, handler):
        out = handler(self)
        if not self.redacted:
            out.pop("redacted", None)
        return out


class LostReportState(_Redactable):
    """An owner's report that a registered dog is lost. `org_id` is the reporting organisation's (the server's: the
    pushing key's, never what a kiosk says)."""

    id: Id
    dog_id: Id
    org_id: str | None = Field(None, max_length=36)
    lost_at: Stamp
    place: str = Field(min_length=1, max_length=200)
    lat: float | None = Lat
    lon: float | None = Lon
    contact_email: str = Field("", max_length=254)
    contact_phone: str = Phone
    channel: Literal["sms", "email"] = "sms"
    language: Literal["ko", "en"] = "ko"
    notify_possible: bool = False
    notes: str = Field("", max_length=2000)
    state: Literal["open", "withdrawn", "home"] = "open"
    closed_at: Stamp | None = None
    created_at: Stamp
    updated_at: Stamp
    deleted_at: Stamp | None = None
    origin_device: Device = None

    @model_validator(mode="after")
    def _valid(self) -> LostReportState:
        _both_or_neither(self.lat, self.lon)
        if self.redacted and (self.contact_email or self.contact_phone or self.notes):
            raise ValueError("redacted: the owner's contact and the notes must be empty")
        return self

    def redact(self) -> LostReportState:
        return self.model_copy(update={"contact_email": "", "contact_phone": "", "notes": "", "redacted": True})


class FoundPhotoState(Float32Vector):
    """A found dog's nose photo (the file travels by its sha256, as a dog's photos do) and its template."""

    id: Id
    sha256: Sha256
    width: int = Field(ge=1, le=100_000)
    height: int = Field(ge=1, le=100_000)
    quality: Score = 0.0
    position: int = Field(0, ge=0)
    model_name: str = Field(min_length=1, max_length=64)
    model_version: str = Field(min_length=1, max_length=64)
    created_at: Stamp
    deleted_at: Stamp | None = None
    origin_device: Device = None


class FoundCaseState(_Redactable):
    """A dog found without its owner, with its photos. `org_id` is the holding organisation's (the server's: the
    pushing key's, never what a kiosk says)."""

    id: Id
    org_id: str | None = Field(None, max_length=36)
    kind: Literal["intake", "finder"] = "intake"
    found_at: Stamp
    place: str = Field(min_length=1, max_length=200)
    lat: float | None = Lat
    lon: float | None = Lon
    notes: str = Field("", max_length=2000)
    finder_contact: str = Field("", max_length=254)
    hold_until: Stamp | None = None
    state: Literal["open", "reunited", "closed"] = "open"
    dog_id: Id | None = None  # the dog it was reunited with
    closed_at: Stamp | None = None
    created_at: Stamp
    updated_at: Stamp
    deleted_at: Stamp | None = None
    origin_device: Device = None
    photos: list[FoundPhotoState] = Field(default_factory=list, max_length=20)

    @model_validator(mode="after")
    def _valid(self) -> FoundCaseState:
        _both_or_neither(self.lat, self.lon)
        if self.redacted and (self.notes or self.finder_contact):
            raise ValueError("redacted: the finder's contact and the notes must be empty")
        if len({p.id for p in self.photos}) != len(self.photos):
            raise ValueError("photos: an id twice")
        return self

    def live_photo_shas(self) -> list[str]:
        return [p.sha256 for p in self.photos if p.deleted_at is None]

    def redact(self) -> FoundCaseState:
        return self.model_copy(update={"notes": "", "finder_contact": "", "redacted": True})


class ReunionState(Wire):
    """A found case and a registered dog put together by recognition, and a person's decision on them. Its id is
    derived from the pair (core.registry.models.reunion_id): two sides finding the same pair make one reunion."""

    id: Id
    found_case_id: Id
    dog_id: Id
    lost_report_id: Id | None = None
    score: Score
    decision: Literal["match", "uncertain"]
    source: Literal["lost", "registry"]
    state: Literal["possible", "confirmed", "rejected"] = "possible"
    decided_by: str | None = Field(None, max_length=100)
    decided_at: Stamp | None = None
    created_at: Stamp
    updated_at: Stamp
    deleted_at: Stamp | None = None
    origin_device: Device = None

    @model_validator(mode="after")
    def _pair_id(self) -> ReunionState:
        if self.id != reunion_id(self.found_case_id, self.dog_id):
            raise ValueError("id: not the id of its (found_case_id, dog_id) pair (reunion_id)")
        return self


ReuniteState = LostReportState | FoundCaseState | ReunionState


def decides(s: Session, case: FoundCase, dog_id: str, org_id: str | None) -> bool:
    """Whether `org_id` decides the reunion of `case` and `dog_id`: the organisation holding the case, or, for a
    finder's case (held by the app's organisation, which has no staff), the organisation of the dog (the shelter
    or clinic that knows its owner), as core/service/reunite.py lets a staff key."""
    org = org_id or DEFAULT_ORG_ID
    if (case.org_id or DEFAULT_ORG_ID) == org:
        return True
    if case.kind != "finder":
        return False
    dog_org = s.scalar(select(Dog.org_id).where(Dog.id == dog_id))
    return dog_org is not None and (dog_org or DEFAULT_ORG_ID) == org


# ------------------------------------------------------------------------------------------------ from the rows
def _skip(entity_id: str, exc: ValidationError) -> None:
    log.error("sync: %s cannot travel and is left out: %s", entity_id, problems(exc))


def _times(row) -> dict:
    return {"created_at": row.created_at, "updated_at": row.updated_at, "deleted_at": row.deleted_at,
            "origin_device": row.origin_device}


def lost_state(r: LostReport) -> LostReportState:
    return LostReportState(
        id=r.id, dog_id=r.dog_id, org_id=r.org_id, lost_at=r.lost_at, place=r.place, lat=r.lat, lon=r.lon,
        contact_email=r.contact_email or "", contact_phone=r.contact_phone or "", channel=r.channel,
        language=r.language, notify_possible=r.notify_possible, notes=r.notes or "", state=r.state.value,
        closed_at=r.closed_at, **_times(r))


def case_state(c: FoundCase, photos: list[FoundPhoto]) -> FoundCaseState:
    return FoundCaseState(
        id=c.id, org_id=c.org_id, kind=c.kind, found_at=c.found_at, place=c.place, lat=c.lat, lon=c.lon,
        notes=c.notes or "", finder_contact=c.finder_contact or "", hold_until=c.hold_until, state=c.state.value,
        dog_id=c.dog_id, closed_at=c.closed_at, **_times(c),
        photos=[FoundPhotoState(id=p.id, sha256=p.sha256, width=p.width, height=p.height, quality=p.quality,
                                position=p.position, model_name=p.model_name, model_version=p.model_version,
                                dim=p.dim, vector=base64.b64encode(p.vector).decode("ascii"),
                                created_at=p.created_at, deleted_at=p.deleted_at, origin_device=p.origin_device)
                for p in photos])


def reunion_state(r: Reunion) -> ReunionState:
    return ReunionState(
        id=r.id, found_case_id=r.found_case_id, dog_id=r.dog_id, lost_report_id=r.lost_report_id, score=r.score,
        decision=r.decision, source=r.source, state=r.state.value, decided_by=r.decided_by, decided_at=r.decided_at,
        **_times(r))


def reunite_states(s: Session, items: list[tuple[str, str]], on_invalid: Invalid = _skip) -> dict[str, ReuniteState]:
    """The current states of the reunite entities among (entity, id) pairs, by id; those gone (or that cannot
    travel: `on_invalid`) are absent."""
    want: dict[str, list[str]] = {}
    for e, i in items:
        if e in REUNITE_ENTITIES:
            want.setdefault(e, []).append(i)
    out: dict[str, ReuniteState] = {}

    def build(entity_id: str, make, *args) -> None:
        try:
            out[entity_id] = make(*args)
        except ValidationError as exc:
            on_invalid(entity_id, exc)

    for k in range(0, len(want.get(LOST, [])), 500):
        for r in s.scalars(select(LostReport).where(LostReport.id.in_(want[LOST][k:k + 500]))):
            build(r.id, lost_state, r)
    for k in range(0, len(want.get(FOUND, [])), 500):
        ids = want[FOUND][k:k + 500]
        photos: dict[str, list[FoundPhoto]] = {}
        for p in s.scalars(select(FoundPhoto).where(FoundPhoto.case_id.in_(ids))
                           .order_by(FoundPhoto.position, FoundPhoto.id)):
            photos.setdefault(p.case_id, []).append(p)
        for c in s.scalars(select(FoundCase).where(FoundCase.id.in_(ids))):
            build(c.id, case_state, c, photos.get(c.id, []))
    for k in range(0, len(want.get(REUNION, [])), 500):
        for r in s.scalars(select(Reunion).where(Reunion.id.in_(want[REUNION][k:k + 500]))):
            build(r.id, reunion_state, r)
    return out
