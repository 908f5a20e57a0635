"""Registration: 5 nose photos checked (quality, the same file twice, one photo of another nose), screened against
the registry (a sure match refuses; look-alikes are flagged for a person's review), then the owner, the dog, its
photos, templates, outbox and audit entries written in one transaction, photo files included."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

import numpy as np
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core.errors import AlreadyRegistered, PhotosRejected
from core.numbers import registration_number
from core.photos import Photo
from core.recognition.base import Decision
from core.registry.models import Dog, NosePhoto, NoseTemplate, Owner, ReviewFlag
from core.schemas import CandidateOut, DogIn, OwnerIn, PhotoProblem, RegisterResult
from core.service.base import problems_message
from core.service.gallery import GalleryIndex

log = logging.getLogger(__name__)

REQUIRED_PHOTOS = 5


class Registration(GalleryIndex):
    def register(self, owner: OwnerIn, dog: DogIn, photos: Sequence[Photo],
                 registered_at: datetime | None = None) -> RegisterResult:
        acc = self.access()
        vectors, qualities = self._check_registration_photos(photos)
        try:
            look_alikes = self._screen_registration(photos, vectors)
        except AlreadyRegistered as exc:  # a refusal names a registered dog: on the trail like a look-up
            match = (exc.details.get("match") or {}).get("dog") or {}
            with self.db.session() as s:
                self._audit(s, "register_refused", dog=(match["id"], match["registration_number"]) if match else None,
                            decision=Decision.MATCH.value, reason="sure_match", detail=f"photos={len(photos)}")
            raise
        registered_at = registered_at or self.now()
        for attempt in range(5):  # a concurrent writer may take the same phone or number first
            try:
                with self._write_lock:
                    result = self._write_registration(owner, dog, photos, vectors, qualities, registered_at,
                                                      look_alikes)
                break
            except IntegrityError:
                if attempt == 4:
                    raise
                log.info("registration raced with another writer; retrying")
        self._gallery_add(result.dog.id)
        self._changed(result.dog.id)
        if acc.member and not acc.may("contacts") and result.owner_existed:  # the phone was theirs, not the name
            owner = result.dog.owner.model_copy(update={"name": result.dog.owner.concealed().name})
            result = result.model_copy(update={"dog": result.dog.model_copy(update={"owner": owner})})
        return result

    def _check_registration_photos(self, photos: Sequence[Photo]) -> tuple[np.ndarray, list[float]]:
        if len(photos) != REQUIRED_PHOTOS:
            raise PhotosRejected(f"Registration needs exactly {REQUIRED_PHOTOS} nose photos; got {len(photos)}.",
                                 count=len(photos))
        problems: list[PhotoProblem] = []
        seen: dict[str, int] = {}
        qualities = []
        for i, p in enumerate(photos):
            q = self.engine.quality(p.image)
            qualities.append(q.score)
            if not q.ok:
                problems.append(PhotoProblem(index=i, label=p.label, reasons=list(q.reasons), message=q.describe()))
            elif p.sha256 in seen:
                problems.append(PhotoProblem(index=i, label=p.label, reasons=["duplicate_photo"],
                                             message=f"the same file as photo {seen[p.sha256] + 1}"))
            seen.setdefault(p.sha256, i)
        if problems:
            raise PhotosRejected(problems_message(problems), problems=[x.model_dump() for x in problems])
        vectors = self.engine.embed([p.image for p in photos])
        sims = vectors @ vectors.T
        np.fill_diagonal(sims, -1.0)
        # Each photo must look like at least one other: one stray photo of another dog (or of no nose) fails,
        # while the natural spread of five photos of one nose passes.
        agree = self.engine.agreement_threshold
        strays = [i for i in range(len(photos)) if sims[i].max() < agree]
        if strays:
            problems = [PhotoProblem(index=i, label=photos[i].label, reasons=["disagrees"],
                                     message="does not look like the same nose as the other photos")
                        for i in strays]
            raise PhotosRejected(problems_message(problems), problems=[x.model_dump() for x in problems])
        return vectors, qualities

    def _screen_registration(self, photos: Sequence[Photo], vectors: np.ndarray) -> list[CandidateOut]:
        """The 5 photos, fused as one look-up: a sure match refuses the registration (AlreadyRegistered); dogs that
        look alike without being sure are returned, to be flagged for a person's review with the new dog (refusing
        on them would refuse ever more new dogs as the registry grows)."""
        verdict = self._identify(vectors, [p.image for p in photos])
        if verdict.decision == Decision.NO_MATCH:
            return []
        with self.db.sessions() as s:
            found = self._candidates(s, [c for c in verdict.shown if c[2] != Decision.NO_MATCH])
        if verdict.decision == Decision.MATCH:
            match = found[0]
            raise AlreadyRegistered(
                f"This dog is already registered as {match.dog.name} ({match.dog.registration_number}).",
                match=match.masked().model_dump(mode="json"))
        return found

    def _write_registration(self, owner_in: OwnerIn, dog_in: DogIn, photos: Sequence[Photo], vectors: np.ndarray,
                            qualities: list[float], registered_at: datetime,
                            look_alikes: Sequence[CandidateOut] = ()) -> RegisterResult:
        written: list[str] = []
        try:
            with self.db.session() as s:
                owner = s.scalar(select(Owner).where(Owner.phone_hash == owner_in.phone))
                owner_existed = owner is not None
                if owner is None:
                    owner = Owner(phone=owner_in.phone, name=owner_in.name, origin_device=self.device_id)
                    s.add(owner)
                elif owner_in.name and not owner.name:
                    owner.name = owner_in.name
                if owner.deleted_at is not None:
                    owner.deleted_at = None
                s.flush()
                number = registration_number(
                    registered_at, dog_in.name, owner.phone,
                    taken=lambda n: s.scalar(select(Dog.id).where(Dog.registration_number == n)) is not None)
                dog = Dog(owner_id=owner.id, registration_number=number, registered_at=registered_at,
                          origin_device=self.device_id, org_id=self.actor().org,
                          **dog_in.model_dump())
                s.add(dog)
                s.flush()
                for i, (photo, vector, q) in enumerate(zip(photos, vectors, qualities, strict=True)):
                    sha, new = self.store.put(photo.data)
                    if new:
                        written.append(sha)
                    h, w = photo.shape
                    row = NosePhoto(dog_id=dog.id, sha256=sha, path=self.store.relpath(sha), width=w, height=h,
                                    quality=q, position=i, origin_device=self.device_id)
                    s.add(row)
                    s.flush()
                    s.add(NoseTemplate(photo_id=row.id, dog_id=dog.id, model_name=self.engine.name,
                                       model_version=self.engine.version, dim=self.engine.dim,
                                       vector=vector.astype(np.float32).tobytes(), quality=q,
                                       origin_device=self.device_id))
                s.flush()
                self._record(s, "dog", dog.id, "upsert")
                for other in look_alikes:  # a person decides whether they are one dog (the review page)
                    if s.get(Dog, other.dog.id) is None:
                        continue
                    flag = ReviewFlag(dog_id=dog.id, other_dog_id=other.dog.id, score=other.score,
                                      reason="possible_duplicate", origin_device=self.device_id)
                    s.add(flag)
                    s.flush()
                    self._record(s, "review_flag", flag.id, "upsert")
                self._audit(s, "register", dog=dog, detail=f"photos={len(photos)} owner="
                            + ("existing" if owner_existed else "new")
                            + (f" flagged={len(look_alikes)}" if look_alikes else ""))
                out = RegisterResult(dog=self._dog_out(s, dog, known_phone=owner_in.phone), owner_existed=owner_existed,
                                     possible_duplicates=[c.masked() for c in look_alikes])
        except BaseException:
            for sha in written:  # nothing of a failed registration stays behind, files included
                self.store.remove(sha)
            raise
        return out
