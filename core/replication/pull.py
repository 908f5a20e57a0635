"""Kiosk, pulling: a page of the server's changes applied to the kiosk's registry.

The server's state wins, except for what this kiosk changed and has not pushed yet (a field that differs from its
shadow, the last agreed state): the push decides those. A deletion always wins. An owner made here offline with a
phone the server knows under another id takes the server's id; a registration number the server gave a dog moves a
local dog holding it to a free suffix. Review flags whose dogs have not arrived yet wait (in `meta`) for a later
page."""

from __future__ import annotations

from collections import Counter
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.registry.encrypted import place_rows, place_values
from core.registry.models import Dog, Meta, NosePhoto, NoseTemplate, Outbox, Owner, ReviewFlag, SyncEntity
from core.replication.bundle import DOG_FIELDS, FLAG, DogBundle, DogFields, FlagState
from core.replication.messages import AnyPulled, Pulled, PulledDog, PulledFlag, PulledReunite
from core.replication.push import is_pending
from core.replication.reunite_apply import apply_pulled
from core.replication.rows import as_is, dog_row, flag_row, owner_row, photos_and_templates
from core.replication.rules import (
    add_photos_and_templates,
    delete_templates_with_dog,
    follow_erasure,
    free_number_locally,
    merge_flag_decision,
    merge_owner,
    pair_flag,
)
from core.replication.shadows import set_shadows

DEFERRED_KEY = "sync_deferred"  # pulled flags (and reunite entities) whose dogs (cases) have not arrived yet
_deferred = TypeAdapter(list[Pulled])


def apply_page(s: Session, changes: list[AnyPulled]) -> tuple[set[str], int]:
    """A page of pulled changes, in the caller's transaction: dogs, then review flags, then lost reports, found
    cases and reunions (core/replication/reunite_apply.py), each of those once what it names is here. Returns (dog
    ids touched, changes applied)."""
    deferred_row = s.get(Meta, DEFERRED_KEY)
    waiting = _deferred.validate_json(deferred_row.value) if deferred_row is not None else []
    dogs = [c.state for c in changes if isinstance(c, PulledDog)]
    flags = [c for c in changes if isinstance(c, PulledFlag)] + [c for c in waiting if isinstance(c, PulledFlag)]
    fast = _insert_new_dogs(s, dogs) | _unchanged(s, dogs)
    touched = set(fast)
    for st in dogs:
        if st.id not in fast:
            touched.add(_apply_dog_state(s, st))
    applied = len(dogs)
    still: list[AnyPulled] = []
    for c in flags:
        if _apply_flag_state(s, c.state):
            touched.update((c.state.dog_id, c.state.other_dog_id))
            applied += 1
        else:
            still.append(c)
    order = {"lost_report": 0, "found_case": 0, "reunion": 1}  # a reunion names its case
    reunite = sorted([c for c in changes if isinstance(c, PulledReunite)]
                     + [c for c in waiting if isinstance(c, PulledReunite)], key=lambda c: order[c.entity])
    for c in reunite:
        if apply_pulled(s, c):
            applied += 1
        else:
            still.append(c)
    s.flush()
    if still or deferred_row is not None:
        s.merge(Meta(key=DEFERRED_KEY, value=_deferred.dump_json(still).decode()))
    return touched, applied


