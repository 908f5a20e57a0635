"""Registration: 5 nose photos checked (quality, the same file twice, one photo of another nose), screened against
the registry (a sure match refuses; look-alikes are flagged for a person's review), then the owner, the dog, its
photos, templates, outbox and audit entries written in one transaction, photo files included.

One registration per nose, across threads, processes and replicas on one database: the screening and the insert run
under the registration lock, taken in the database (a named lock, GET_LOCK, on MySQL/MariaDB, held by the
registering transaction's connection until after its commit; an immediate transaction on SQLite), and inside it the
screening also sees the templates other processes committed since this one's gallery was last brought in step (the
gallery's tail: GalleryIndex._gallery_tail). The photos are embedded before the lock: that is the slow part."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime

import numpy as np
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.errors import AlreadyRegistered, Conflict, PhotosRejected
from core.numbers import registration_number
from core.photos import Photo
from core.recognition.base import Decision
from core.recognition.decision import Verdict
from core.registry.models import Dog, NosePhoto, NoseTemplate, Owner, ReviewFlag
from core.reviews import DIFFERENT_DOGS
from core.schemas import CandidateOut, DogIn, OwnerIn, PhotoProblem, RegisterResult
from core.service.base import problems_message
from core.service.gallery import GalleryIndex

log = logging.getLogger(__name__)

REQUIRED_PHOTOS = 5
LOCK_NAME = "savepets_register"  # the MySQL/MariaDB named lock of the registration check and insert
LOCK_WAIT_S = 30  # how long a registration waits for the others before giving up (each holds it well under 1 s)


class RegistrationBusy(Conflict):
    """The registration lock was not free in LOCK_WAIT_S: nothing was registered; the client tries again."""

    code = "registration_busy"


class Registration(GalleryIndex):
    def register(self, owner: OwnerIn, dog: DogIn, photos: Sequence[Photo],
                 registered_at: datetime | None = None) -> RegisterResult:
        acc = self.access()
        vectors, qualities = self._check_registration_photos(photos)
        self.gallery  # noqa: B018 - loaded before the lock (the first load reads every template)
        registered_at = registered_at or self.now()
        for attempt in range(5):  # a concurrent writer may take the same phone or number first
            try:
                result = self._register_serialised(owner, dog, photos, vectors, qualities, registered_at)
                break
            except AlreadyRegistered as exc:  # a refusal names a registered dog: on the trail like a look-up
                match = (exc.details.get("match") or {}).get("dog") or {}
                with self.db.session() as s:
                    self._audit(s, "register_refused",
                                dog=(match["id"], match["registration_number"]) if match else None,
                                decision=Decision.MATCH.value, reason="sure_match", detail=f"photos={len(photos)}")
                raise
            except IntegrityError:
                if attempt == 4:
                    raise
                log.info("registration raced with another writer; retrying")
        self._gallery_add(result.dog.id)
        self._keep_features(p.sha256 for p in photos)
        self._changed(result.dog.id)
        if acc.member and not acc.may("contacts") and result.owner_existed:  # the phone was theirs, not the name
            owner = result.dog.owner.model_copy(update={"name": result.dog.owner.concealed().name})
            result = result.model_copy(update={"dog": result.dog.model_copy(update={"owner": owner})})
        return result

    def _register_serialised(self, owner: OwnerIn, dog: DogIn, photos: Sequence[Photo], vectors: np.ndarray,
                             qualities: list[float], registered_at: datetime) -> RegisterResult:
        """The screening and the insert, one registration at a time in the whole registry (see the module's doc)."""
        written: list[str] = []
        try:
            with self._write_lock, self._registration_lock() as s:
                tail = self._gallery_tail(s)
                look_alikes = self._screen_registration(s, photos, vectors, tail)
                return self._insert_registration(s, owner, dog, photos, vectors, qualities, registered_at,
                                                 look_alikes, written)
        except BaseException:
            for sha in written:  # nothing of a failed registration stays behind, files included
                self.store.remove(sha)
            raise

    @contextmanager
    def _registration_lock(self) -> Iterator[Session]:
        """A transaction that holds the registry's registration lock until it has committed or rolled back."""
        dialect = self.db.engine.dialect.name
        if dialect != "mysql":  # SQLite: the database's write lock from the first statement (another process waits)
            with self.db.session() as s:
                if dialect == "sqlite":
                    s.connection().exec_driver_sql("BEGIN IMMEDIATE")
                yield s
            return
        with self.db.engine.connect() as conn:  # MySQL/MariaDB: a named lock of this connection, not of a row
            got = conn.execute(text("SELECT GET_LOCK(:name, :wait)"), {"name": LOCK_NAME, "wait": LOCK_WAIT_S}).scalar()
            conn.commit()
            if got != 1:
                raise RegistrationBusy("The registry is busy with other registrations; nothing was registered. Try "
                                       "again shortly.", waited_s=LOCK_WAIT_S)
            try:
                with self.db.sessions(bind=conn) as s, s.begin():
                    yield s
            finally:
                try:
                    conn.execute(text("SELECT RELEASE_LOCK(:name)"), {"name": LOCK_NAME})
                    conn.commit()
                except Exception:  # noqa: BLE001 - a lost connection frees its locks; never reuse this one
                    log.warning("could not release the registration lock; dropping the connection", exc_info=True)
                    conn.invalidate()

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

    def _screen_registration(self, s: Session, photos: Sequence[Photo], vectors: np.ndarray,
                             also: Sequence[str] = ()) -> list[CandidateOut]:
        """The 5 photos, fused as one look-up (against the gallery and the dogs `also`: its tail): a sure match refuses
        the registration (AlreadyRegistered); dogs that look alike without being sure are returned, to be flagged for
        a person's review with the new dog (refusing on them would refuse ever more new dogs as the registry grows).
        A nose already registered twice (before the registration lock) refuses as surely as one registered once."""
        verdict = self._identify(vectors, [p.image for p in photos], also=also)
        if verdict.decision == Decision.NO_MATCH:
            return []
        if verdict.decision == Decision.MATCH:
            match = self._candidates(s, verdict.shown)[0]
        elif (copy := self._registered_twice(s, verdict)) is not None:
            match = copy
        else:
            return self._candidates(s, [c for c in verdict.shown if c[2] != Decision.NO_MATCH])
        raise AlreadyRegistered(
            f"This dog is already registered as {match.dog.name} ({match.dog.registration_number}).",
            match=match.masked().model_dump(mode="json"))

    def _registered_twice(self, s: Session, verdict: Verdict) -> CandidateOut | None:
        """The oldest registration of this nose when the best dog is sure but for the margin, and every dog close to
        it (within the margin) is the same nose registered again: sure against these photos too, or flagged with it
        as a possible duplicate that nobody has yet resolved. Then the margin rule (which protects against two
        different dogs scoring alike) would flag every further copy forever; this refuses it, naming the oldest.
        Dogs a person found to be different dogs stay for a person. Look-ups are not changed by this."""
        if verdict.reason != "close_second" or not verdict.shown:
            return None
        best_dog, best, _ = verdict.shown[0]
        margin = self.engine.scale_rule.margin
        close = {d: score for d, score, _ in verdict.shown if best - score < margin}
        if len(close) < 2:
            return None
        pairs = {frozenset((f.dog_id, f.other_dog_id)): f for f in s.scalars(select(ReviewFlag).where(
            ReviewFlag.dog_id.in_(list(close)), ReviewFlag.other_dog_id.in_(list(close)),
            ReviewFlag.deleted_at.is_(None)))}
        for dog, score in close.items():
            if dog == best_dog:
                continue
            flag = pairs.get(frozenset((best_dog, dog)))
            if flag is not None and flag.resolution == DIFFERENT_DOGS:
                return None
            if not (score >= verdict.threshold or (flag is not None and not flag.resolved)):
                return None
        dogs = s.execute(select(Dog.id, Dog.registered_at).where(Dog.id.in_(list(close)),
                                                                 Dog.deleted_at.is_(None))).all()
        if len(dogs) < 2:
            return None
        oldest = min(dogs, key=lambda r: (r.registered_at, r.id)).id
        log.info("registration refused: the nose is registered %d times already (oldest %s)", len(dogs), oldest)
        found = self._candidates(s, [(oldest, close[oldest], Decision.MATCH)])
        return found[0] if found else None

    def _write_registration(self, owner_in: OwnerIn, dog_in: DogIn, photos: Sequence[Photo], vectors: np.ndarray,
                            qualities: list[float], registered_at: datetime,
                            look_alikes: Sequence[CandidateOut] = ()) -> RegisterResult:
        """The insert alone, in its own transaction, with no screening and no registration lock (the benches fill a
        registry with it; tests make a second copy of a nose with it)."""
        written: list[str] = []
        try:
            with self.db.session() as s:
                result = self._insert_registration(s, owner_in, dog_in, photos, vectors, qualities, registered_at,
                                                   look_alikes, written)
        except BaseException:
            for sha in written:
                self.store.remove(sha)
            raise
        self._keep_features(p.sha256 for p in photos)
        return result

    def _insert_registration(self, s: Session, owner_in: OwnerIn, dog_in: DogIn, photos: Sequence[Photo],
                             vectors: np.ndarray, qualities: list[float], registered_at: datetime,
                             look_alikes: Sequence[CandidateOut], written: list[str]) -> RegisterResult:
        """The owner, the dog, its photos (their files listed in `written`, for the caller to remove should the
        transaction fail), templates, review flags, outbox and audit entries, in the caller's transaction."""
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
        return out
