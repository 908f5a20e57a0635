"""Kiosk, pushing: which local changes go to the server, as what, and what the server's answer changes here.

The core's `Outbox` says which entities changed; the change is built at push time from the current rows, one per
entity however often it changed. Its change_id is that of the entity's newest outbox row: resending after a crash
reuses it, so the server applies it once; a newer local edit makes a newer row and so a new change."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from core.registry.models import Dog, Outbox, Owner
from core.replication.bundle import DOG, DOG_FIELDS, OWNER_NAME, DogBundle, FlagState, states
from core.replication.bundle import problems as describe
from core.replication.messages import (
    AnyChange,
    DogChange,
    FlagChange,
    FoundCaseChange,
    LostReportChange,
    Remap,
    ReunionChange,
)
from core.replication.reunite_states import FoundCaseState, LostReportState, ReunionState, reunite_states
from core.replication.rules import free_number_locally, merge_owner
from core.replication.shadows import set_shadows, shadow_of


@dataclass
class OutgoingChange:
    """One entity's pending outbox rows (`seqs`) and what goes to the server for them: `change`, or nothing when
    the entity is gone (never on the server) or cannot travel (`problem` says why)."""

    change_id: str
    entity: str
    entity_id: str
    seqs: list[int]
    change: AnyChange | None
    problem: str = ""

    @property
    def op(self) -> str:
        return self.change.op if self.change is not None else "skip"


def pending_count(s: Session) -> int:
    """Local entities with changes not yet on the server."""
    return s.scalar(select(func.count(func.distinct(Outbox.entity_id))).where(Outbox.pushed_at.is_(None))) or 0


def is_pending(s: Session, entity_id: str) -> bool:
    return s.scalar(select(Outbox.seq).where(Outbox.entity_id == entity_id, Outbox.pushed_at.is_(None))
                    .limit(1)) is not None


def outgoing_changes(s: Session, limit: int = 100) -> list[OutgoingChange]:
    """The oldest pending entities, each coalesced into one change with its current state."""
    rows = s.execute(select(Outbox.seq, Outbox.change_id, Outbox.entity, Outbox.entity_id)
                     .where(Outbox.pushed_at.is_(None)).order_by(Outbox.seq)).all()
    latest: dict[tuple[str, str], Any] = {}
    covered: dict[tuple[str, str], list[int]] = {}
    for r in rows:
        latest[(r.entity, r.entity_id)] = r  # the last row per entity wins
        covered.setdefault((r.entity, r.entity_id), []).append(r.seq)
    order = sorted(latest.values(), key=lambda r: r.seq)[:limit]
    problems: dict[str, str] = {}

    def cannot_travel(entity_id: str, exc: ValidationError) -> None:
        problems[entity_id] = f"cannot be sent: {describe(exc)}"[:500]

    items = [(r.entity, r.entity_id) for r in order]
    found = {**states(s, items, on_invalid=cannot_travel), **reunite_states(s, items, on_invalid=cannot_travel)}
    out = []
    for r in order:
        seqs = covered[(r.entity, r.entity_id)]
        st = found.get(r.entity_id)
        change: AnyChange | None = None
        if isinstance(st, DogBundle):
            change = DogChange(change_id=r.change_id, entity_id=r.entity_id, op=_op(st), state=st,
                               clocks=_local_clocks(s, st))
        elif isinstance(st, FlagState):
            change = FlagChange(change_id=r.change_id, entity_id=r.entity_id, op=_op(st), state=st)
        elif isinstance(st, LostReportState | FoundCaseState | ReunionState):
            kind = {LostReportState: LostReportChange, FoundCaseState: FoundCaseChange}.get(type(st), ReunionChange)
            change = kind(change_id=r.change_id, entity_id=r.entity_id, op=_op(st), state=st)
        out.append(OutgoingChange(r.change_id, r.entity, r.entity_id, seqs, change, problems.get(r.entity_id, "")))
    return out


def _op(st) -> str:
    return "delete" if st.deleted_at is not None else "upsert"


def _local_clocks(s: Session, st: DogBundle) -> dict[str, datetime]:
    """The fields changed here since the last agreed state, stamped with the (kiosk-clock) time of the edit."""
    shadow = shadow_of(s, st.id)
    fields = st.fields.model_dump(mode="json")
    # agreed with its owner redacted (another organisation's dog): the notes and the owner's name were never
    # shown, so what is known of them here is no edit
    redacted = shadow is not None and bool(shadow["owner"].get("redacted"))
    clocks = {f: st.updated_at for f in DOG_FIELDS if shadow is None or shadow["fields"].get(f) != fields[f]
              if not (redacted and f == "notes")}
    if not redacted and (shadow is None or shadow["owner"]["name"] != st.owner.name):
        clocks[OWNER_NAME] = max(st.owner.updated_at, st.updated_at)
    return clocks


def mark_pushed_many(s: Session, changes: list[OutgoingChange], now: datetime) -> None:
    """The server has these changes: their outbox rows are done and their states are the agreed ones."""
    seqs = [q for c in changes for q in c.seqs]
    for i in range(0, len(seqs), 500):
        s.execute(update(Outbox).where(Outbox.seq.in_(seqs[i:i + 500]), Outbox.pushed_at.is_(None))
                  .values(pushed_at=now))
    set_shadows(s, {c.entity_id: c.change.state for c in changes
                    if c.entity == DOG and isinstance(c.change, DogChange)})


def adopt_remap(s: Session, remap: Remap) -> None:
    """The server's answer to a push: owners merged into another id, registration numbers changed."""
    for from_id, to_id in remap.owners.items():
        local = s.get(Owner, from_id)
        if local is not None and from_id != to_id:
            merge_owner(s, local, to_id)
    for dog_id, number in remap.numbers.items():
        dog = s.get(Dog, dog_id)
        if dog is not None and dog.registration_number != number:
            free_number_locally(s, number, keep=dog_id)
            s.execute(update(Dog).where(Dog.id == dog_id).values(registration_number=number,
                                                                updated_at=Dog.updated_at))
