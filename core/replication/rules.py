"""The conflict rules both sides apply to a state arriving from the other (see the package's docstring): registration
numbers kept unique, an owner made twice merged into one, a review flag's decision only moving forward, an erasure
followed, photos and templates only ever added."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import and_, insert, or_, select, update
from sqlalchemy.orm import Session

from core import owner_rights
from core.registry.models import Dog, NosePhoto, NoseTemplate, Owner, ReviewFlag
from core.replication.bundle import RESOLUTIONS, DogBundle
from core.replication.rows import Fix, photos_and_templates
from core.replication.shadows import forget_owner_in_shadows

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


def free_number_locally(s: Session, number: str, keep: str) -> None:
    """Kiosk: another local dog holding `number` (a provisional number made offline) moves to a free suffix."""
    other = s.scalar(select(Dog).where(Dog.registration_number == number, Dog.id != keep))
    if other is not None:
        other.registration_number = next_free_number(s, number, other.id)
        s.flush()


def merge_owner(s: Session, local: Owner, to_id: str) -> None:
    """Kiosk: make `to_id` the owner of everything `local` owned (same phone), with no broken reference on the
    way."""
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


# how far a flag's decision has gone: it only ever moves forward
_RANK = {None: 0, **{r: i + 1 for i, r in enumerate(RESOLUTIONS)}}


def merge_flag_decision(flag: ReviewFlag, resolved: bool, resolution: str | None,
                        deleted_at: datetime | None) -> bool:
    """Take another copy's decision on a flag where it goes further: resolved, same_dog over different_dogs, closed.
    Returns whether the flag changed."""
    changed = False
    if resolved and not flag.resolved:
        flag.resolved = True
        changed = True
    if _RANK.get(resolution, 0) > _RANK.get(flag.resolution, 0):
        flag.resolution = resolution
        changed = True
    if deleted_at is not None and flag.deleted_at is None:
        flag.deleted_at = deleted_at
        changed = True
    return changed


def pair_flag(s: Session, dog_id: str, other_id: str) -> ReviewFlag | None:
    """The flag of a pair of dogs, whichever way round it was made (one flag per pair)."""
    f = ReviewFlag
    return s.scalar(select(f).where(or_(and_(f.dog_id == dog_id, f.other_dog_id == other_id),
                                        and_(f.dog_id == other_id, f.other_dog_id == dog_id))).limit(1))


def add_photos_and_templates(s: Session, dog_id: str, st: DogBundle, fix: Fix) -> None:
    """The photos and templates of a bundle that this side lacks (they only ever grow)."""
    photos, templates = photos_and_templates(
        dog_id, st, fix,
        have_photos=set(s.scalars(select(NosePhoto.id).where(NosePhoto.dog_id == dog_id))),
        have_shas=set(s.scalars(select(NosePhoto.sha256).where(NosePhoto.dog_id == dog_id))),
        have_templates=set(s.scalars(select(NoseTemplate.id).where(NoseTemplate.dog_id == dog_id))),
        have_models={tuple(r) for r in s.execute(
            select(NoseTemplate.photo_id, NoseTemplate.model_name, NoseTemplate.model_version)
            .where(NoseTemplate.dog_id == dog_id))})
    if photos:
        s.execute(insert(NosePhoto), photos)
    if templates:
        s.execute(insert(NoseTemplate), templates)


def delete_templates_with_dog(s: Session, dog_id: str, when: datetime) -> None:
    s.execute(update(NoseTemplate).where(NoseTemplate.dog_id == dog_id, NoseTemplate.deleted_at.is_(None))
              .values(deleted_at=when))


def follow_erasure(s: Session, dog: Dog | None, erased_at: datetime | None, everything: bool) -> set[str]:
    """A change whose owner was erased elsewhere (core/owner_rights.py): the owner's data is blanked here and a
    removed dog loses its photos and templates. `everything` (the server, which holds every dog): the first time
    it learns of the erasure it erases the owner's other dogs by the same rule. Returns the dogs changed."""
    if dog is None or erased_at is None:
        return set()
    owner = s.get(Owner, dog.owner_id)
    changed: set[str] = set()
    if everything and not owner_rights.is_erased(owner):
        _result, files = owner_rights.erase(s, owner, erased_at, record=None)
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
