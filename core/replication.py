"""Replication: moving registry changes between databases (kiosks <-> the central server). No HTTP here.

The unit of replication is the *dog bundle*: a dog with its owner, photos and templates, as one JSON state.
Review flags travel as their own small entity. Everything is state-based and idempotent: applying the same
state twice changes nothing, so a change that is sent, lost, resent or reordered converges.

Server side
    `SyncLog` is the server's change sequence: one row per changed entity, `seq` strictly increasing in
    commit order (every writer of the log first takes the sync lock, a row lock on MySQL and the write lock
    on SQLite, so no seq can commit after a higher one has been read). Older rows of an entity are dropped
    when it changes again, so a kiosk catching up fetches each entity once. `SyncReceived` remembers every
    change_id applied (the idempotency key) with its result. `SyncEntity.clocks` keeps the per-field
    timestamps for last-writer-wins, and `SyncIdMap` the owner ids merged into another (same phone).
Kiosk side
    The core's `Outbox` says which entities changed; the payload is built at push time from the current rows.
    `SyncEntity.shadow` is the last state the kiosk and the server agreed on: a field that differs from it is
    a local change still to be pushed, and a pull never overwrites it.

Conflict rules (docs/sync.md explains them for people):
- owner phone taken on the server by another owner id -> the incoming owner is mapped onto the existing one
  (SyncIdMap); the kiosk is told (remap.owners) and merges its row; dogs follow.
- registration number taken by another dog -> the server gives the incoming dog the next free suffix
  (-2, -3, ...) and the kiosk adopts it (remap.numbers, and the pulled state).
- the same nose registered on two kiosks -> both dogs kept, a ReviewFlag pairs them; it replicates.
- review flags travel both ways (a kiosk flags look-alikes at registration and resolves flags on its review page):
  a flag's decision only moves forward everywhere: resolved stays resolved, "same_dog" wins over
  "different_dogs" (a merge, with its deletion, cannot be undone by sync), a closed (deleted) flag stays closed.
- an edit on both sides -> last writer wins per field, by the field's timestamp corrected for the kiosk's
  clock offset (measured at push), ties to the later arrival at the server.
- a deletion wins over any edit, earlier or later, and is never undone by sync.
"""

from __future__ import annotations

import base64
import logging
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import JSON, BigInteger, Integer, String, and_, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.recognition.gallery import one_omp_thread
from core.registry.models import (
    Base,
    Dog,
    DogStatus,
    EncryptedJSON,
    Meta,
    NosePhoto,
    NoseTemplate,
    Outbox,
    Owner,
    ReviewFlag,
    Sex,
    UTCDateTime,
    utcnow,
)

log = logging.getLogger(__name__)

DOG, FLAG = "dog", "review_flag"
DOG_FIELDS = ("name", "breed", "sex", "birth_date", "neutered", "notes", "status")
OWNER_NAME = "owner_name"  # clock key of the owner's name inside a dog change
LOCK_KEY = "sync_lock"
CURSOR_KEY = "sync_cursor"
DEFERRED_KEY = "sync_deferred"  # kiosk: pulled review flags whose dogs have not arrived yet


# ------------------------------------------------------------------------------------------------ tables
class SyncLog(Base):
    """Server: the change sequence kiosks pull from (cursor = seq)."""

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
    """Per entity: server-side field clocks (LWW) and tombstone memory; kiosk-side shadow (last agreed state)."""

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


