"""Reviews: two registrations that may be one dog (a ReviewFlag), decided by a person. No Qt, no HTTP.

Flags are made when a registration looks like a registered dog without being a sure match
(core/service/registration.py) and when two kiosks registered the same nose (the server, core/replication/). A person
then decides:

- different dogs: the flag is resolved ("different_dogs"); both registrations stay as they are.
- the same dog: the NEWER registration (by registered_at) is merged into the OLDER one, which keeps its
  registration number and owner. The newer one's photos and templates become new rows of the older dog (photo
  files are content-addressed, so the files are shared; a photo the older dog already has is skipped), blank
  details of the older dog are filled from the newer one, a line in its notes names the merged registration, the
  newer registration is soft-deleted (a tombstone, like delete_dog), other open flags that named it move to the
  older dog (or close, when they named the older dog itself), and the flag is resolved ("same_dog").

Everything is one transaction with its Outbox rows, so it syncs; replication lets a resolution win over an open
flag and "same_dog" over "different_dogs" (a merge cannot be undone by sync, like a deletion). The answer names
both owners, so that staff can tell them. `SavePets.list_reviews` / `resolve_review` are the entry points.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, aliased, selectinload

from core.errors import Conflict, NotFound
from core.registry.models import Dog, NosePhoto, NoseTemplate, ReviewFlag, Sex, utcnow
from core.schemas import DogOut, OwnerOut, ReviewList, ReviewOut, ReviewResult

SAME_DOG, DIFFERENT_DOGS = "same_dog", "different_dogs"
RESOLUTIONS = (SAME_DOG, DIFFERENT_DOGS)
NOTES_MAX = 2000  # core.schemas.DogIn.notes

DogOutFn = Callable[[Session, Dog], DogOut]
RecordFn = Callable[[Session, str, str, str], None]


def _open(stmt):
    """Flags still to decide whose two registrations are both live (a deleted dog leaves nothing to decide)."""
    a, b = aliased(Dog), aliased(Dog)
    return (stmt.join(a, a.id == ReviewFlag.dog_id).join(b, b.id == ReviewFlag.other_dog_id)
            .where(ReviewFlag.resolved.is_(False), ReviewFlag.deleted_at.is_(None), a.deleted_at.is_(None),
                   b.deleted_at.is_(None)))


def open_count(s: Session) -> int:
    return s.scalar(_open(select(func.count(ReviewFlag.id)).select_from(ReviewFlag))) or 0


def _older_first(a: Dog, b: Dog) -> tuple[Dog, Dog]:
    return (a, b) if (a.registered_at, a.created_at, a.id) <= (b.registered_at, b.created_at, b.id) else (b, a)


def _load_dogs(s: Session, ids) -> dict[str, Dog]:
    return {d.id: d for d in s.scalars(select(Dog).options(selectinload(Dog.owner), selectinload(Dog.photos))
                                       .where(Dog.id.in_(list(ids))))}


def open_reviews(s: Session, dog_out: DogOutFn, limit: int = 50) -> ReviewList:
    """The open reviews, newest first, each with both dogs (older first) and their photos; and how many are open.
    The flags one registration made come together, the most alike first."""
    rows = s.execute(_open(select(ReviewFlag.id, ReviewFlag.dog_id, ReviewFlag.created_at, ReviewFlag.score))).all()
    newest: dict[str, datetime] = {}
    for r in rows:
        newest[r.dog_id] = max(newest.get(r.dog_id, r.created_at), r.created_at)
    order = sorted(rows, key=lambda r: (-newest[r.dog_id].timestamp(), r.dog_id, -r.score, r.id))
    ids = [r.id for r in order[:max(1, min(limit, 500))]]
    by_id = {f.id: f for f in s.scalars(select(ReviewFlag).where(ReviewFlag.id.in_(ids)))}
    flags = [by_id[i] for i in ids]
    dogs = _load_dogs(s, {i for f in flags for i in (f.dog_id, f.other_dog_id)})
    outs = {i: dog_out(s, d) for i, d in dogs.items()}
    reviews = []
    for f in flags:
        older, newer = _older_first(dogs[f.dog_id], dogs[f.other_dog_id])
        reviews.append(ReviewOut(id=f.id, older=outs[older.id], newer=outs[newer.id], score=round(f.score, 4),
                                 reason=f.reason, created_at=f.created_at))
    return ReviewList(count=len(rows), reviews=reviews)


def resolve(s: Session, flag_id: str, same_dog: bool, *, device_id: str, dog_out: DogOutFn, record: RecordFn,
            now: datetime | None = None) -> ReviewResult:
    """Resolve one open flag (see the module docstring). NotFound for an unknown flag, Conflict for one already
    resolved or a merge whose registration was removed meanwhile; the caller's transaction then changes nothing."""
    now = now or utcnow()
    flag = s.scalar(select(ReviewFlag).where(ReviewFlag.id == flag_id).with_for_update())
    if flag is None or flag.deleted_at is not None:
        raise NotFound(f"No review with id {flag_id!r}.", flag_id=flag_id)
    if flag.resolved:
        raise Conflict(f"This review was already resolved ({(flag.resolution or 'closed').replace('_', ' ')}).",
                       flag_id=flag_id, resolution=flag.resolution)
    dogs = _load_dogs(s, (flag.dog_id, flag.other_dog_id))
    older, newer = _older_first(dogs[flag.dog_id], dogs[flag.other_dog_id])
    photos_added = moved = 0
    if same_dog:
        gone = [d for d in (older, newer) if d.deleted_at is not None]
        if gone:
            raise Conflict(f"Registration {gone[0].registration_number} has been removed: nothing to merge.",
                           flag_id=flag_id, removed=gone[0].id)
        photos_added = _merge(s, older, newer, now, device_id)
        record(s, "dog", older.id, "upsert")
        record(s, "dog", newer.id, "delete")
        moved = _move_flags(s, flag, older, newer, now, device_id, record)
    flag.resolved = True
    flag.resolution = SAME_DOG if same_dog else DIFFERENT_DOGS
    flag.updated_at = now
    record(s, "review_flag", flag.id, "upsert")
    s.flush()
    s.expire(older, ["photos"])
    owners = [OwnerOut(id=o.id, phone=o.phone, name=o.name) for o in (older.owner, newer.owner)]
    if owners[0].id == owners[1].id:
        owners = owners[:1]
    return ReviewResult(flag_id=flag.id, resolution=flag.resolution, older=dog_out(s, older), newer=dog_out(s, newer),
                        photos_added=photos_added, owners=owners if same_dog else [],
                        owners_differ=same_dog and len(owners) > 1, other_reviews=moved)


