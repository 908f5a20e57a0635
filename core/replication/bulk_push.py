"""Server: the common case of a push in a few bulk statements: new dogs, new or known owners, free registration
numbers, all photos here, no look-alike. Anything else (an edit, a deletion, a phone or number taken, an erasure, a
resend, a look-alike) is left to the careful path (core/replication/server_apply.py), one change at a time."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.registry.encrypted import place_rows
from core.registry.models import (
    DEFAULT_ORG_ID,
    Dog,
    NosePhoto,
    NoseTemplate,
    Owner,
    SyncEntity,
    SyncIdMap,
    SyncReceived,
)
from core.replication.bundle import DOG, DOG_FIELDS, iso
from core.replication.changelog import log_changes
from core.replication.lookalikes import DuplicateScreen
from core.replication.messages import ChangeResult, DogChange, FlagChange
from core.replication.rows import Fix, dog_row, owner_row, photos_and_templates
from core.replication.server_apply import remember


def apply_new_dogs_bulk(s: Session, changes: list[DogChange | FlagChange], *, device_id: str | None, fix: Fix,
                        now: datetime, photo_exists: Callable[[str], bool],
                        screen: DuplicateScreen | None = None, org_id: str = DEFAULT_ORG_ID) -> dict[str, ChangeResult]:
    """The changes of `changes` that are the common case, applied (the new dogs belong to `org_id`, the pushing
    key's organisation). Returns {change_id: answer} for those; the caller applies the others one by one. The
    caller holds the sync lock and has checked that the pushing device may make them."""
    seen_ids = Counter(c.change_id for c in changes)
    cands = [c for c in changes if isinstance(c, DogChange) and c.op == "upsert" and seen_ids[c.change_id] == 1
             and c.state.deleted_at is None and c.state.owner.erased_at is None]  # an erasure: the careful path
    if not cands:
        return {}
    dids = [c.entity_id for c in cands]
    received = set(s.scalars(select(SyncReceived.change_id).where(SyncReceived.change_id.in_(
        [c.change_id for c in cands]))))
    known = set(s.scalars(select(Dog.id).where(Dog.id.in_(dids))))
    known |= set(s.scalars(select(SyncEntity.entity_id).where(SyncEntity.entity_id.in_(dids))))
    cands = [c for c in cands if c.change_id not in received and c.entity_id not in known
             and all(photo_exists(sha) for sha in c.state.live_photo_shas())]
    if not cands:
        return {}
    owner_ids = {c.state.owner.id for c in cands}
    mapped = set(s.scalars(select(SyncIdMap.from_id).where(SyncIdMap.from_id.in_(owner_ids))))
    server_owners = set(s.scalars(select(Owner.id).where(Owner.id.in_(owner_ids))))
    taken_phones = set(s.scalars(select(Owner.phone).where(Owner.phone_hash.in_({c.state.owner.phone
                                                                                   for c in cands}))))
    numbers = Counter(c.state.registration_number for c in cands)
    taken_numbers = set(s.scalars(select(Dog.registration_number).where(Dog.registration_number.in_(list(numbers)))))
    first_owner_of_phone: dict[str, str] = {}
    for c in cands:
        first_owner_of_phone.setdefault(c.state.owner.phone, c.state.owner.id)
    ok = []
    for c in cands:
        st, o = c.state, c.state.owner
        if o.id in mapped or st.registration_number in taken_numbers or numbers[st.registration_number] > 1:
            continue
        if o.id not in server_owners and (o.phone in taken_phones or first_owner_of_phone[o.phone] != o.id):
            continue
        ok.append(c)
    if screen is not None and ok:
        lookalikes = screen([(c.entity_id, c.state.templates) for c in ok])
        ok = [c for c in ok if c.entity_id not in lookalikes]
    if not ok:
        return {}

    owners, dogs, photos, templates, clocks = {}, [], [], [], []
    for c in ok:
        st = c.state
        if st.owner.id not in server_owners:
            owners[st.owner.id] = owner_row(st.owner, fix, device_id)
        dogs.append(dog_row(st, fix, owner_id=st.owner.id, device_id=device_id, org_id=org_id or DEFAULT_ORG_ID))
        p, t = photos_and_templates(st.id, st, fix)
        photos += p
        templates += t
        clocks.append({"entity_id": st.id, "entity": DOG, "shadow": None,
                       "clocks": {k: iso(fix(v)) for k, v in c.clocks.items() if k in DOG_FIELDS}})
    for table, rows in ((Owner, list(owners.values())), (Dog, dogs), (NosePhoto, photos), (NoseTemplate, templates),
                        (SyncEntity, clocks)):
        if rows:
            s.execute(table.__table__.insert(), place_rows(table, rows))  # encrypted values bound to their row
    seqs = log_changes(s, [(DOG, c.entity_id) for c in ok], device_id, now)
    out = {c.change_id: ChangeResult(change_id=c.change_id, status="applied", seq=seqs[c.entity_id]) for c in ok}
    remember(s, list(out.values()), device_id, now)
    return out