# ------------------------------------------------------------------------------------------------ helpers
def iso(value: datetime | date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    return value.isoformat()


def parse_ts(value: str | None) -> datetime | None:
    if value is None:
        return None
    ts = datetime.fromisoformat(value)
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


def _field_value(name: str, value: Any) -> Any:
    """A field as stored in JSON (enums as their value, dates as ISO)."""
    if hasattr(value, "value"):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    return value


def _field_python(name: str, value: Any) -> Any:
    if value is None:
        return None
    if name == "sex":
        return Sex(value)
    if name == "status":
        return DogStatus(value)
    if name == "birth_date":
        return date.fromisoformat(value)
    return value


def encode_vector(vector: bytes) -> str:
    return base64.b64encode(vector).decode("ascii")


def decode_vector(text: str) -> bytes:
    return base64.b64decode(text)


# ------------------------------------------------------------------------------------------------ states
def dog_state(s: Session, dog_id: str) -> dict | None:
    """The dog bundle as JSON-able data (what travels in push and pull)."""
    return dog_states(s, [dog_id]).get(dog_id)


def dog_states(s: Session, dog_ids: list[str]) -> dict[str, dict]:
    """Many dog bundles in four queries (a pull page, a push batch)."""
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
        owner = owners[dog["owner_id"]]
        out[dog["id"]] = {
            "id": dog["id"],
            "registration_number": dog["registration_number"],
            "registered_at": iso(dog["registered_at"]),
            "created_at": iso(dog["created_at"]),
            "updated_at": iso(dog["updated_at"]),
            "deleted_at": iso(dog["deleted_at"]),
            "origin_device": dog["origin_device"],
            "fields": {f: _field_value(f, dog[f]) for f in DOG_FIELDS},
            "owner": {"id": owner["id"], "phone": owner["phone"], "name": owner["name"],
                      "created_at": iso(owner["created_at"]), "updated_at": iso(owner["updated_at"]),
                      "origin_device": owner["origin_device"],
                      # an owner erased on request (core/owner_rights.py): every copy erases it too
                      **({"erased_at": iso(owner["deleted_at"])} if owner["deleted_at"] is not None else {})},
            "photos": [{"id": p["id"], "sha256": p["sha256"], "width": p["width"], "height": p["height"],
                        "quality": p["quality"], "position": p["position"], "created_at": iso(p["created_at"]),
                        "deleted_at": iso(p["deleted_at"]), "origin_device": p["origin_device"]}
                       for p in photos.get(dog["id"], [])],
            "templates": [{"id": t["id"], "photo_id": t["photo_id"], "model_name": t["model_name"],
                           "model_version": t["model_version"], "dim": t["dim"], "vector": encode_vector(t["vector"]),
                           "quality": t["quality"], "created_at": iso(t["created_at"]),
                           "deleted_at": iso(t["deleted_at"]), "origin_device": t["origin_device"]}
                          for t in templates.get(dog["id"], [])],
        }
    return out


def flag_state(s: Session, flag_id: str) -> dict | None:
    f = s.get(ReviewFlag, flag_id)
    if f is None:
        return None
    return {"id": f.id, "dog_id": f.dog_id, "other_dog_id": f.other_dog_id, "score": f.score, "reason": f.reason,
            "resolved": f.resolved, "resolution": f.resolution, "created_at": iso(f.created_at),
            "updated_at": iso(f.updated_at), "deleted_at": iso(f.deleted_at), "origin_device": f.origin_device}


# how far a flag's decision has gone: it only ever moves forward (see the module docstring)
_RESOLUTION_RANK = {None: 0, "different_dogs": 1, "same_dog": 2}


def merge_flag_decision(flag: ReviewFlag, resolved: bool, resolution: str | None,
                        deleted_at: datetime | None) -> bool:
    """Take another copy's decision on a flag where it goes further: resolved, same_dog over different_dogs, closed.
    Returns whether the flag changed."""
    changed = False
    if resolved and not flag.resolved:
        flag.resolved = True
        changed = True
    if _RESOLUTION_RANK.get(resolution, 0) > _RESOLUTION_RANK.get(flag.resolution, 0):
        flag.resolution = resolution
        changed = True
    if deleted_at is not None and flag.deleted_at is None:
        flag.deleted_at = deleted_at
        changed = True
    return changed


def _pair_flag(s: Session, dog_id: str, other_id: str) -> ReviewFlag | None:
    """The flag of a pair of dogs, whichever way round it was made (one flag per pair)."""
    f = ReviewFlag
    return s.scalar(select(f).where(or_(and_(f.dog_id == dog_id, f.other_dog_id == other_id),
                                        and_(f.dog_id == other_id, f.other_dog_id == dog_id))).limit(1))


def entity_state(s: Session, entity: str, entity_id: str) -> dict | None:
    return dog_state(s, entity_id) if entity == DOG else flag_state(s, entity_id) if entity == FLAG else None


def live_photo_shas(state: dict) -> list[str]:
    return [p["sha256"] for p in state.get("photos", []) if p.get("deleted_at") is None]


# ------------------------------------------------------------------------------------------------ kiosk: push
@dataclass
class OutgoingChange:
    change_id: str
    entity: str
    entity_id: str
    op: str
    payload: dict
    max_seq: int  # outbox rows of this entity up to this seq are covered by the change
    seqs: list[int] = field(default_factory=list)  # those outbox rows


def pending_count(s: Session) -> int:
    return s.scalar(select(func.count(func.distinct(Outbox.entity_id))).where(Outbox.pushed_at.is_(None))) or 0


def outgoing_changes(s: Session, limit: int = 100) -> list[OutgoingChange]:
    """The oldest pending entities, each coalesced into one change with its current state.

    The change_id is that of the entity's newest outbox row: resending after a crash reuses it, so the
    server applies it once; a newer local edit makes a newer row and so a new change."""
    rows = s.execute(select(Outbox.seq, Outbox.change_id, Outbox.entity, Outbox.entity_id, Outbox.op)
                     .where(Outbox.pushed_at.is_(None)).order_by(Outbox.seq)).all()
    latest: dict[tuple[str, str], Any] = {}
    covered: dict[tuple[str, str], list[int]] = {}
    for r in rows:
        latest[(r.entity, r.entity_id)] = r  # the last row per entity wins
        covered.setdefault((r.entity, r.entity_id), []).append(r.seq)
    order = sorted(latest.values(), key=lambda r: r.seq)[:limit]
    dogs = dog_states(s, [r.entity_id for r in order if r.entity == DOG])
    out = []
    for r in order:
        state = dogs.get(r.entity_id) if r.entity == DOG else entity_state(s, r.entity, r.entity_id)
        if state is None:  # the row vanished (never on the server): nothing to send
            out.append(OutgoingChange(r.change_id, r.entity, r.entity_id, "skip", {}, r.seq,
                                      covered[(r.entity, r.entity_id)]))
            continue
        op = "delete" if state.get("deleted_at") else "upsert"
        out.append(OutgoingChange(r.change_id, r.entity, r.entity_id, op,
                                  {"state": state, "clocks": _local_clocks(s, r.entity, state)}, r.seq,
                                  covered[(r.entity, r.entity_id)]))
    return out


def _local_clocks(s: Session, entity: str, state: dict) -> dict[str, str]:
    """The fields changed here since the last agreed state, stamped with the (kiosk-clock) time of the edit."""
    if entity != DOG:
        return {}
    ent = s.get(SyncEntity, state["id"])
    shadow = ent.shadow if ent is not None else None
    clocks = {}
    for f in DOG_FIELDS:
        if shadow is None or shadow["fields"].get(f) != state["fields"][f]:
            clocks[f] = state["updated_at"]
    if shadow is None or shadow["owner"]["name"] != state["owner"]["name"]:
        clocks[OWNER_NAME] = max(state["owner"]["updated_at"], state["updated_at"])
    return clocks


def mark_pushed(s: Session, change: OutgoingChange, now: datetime) -> None:
    s.execute(update(Outbox).where(Outbox.entity == change.entity, Outbox.entity_id == change.entity_id,
                                   Outbox.seq <= change.max_seq, Outbox.pushed_at.is_(None))
              .values(pushed_at=now))
    if change.op != "skip" and change.entity == DOG:
        _set_shadow(s, DOG, change.entity_id, change.payload["state"])


def mark_pushed_many(s: Session, changes: list[OutgoingChange], now: datetime) -> None:
    """The server has these changes: their outbox rows are done and their states are the agreed ones."""
    seqs = [q for c in changes for q in c.seqs]
    for i in range(0, len(seqs), 500):
        s.execute(update(Outbox).where(Outbox.seq.in_(seqs[i:i + 500]), Outbox.pushed_at.is_(None))
                  .values(pushed_at=now))
    shadows = {c.entity_id: c.payload["state"] for c in changes if c.op != "skip" and c.entity == DOG}
    if shadows:
        s.execute(delete(SyncEntity).where(SyncEntity.entity_id.in_(list(shadows))))
        s.execute(SyncEntity.__table__.insert(), [
            {"entity_id": i, "entity": DOG, "clocks": None,
             "shadow": slim_state(st)}
            for i, st in shadows.items()])


def slim_state(state: dict) -> dict:
    """What a kiosk keeps of an agreed state: everything but the photos and templates, which only grow and
    are named by their ids."""
    slim = {k: v for k, v in state.items() if k not in ("templates", "photos")}
    slim["photo_ids"] = sorted(p["id"] for p in state.get("photos", []))
    slim["template_ids"] = sorted(t["id"] for t in state.get("templates", []))
    return slim


def _set_shadow(s: Session, entity: str, entity_id: str, state: dict) -> None:
    ent = s.get(SyncEntity, entity_id)
    slim = slim_state(state)
    if ent is None:
        s.add(SyncEntity(entity_id=entity_id, entity=entity, shadow=slim))
    else:
        ent.shadow = slim


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


def _follow_erasure(s: Session, dog: Dog | None, state: dict, erased_at: datetime | None,
                    everything: bool) -> set[str]:
    """A change whose owner was erased elsewhere (core/owner_rights.py): the owner's data is blanked here and a
    removed dog loses its photos and templates. `everything` (the server, which holds every dog): the first time
    it learns of the erasure it erases the owner's other dogs by the same rule. Returns the dogs changed."""
    from core import owner_rights

    if dog is None or erased_at is None:
        return set()
    owner = s.get(Owner, dog.owner_id)
    changed: set[str] = set()
    if everything and not owner_rights.is_erased(owner):
        result, files = owner_rights.erase(s, owner, erased_at, record=None)
        changed = set(s.scalars(select(Dog.id).where(Dog.owner_id == owner.id)))
        owner_rights.queue_cleanup(s, files, sorted(changed))
    elif not owner_rights.is_erased(owner) or owner.phone or owner.name:
        owner_rights.blank_owner(s, owner, erased_at)
    if dog.deleted_at is not None and (dog.notes or s.scalar(select(NosePhoto.id).where(NosePhoto.dog_id == dog.id)
                                                             .limit(1)) is not None):
        owner_rights.queue_cleanup(s, owner_rights.purge_dog(s, dog, dog.deleted_at), [dog.id])
        forget_owner_in_shadows(s, [dog.id], notes_of={dog.id})
        changed.add(dog.id)
    return changed


def adopt_remap(s: Session, remap: dict) -> None:
    """The server's answer to a push: owners merged into another id, registration numbers changed."""
    for from_id, to_id in (remap.get("owners") or {}).items():
        local = s.get(Owner, from_id)
        if local is not None and from_id != to_id:
            _merge_owner(s, local, to_id)
    for dog_id, number in (remap.get("numbers") or {}).items():
        dog = s.get(Dog, dog_id)
        if dog is not None and dog.registration_number != number:
            _free_number_locally(s, number, keep=dog_id)
            s.execute(update(Dog).where(Dog.id == dog_id).values(registration_number=number,
                                                                updated_at=Dog.updated_at))


def _merge_owner(s: Session, local: Owner, to_id: str) -> None:
    """Make `to_id` the owner of everything `local` owned (same phone), with no broken reference on the way."""
    target = s.get(Owner, to_id)
    if target is None:
        phone, name = local.phone, local.name
        local.phone = f"~{local.id[:18]}"  # frees the unique phone for the row that takes over
        s.flush()
        target = Owner(id=to_id, phone=phone, name=name, created_at=local.created_at, updated_at=local.updated_at,
                       origin_device=local.origin_device)
        s.add(target)
        s.flush()
    s.execute(update(Dog).where(Dog.owner_id == local.id).values(owner_id=to_id, updated_at=Dog.updated_at))
    s.flush()
    s.delete(local)
    s.flush()


def _free_number_locally(s: Session, number: str, keep: str) -> None:
    """Another local dog holding `number` (a provisional number made offline) moves to a free suffix."""
    other = s.scalar(select(Dog).where(Dog.registration_number == number, Dog.id != keep))
    if other is not None:
        other.registration_number = next_free_number(s, number, other.id)
        s.flush()


_SUFFIX = re.compile(r"^(.*?)(?:-(\d+))?$")


def next_free_number(s: Session, number: str, dog_id: str) -> str:
    """`number` if no other dog has it, else the next free -2, -3, ... of its base (the core's convention)."""
    def taken(n: str) -> bool:
        return s.scalar(select(Dog.id).where(Dog.registration_number == n, Dog.id != dog_id)) is not None

    if not taken(number):
        return number
    base = _SUFFIX.match(number).group(1)
    n = 2
    while taken(f"{base}-{n}"):
        n += 1
    return f"{base}-{n}"


# ------------------------------------------------------------------------------------------------ server
def take_lock(s: Session) -> None:
    """Serialises every writer of the change log (see the module docstring). Call first in the transaction."""
    stamp = utcnow().isoformat()
    if s.execute(update(Meta).where(Meta.key == LOCK_KEY).values(value=stamp)).rowcount == 0:
        try:
            with s.begin_nested():
                s.add(Meta(key=LOCK_KEY, value=stamp))
        except IntegrityError:
            pass
        s.execute(update(Meta).where(Meta.key == LOCK_KEY).values(value=stamp))


def log_change(s: Session, entity: str, entity_id: str, origin_device: str | None) -> int:
    """Append to the change sequence (the caller holds the lock); older rows of the entity are dropped."""
    row = SyncLog(entity=entity, entity_id=entity_id, origin_device=origin_device)
    s.add(row)
    s.flush()
    # insert first, then drop the older rows: the newest seq always stays in the table, so neither SQLite
    # (max(rowid) + 1) nor InnoDB after a restart (max + 1) can ever hand out a seq a second time
    s.execute(delete(SyncLog).where(SyncLog.entity_id == entity_id, SyncLog.entity == entity,
                                    SyncLog.seq < row.seq))
    return row.seq


def sequence_local_outbox(s: Session) -> int:
    """Server: its own changes (registrations and edits made through the REST API) join the change log."""
    rows = s.execute(select(Outbox.seq, Outbox.entity, Outbox.entity_id).where(Outbox.pushed_at.is_(None))
                     .order_by(Outbox.seq)).all()
    if not rows:
        return 0
    device = s.scalar(select(Meta.value).where(Meta.key == "device_id"))
    last: dict[tuple[str, str], int] = {}
    for i, r in enumerate(rows):
        last[(r.entity, r.entity_id)] = i
    ordered = sorted(last, key=last.get)  # each entity once, where it changed last
    old_max = head_seq(s)
    now = utcnow()
    s.execute(SyncLog.__table__.insert(), [{"entity": e, "entity_id": i, "origin_device": device, "created_at": now}
                                           for e, i in ordered])
    ids = [i for _, i in ordered]
    note_server_state(s, [i for e, i in ordered if e == DOG], stamp=True)
    for k in range(0, len(ids), 500):  # older rows of these entities go (the new ones are all above old_max)
        s.execute(delete(SyncLog).where(SyncLog.entity_id.in_(ids[k:k + 500]), SyncLog.seq <= old_max))
    seqs = [r.seq for r in rows]  # exactly the rows read: one still uncommitted elsewhere waits for the next run
    for k in range(0, len(seqs), 500):
        s.execute(update(Outbox).where(Outbox.seq.in_(seqs[k:k + 500])).values(pushed_at=now))
    return len(rows)


def note_server_state(s: Session, dog_ids: list[str], stamp: bool) -> None:
    """Server: remember each dog's fields as last logged (`sync_entity.shadow`). With stamp, the fields that
    differ from what was remembered were edited on the server itself (REST API): their clocks become the
    dog's updated_at, so that per-field last-writer-wins also holds against edits made on the server."""
    for k in range(0, len(dog_ids), 500):
        ids = dog_ids[k:k + 500]
        rows = s.execute(select(Dog.__table__, Owner.name.label("owner_name"))
                         .join(Owner, Owner.id == Dog.owner_id).where(Dog.id.in_(ids))).mappings().all()
        ents = {e.entity_id: e for e in s.scalars(select(SyncEntity).where(
            SyncEntity.entity_id.in_(ids + [r["owner_id"] for r in rows])))}
        for r in rows:
            shadow = {"fields": {f: _field_value(f, r[f]) for f in DOG_FIELDS}, "owner_name": r["owner_name"]}
            ent = ents.get(r["id"])
            if ent is None:
                ent = ents[r["id"]] = SyncEntity(entity_id=r["id"], entity=DOG, clocks={})
                s.add(ent)
            if stamp:
                old = ent.shadow
                ts = iso(r["updated_at"])
                changed = {f: ts for f in DOG_FIELDS if old is None or old["fields"].get(f) != shadow["fields"][f]}
                if changed:
                    ent.clocks = {**(ent.clocks or {}), **changed}
                if old is not None and old.get("owner_name") != r["owner_name"]:
                    oent = ents.get(r["owner_id"])
                    if oent is None:
                        oent = ents[r["owner_id"]] = SyncEntity(entity_id=r["owner_id"], entity="owner", clocks={})
                        s.add(oent)
                    oent.clocks = {**(oent.clocks or {}), "name": ts}
            ent.shadow = shadow
    s.flush()


def head_seq(s: Session) -> int:
    return s.scalar(select(func.max(SyncLog.seq))) or 0


def pull_page(s: Session, since: int, limit: int) -> tuple[list[dict], int, bool]:
    """Changes after the cursor, oldest first: [{seq, entity, entity_id, state}], the next cursor, more?"""
    rows = s.execute(select(SyncLog.seq, SyncLog.entity, SyncLog.entity_id).where(SyncLog.seq > since)
                     .order_by(SyncLog.seq).limit(limit)).all()
    dogs = dog_states(s, [r.entity_id for r in rows if r.entity == DOG])
    changes = []
    for r in rows:
        state = dogs.get(r.entity_id) if r.entity == DOG else entity_state(s, r.entity, r.entity_id)
        if state is not None:
            changes.append({"seq": r.seq, "entity": r.entity, "entity_id": r.entity_id, "state": state})
    cursor = rows[-1].seq if rows else since
    return changes, cursor, len(rows) == limit


DuplicateFinder = Callable[[str, list[dict]], list[tuple[str, float]]]


@dataclass
class ApplyResult:
    status: str  # applied | duplicate | missing_photos | rejected
    remap: dict = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    message: str = ""
    seq: int | None = None
    flags: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"status": self.status, "remap": self.remap, "missing": self.missing, "message": self.message,
                "seq": self.seq}


