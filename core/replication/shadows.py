"""Kiosk: the sync shadows, the last state of each dog that this kiosk and the server agreed on
(`sync_entity.shadow`). A field that differs from its shadow is a local change still to be pushed, and a pull never
overwrites it. An owner's erasure blanks their data in the shadows too (on the server: in the fields it remembers)."""

from __future__ import annotations

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from core.registry.encrypted import place_rows
from core.registry.models import SyncEntity
from core.replication.bundle import DOG, DogBundle


def shadow_of(s: Session, dog_id: str) -> dict | None:
    ent = s.get(SyncEntity, dog_id)
    return ent.shadow if ent is not None else None


def set_shadows(s: Session, agreed: dict[str, DogBundle]) -> None:
    """These dogs' states are now the agreed ones (a pushed batch, a pulled dog, a page of new dogs)."""
    ids = list(agreed)
    if len(ids) == 1:  # one dog: its row is usually in the session already
        one = s.get(SyncEntity, ids[0])
        have = {ids[0]: one} if one is not None else {}
    else:
        have = {}
        for k in range(0, len(ids), 500):
            have.update((e.entity_id, e) for e in s.scalars(select(SyncEntity).where(
                SyncEntity.entity_id.in_(ids[k:k + 500]))))
    for dog_id, ent in have.items():
        ent.shadow = agreed[dog_id].slim()
    new = [{"entity_id": i, "entity": DOG, "clocks": None, "shadow": agreed[i].slim()} for i in ids if i not in have]
    if new:
        s.execute(insert(SyncEntity), place_rows(SyncEntity, new))  # each shadow bound to its row


def forget_owner_in_shadows(s: Session, dog_ids: list[str], notes_of: set[str] = frozenset()) -> None:
    """An erased owner's name and phone (and the notes of the dogs in `notes_of`) out of the sync shadows kept
    for these dogs: the kiosk's last agreed states and the server's remembered fields."""
    for ent in s.scalars(select(SyncEntity).where(SyncEntity.entity_id.in_(dog_ids))) if dog_ids else []:
        shadow = dict(ent.shadow or {})
        if not shadow:
            continue
        if isinstance(shadow.get("owner"), dict):
            shadow["owner"] = {**shadow["owner"], "phone": "", "name": ""}
        if "owner_name" in shadow:
            shadow["owner_name"] = ""
        if ent.entity_id in notes_of and isinstance(shadow.get("fields"), dict):
            shadow["fields"] = {**shadow["fields"], "notes": ""}
        ent.shadow = shadow  # a new dict: JSON columns track assignment only