def _merge(s: Session, older: Dog, newer: Dog, now: datetime, device_id: str) -> int:
    """The newer dog's photos and templates become the older dog's; the newer dog is deleted. Returns photos added."""
    have = set(s.scalars(select(NosePhoto.sha256).where(NosePhoto.dog_id == older.id)))  # deleted ones too: unique
    position = s.scalar(select(func.max(NosePhoto.position)).where(NosePhoto.dog_id == older.id))
    position = -1 if position is None else position
    templates: dict[str, list[NoseTemplate]] = {}
    for t in s.scalars(select(NoseTemplate).where(NoseTemplate.dog_id == newer.id, NoseTemplate.deleted_at.is_(None))
                       .order_by(NoseTemplate.id)):
        templates.setdefault(t.photo_id, []).append(t)
    added = 0
    for p in sorted((p for p in newer.photos if p.deleted_at is None), key=lambda p: (p.position, p.id)):
        if p.sha256 in have:
            continue
        have.add(p.sha256)
        position += 1
        row = NosePhoto(dog_id=older.id, sha256=p.sha256, path=p.path, width=p.width, height=p.height,
                        quality=p.quality, position=position, origin_device=device_id, created_at=now, updated_at=now)
        s.add(row)
        s.flush()
        for t in templates.get(p.id, []):
            s.add(NoseTemplate(photo_id=row.id, dog_id=older.id, model_name=t.model_name,
                               model_version=t.model_version, dim=t.dim, vector=t.vector, quality=t.quality,
                               origin_device=device_id, created_at=now, updated_at=now))
        added += 1
    # the older registration keeps its details; blanks are filled from the newer one
    if not older.breed and newer.breed:
        older.breed = newer.breed
    if older.sex == Sex.UNKNOWN and newer.sex != Sex.UNKNOWN:
        older.sex = newer.sex
    if older.birth_date is None and newer.birth_date is not None:
        older.birth_date = newer.birth_date
    if older.neutered is None and newer.neutered is not None:
        older.neutered = newer.neutered
    older.notes = merged_notes(older.notes, newer, now)
    older.updated_at = now
    newer.deleted_at = now
    newer.updated_at = now
    for t in s.scalars(select(NoseTemplate).where(NoseTemplate.dog_id == newer.id)):
        t.deleted_at = now
    return added


def merged_notes(notes: str, newer: Dog, now: datetime) -> str:
    """The older dog's notes with a line naming the merged registration and its date (never a phone number)."""
    line = (f"Same dog as registration {newer.registration_number} of {newer.registered_at:%Y-%m-%d} "
            f"(merged {now:%Y-%m-%d}).")
    text = f"{notes.rstrip()}\n{line}" if notes.strip() else line
    return text[-NOTES_MAX:]


def _move_flags(s: Session, flag: ReviewFlag, older: Dog, newer: Dog, now: datetime, device_id: str,
                record: RecordFn) -> int:
    """Other open flags that named the merged (newer) registration: each is closed (a tombstone, as it names a
    deleted dog) and, unless it paired the two merged registrations or that pair is already flagged, made again
    about the older dog with the same score and reason."""
    others = s.scalars(select(ReviewFlag).where(or_(ReviewFlag.dog_id == newer.id, ReviewFlag.other_dog_id == newer.id),
                                                ReviewFlag.id != flag.id, ReviewFlag.resolved.is_(False),
                                                ReviewFlag.deleted_at.is_(None))).all()
    for old in others:
        old.deleted_at = now
        old.updated_at = now
        record(s, "review_flag", old.id, "upsert")
        third_id = old.other_dog_id if old.dog_id == newer.id else old.dog_id
        third = s.get(Dog, third_id)
        if third_id == older.id or third is None or third.deleted_at is not None:
            continue
        pair = (older.id, third_id) if old.dog_id == newer.id else (third_id, older.id)
        if s.scalar(select(ReviewFlag.id).where(or_(
                and_(ReviewFlag.dog_id == older.id, ReviewFlag.other_dog_id == third_id),
                and_(ReviewFlag.dog_id == third_id, ReviewFlag.other_dog_id == older.id)))) is not None:
            continue
        moved = ReviewFlag(dog_id=pair[0], other_dog_id=pair[1], score=old.score, reason=old.reason,
                           origin_device=device_id, created_at=old.created_at, updated_at=now)
        s.add(moved)
        s.flush()
        record(s, "review_flag", moved.id, "upsert")
    return len(others)