def received_result(s: Session, change_id: str) -> dict | None:
    row = s.get(SyncReceived, change_id)
    return row.result if row is not None else None


def apply_push(s: Session, *, change_id: str, entity: str, entity_id: str, op: str, payload: dict,
               device_id: str | None, offset: timedelta, photo_exists: Callable[[str], bool],
               find_duplicates: DuplicateFinder | None = None, now: datetime | None = None) -> ApplyResult:
    """Server: apply one change pushed by a kiosk. The caller holds the lock and commits.

    `offset` is the server clock minus the kiosk clock (measured from the push request): kiosk timestamps
    are corrected by it and never put in the future."""
    now = now or utcnow()
    done = received_result(s, change_id)
    if done is not None:
        return ApplyResult(**{**done, "status": "duplicate"})
    if entity not in (DOG, FLAG) or op not in ("upsert", "delete"):
        return ApplyResult(status="rejected", message=f"cannot apply {op} of {entity}")
    state = payload.get("state") or {}
    if state.get("id") != entity_id:
        return ApplyResult(status="rejected", message="state does not match the entity id")

    def fix(ts: str | None) -> datetime | None:
        t = parse_ts(ts)
        return None if t is None else min(t + offset, now)

    if entity == FLAG:
        return _apply_pushed_flag(s, change_id, state, device_id, fix, now)
    ent = s.get(SyncEntity, entity_id)
    tomb = ent is not None and (ent.clocks or {}).get("_deleted")
    dog = s.get(Dog, entity_id)
    deleting = op == "delete" or state.get("deleted_at") is not None
    result = ApplyResult(status="applied")

    dead = deleting or bool(tomb)
    if dog is None:
        # A dog made and deleted offline, or whose deletion overtook its creation, is kept as a tombstone row
        # (no photos needed): it replicates as deleted, so no kiosk keeps it alive and no late upsert revives it.
        missing = [] if dead else [sha for sha in live_photo_shas(state) if not photo_exists(sha)]
        if missing:  # the kiosk uploads them and pushes again; nothing is written
            return ApplyResult(status="missing_photos", missing=missing)
        owner_id = _server_owner(s, state["owner"], device_id, result, fix)
        number = next_free_number(s, state["registration_number"], entity_id)
        if number != state["registration_number"]:
            result.remap.setdefault("numbers", {})[entity_id] = number
        f = {k: _field_python(k, v) for k, v in state["fields"].items() if k in DOG_FIELDS}
        deleted_at = None
        if dead:
            deleted_at = parse_ts((ent.clocks or {}).get("_deleted")) if tomb else None
            deleted_at = deleted_at or fix(state.get("deleted_at")) or now
        dog = Dog(id=entity_id, owner_id=owner_id, registration_number=number,
                  registered_at=parse_ts(state["registered_at"]), created_at=fix(state["created_at"]) or now,
                  updated_at=max(filter(None, (fix(state["updated_at"]) or now, deleted_at))), deleted_at=deleted_at,
                  origin_device=state.get("origin_device") or device_id, **f)
        s.add(dog)
        s.flush()
        _add_photos_and_templates(s, entity_id, state, fix)
        clocks = {k: iso(fix(v)) for k, v in (payload.get("clocks") or {}).items() if k in DOG_FIELDS}
        if dead:
            clocks["_deleted"] = iso(deleted_at)
            s.execute(update(NoseTemplate).where(NoseTemplate.dog_id == entity_id, NoseTemplate.deleted_at.is_(None))
                      .values(deleted_at=deleted_at))
        _set_clocks(s, ent, entity_id, clocks)
        s.flush()
        if find_duplicates is not None and not dead:
            for other_id, score in find_duplicates(entity_id, state.get("templates", [])):
                flag_id = _flag_pair(s, entity_id, other_id, score, device_id)
                if flag_id:
                    result.flags.append(flag_id)
    else:
        if dog.deleted_at is not None or tomb:
            pass  # a deletion wins over every edit
        elif deleting:
            when = fix(state.get("deleted_at")) or now
            dog.deleted_at = when
            dog.updated_at = max(dog.updated_at, when)
            s.execute(update(NoseTemplate).where(NoseTemplate.dog_id == entity_id,
                                                 NoseTemplate.deleted_at.is_(None)).values(deleted_at=when))
            _set_clocks(s, ent, entity_id, {"_deleted": iso(when)})
        else:
            missing = [p["sha256"] for p in state.get("photos", []) if p.get("deleted_at") is None
                       and s.get(NosePhoto, p["id"]) is None and not photo_exists(p["sha256"])]
            if missing:  # nothing is written until every photo is here
                return ApplyResult(status="missing_photos", missing=missing)
            _merge_fields(s, dog, ent, state, payload.get("clocks") or {}, fix, device_id, result)
            _add_photos_and_templates(s, entity_id, state, fix)
    s.flush()
    erased_at = state["owner"].get("erased_at")
    erased = _follow_erasure(s, dog or s.get(Dog, entity_id), state, (fix(erased_at) or now) if erased_at else None,
                             everything=True)
    result.seq = log_change(s, DOG, entity_id, device_id)
    for other in erased - {entity_id}:  # the owner's other dogs the erasure changed here: kiosks learn them too
        log_change(s, DOG, other, None)
    for flag_id in result.flags:
        log_change(s, FLAG, flag_id, None)
    _remember(s, change_id, device_id, result)
    return result


