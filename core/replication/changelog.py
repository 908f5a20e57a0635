"""Server: the change log kiosks pull from, and the pages they pull.

`sync_log` is a strictly increasing sequence (`seq`) of changed entities, in commit order: every writer of the log
first takes the sync lock (an update of a `meta` row: a row lock on MySQL/MariaDB, the write lock on SQLite), so no
seq can commit after a higher one has been read. Older rows of an entity are dropped when it changes again, so a
kiosk catching up fetches each entity once, in its current state. The server's own changes (REST API registrations
and edits, which write its outbox) join the log under the same lock."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.registry.models import DEFAULT_ORG_ID, Dog, Meta, Outbox, Owner, SyncEntity, SyncLog, utcnow
from core.replication.bundle import DOG, DOG_FIELDS, DogBundle, DogFields, iso, states
from core.replication.messages import (
    AnyPulled,
    PulledDog,
    PulledFlag,
    PulledFoundCase,
    PulledLostReport,
    PulledReunion,
    PullPage,
)
from core.replication.reunite_states import FoundCaseState, LostReportState, ReunionState, reunite_states

LOCK_KEY = "sync_lock"


def take_lock(s: Session) -> None:
    """Serialises every writer of the change log. Call first in the transaction."""
    stamp = utcnow().isoformat()
    if s.execute(update(Meta).where(Meta.key == LOCK_KEY).values(value=stamp)).rowcount == 0:
        try:
            with s.begin_nested():
                s.add(Meta(key=LOCK_KEY, value=stamp))
        except IntegrityError:
            pass
        s.execute(update(Meta).where(Meta.key == LOCK_KEY).values(value=stamp))


def head_seq(s: Session) -> int:
    return s.scalar(select(func.max(SyncLog.seq))) or 0


def log_changes(s: Session, items: Iterable[tuple[str, str]], origin_device: str | None,
                now: datetime | None = None) -> dict[str, int]:
    """Append (entity, id) pairs to the change log, in this order, each once (where it comes last); the older rows
    of these entities go. The caller holds the lock. Returns each id's new seq."""
    last: dict[tuple[str, str], int] = {}
    for i, item in enumerate(items):
        last[item] = i
    ordered = sorted(last, key=last.get)
    if not ordered:
        return {}
    old_max = head_seq(s)
    now = now or utcnow()
    s.execute(SyncLog.__table__.insert(), [{"entity": e, "entity_id": i, "origin_device": origin_device,
                                            "created_at": now} for e, i in ordered])
    # insert first, then drop the older rows: the newest seq always stays in the table, so neither SQLite
    # (max(rowid) + 1) nor InnoDB after a restart (max + 1) can ever hand out a seq a second time
    ids = [i for _, i in ordered]
    seqs: dict[str, int] = {}
    for k in range(0, len(ids), 500):
        chunk = ids[k:k + 500]
        s.execute(delete(SyncLog).where(SyncLog.entity_id.in_(chunk), SyncLog.seq <= old_max))
        seqs.update(s.execute(select(SyncLog.entity_id, SyncLog.seq).where(SyncLog.entity_id.in_(chunk))).all())
    return seqs


def sequence_local_outbox(s: Session) -> int:
    """The server's own changes (made through the REST API) join the change log. The caller holds the lock."""
    rows = s.execute(select(Outbox.seq, Outbox.entity, Outbox.entity_id).where(Outbox.pushed_at.is_(None))
                     .order_by(Outbox.seq)).all()
    if not rows:
        return 0
    device = s.scalar(select(Meta.value).where(Meta.key == "device_id"))
    now = utcnow()
    logged = log_changes(s, [(r.entity, r.entity_id) for r in rows], device, now)
    note_server_state(s, [r.entity_id for r in rows if r.entity == DOG and r.entity_id in logged], stamp=True)
    seqs = [r.seq for r in rows]  # exactly the rows read: one still uncommitted elsewhere waits for the next run
    for k in range(0, len(seqs), 500):
        s.execute(update(Outbox).where(Outbox.seq.in_(seqs[k:k + 500])).values(pushed_at=now))
    return len(rows)


def has_unsequenced(s: Session) -> bool:
    return s.scalar(select(Outbox.seq).where(Outbox.pushed_at.is_(None)).limit(1)) is not None


def note_server_state(s: Session, dog_ids: list[str], stamp: bool) -> None:
    """Server: remember each dog's fields as last logged (`sync_entity.shadow`). With stamp, the fields that
    differ from what was remembered were edited on the server itself (REST API): their clocks become the
    dog's updated_at, so that per-field last-writer-wins also holds against edits made on the server."""
    dog_ids = list(dict.fromkeys(dog_ids))
    for k in range(0, len(dog_ids), 500):
        ids = dog_ids[k:k + 500]
        rows = s.execute(select(Dog.__table__, Owner.name.label("owner_name"))
                         .join(Owner, Owner.id == Dog.owner_id).where(Dog.id.in_(ids))).mappings().all()
        ents = {e.entity_id: e for e in s.scalars(select(SyncEntity).where(
            SyncEntity.entity_id.in_(ids + [r["owner_id"] for r in rows])))}
        for r in rows:
            shadow = {"fields": DogFields(**{f: r[f] for f in DOG_FIELDS}).model_dump(mode="json"),
                      "owner_name": r["owner_name"]}
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


def pull_page(s: Session, since: int, limit: int, org_id: str | None = None, full_view: bool = True) -> PullPage:
    """Changes after the cursor, oldest first, each in its current state; the next cursor; whether there is more.
    Without `full_view`, a dog of an organisation other than `org_id` comes with its owner redacted and no notes
    (templates and the other fields in full: offline recognition needs them); a dog of no organisation is the
    default organisation's (what migration 0008 made of the dogs before organisations). So, of another
    organisation's lost report, the owner's contact and the notes; of its found case, the finder's contact and
    the notes (core/replication/reunite_states.py)."""
    rows = s.execute(select(SyncLog.seq, SyncLog.entity, SyncLog.entity_id).where(SyncLog.seq > since)
                     .order_by(SyncLog.seq).limit(limit)).all()
    items = [(r.entity, r.entity_id) for r in rows]
    found = {**states(s, items), **reunite_states(s, items)}
    mine = org_id or DEFAULT_ORG_ID
    changes: list[AnyPulled] = []
    for r in rows:
        st = found.get(r.entity_id)
        if isinstance(st, DogBundle):
            if not full_view and (st.org_id or DEFAULT_ORG_ID) != mine:
                st = st.redacted()
            changes.append(PulledDog(seq=r.seq, entity_id=r.entity_id, state=st))
        elif isinstance(st, LostReportState | FoundCaseState):
            if not full_view and (st.org_id or DEFAULT_ORG_ID) != mine:
                st = st.redact()
            kind = PulledLostReport if isinstance(st, LostReportState) else PulledFoundCase
            changes.append(kind(seq=r.seq, entity_id=r.entity_id, state=st))
        elif isinstance(st, ReunionState):
            changes.append(PulledReunion(seq=r.seq, entity_id=r.entity_id, state=st))
        elif st is not None:
            changes.append(PulledFlag(seq=r.seq, entity_id=r.entity_id, state=st))
    return PullPage(changes=changes, cursor=rows[-1].seq if rows else since, has_more=len(rows) == limit)