def _apply_dog_state(s: Session, st: DogBundle) -> str:
    """One pulled dog. A redacted owner (another organisation's dog) never changes an owner known here: an owner
    not known here becomes a placeholder row (its id, no phone or name; no phone, so the one-owner-per-phone rule
    is not in play), which a later full state of the owner fills in."""
    o = st.owner
    owner = s.get(Owner, o.id)
    if owner is None:
        same_phone = s.scalar(select(Owner).where(Owner.phone_hash == o.phone)) if o.phone else None
        if same_phone is not None:  # made here offline with the same phone: the server's id wins
            merge_owner(s, same_phone, o.id)
            owner = s.get(Owner, o.id)
        else:
            owner = Owner(**owner_row(o, as_is))
            s.add(owner)
            s.flush()
    elif not o.redacted and o.phone and not owner.phone and owner.deleted_at is None:  # a placeholder, now known
        same_phone = s.scalar(select(Owner).where(Owner.phone_hash == o.phone, Owner.id != o.id))
        if same_phone is not None:
            merge_owner(s, same_phone, o.id)
        owner.phone, owner.name = o.phone, o.name
        s.flush()
    ent = s.get(SyncEntity, st.id)
    shadow = ent.shadow if ent is not None else None
    dog = s.get(Dog, st.id)
    free_number_locally(s, st.registration_number, keep=st.id)
    if dog is None:
        s.add(Dog(**dog_row(st, as_is, owner_id=owner.id)))
        s.flush()
    else:
        local_edit = dog.deleted_at is None and st.deleted_at is None
        values: dict[str, Any] = {"registration_number": st.registration_number, "owner_id": owner.id,
                                  "registered_at": st.registered_at}
        mine = _fields_json(dog)
        pending = local_edit and shadow is None and is_pending(s, st.id)
        for k in DOG_FIELDS:
            if local_edit and shadow is not None and mine[k] != shadow["fields"].get(k):
                continue  # changed here and not yet agreed: the push decides
            if pending:
                continue
            if k == "notes" and o.redacted:
                continue  # left out of the pull (another organisation's dog): what is known here stays
            values[k] = getattr(st.fields, k)
        if st.deleted_at is not None and dog.deleted_at is None:
            values["deleted_at"] = st.deleted_at  # a deletion wins
        values["updated_at"] = max(dog.updated_at, st.updated_at)
        values["org_id"] = st.org_id or dog.org_id
        s.execute(update(Dog).where(Dog.id == st.id).values(**place_values(Dog, st.id, values)))
        if (not o.redacted and not (shadow is not None and owner.name != shadow["owner"]["name"])
                and owner.name != o.name):
            owner.name = o.name
    add_photos_and_templates(s, st.id, st, as_is)
    if st.deleted_at is not None:
        delete_templates_with_dog(s, st.id, st.deleted_at)
    follow_erasure(s, s.get(Dog, st.id), o.erased_at, everything=False)
    set_shadows(s, {st.id: st})
    return st.id


def restore_agreed(s: Session, dog_id: str) -> bool:
    """A dog back to the last state this kiosk and the server agreed on (its shadow), after the server refused a
    change of it: its fields, its owner's name (unless redacted or erased), and alive again if only this kiosk
    removed it (its templates with it). Returns False when there is no agreed state (a dog never on the server)."""
    ent = s.get(SyncEntity, dog_id)
    dog = s.get(Dog, dog_id)
    shadow = ent.shadow if ent is not None else None
    if dog is None or not shadow:
        return False
    agreed = DogFields(**shadow["fields"])
    values: dict[str, Any] = {k: getattr(agreed, k) for k in DOG_FIELDS}
    if dog.deleted_at is not None and shadow.get("deleted_at") is None:
        s.execute(update(NoseTemplate).where(NoseTemplate.dog_id == dog_id, NoseTemplate.deleted_at == dog.deleted_at)
                  .values(deleted_at=None))
        values["deleted_at"] = None
    for k, v in values.items():
        setattr(dog, k, v)
    owner = s.get(Owner, dog.owner_id)
    o = shadow["owner"]
    if owner is not None and not o.get("redacted") and owner.deleted_at is None and owner.name != o["name"]:
        owner.name = o["name"]
    s.flush()
    return True


def _fields_json(dog: Dog) -> dict:
    return DogFields(**{f: getattr(dog, f) for f in DOG_FIELDS}).model_dump(mode="json")