def _apply_pushed_flag(s: Session, change_id: str, state: dict, device_id: str | None, fix,
                       now: datetime) -> ApplyResult:
    """Server: a review flag pushed by a kiosk (made at a registration, or decided on its review page). A flag
    for a pair the server already flags takes the decision into that flag (one flag per pair; the kiosk gets the
    server's flag in its next pull). Its dogs must be here first: until they are, the answer is missing_photos
    with no photo named (the kiosk pushes again after its dogs)."""
    resolution = state.get("resolution")
    if not isinstance(resolution, str | None) or resolution not in _RESOLUTION_RANK \
            or not isinstance(state.get("score"), int | float):
        return ApplyResult(status="rejected", message="not a review flag state")
    if s.get(Dog, state["dog_id"]) is None or s.get(Dog, state["other_dog_id"]) is None:
        return ApplyResult(status="missing_photos", message="the flag's dogs are not on the server yet")
    flag = s.get(ReviewFlag, state["id"]) or _pair_flag(s, state["dog_id"], state["other_dog_id"])
    if flag is None:
        flag = ReviewFlag(id=state["id"], dog_id=state["dog_id"], other_dog_id=state["other_dog_id"],
                          score=float(state["score"]), reason=str(state.get("reason") or "possible_duplicate")[:64],
                          resolved=bool(state.get("resolved")), resolution=resolution,
                          created_at=fix(state.get("created_at")) or now,
                          updated_at=fix(state.get("updated_at")) or now,
                          deleted_at=fix(state.get("deleted_at")),
                          origin_device=state.get("origin_device") or device_id)
        s.add(flag)
        s.flush()
    elif merge_flag_decision(flag, bool(state.get("resolved")), resolution, fix(state.get("deleted_at"))):
        flag.updated_at = max(flag.updated_at, fix(state.get("updated_at")) or now)
        s.flush()
    result = ApplyResult(status="applied", seq=log_change(s, FLAG, flag.id, device_id))
    _remember(s, change_id, device_id, result)
    return result


