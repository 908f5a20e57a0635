"""What the kiosk and the server say to each other in a sync step, typed: a pushed change and its answer, a pulled
change and the pages they come in. sync/protocol.py carries these over HTTP as they are; the core's entry points
(core/replication/server.py, core/replication/kiosk.py) take and give them."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, model_validator

from core.replication.bundle import ClockName, DogBundle, FlagState, Id, Stamp
from core.replication.reunite_states import FoundCaseState, LostReportState, ReunionState


class _EntityChange(BaseModel):
    """What every pushed change has: its idempotency key, the entity it changes, the operation, and the kiosk-clock
    time of each field edited since the last agreed state. `state` (declared by each kind) must be that entity's."""

    change_id: Id
    entity_id: Id
    op: Literal["upsert", "delete"]
    clocks: dict[ClockName, Stamp] = {}

    @model_validator(mode="after")
    def _same_entity(self) -> _EntityChange:
        if self.state.id != self.entity_id:
            raise ValueError(f"state.id {self.state.id!r} is not the entity_id {self.entity_id!r}")
        return self


class DogChange(_EntityChange):
    """A dog changed on the kiosk, coalesced: its current bundle, and the fields edited here since the last agreed
    state with the kiosk-clock time of the edit (the server corrects them by the kiosk's measured clock offset).

    `change_id` is the idempotency key: the server applies a change_id at most once and answers a resend with the
    first answer."""

    entity: Literal["dog"] = "dog"
    state: DogBundle


class FlagChange(_EntityChange):
    """A review flag made or decided on the kiosk. Applied after the dogs of the same push; until its dogs are on
    the server it is answered `missing_photos` with no photo named."""

    entity: Literal["review_flag"] = "review_flag"
    state: FlagState


class LostReportChange(_EntityChange):
    """A lost report made or changed on the kiosk (its state only moves forward). The server takes the organisation
    from the pushing key; of another organisation's report it takes only the end a confirmed reunion makes (home).
    Until its dog is on the server it is answered `missing_photos` with no photo named."""

    entity: Literal["lost_report"] = "lost_report"
    state: LostReportState


class FoundCaseChange(_EntityChange):
    """A found case opened or changed on the kiosk, with its photos (uploaded first, by sha256, like a dog's). It
    belongs to the pushing key's organisation; only that organisation changes it afterwards."""

    entity: Literal["found_case"] = "found_case"
    state: FoundCaseState


class ReunionChange(_EntityChange):
    """A possible reunion found on the kiosk, or a person's decision on one (possible -> confirmed | rejected).
    Accepted only from the organisation holding its found case; until the case and the dog are on the server it
    is answered `missing_photos` with no photo named."""

    entity: Literal["reunion"] = "reunion"
    state: ReunionState


ReuniteChange = LostReportChange | FoundCaseChange | ReunionChange
AnyChange = DogChange | FlagChange | LostReportChange | FoundCaseChange | ReunionChange
Change = Annotated[AnyChange, Field(discriminator="entity")]
Status = Literal["applied", "duplicate", "missing_photos", "rejected"]


class Remap(BaseModel):
    """What the server changed of a pushed change: owners merged into another id (same phone), registration
    numbers moved to a free suffix."""

    owners: dict[str, str] = {}  # kiosk owner id -> server owner id
    numbers: dict[str, str] = {}  # dog id -> registration number

    def __len__(self) -> int:
        return len(self.owners) + len(self.numbers)


class ChangeResult(BaseModel):
    change_id: str
    status: Status
    remap: Remap = Field(default_factory=Remap)
    missing: list[str] = Field(default_factory=list)  # photo sha256s to upload before pushing the change again
    message: str = ""
    seq: int | None = None


class PushAnswer(BaseModel):
    results: list[ChangeResult]  # one per change, in the order pushed
    clock_offset_s: float  # server minus kiosk, as measured
    cursor: int  # the server's newest seq after the push


class PulledDog(BaseModel):
    seq: int
    entity: Literal["dog"] = "dog"
    entity_id: Id
    state: DogBundle


class PulledFlag(BaseModel):
    seq: int
    entity: Literal["review_flag"] = "review_flag"
    entity_id: Id
    state: FlagState


class PulledLostReport(BaseModel):
    seq: int
    entity: Literal["lost_report"] = "lost_report"
    entity_id: Id
    state: LostReportState  # another organisation's: redacted (no contact, no notes)


class PulledFoundCase(BaseModel):
    seq: int
    entity: Literal["found_case"] = "found_case"
    entity_id: Id
    state: FoundCaseState  # another organisation's: redacted (no finder's contact, no notes)


class PulledReunion(BaseModel):
    seq: int
    entity: Literal["reunion"] = "reunion"
    entity_id: Id
    state: ReunionState


PulledReunite = PulledLostReport | PulledFoundCase | PulledReunion
AnyPulled = PulledDog | PulledFlag | PulledLostReport | PulledFoundCase | PulledReunion
Pulled = Annotated[AnyPulled, Field(discriminator="entity")]


class PullPage(BaseModel):
    changes: list[Pulled]  # oldest first, each entity once, in its current state
    cursor: int  # pass as `since` next time; only ever the server's seq, never a clock
    has_more: bool
