"""Server: applying one change pushed by a kiosk, with the conflict rules (the careful path; the common case of a
push goes in bulk, core/replication/bulk_push.py).

- owner phone taken on the server by another owner id: the incoming owner is mapped onto the existing one
  (`sync_id_map`); the kiosk is told (remap.owners) and merges its row; dogs follow.
- registration number taken by another dog: the incoming dog gets the next free suffix (-2, -3, ...) and the
  kiosk adopts it (remap.numbers, and the pulled state).
- an edit on both sides: last writer wins per field, by the field's time corrected for the kiosk's clock offset
  (`sync_entity.clocks`), ties to the later arrival at the server.
- a deletion wins over any edit, earlier or later, and is never undone by sync (a tombstone is remembered even
  for a dog the server never saw alive).
- a review flag's decision only moves forward (resolved stays resolved, same_dog wins over different_dogs, a
  closed flag stays closed); one flag per pair of dogs.
Every change_id applied is remembered with its answer (`sync_received`): a resend gets the same answer, as
`duplicate`, and changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.registry.models import DEFAULT_ORG_ID, Dog, NosePhoto, Owner, ReviewFlag, SyncEntity, SyncIdMap, SyncReceived
from core.replication.bundle import DOG, DOG_FIELDS, FLAG, OWNER_NAME, DogBundle, OwnerState, iso, parse_ts
from core.replication.changelog import log_changes
from core.replication.lookalikes import DuplicateFinder, flag_pair
from core.replication.messages import ChangeResult, DogChange, FlagChange, Remap
from core.replication.rows import Fix, dog_row, flag_row, owner_row
from core.replication.rules import (
    add_photos_and_templates,
    delete_templates_with_dog,
    follow_erasure,
    merge_flag_decision,
    next_free_number,
    pair_flag,
)


def received(s: Session, change_id: str) -> ChangeResult | None:
    """The answer given to a change_id already applied, as a duplicate's answer."""
    row = s.get(SyncReceived, change_id)
    if row is None:
        return None
    return ChangeResult.model_validate({**row.result, "change_id": change_id, "status": "duplicate"})


def remember(s: Session, results: list[ChangeResult], device_id: str | None, now: datetime) -> None:
    if results:
        s.execute(SyncReceived.__table__.insert(), [
            {"change_id": r.change_id, "device_id": device_id, "received_at": now,
             "result": r.model_dump(mode="json", exclude={"change_id"})} for r in results])


def apply_change(s: Session, c: DogChange | FlagChange, *, device_id: str | None, fix: Fix, now: datetime,
                 photo_exists: Callable[[str], bool], find_duplicates: DuplicateFinder | None = None,
                 org_id: str = DEFAULT_ORG_ID) -> ChangeResult:
    """Apply one pushed change. The caller holds the sync lock, has checked that the pushing device may make it
    (core/replication/trust.py) and commits; `fix` corrects the kiosk's times; a new dog belongs to `org_id` (the
    pushing key's organisation, never what the kiosk says)."""
    done = received(s, c.change_id)
    if done is not None:
        return done
    if isinstance(c, FlagChange):
        return _apply_flag(s, c, device_id, fix, now)
    st, dog_id = c.state, c.entity_id
    ent = s.get(SyncEntity, dog_id)
    tomb = (ent.clocks or {}).get("_deleted") if ent is not None else None
    dog = s.get(Dog, dog_id)
    dead = c.op == "delete" or st.deleted_at is not None or bool(tomb)
    result = ChangeResult(change_id=c.change_id, status="applied")
    flags: list[str] = []
    if dog is None:
        # A dog made and deleted offline, or whose deletion overtook its creation, is kept as a tombstone row
        # (no photos needed): it replicates as deleted, so no kiosk keeps it alive and no late upsert revives it.
        missing = [] if dead else [sha for sha in st.live_photo_shas() if not photo_exists(sha)]
        if missing:  # the kiosk uploads them and pushes again; nothing is written
            return ChangeResult(change_id=c.change_id, status="missing_photos", missing=missing)
        owner_id = _server_owner(s, st.owner, device_id, result.remap, fix)
        number = next_free_number(s, st.registration_number, dog_id)
        if number != st.registration_number:
            result.remap.numbers[dog_id] = number
        deleted_at = ((parse_ts(tomb) if tomb else None) or fix(st.deleted_at) or now) if dead else None
        dog = Dog(**dog_row(st, fix, owner_id=owner_id, number=number, deleted_at=deleted_at, device_id=device_id,
                            org_id=org_id or DEFAULT_ORG_ID))
        s.add(dog)
        s.flush()
        add_photos_and_templates(s, dog_id, st, fix)
        clocks = {k: iso(fix(v)) for k, v in c.clocks.items() if k in DOG_FIELDS}
        if dead:
            clocks["_deleted"] = iso(deleted_at)
            delete_templates_with_dog(s, dog_id, deleted_at)
        _set_clocks(s, ent, dog_id, clocks)
        s.flush()
        if find_duplicates is not None and not dead:
            for other_id, score in find_duplicates(dog_id, st.templates):
                if flag_id := flag_pair(s, dog_id, other_id, score, device_id):
                    flags.append(flag_id)
    elif dog.deleted_at is not None or tomb:
        pass  # a deletion wins over every edit
    elif c.op == "delete" or st.deleted_at is not None:
        when = fix(st.deleted_at) or now
        dog.deleted_at = when
        dog.updated_at = max(dog.updated_at, when)
        delete_templates_with_dog(s, dog_id, when)
        _set_clocks(s, ent, dog_id, {"_deleted": iso(when)})
    else:
        missing = [p.sha256 for p in st.photos if p.deleted_at is None and s.get(NosePhoto, p.id) is None
                   and not photo_exists(p.sha256)]
        if missing:  # nothing is written until every photo is here
            return ChangeResult(change_id=c.change_id, status="missing_photos", missing=missing)
        _merge_fields(s, dog, ent, st, c.clocks, fix)
        add_photos_and_templates(s, dog_id, st, fix)
    s.flush()
    erased_at = (fix(st.owner.erased_at) or now) if st.owner.erased_at is not None else None
    erased = follow_erasure(s, dog, erased_at, everything=True)
    result.seq = log_changes(s, [(DOG, dog_id)], device_id, now)[dog_id]
    # the owner's other dogs the erasure changed here: kiosks learn them too; so the look-alikes flagged
    log_changes(s, [(DOG, other) for other in sorted(erased - {dog_id})] + [(FLAG, f) for f in flags], None, now)
    remember(s, [result], device_id, now)
    return result