def _remember(s: Session, change_id: str, device_id: str | None, result: ApplyResult) -> None:
    s.add(SyncReceived(change_id=change_id, device_id=device_id, result=result.to_dict()))
    s.flush()


def _set_clocks(s: Session, ent: SyncEntity | None, entity_id: str, clocks: dict) -> SyncEntity:
    if ent is None:
        ent = s.get(SyncEntity, entity_id)
    if ent is None:
        ent = SyncEntity(entity_id=entity_id, entity=DOG, clocks=dict(clocks))
        s.add(ent)
    else:
        ent.clocks = {**(ent.clocks or {}), **clocks}  # a new dict: JSON columns track assignment only
    return ent


def _server_owner(s: Session, owner: dict, device_id: str | None, result: ApplyResult, fix) -> str:
    """The server's owner id for an incoming owner: the same id, a merged id, or the one with that phone."""
    oid = owner["id"]
    mapped = s.get(SyncIdMap, oid)
    if mapped is not None:
        result.remap.setdefault("owners", {})[oid] = mapped.to_id
        return mapped.to_id
    if s.get(Owner, oid) is not None:
        return oid
    same_phone = s.scalar(select(Owner).where(Owner.phone_hash == owner["phone"]))
    if same_phone is not None:
        s.add(SyncIdMap(from_id=oid, entity="owner", to_id=same_phone.id))
        if same_phone.deleted_at is not None:
            same_phone.deleted_at = None
        if owner.get("name") and not same_phone.name:
            same_phone.name = owner["name"]
        result.remap.setdefault("owners", {})[oid] = same_phone.id
        return same_phone.id
    s.add(Owner(id=oid, phone=owner["phone"], name=owner.get("name") or "", created_at=fix(owner["created_at"]),
                updated_at=fix(owner["updated_at"]), origin_device=owner.get("origin_device") or device_id))
    s.flush()
    return oid


def _merge_fields(s: Session, dog: Dog, ent: SyncEntity | None, state: dict, clocks: dict, fix,
                  device_id: str | None, result: ApplyResult) -> None:
    """Last writer wins per field: an incoming field replaces the stored one when its corrected time is
    not older (equal: the later arrival wins)."""
    stored = dict((ent.clocks if ent is not None else None) or {})
    default = iso(dog.updated_at)
    changed = False
    newest = dog.updated_at
    for name, ts in clocks.items():
        when = fix(ts)
        if when is None:
            continue
        if name == OWNER_NAME:
            owner = s.get(Owner, dog.owner_id)
            if owner.deleted_at is not None:
                continue  # erased: no copy ever brings the name back
            oent = s.get(SyncEntity, owner.id)
            ostored = ((oent.clocks if oent is not None else None) or {}).get("name") or iso(owner.updated_at)
            if when >= parse_ts(ostored) and owner.name != state["owner"]["name"]:
                owner.name = state["owner"]["name"]
                owner.updated_at = when
                if oent is None:
                    s.add(SyncEntity(entity_id=owner.id, entity="owner", clocks={"name": iso(when)}))
                else:
                    oent.clocks = {**(oent.clocks or {}), "name": iso(when)}
                changed = True
            continue
        if name not in DOG_FIELDS:
            continue
        if when >= parse_ts(stored.get(name) or default):
            value = _field_python(name, state["fields"].get(name))
            if value is None and name in {"name", "breed", "notes", "sex", "status"}:
                continue
            setattr(dog, name, value)
            stored[name] = iso(when)
            newest = max(newest, when)
            changed = True
    if changed:
        dog.updated_at = newest
        _set_clocks(s, ent, dog.id, stored)


def _add_photos_and_templates(s: Session, dog_id: str, state: dict, fix) -> None:
    have_photos = set(s.scalars(select(NosePhoto.id).where(NosePhoto.dog_id == dog_id)))
    have_shas = set(s.scalars(select(NosePhoto.sha256).where(NosePhoto.dog_id == dog_id)))
    for p in state.get("photos", []):
        if p["id"] in have_photos or p["sha256"] in have_shas:
            continue
        s.add(NosePhoto(id=p["id"], dog_id=dog_id, sha256=p["sha256"], path=_relpath(p["sha256"]), width=p["width"],
                        height=p["height"], quality=p["quality"], position=p["position"],
                        created_at=fix(p["created_at"]), updated_at=fix(p["created_at"]),
                        deleted_at=fix(p.get("deleted_at")), origin_device=p.get("origin_device")))
        have_photos.add(p["id"])
    s.flush()
    have_templates = set(s.scalars(select(NoseTemplate.id).where(NoseTemplate.dog_id == dog_id)))
    rows = []
    for t in state.get("templates", []):
        if t["id"] in have_templates or t["photo_id"] not in have_photos:
            continue
        rows.append({"id": t["id"], "photo_id": t["photo_id"], "dog_id": dog_id, "model_name": t["model_name"],
                     "model_version": t["model_version"], "dim": t["dim"], "vector": decode_vector(t["vector"]),
                     "quality": t["quality"], "created_at": fix(t["created_at"]), "updated_at": fix(t["created_at"]),
                     "deleted_at": fix(t.get("deleted_at")), "origin_device": t.get("origin_device")})
    if rows:
        s.execute(insert(NoseTemplate), rows)


def _photo_row(dog_id: str, p: dict, ts: Callable[[str | None], datetime | None]) -> dict:
    """A pushed or pulled photo as a nose_photos row for a bulk insert; `ts` reads (and may correct) its times."""
    return {"id": p["id"], "dog_id": dog_id, "sha256": p["sha256"], "path": _relpath(p["sha256"]),
            "width": p["width"], "height": p["height"], "quality": p["quality"], "position": p["position"],
            "created_at": ts(p["created_at"]), "updated_at": ts(p["created_at"]), "deleted_at": ts(p.get("deleted_at")),
            "origin_device": p.get("origin_device")}