def _apply_flag_state(s: Session, st: FlagState) -> bool:
    """A pulled flag; False when its dogs are not here yet (it waits for a later page)."""
    if s.get(Dog, st.dog_id) is None or s.get(Dog, st.other_dog_id) is None:
        return False
    flag = s.get(ReviewFlag, st.id)
    if flag is None:
        local = pair_flag(s, st.dog_id, st.other_dog_id)
        decided = (local.resolved, local.resolution, local.deleted_at) if local is not None else None
        if local is not None:  # a flag for the same pair made locally: the server's row replaces it
            s.delete(local)
            s.flush()
        flag = ReviewFlag(**flag_row(st, as_is))
        s.add(flag)
        if decided is not None and merge_flag_decision(flag, *decided):
            s.add(Outbox(entity=FLAG, entity_id=flag.id, op="upsert"))  # decided here, not yet on the server
    else:  # a decision made here and not pushed yet is kept: decisions only move forward
        merge_flag_decision(flag, st.resolved, st.resolution, st.deleted_at)
        flag.updated_at = max(flag.updated_at, st.updated_at)
    s.flush()
    return True


def _unchanged(s: Session, dogs: list[DogBundle]) -> set[str]:
    """Pulled dogs that are exactly as last agreed here (e.g. this kiosk's own pushes coming back)."""
    ids = [st.id for st in dogs]
    if not ids:
        return set()
    shadows = dict(s.execute(select(SyncEntity.entity_id, SyncEntity.shadow)
                             .where(SyncEntity.entity_id.in_(ids))).all())
    if not shadows:
        return set()
    present = set(s.scalars(select(Dog.id).where(Dog.id.in_(list(shadows)))))
    pending = set(s.scalars(select(Outbox.entity_id).where(Outbox.entity_id.in_(list(shadows)),
                                                           Outbox.pushed_at.is_(None))))
    return {st.id for st in dogs if st.id in present and st.id not in pending and shadows.get(st.id) == st.slim()}


def _insert_new_dogs(s: Session, dogs: list[DogBundle]) -> set[str]:
    """The common case of a pull (dogs never seen here, owners new here, numbers free): inserted in bulk.
    Everything else goes through _apply_dog_state one by one. Returns the dog ids inserted."""
    last = {st.id: st for st in dogs}  # a page holds an entity once; be safe anyway
    if not last:
        return set()
    known = set(s.scalars(select(Dog.id).where(Dog.id.in_(list(last)))))
    fresh = [st for i, st in last.items() if i not in known]
    if not fresh:
        return set()
    numbers = Counter(st.registration_number for st in fresh)
    taken = set(s.scalars(select(Dog.registration_number).where(Dog.registration_number.in_(list(numbers)))))
    local_owners = set(s.scalars(select(Owner.id).where(Owner.id.in_({st.owner.id for st in fresh}))))
    phones = {st.owner.phone for st in fresh if st.owner.phone}
    taken_phones = set(s.scalars(select(Owner.phone).where(Owner.phone_hash.in_(phones)))) if phones else set()
    first_owner_of_phone: dict[str, str] = {}
    for st in fresh:
        if st.owner.phone:
            first_owner_of_phone.setdefault(st.owner.phone, st.owner.id)
    chosen = [st for st in fresh
              if st.registration_number not in taken and numbers[st.registration_number] == 1
              and st.owner.id not in local_owners
              and (not st.owner.phone  # redacted or erased: no phone to keep unique
                   or (st.owner.phone not in taken_phones and first_owner_of_phone[st.owner.phone] == st.owner.id))]
    if not chosen:
        return set()
    owners, rows, photos, templates = {}, [], [], []
    for st in chosen:
        owners[st.owner.id] = owner_row(st.owner, as_is)
        rows.append(dog_row(st, as_is, owner_id=st.owner.id))
        p, t = photos_and_templates(st.id, st, as_is, deleted_with_dog=st.deleted_at)
        photos += p
        templates += t
    for table, values in ((Owner, list(owners.values())), (Dog, rows), (NosePhoto, photos),
                          (NoseTemplate, templates)):
        if values:
            s.execute(table.__table__.insert(), place_rows(table, values))  # encrypted values bound to their row
    set_shadows(s, {st.id: st for st in chosen})
    return {st.id for st in chosen}