def _apply_flag(s: Session, c: FlagChange, device_id: str | None, fix: Fix, now: datetime) -> ChangeResult:
    """A review flag pushed by a kiosk (made at a registration, or decided on its review page). A flag for a pair
    the server already flags takes the decision into that flag (one flag per pair; the kiosk gets the server's
    flag in its next pull). Its dogs must be here first: until they are, the answer is missing_photos with no
    photo named (the kiosk pushes again after its dogs)."""
    st = c.state
    if s.get(Dog, st.dog_id) is None or s.get(Dog, st.other_dog_id) is None:
        return ChangeResult(change_id=c.change_id, status="missing_photos",
                            message="the flag's dogs are not on the server yet")
    flag = s.get(ReviewFlag, st.id) or pair_flag(s, st.dog_id, st.other_dog_id)
    if flag is None:
        flag = ReviewFlag(**flag_row(st, fix, now, device_id))
        s.add(flag)
        s.flush()
    elif merge_flag_decision(flag, st.resolved, st.resolution, fix(st.deleted_at)):
        flag.updated_at = max(flag.updated_at, fix(st.updated_at) or now)
        s.flush()
    result = ChangeResult(change_id=c.change_id, status="applied",
                          seq=log_changes(s, [(FLAG, flag.id)], device_id, now)[flag.id])
    remember(s, [result], device_id, now)
    return result


def _set_clocks(s: Session, ent: SyncEntity | None, entity_id: str, clocks: dict, entity: str = DOG) -> SyncEntity:
    if ent is None:
        ent = s.get(SyncEntity, entity_id)
    if ent is None:
        ent = SyncEntity(entity_id=entity_id, entity=entity, clocks=dict(clocks))
        s.add(ent)
    else:
        ent.clocks = {**(ent.clocks or {}), **clocks}  # a new dict: JSON columns track assignment only
    return ent


def _server_owner(s: Session, o: OwnerState, device_id: str | None, remap: Remap, fix: Fix) -> str:
    """The server's owner id for an incoming owner: the same id, a merged id, or the one with that phone."""
    mapped = s.get(SyncIdMap, o.id)
    if mapped is not None:
        remap.owners[o.id] = mapped.to_id
        return mapped.to_id
    if s.get(Owner, o.id) is not None:
        return o.id
    same_phone = s.scalar(select(Owner).where(Owner.phone_hash == o.phone)) if o.phone else None
    if same_phone is not None:
        s.add(SyncIdMap(from_id=o.id, entity="owner", to_id=same_phone.id))
        if same_phone.deleted_at is not None:
            same_phone.deleted_at = None
        if o.name and not same_phone.name:
            same_phone.name = o.name
        remap.owners[o.id] = same_phone.id
        return same_phone.id
    s.add(Owner(**owner_row(o, fix, device_id)))
    s.flush()
    return o.id


def _merge_fields(s: Session, dog: Dog, ent: SyncEntity | None, st: DogBundle, clocks: dict[str, datetime],
                  fix: Fix) -> None:
    """Last writer wins per field: an incoming field replaces the stored one when its corrected time is
    not older (equal: the later arrival wins)."""
    stored = dict((ent.clocks if ent is not None else None) or {})
    default = dog.updated_at
    changed = False
    newest = dog.updated_at
    for name, ts in clocks.items():
        when = fix(ts)
        if name == OWNER_NAME:
            owner = s.get(Owner, dog.owner_id)
            if owner.deleted_at is not None:
                continue  # erased: no copy ever brings the name back
            oent = s.get(SyncEntity, owner.id)
            ostored = parse_ts(((oent.clocks if oent is not None else None) or {}).get("name")) or owner.updated_at
            if when >= ostored and owner.name != st.owner.name:
                owner.name = st.owner.name
                owner.updated_at = when
                _set_clocks(s, oent, owner.id, {"name": iso(when)}, entity="owner")
                changed = True
            continue
        if when >= (parse_ts(stored.get(name)) or default):
            setattr(dog, name, getattr(st.fields, name))
            stored[name] = iso(when)
            newest = max(newest, when)
            changed = True
    if changed:
        dog.updated_at = newest
        _set_clocks(s, ent, dog.id, stored)