def _template_row(dog_id: str, t: dict, ts: Callable[[str | None], datetime | None],
                  deleted_with_dog: datetime | None = None) -> dict:
    """A pushed or pulled template as a nose_templates row for a bulk insert; `ts` reads (and may correct) its
    times; a template of a deleted dog is deleted with it."""
    return {"id": t["id"], "photo_id": t["photo_id"], "dog_id": dog_id, "model_name": t["model_name"],
            "model_version": t["model_version"], "dim": t["dim"], "vector": decode_vector(t["vector"]),
            "quality": t["quality"], "created_at": ts(t["created_at"]), "updated_at": ts(t["created_at"]),
            "deleted_at": ts(t.get("deleted_at")) or deleted_with_dog, "origin_device": t.get("origin_device")}


def _relpath(sha: str) -> str:
    return f"{sha[:2]}/{sha[2:4]}/{sha}"


def _flag_pair(s: Session, dog_id: str, other_id: str, score: float, device_id: str | None) -> str | None:
    if dog_id == other_id:
        return None
    a, b = sorted((dog_id, other_id))
    existing = s.scalar(select(ReviewFlag).where(or_((ReviewFlag.dog_id == a) & (ReviewFlag.other_dog_id == b),
                                                     (ReviewFlag.dog_id == b) & (ReviewFlag.other_dog_id == a))))
    if existing is not None:
        return None
    flag = ReviewFlag(dog_id=dog_id, other_dog_id=other_id, score=float(score), reason="possible_duplicate_sync",
                      origin_device=device_id)
    s.add(flag)
    s.flush()
    return flag.id


def sure_match_score(sp) -> float:
    """The template similarity at which two dogs are the same for the registry's size (the engine's registry-size
    rule): below it, a look-alike is left to look-ups and reviews, as a fixed threshold would flag ever more
    pairs as the registry grows."""
    return sp.engine.scale_rule.match_threshold(sp.gallery.dogs)


def gallery_duplicate_finder(sp, batch: list[tuple[str, np.ndarray]] | None = None) -> DuplicateFinder:
    """Server: 'is this nose already registered?' over the service's gallery plus the dogs applied in the same
    push (not yet in the gallery). Only templates of the server's engine are compared."""
    engine = sp.engine
    seen: list[tuple[str, np.ndarray]] = batch if batch is not None else []
    limit = sure_match_score(sp)

    def find(dog_id: str, templates: list[dict]) -> list[tuple[str, float]]:
        vecs = [np.frombuffer(decode_vector(t["vector"]), np.float32) for t in templates
                if t["model_name"] == engine.name and t["model_version"] == engine.version
                and t.get("deleted_at") is None and t["dim"] == engine.dim]
        if not vecs:
            return []
        best: dict[str, float] = {}
        for v in vecs:
            with one_omp_thread():
                found = sp.gallery.search(v, k=3)
            for other, score in found:
                if other != dog_id and score >= limit:
                    best[other] = max(best.get(other, -1.0), score)
            for other, ov in seen:
                score = float(np.max(ov @ v))
                if other != dog_id and score >= limit:
                    best[other] = max(best.get(other, -1.0), score)
        seen.append((dog_id, np.stack(vecs)))
        return sorted(best.items(), key=lambda kv: -kv[1])

    return find


# ------------------------------------------------------------------------------------------------ kiosk: pull
def apply_pulled(s: Session, change: dict) -> str | None:
    """Kiosk: apply one entity state from the server. Returns the dog id touched (None when deferred/none)."""
    entity, state = change["entity"], change["state"]
    if entity == DOG:
        return _apply_dog_state(s, state)
    if entity == FLAG:
        return _apply_flag_state(s, state)
    return None


def _apply_dog_state(s: Session, state: dict) -> str:
    dog_id = state["id"]
    o = state["owner"]
    owner = s.get(Owner, o["id"])
    if owner is None:
        same_phone = s.scalar(select(Owner).where(Owner.phone_hash == o["phone"]))
        if same_phone is not None:  # made here offline with the same phone: the server's id wins
            _merge_owner(s, same_phone, o["id"])
            owner = s.get(Owner, o["id"])
        else:
            owner = Owner(id=o["id"], phone=o["phone"], name=o["name"], created_at=parse_ts(o["created_at"]),
                          updated_at=parse_ts(o["updated_at"]), origin_device=o.get("origin_device"))
            s.add(owner)
            s.flush()
    ent = s.get(SyncEntity, dog_id)
    shadow = ent.shadow if ent is not None else None
    dog = s.get(Dog, dog_id)
    _free_number_locally(s, state["registration_number"], keep=dog_id)
    fields = {k: _field_python(k, v) for k, v in state["fields"].items() if k in DOG_FIELDS}
    if dog is None:
        dog = Dog(id=dog_id, owner_id=owner.id, registration_number=state["registration_number"],
                  registered_at=parse_ts(state["registered_at"]), created_at=parse_ts(state["created_at"]),
                  updated_at=parse_ts(state["updated_at"]), deleted_at=parse_ts(state["deleted_at"]),
                  origin_device=state.get("origin_device"), **fields)
        s.add(dog)
        s.flush()
    else:
        local_edit = dog.deleted_at is None and state["deleted_at"] is None
        values: dict[str, Any] = {"registration_number": state["registration_number"], "owner_id": owner.id,
                                  "registered_at": parse_ts(state["registered_at"])}
        for k, v in fields.items():
            mine = _field_value(k, getattr(dog, k))
            if local_edit and shadow is not None and mine != shadow["fields"].get(k):
                continue  # changed here and not yet agreed: the push decides
            if local_edit and shadow is None and _pending(s, dog_id):
                continue
            values[k] = v
        if state["deleted_at"] is not None and dog.deleted_at is None:
            values["deleted_at"] = parse_ts(state["deleted_at"])  # a deletion wins
        values["updated_at"] = max(dog.updated_at, parse_ts(state["updated_at"]))
        s.execute(update(Dog).where(Dog.id == dog_id).values(**values))
        if not (shadow is not None and owner.name != shadow["owner"]["name"]):
            if owner.name != o["name"]:
                owner.name = o["name"]
    _add_photos_and_templates(s, dog_id, state, parse_ts)
    if state["deleted_at"] is not None:
        when = parse_ts(state["deleted_at"])
        s.execute(update(NoseTemplate).where(NoseTemplate.dog_id == dog_id, NoseTemplate.deleted_at.is_(None))
                  .values(deleted_at=when))
    _follow_erasure(s, s.get(Dog, dog_id), state, parse_ts(o.get("erased_at")), everything=False)
    _set_shadow(s, DOG, dog_id, state)
    s.flush()
    return dog_id


def _pending(s: Session, entity_id: str) -> bool:
    return s.scalar(select(Outbox.seq).where(Outbox.entity_id == entity_id, Outbox.pushed_at.is_(None))
                    .limit(1)) is not None


def _apply_flag_state(s: Session, state: dict) -> str | None:
    if s.get(Dog, state["dog_id"]) is None or s.get(Dog, state["other_dog_id"]) is None:
        return None  # its dogs come later in the pull: the caller keeps it for later
    flag = s.get(ReviewFlag, state["id"])
    resolution = state.get("resolution")
    if flag is None:
        local = _pair_flag(s, state["dog_id"], state["other_dog_id"])
        decided = (local.resolved, local.resolution, local.deleted_at) if local is not None else None
        if local is not None:  # a flag for the same pair made locally: the server's row replaces it
            s.delete(local)
            s.flush()
        flag = ReviewFlag(id=state["id"], dog_id=state["dog_id"], other_dog_id=state["other_dog_id"],
                          score=state["score"], reason=state["reason"], resolved=state["resolved"],
                          resolution=resolution, created_at=parse_ts(state["created_at"]),
                          updated_at=parse_ts(state["updated_at"]), deleted_at=parse_ts(state["deleted_at"]),
                          origin_device=state.get("origin_device"))
        s.add(flag)
        if decided is not None and merge_flag_decision(flag, *decided):
            s.add(Outbox(entity=FLAG, entity_id=flag.id, op="upsert"))  # decided here, not yet on the server
    else:  # a decision made here and not pushed yet is kept: decisions only move forward
        merge_flag_decision(flag, state["resolved"], resolution, parse_ts(state["deleted_at"]))
        flag.updated_at = max(flag.updated_at, parse_ts(state["updated_at"]))
    s.flush()
    return state["dog_id"]


def apply_pulled_page(s: Session, changes: Iterable[dict]) -> tuple[set[str], int]:
    """Kiosk: a page of pulled changes in one transaction; review flags whose dogs are still missing wait in
    Meta until a later page brings them. Returns (dog ids touched, changes applied)."""
    touched: set[str] = set()
    applied = 0
    import json

    deferred_row = s.get(Meta, DEFERRED_KEY)
    waiting = json.loads(deferred_row.value) if deferred_row is not None else []
    changes = list(changes)
    dogs = [c for c in changes if c["entity"] == DOG]
    flags = [c for c in changes if c["entity"] == FLAG] + waiting
    fast = _insert_new_dogs(s, dogs) | _unchanged(s, dogs)
    for c in dogs:
        if c["entity_id"] not in fast:
            touched.add(apply_pulled(s, c))
        applied += 1
    touched |= fast
    still = []
    for c in flags:
        if apply_pulled(s, c) is None:
            still.append(c)
        else:
            touched.add(c["state"]["dog_id"])
            touched.add(c["state"]["other_dog_id"])
            applied += 1
    if still or deferred_row is not None:
        s.merge(Meta(key=DEFERRED_KEY, value=json.dumps(still)))
    touched.discard(None)
    return touched, applied


def _unchanged(s: Session, changes: list[dict]) -> set[str]:
    """Kiosk: pulled dogs that are exactly as last agreed here (e.g. this kiosk's own pushes coming back)."""
    ids = [c["entity_id"] for c in changes]
    if not ids:
        return set()
    shadows = dict(s.execute(select(SyncEntity.entity_id, SyncEntity.shadow)
                             .where(SyncEntity.entity_id.in_(ids))).all())
    if not shadows:
        return set()
    present = set(s.scalars(select(Dog.id).where(Dog.id.in_(list(shadows)))))
    pending = set(s.scalars(select(Outbox.entity_id).where(Outbox.entity_id.in_(list(shadows)),
                                                           Outbox.pushed_at.is_(None))))
    return {c["entity_id"] for c in changes if c["entity_id"] in present and c["entity_id"] not in pending
            and shadows.get(c["entity_id"]) == slim_state(c["state"])}


def _insert_new_dogs(s: Session, changes: list[dict]) -> set[str]:
    """Kiosk, the common case of a pull (dogs never seen here, owners new here, numbers free): inserted in
    bulk. Everything else goes through _apply_dog_state one by one. Returns the dog ids inserted."""
    last = {c["state"]["id"]: c["state"] for c in changes}  # a page holds an entity once; be safe anyway
    ids = list(last)
    if not ids:
        return set()
    known = set(s.scalars(select(Dog.id).where(Dog.id.in_(ids))))
    fresh = [st for i, st in last.items() if i not in known]
    if not fresh:
        return set()
    numbers = Counter(st["registration_number"] for st in fresh)
    taken = set(s.scalars(select(Dog.registration_number).where(Dog.registration_number.in_(list(numbers)))))
    owner_ids = {st["owner"]["id"] for st in fresh}
    local_owners = set(s.scalars(select(Owner.id).where(Owner.id.in_(owner_ids))))
    phones = set(s.scalars(select(Owner.phone).where(Owner.phone_hash.in_({st["owner"]["phone"] for st in fresh}))))
    phone_of: dict[str, str] = {}
    for st in fresh:
        phone_of.setdefault(st["owner"]["phone"], st["owner"]["id"])
    chosen = [st for st in fresh
              if st["registration_number"] not in taken and numbers[st["registration_number"]] == 1
              and st["owner"]["id"] not in local_owners and st["owner"]["phone"] not in phones
              and phone_of[st["owner"]["phone"]] == st["owner"]["id"]]
    if not chosen:
        return set()
    owners, dogs, photos, templates, shadows = {}, [], [], [], []
    for st in chosen:
        o = st["owner"]
        owners[o["id"]] = {"id": o["id"], "phone": o["phone"], "phone_hash": o["phone"] or None, "name": o["name"],
                           "created_at": parse_ts(o["created_at"]), "updated_at": parse_ts(o["updated_at"]),
                           "origin_device": o.get("origin_device"), "deleted_at": parse_ts(o.get("erased_at"))}
        f = {k: _field_python(k, v) for k, v in st["fields"].items() if k in DOG_FIELDS}
        dogs.append({"id": st["id"], "owner_id": o["id"], "registration_number": st["registration_number"],
                     "registered_at": parse_ts(st["registered_at"]), "created_at": parse_ts(st["created_at"]),
                     "updated_at": parse_ts(st["updated_at"]), "deleted_at": parse_ts(st["deleted_at"]),
                     "origin_device": st.get("origin_device"), **f})
        photo_ids = set()
        for p in st.get("photos", []):
            photo_ids.add(p["id"])
            photos.append(_photo_row(st["id"], p, parse_ts))
        dead = parse_ts(st["deleted_at"])
        for t in st.get("templates", []):
            if t["photo_id"] in photo_ids:
                templates.append(_template_row(st["id"], t, parse_ts, deleted_with_dog=dead))
        shadows.append({"entity_id": st["id"], "entity": DOG, "clocks": None,
                        "shadow": slim_state(st)})
    have_shadow = set(s.scalars(select(SyncEntity.entity_id).where(SyncEntity.entity_id.in_([d["id"] for d in dogs]))))
    if have_shadow:
        s.execute(delete(SyncEntity).where(SyncEntity.entity_id.in_(have_shadow)))
    for table, rows in ((Owner, list(owners.values())), (Dog, dogs), (NosePhoto, photos), (NoseTemplate, templates),
                        (SyncEntity, shadows)):
        if rows:
            s.execute(table.__table__.insert(), rows)
    return {st["id"] for st in chosen}


# ------------------------------------------------------------------------------------------------ server: bulk
DuplicateScreen = Callable[[list[tuple[str, list[dict]]]], set[str]]


def gallery_duplicate_screen(sp) -> DuplicateScreen:
    """Server: which of these new dogs look like a registered dog or like each other (those take the careful
    path, which flags them)."""
    engine = sp.engine
    limit = sure_match_score(sp)

    def screen(dogs: list[tuple[str, list[dict]]]) -> set[str]:
        owners, vecs = [], []
        for dog_id, templates in dogs:
            for t in templates:
                if (t["model_name"], t["model_version"], t["dim"]) == (engine.name, engine.version, engine.dim) \
                        and t.get("deleted_at") is None:
                    owners.append(dog_id)
                    vecs.append(np.frombuffer(decode_vector(t["vector"]), np.float32))
        if not vecs:
            return set()
        m = np.stack(vecs)
        hit: set[str] = set()
        with one_omp_thread():
            for dog_id, v in zip(owners, m, strict=True):
                for other, score in sp.gallery.search(v, k=3):
                    if other != dog_id and score >= limit:
                        hit.add(dog_id)
        sims = m @ m.T
        ids = np.asarray(owners)
        for i, j in zip(*np.nonzero(sims >= limit), strict=True):
            if ids[i] != ids[j]:
                hit.update((str(ids[i]), str(ids[j])))
        return hit

    return screen


def apply_new_dogs_bulk(s: Session, changes: list[dict], *, device_id: str | None, offset: timedelta,
                        photo_exists: Callable[[str], bool], screen: DuplicateScreen | None = None,
                        now: datetime | None = None) -> dict[str, ApplyResult]:
    """Server, the common case of a push (new dogs, new or known owners, free numbers, no look-alike):
    applied in a few bulk statements. Returns {change_id: result} for the changes it took; the caller applies
    the others one by one with apply_push. The caller holds the lock."""
    now = now or utcnow()

    def fix(ts: str | None) -> datetime | None:
        t = parse_ts(ts)
        return None if t is None else min(t + offset, now)

    seen_ids: Counter = Counter(c["change_id"] for c in changes)
    cands = [c for c in changes if c["entity"] == DOG and c["op"] == "upsert" and seen_ids[c["change_id"]] == 1
             and c["state"].get("id") == c["entity_id"] and c["state"].get("deleted_at") is None
             and not c["state"]["owner"].get("erased_at")]  # an erasure takes the careful path
    if not cands:
        return {}
    cids = [c["change_id"] for c in cands]
    dids = [c["entity_id"] for c in cands]
    received = set(s.scalars(select(SyncReceived.change_id).where(SyncReceived.change_id.in_(cids))))
    known = set(s.scalars(select(Dog.id).where(Dog.id.in_(dids))))
    known |= set(s.scalars(select(SyncEntity.entity_id).where(SyncEntity.entity_id.in_(dids))))
    cands = [c for c in cands if c["change_id"] not in received and c["entity_id"] not in known
             and all(photo_exists(sha) for sha in live_photo_shas(c["state"]))]
    if not cands:
        return {}
    owner_ids = {c["state"]["owner"]["id"] for c in cands}
    mapped = set(s.scalars(select(SyncIdMap.from_id).where(SyncIdMap.from_id.in_(owner_ids))))
    server_owners = set(s.scalars(select(Owner.id).where(Owner.id.in_(owner_ids))))
    phones = {c["state"]["owner"]["phone"] for c in cands}
    taken_phones = set(s.scalars(select(Owner.phone).where(Owner.phone_hash.in_(phones))))
    numbers = Counter(c["state"]["registration_number"] for c in cands)
    taken_numbers = set(s.scalars(select(Dog.registration_number).where(Dog.registration_number.in_(list(numbers)))))
    first_owner_of_phone: dict[str, str] = {}
    for c in cands:
        o = c["state"]["owner"]
        first_owner_of_phone.setdefault(o["phone"], o["id"])
    ok = []
    for c in cands:
        st, o = c["state"], c["state"]["owner"]
        if o["id"] in mapped or st["registration_number"] in taken_numbers or numbers[st["registration_number"]] > 1:
            continue
        if o["id"] not in server_owners and (o["phone"] in taken_phones or first_owner_of_phone[o["phone"]] != o["id"]):
            continue
        ok.append(c)
    if screen is not None and ok:
        lookalikes = screen([(c["entity_id"], c["state"].get("templates", [])) for c in ok])
        ok = [c for c in ok if c["entity_id"] not in lookalikes]
    if not ok:
        return {}

    owners, dogs, photos, templates, clocks = {}, [], [], [], []
    for c in ok:
        st, o = c["state"], c["state"]["owner"]
        if o["id"] not in server_owners:
            owners[o["id"]] = {"id": o["id"], "phone": o["phone"], "phone_hash": o["phone"] or None,
                               "name": o.get("name") or "",
                               "created_at": fix(o["created_at"]), "updated_at": fix(o["updated_at"]),
                               "origin_device": o.get("origin_device") or device_id, "deleted_at": None}
        f = {k: _field_python(k, v) for k, v in st["fields"].items() if k in DOG_FIELDS}
        dogs.append({"id": st["id"], "owner_id": o["id"], "registration_number": st["registration_number"],
                     "registered_at": parse_ts(st["registered_at"]), "created_at": fix(st["created_at"]) or now,
                     "updated_at": fix(st["updated_at"]) or now, "deleted_at": None,
                     "origin_device": st.get("origin_device") or device_id, **f})
        photo_ids = set()
        shas = set()
        for p in st.get("photos", []):
            if p["sha256"] in shas:
                continue
            shas.add(p["sha256"])
            photo_ids.add(p["id"])
            photos.append(_photo_row(st["id"], p, fix))
        for t in st.get("templates", []):
            if t["photo_id"] in photo_ids:
                templates.append(_template_row(st["id"], t, fix))
        clocks.append({"entity_id": st["id"], "entity": DOG, "shadow": None,
                       "clocks": {k: iso(fix(v)) for k, v in (c.get("clocks") or {}).items() if k in DOG_FIELDS}})
    for table, rows in ((Owner, list(owners.values())), (Dog, dogs), (NosePhoto, photos), (NoseTemplate, templates),
                        (SyncEntity, clocks)):
        if rows:
            s.execute(table.__table__.insert(), rows)
    s.execute(SyncLog.__table__.insert(), [{"entity": DOG, "entity_id": c["entity_id"], "origin_device": device_id,
                                            "created_at": now} for c in ok])
    seqs = dict(s.execute(select(SyncLog.entity_id, SyncLog.seq).where(SyncLog.entity_id.in_([c["entity_id"]
                                                                                              for c in ok]))).all())
    out = {c["change_id"]: ApplyResult(status="applied", seq=seqs.get(c["entity_id"])) for c in ok}
    s.execute(SyncReceived.__table__.insert(), [{"change_id": cid, "device_id": device_id, "received_at": now,
                                                 "result": r.to_dict()} for cid, r in out.items()])
    return out
