"""The use cases every face calls: register, look up, and manage dogs and owners.

`SavePets` holds the registry database, the photo store, the recognition engine and the gallery index
derived from the registry. It knows nothing of Qt or HTTP.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import partial

import numpy as np
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased, selectinload

from core import audit, owner_rights, reviews
from core.actors import Actor, current_actor
from core.errors import AlreadyRegistered, InvalidInput, NotFound, PermissionDenied, PhotosRejected
from core.numbers import registration_number
from core.owner_rights import ErasureResult, OwnerExport
from core.phone import normalize_phone
from core.photos import Photo, PhotoStore
from core.recognition.base import SEARCH_DOGS, Decision, Engine, StoredPhoto
from core.recognition.decision import Verdict, decide, rank_dogs
from core.recognition.gallery import Gallery
from core.registry.db import Database
from core.registry.models import Dog, DogStatus, NosePhoto, NoseTemplate, Outbox, Owner, ReviewFlag, utcnow
from core.schemas import (
    LOOKUP_REASONS,
    CandidateOut,
    DogIn,
    DogOut,
    DogUpdate,
    LookupResult,
    OwnerIn,
    OwnerOut,
    PhotoCheck,
    PhotoOut,
    PhotoProblem,
    RegisterResult,
    ReviewList,
    ReviewResult,
)
from core.settings import Settings
from core.staff import Access, Need, StaffAccounts, StaffOut, StaffPermissions, access_of, denied, read_permissions

log = logging.getLogger(__name__)

REQUIRED_PHOTOS = 5
MAX_LOOKUP_PHOTOS = 5


class SavePets:
    def __init__(self, settings: Settings | None = None, engine: Engine | None = None,
                 database: Database | None = None):
        self.settings = settings or Settings()
        self.db = database or Database(self.settings.database_url, key_file=self.settings.key_file)
        self.store = PhotoStore(self.settings.photo_dir)
        if engine is None:
            from core.recognition.factory import load_engine

            engine = load_engine(self.settings.engine)
        self.engine = engine
        if self.settings.match_threshold is not None:
            self.engine.threshold_override = self.settings.match_threshold
        self.device_id = self.settings.device_id or self.db.device_id()
        self._gallery: Gallery | None = None
        self._gallery_lock = threading.Lock()
        self._write_lock = threading.Lock()  # one local writer at a time: SQLite allows no more anyway
        self.on_change: list[Callable[[str], None]] = []  # called with a dog id after each committed change
        # staff accounts (core/staff.py): the kiosk signs a member in; its worker thread acts as them
        self.staff = StaffAccounts(self.db)
        self.signed_in: Actor | None = None
        self.sign_in_required = False  # the kiosk: with nobody signed in (locked), use cases refuse
        self.staff.on_event = self._staff_event  # sign-ins and account changes go on the audit trail
        self._next_audit_purge = 0.0  # monotonic time of the next retention check (start, then daily)
        self.purge_audit_if_due()

    # ----------------------------------------------------------------- gallery (derived from the registry)
    @property
    def gallery(self) -> Gallery:
        with self._gallery_lock:
            if self._gallery is None:
                self._gallery = self._load_gallery()
            return self._gallery

    def _templates_stamp(self, s: Session) -> str:
        e = self.engine
        count, newest = s.execute(
            select(func.count(NoseTemplate.id), func.max(NoseTemplate.updated_at)).where(
                NoseTemplate.model_name == e.name, NoseTemplate.model_version == e.version)).one()
        deleted = s.scalar(select(func.count(Dog.id)).where(Dog.deleted_at.is_not(None)))
        return f"{e.name}:{e.version}:{count}:{newest}:{deleted}"

    def _load_gallery(self) -> Gallery:
        self.ensure_templates()
        with self.db.sessions() as s:
            stamp = self._templates_stamp(s)
        index_dir = self.settings.index_dir
        g = Gallery.load(index_dir, stamp, self.engine.dim) if not self.db.url.endswith(":memory:") else None
        if g is not None:
            return g
        g = Gallery(self.engine.dim)
        self._fill_gallery(g)
        try:
            g.save(index_dir, stamp)
        except OSError as exc:  # a read-only data folder still works, only slower to start
            log.warning("could not save the gallery index: %s", exc)
        return g

    def _live_templates(self):
        e = self.engine
        return (select(NoseTemplate.id, NoseTemplate.dog_id, NoseTemplate.vector)
                .join(Dog, Dog.id == NoseTemplate.dog_id)
                .where(NoseTemplate.model_name == e.name, NoseTemplate.model_version == e.version,
                       NoseTemplate.deleted_at.is_(None), Dog.deleted_at.is_(None)))

    def _fill_gallery(self, g: Gallery, only_missing: bool = False) -> int:
        added = 0
        with self.db.sessions() as s:
            rows = s.execute(self._live_templates()).all()
        for batch in _batched(rows, 4096):
            batch = [r for r in batch if not (only_missing and r.id in g)]
            if batch:
                vecs = np.stack([np.frombuffer(r.vector, np.float32) for r in batch])
                g.add([r.id for r in batch], [r.dog_id for r in batch], vecs)
                added += len(batch)
        return added

    def refresh_gallery(self) -> None:
        """Bring the gallery in step with the registry after changes made elsewhere (sync, other servers)."""
        with self._gallery_lock:
            if self._gallery is None:
                return
            g = self._gallery
            with self.db.sessions() as s:
                live = set(s.scalars(self._live_templates().with_only_columns(NoseTemplate.id)))
            gone = [k for k in list(g._id_of) if k not in live]
            g.remove(gone)
            self._fill_gallery(g, only_missing=True)

    def ensure_templates(self, progress: Callable[[int, int], None] | None = None) -> int:
        """Make templates with the current engine for photos that lack one (after a model change or a pull)."""
        e = self.engine
        have = select(NoseTemplate.photo_id).where(NoseTemplate.model_name == e.name,
                                                   NoseTemplate.model_version == e.version)
        with self.db.sessions() as s:
            todo = s.execute(select(NosePhoto.id, NosePhoto.dog_id, NosePhoto.sha256, NosePhoto.quality)
                             .where(NosePhoto.deleted_at.is_(None), NosePhoto.id.not_in(have))).all()
        made = 0
        for batch in _batched(todo, 32):
            usable = [r for r in batch if self.store.exists(r.sha256)]
            if not usable:
                continue
            vecs = e.embed([self.store.load(r.sha256).image for r in usable])
            with self.db.session() as s:
                for r, v in zip(usable, vecs, strict=True):
                    s.add(NoseTemplate(photo_id=r.id, dog_id=r.dog_id, model_name=e.name, model_version=e.version,
                                       dim=e.dim, vector=v.astype(np.float32).tobytes(), quality=r.quality,
                                       origin_device=self.device_id))
            made += len(usable)
            if progress:
                progress(made, len(todo))
        return made

    # ----------------------------------------------------------------- recognition helpers
    def _templates_of(self, dogs: Sequence[str]) -> dict[str, tuple[list[str], np.ndarray]]:
        """{dog: (photo sha256s, template vectors)} of the current engine's live templates, for the dogs given."""
        e = self.engine
        with self.db.sessions() as s:
            rows = s.execute(select(NoseTemplate.dog_id, NoseTemplate.vector, NosePhoto.sha256)
                             .join(NosePhoto, NosePhoto.id == NoseTemplate.photo_id)
                             .where(NoseTemplate.dog_id.in_(list(dogs)), NoseTemplate.model_name == e.name,
                                    NoseTemplate.model_version == e.version, NoseTemplate.deleted_at.is_(None),
                                    NosePhoto.deleted_at.is_(None))).all()
        grouped: dict[str, tuple[list[str], list[np.ndarray]]] = {}
        for r in rows:
            shas, vecs = grouped.setdefault(r.dog_id, ([], []))
            shas.append(r.sha256)
            vecs.append(np.frombuffer(r.vector, np.float32))
        return {d: (shas, np.stack(vecs)) for d, (shas, vecs) in grouped.items()}

    def _identify(self, vectors: np.ndarray, images: Sequence[np.ndarray]) -> Verdict:
        """The verdict for photos of one dog: the gallery's nearest dogs for each photo, scored as
        core.recognition.decision.rank_dogs does and decided by the engine's registry-size rule."""
        g = self.gallery
        n_dogs = g.dogs
        dogs = list(dict.fromkeys(d for v in vectors for d, _, _ in g.search_templates(v, k=SEARCH_DOGS)))
        templates = {d: ([StoredPhoto(sha, partial(self._stored_image, sha)) if self.store.exists(sha) else None
                          for sha in shas], vecs)
                         for d, (shas, vecs) in self._templates_of(dogs).items()} if dogs else {}
        rule = self.engine.scale_rule
        return decide(rank_dogs(self.engine, vectors, list(images), templates, rule, n_dogs), n_dogs, rule)

    def _stored_image(self, sha256: str) -> np.ndarray:
        return self.store.load(sha256).image

    def _candidates(self, s: Session, shown: Sequence[tuple[str, float, Decision]]) -> list[CandidateOut]:
        dogs = {d.id: d for d in s.scalars(select(Dog).options(selectinload(Dog.owner), selectinload(Dog.photos))
                                           .where(Dog.id.in_([d for d, _, _ in shown])))}
        return [CandidateOut(dog=self._dog_out(s, dogs[dog_id]), score=round(score, 4),
                             probability=round(self.engine.probability(score), 4), decision=decision)
                for dog_id, score, decision in shown if dog_id in dogs]

    # ----------------------------------------------------------------- who acts, and what they may do (core/staff.py)
    def actor(self) -> Actor:
        """Who calls: the context's actor (an API key, the command line), else the kiosk's signed-in member."""
        return current_actor(self.signed_in)

    def access(self, need: Need = "member") -> Access:
        """What the caller may do, or PermissionDenied when it may not do `need`. Staff members' role and account
        are read from the registry each time (a disabled account stops at once); at a kiosk (sign_in_required)
        nobody signed in may do nothing."""
        actor = self.actor()
        if actor.kind == "staff":
            with self.db.sessions() as s:
                member = self.staff.member(s, actor.id)
                if member is None or member.disabled:
                    raise PermissionDenied("This staff account is disabled: sign in again.", action=need, role=None)
                acc = access_of(Actor("staff", actor.id, member.name, member.role), read_permissions(s))
        elif self.sign_in_required and actor.kind == "system":
            raise PermissionDenied("Sign in first: the kiosk is locked.", action=need, role=None)
        else:
            acc = access_of(actor, StaffPermissions())
        if not acc.may(need):
            raise denied(need, acc)
        return acc

    def _conceals(self) -> bool:
        """Whether owners' contacts come masked in results: for staff members, who ask reveal_contact for one."""
        return self.actor().kind == "staff"

    def has_staff(self) -> bool:
        """Whether any staff account exists (the kiosk asks for the first administrator until one does)."""
        return self.staff.exists()

    def staff_names(self) -> list[str]:
        """The enabled members' names, for the sign-in page to offer."""
        return [m.name for m in self.staff.list(include_disabled=False)]

    def create_first_admin(self, name: str, pin: str) -> Actor:
        """The kiosk's first start: the first account, an administrator, made and signed in. Refused (Conflict)
        once any account exists."""
        self.staff.add(name, pin, "admin", first=True)
        return self.sign_in(name, pin)

    def sign_in(self, who: str, pin: str) -> Actor:
        """A member by name (or id) and PIN; the kiosk then acts as them. SignInFailed / AccountLocked say why not."""
        actor = self.staff.verify(who, pin)
        self.signed_in = actor
        return actor

    def sign_out(self, reason: str = "on_demand") -> None:
        """The kiosk locks: nobody is signed in any more (reason: on_demand | idle)."""
        actor, self.signed_in = self.signed_in, None
        if actor is not None:
            self.staff.note("lock", actor, reason)

    def add_staff(self, name: str, pin: str, role: str = "staff") -> StaffOut:
        by = self.actor()
        if self.staff.exists():
            self.access("manage")
        return self.staff.add(name, pin, role, by=by)

    def list_staff(self, include_disabled: bool = True) -> list[StaffOut]:
        self.access("manage")
        return self.staff.list(include_disabled=include_disabled)

    def disable_staff(self, who: str) -> StaffOut:
        self.access("manage")
        by = self.actor()
        with self.db.sessions() as s:
            target = self.staff.member(s, who)
        if by.kind == "staff" and target is not None and target.id == by.id:
            raise InvalidInput("You cannot disable your own account while signed in with it.", field="name",
                               reason="self")
        return self.staff.disable(who, by=by)

    def enable_staff(self, who: str) -> StaffOut:
        self.access("manage")
        return self.staff.enable(who, by=self.actor())

    def reset_staff_pin(self, who: str, pin: str) -> StaffOut:
        self.access("manage")
        return self.staff.reset_pin(who, pin, by=self.actor())

    def staff_permissions(self) -> StaffPermissions:
        return self.staff.permissions()

    def set_staff_permissions(self, permissions: StaffPermissions) -> StaffPermissions:
        self.access("manage")
        return self.staff.set_permissions(StaffPermissions.model_validate(permissions), by=self.actor())

    def reveal_contact(self, key: str) -> OwnerOut:
        """One owner's name and phone in full, for the dog given by id or registration number (also a registration
        merged into another or removed, whose owner may still need a call). Staff members may, as the
        administrators allow; each call is one showing of a contact."""
        self.access("contacts")
        with self.db.session() as s:
            dog = s.scalar(select(Dog).options(selectinload(Dog.owner))
                           .where(or_(Dog.id == key, Dog.registration_number == key))
                           .order_by(Dog.deleted_at.is_not(None)))
            if dog is None:
                raise NotFound(f"No dog with id or registration number {key!r}.", key=key)
            self._audit(s, "contact_view", dog=dog, detail="via=reveal")
            return OwnerOut(id=dog.owner.id, phone=dog.owner.phone, name=dog.owner.name)

    # ----------------------------------------------------------------- look up
    def lookup(self, photos: Photo | Sequence[Photo]) -> LookupResult:
        """Identify a dog from 1 to MAX_LOOKUP_PHOTOS photos of its nose (several photos of one dog are fused)."""
        self.access()
        t0 = time.perf_counter()
        photos = [photos] if isinstance(photos, Photo) else list(photos)
        if not 1 <= len(photos) <= MAX_LOOKUP_PHOTOS:
            raise PhotosRejected(f"A look-up takes 1 to {MAX_LOOKUP_PHOTOS} photos of one dog; got {len(photos)}.",
                                 count=len(photos))
        qualities = [self.engine.quality(p.image) for p in photos]
        problems = [PhotoProblem(index=i, label=p.label, reasons=list(q.reasons), message=q.describe())
                    for i, (p, q) in enumerate(zip(photos, qualities, strict=True)) if not q.ok]
        if problems:
            message = (f"{photos[0].label}: {qualities[0].describe()}" if len(photos) == 1
                       else _problems_message(problems))
            raise PhotosRejected(message, problems=[x.model_dump() for x in problems])
        vectors = self.engine.embed([p.image for p in photos])
        verdict = self._identify(vectors, [p.image for p in photos])
        with self.db.sessions() as s:
            candidates = self._candidates(s, verdict.shown)
        best = candidates[0] if candidates and verdict.decision != Decision.NO_MATCH else None
        with self.db.session() as s:
            self._audit(s, "lookup", dog=(best.dog.id, best.dog.registration_number) if best else None,
                        decision=verdict.decision.value, reason=verdict.reason,
                        detail=f"photos={len(photos)} candidates={len(candidates)}")
            self._audit_contacts(s, [c.dog for c in candidates], "lookup")
        self.purge_audit_if_due()
        return LookupResult(decision=verdict.decision, match=best, candidates=candidates, reason=verdict.reason,
                            message=LOOKUP_REASONS[verdict.reason], photos_used=len(photos),
                            gallery_dogs=verdict.gallery_dogs, quality=round(min(q.score for q in qualities), 3),
                            engine=self._engine_label(), elapsed_ms=round((time.perf_counter() - t0) * 1000, 1))

    def _engine_label(self) -> str:
        return f"{self.engine.name} {self.engine.version}"

    def check_photo(self, photo: Photo) -> PhotoCheck:
        """One registration photo, checked on the spot: usable? already registered (a sure match)?"""
        self.access()
        quality = self.engine.quality(photo.image)
        if not quality.ok:
            return PhotoCheck(ok=False, quality=quality.score, reasons=list(quality.reasons),
                              message=quality.describe())
        verdict = self._identify(self.engine.embed([photo.image]), [photo.image])
        if verdict.decision == Decision.MATCH:
            with self.db.sessions() as s:
                match = self._candidates(s, verdict.shown)[0]
            return PhotoCheck(ok=False, quality=quality.score, reasons=["already_registered"],
                              message=f"already registered as {match.dog.name} ({match.dog.registration_number})",
                              already_registered=match)
        return PhotoCheck(ok=True, quality=quality.score, reasons=[], message="good")

    # ----------------------------------------------------------------- register
    def register(self, owner: OwnerIn, dog: DogIn, photos: Sequence[Photo],
                 registered_at: datetime | None = None) -> RegisterResult:
        acc = self.access()
        vectors, qualities = self._check_registration_photos(photos)
        look_alikes = self._screen_registration(photos, vectors)
        registered_at = registered_at or utcnow()
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
            raise PhotosRejected(_problems_message(problems), problems=[x.model_dump() for x in problems])
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
            raise PhotosRejected(_problems_message(problems), problems=[x.model_dump() for x in problems])
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
                          origin_device=self.device_id, **dog_in.model_dump())
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

    def _gallery_add(self, dog_id: str) -> None:
        with self._gallery_lock:
            if self._gallery is None:
                return
            with self.db.sessions() as s:
                rows = s.execute(self._live_templates().where(NoseTemplate.dog_id == dog_id)).all()
            if rows:
                self._gallery.add([r.id for r in rows], [r.dog_id for r in rows],
                                  np.stack([np.frombuffer(r.vector, np.float32) for r in rows]))

    def _record(self, s: Session, entity: str, entity_id: str, op: str) -> None:
        """An outbox entry in the same transaction as the change, so sync never misses one."""
        s.add(Outbox(entity=entity, entity_id=entity_id, op=op))

    # ----------------------------------------------------------------- audit trail (core/audit.py)
    def _audit(self, s: Session, action: str, **what) -> None:
        """One audit entry in the caller's transaction (so it commits, or not, with the change it records)."""
        audit.record(s, action, actor=self.actor(), device_id=self.device_id, **what)

    def _staff_event(self, s: Session, action: str, actor: Actor, detail: str = "") -> None:
        """core/staff.py's sign-ins and account changes, in their own transaction."""
        audit.record(s, action, actor=actor, device_id=self.device_id, detail=detail)

    def _audit_contacts(self, s: Session, dogs, via: str) -> None:
        """A contact view for each dog whose owner's name and phone this caller gets in full (the command line, staff
        API keys; kiosk staff get them masked and ask reveal_contact; a mobile key's are masked by the server)."""
        actor = self.actor()
        if actor.kind == "api_key" and actor.role == "mobile":
            return
        for dog in {d.id: d for d in dogs}.values():
            if dog.owner.phone and "*" not in dog.owner.phone:
                self._audit(s, "contact_view", dog=(dog.id, dog.registration_number), detail=f"via={via}")

    def audit_trail(self, dog: str | None = None, who: str | None = None, since=None, action: str | None = None,
                    limit: int = 100, offset: int = 0) -> list[audit.AuditEntry]:
        """The audit trail, newest first (core/audit.list_events says the filters; bad ones raise InvalidInput).
        Administrators only, at a kiosk."""
        try:
            self.access("manage")
        except PermissionDenied as exc:
            raise PermissionDenied("Only an administrator may read the audit trail.", action="audit",
                                   role=exc.details.get("role")) from None
        return audit.trail(self.db, dog=dog, who=who, since=since, action=action, limit=limit, offset=offset)

    def purge_audit(self, record_nothing: bool = True) -> int:
        """Delete the audit entries older than the retention (settings.audit_retention_days); recorded itself."""
        gone = audit.purge_database(self.db, self.settings.audit_retention_days, actor=self.actor(),
                                    device_id=self.device_id, record_nothing=record_nothing)
        self._next_audit_purge = time.monotonic() + audit.PURGE_EVERY.total_seconds()
        return gone

    def purge_audit_if_due(self) -> int | None:
        """The retention purge at start and then once a day (a cheap clock check otherwise)."""
        if time.monotonic() < self._next_audit_purge:
            return None
        with self.db.sessions() as s:
            due = audit.purge_due(s)
        if not due:
            self._next_audit_purge = time.monotonic() + 3600.0  # another process may purge meanwhile: look again
            return None
        try:
            return self.purge_audit(record_nothing=False)
        except Exception:  # noqa: BLE001 - housekeeping never stops the kiosk or the server
            log.exception("audit retention purge failed")
            self._next_audit_purge = time.monotonic() + 3600.0
            return None

    def _changed(self, dog_id: str) -> None:
        self.purge_audit_if_due()
        for callback in list(self.on_change):
            try:
                callback(dog_id)
            except Exception:  # a listener must never undo a committed change
                log.exception("change listener failed")

    # ----------------------------------------------------------------- dogs and owners
    def _dog_out(self, s: Session, dog: Dog, known_phone: str | None = None) -> DogOut:
        """The dog as the use cases return it; for a staff member with the owner's contact masked, unless the
        caller gave that phone number itself (a registration)."""
        other = aliased(Dog)  # a pair whose other dog was deleted has nothing left to review
        needs_review = s.scalar(select(func.count(ReviewFlag.id)).join(
            other, or_((ReviewFlag.dog_id == dog.id) & (other.id == ReviewFlag.other_dog_id),
                       (ReviewFlag.other_dog_id == dog.id) & (other.id == ReviewFlag.dog_id))).where(
            ReviewFlag.resolved.is_(False), ReviewFlag.deleted_at.is_(None), other.deleted_at.is_(None))) > 0
        out = DogOut(
            id=dog.id, registration_number=dog.registration_number, registered_at=dog.registered_at,
            name=dog.name, breed=dog.breed, sex=dog.sex, birth_date=dog.birth_date, neutered=dog.neutered,
            notes=dog.notes, status=dog.status, updated_at=dog.updated_at, needs_review=needs_review,
            owner=OwnerOut(id=dog.owner.id, phone=dog.owner.phone, name=dog.owner.name),
            photos=[PhotoOut(id=p.id, sha256=p.sha256, position=p.position, quality=p.quality)
                    for p in dog.photos if p.deleted_at is None])
        return out.concealed() if dog.owner.phone != known_phone and self._conceals() else out

    def _find_dog(self, s: Session, key: str) -> Dog:
        """By id or by registration number; deleted dogs are not found."""
        dog = s.scalar(select(Dog).options(selectinload(Dog.owner), selectinload(Dog.photos))
                       .where(or_(Dog.id == key, Dog.registration_number == key), Dog.deleted_at.is_(None)))
        if dog is None:
            raise NotFound(f"No dog with id or registration number {key!r}.", key=key)
        return dog

    def get_dog(self, key: str) -> DogOut:
        self.access()
        with self.db.session() as s:
            out = self._dog_out(s, self._find_dog(s, key))
            self._audit_contacts(s, [out], "dog")
        return out

    def update_dog(self, key: str, changes: DogUpdate) -> DogOut:
        fields = changes.model_dump(exclude_unset=True)
        if not fields:
            raise InvalidInput("Nothing to change.")
        if "status" in fields:
            self.access("status")
        if fields.keys() - {"status"}:
            self.access("edit")
        with self._write_lock, self.db.session() as s:
            dog = self._find_dog(s, key)
            given, old_status = set(fields), dog.status
            owner_name = fields.pop("owner_name", None)
            if owner_name is not None:
                dog.owner.name = owner_name
            for name, value in fields.items():
                if value is None and name in {"name", "breed", "notes", "sex", "status"}:
                    raise InvalidInput(f"{name} cannot be empty.")
                setattr(dog, name, value)
            dog.updated_at = utcnow()
            self._record(s, "dog", dog.id, "upsert")
            if given - {"status"}:  # the fields' names, never their values
                self._audit(s, "edit", dog=dog, detail="fields=" + ",".join(sorted(given - {"status"})))
            if "status" in given:
                self._audit(s, "status", dog=dog, detail=f"from={_code(old_status)} to={_code(dog.status)}")
            s.flush()
            out = self._dog_out(s, dog)
        self._changed(out.id)
        return out

    def set_status(self, key: str, status: DogStatus) -> DogOut:
        return self.update_dog(key, DogUpdate(status=status))

    def delete_dog(self, key: str) -> DogOut:
        """Soft delete: the tombstone syncs; photos and templates stay on disk until purged."""
        self.access("delete")
        with self._write_lock, self.db.session() as s:
            dog = self._find_dog(s, key)
            now = utcnow()
            dog.deleted_at = now
            dog.updated_at = now
            for t in s.scalars(select(NoseTemplate).where(NoseTemplate.dog_id == dog.id)):
                t.deleted_at = now
            self._record(s, "dog", dog.id, "delete")
            self._audit(s, "delete", dog=dog)
            out = self._dog_out(s, dog)
        with self._gallery_lock:
            if self._gallery is not None:
                self._gallery.remove_dog(out.id)
        self._changed(out.id)
        return out

    def list_dogs(self, query: str | None = None, phone: str | None = None, status: DogStatus | None = None,
                  limit: int = 50, offset: int = 0) -> list[DogOut]:
        """Search by dog name, registration number, owner name or owner phone (any format, or 4+ of its digits),
        newest first."""
        self.access()
        stmt = (select(Dog).join(Owner).options(selectinload(Dog.owner), selectinload(Dog.photos))
                .where(Dog.deleted_at.is_(None)))
        if phone:
            stmt = stmt.where(Owner.phone_hash == normalize_phone(phone))
        if status:
            stmt = stmt.where(Dog.status == status)
        if query and query.strip():
            q = query.strip()
            like = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            conds = [Dog.name.like(like, escape="\\"), Dog.registration_number.like(like, escape="\\")]
            owners = self._owners_matching(q)
            if owners:
                conds.append(Dog.owner_id.in_(owners))
            stmt = stmt.where(or_(*conds))
        stmt = stmt.order_by(Dog.registered_at.desc(), Dog.id).limit(max(1, min(limit, 500))).offset(max(0, offset))
        with self.db.session() as s:
            dogs = [self._dog_out(s, d) for d in s.scalars(stmt)]
            self._audit_contacts(s, dogs, "list")
        return dogs

    def _owners_matching(self, query: str) -> list[str]:
        """Owners whose name holds `query` (any case) or whose phone holds its digits (4 or more; the last 8
        count). Names and phones are encrypted, so they are read and matched here, not by the database
        (a few microseconds an owner)."""
        needle = query.casefold()
        digits = "".join(c for c in query if c.isdigit())[-8:]
        with self.db.sessions() as s:
            rows = s.execute(select(Owner.id, Owner.name, Owner.phone).where(Owner.deleted_at.is_(None))).all()
        return [r.id for r in rows if needle in r.name.casefold() or (len(digits) >= 4 and digits in r.phone)]

    def find_owner(self, phone: str) -> OwnerOut | None:
        """The owner of a phone number the caller gives (registration); a staff member who may not see contacts
        gets the name masked."""
        acc = self.access()
        with self.db.sessions() as s:
            o = s.scalar(select(Owner).where(Owner.phone_hash == normalize_phone(phone), Owner.deleted_at.is_(None)))
            out = OwnerOut(id=o.id, phone=o.phone, name=o.name) if o else None
        if out is not None and acc.member and not acc.may("contacts"):
            out = out.model_copy(update={"name": out.concealed().name})
        return out

    # ----------------------------------------------------------------- owners' rights (core/owner_rights.py)
    def _owner_by_phone(self, s: Session, phone: str) -> Owner:
        owner = s.scalar(select(Owner).where(Owner.phone_hash == normalize_phone(phone)))
        if owner is None:  # an erased owner has no phone left to be found by
            raise NotFound("No owner with this phone number in the registry.")
        return owner

    def export_owner(self, phone: str) -> OwnerExport:
        """Everything this registry holds about the owner of `phone` (the right of access): the owner, their dogs
        with registration numbers and the dogs' photos. For administrators (and the command line, admin keys)."""
        self.access("manage")
        with self.db.session() as s:
            out = owner_rights.export(s, self._owner_by_phone(s, phone), utcnow(), self.device_id)
            for dog in out.dogs or [None]:  # the owner's contact goes out with each dog: one entry a dog
                self._audit(s, "owner_export", dog=(dog.id, dog.registration_number) if dog else None,
                            detail=f"dogs={len(out.dogs)}")
        return out

    def erase_owner(self, phone: str, dry_run: bool = False) -> ErasureResult:
        """Erase the owner of `phone` on request: name and phone gone everywhere (sync carries it), their dogs
        removed with photos and templates unless in the shelter's care (status found). See core/owner_rights.py.
        `dry_run`: what it would do, changing nothing (to confirm first)."""
        self.access("manage")
        if dry_run:
            with self.db.sessions() as s:
                return owner_rights.plan(s, self._owner_by_phone(s, phone), utcnow())
        with self._write_lock, self.db.session() as s:
            owner = self._owner_by_phone(s, phone)
            dogs = s.execute(select(Dog.id, Dog.registration_number).where(Dog.owner_id == owner.id)).all()
            result, files = owner_rights.erase(s, owner, utcnow(), self._record)
            for dog_id, number in dogs or [(None, None)]:
                fate = "kept" if number in result.kept else "removed" if number in result.removed else None
                self._audit(s, "owner_erase", dog=(dog_id, number) if dog_id else None,
                            detail=f"dog={fate}" if fate else f"dogs={len(dogs)}")
            owner_rights.queue_cleanup(s, files, [d for (d,) in s.execute(select(Dog.id).where(
                Dog.owner_id == owner.id))])
        self.after_erasures()
        return result

    def after_erasures(self) -> list[str]:
        """Finish erasures once committed, made here or learned through sync: their photo files removed, their
        dogs out of the gallery. Returns the dogs changed."""
        with self._write_lock, self.db.session() as s:
            photos, dogs = owner_rights.take_cleanup(s)
        for sha in photos:
            self.store.remove(sha)
        if dogs:
            self.refresh_gallery()
            for dog_id in dogs:
                self._changed(dog_id)
        return dogs

    # ----------------------------------------------------------------- reviews of possible duplicates
    def list_reviews(self, limit: int = 50) -> ReviewList:
        """Open reviews (two registrations that may be one dog), newest first, with how many are open."""
        self.access()
        with self.db.session() as s:
            page = reviews.open_reviews(s, self._dog_out, limit)
            self._audit_contacts(s, [d for r in page.reviews for d in (r.older, r.newer)], "reviews")
        return page

    def review_count(self) -> int:
        with self.db.sessions() as s:
            return reviews.open_count(s)

    def resolve_review(self, flag_id: str, same_dog: bool) -> ReviewResult:
        """A person's decision on one review: the same dog (the newer registration is merged into the older one)
        or different dogs. See core/reviews.py. Staff members need the right to edit, and to remove registrations
        for a merge."""
        self.access("edit")
        if same_dog:
            self.access("delete")
        with self._write_lock, self.db.session() as s:
            result = reviews.resolve(s, flag_id, same_dog, device_id=self.device_id, dog_out=self._dog_out,
                                     record=self._record)
            for dog, other in ((result.older, result.newer), (result.newer, result.older)):
                self._audit(s, "review", dog=(dog.id, dog.registration_number), decision=result.resolution,
                            detail=f"review={result.flag_id} with={other.registration_number}")
            self._audit_contacts(s, [result.older, result.newer], "review")
            if self._conceals():
                result = result.model_copy(update={"owners": [o.concealed() for o in result.owners]})
        if result.resolution == reviews.SAME_DOG:
            with self._gallery_lock:
                if self._gallery is not None:
                    self._gallery.remove_dog(result.newer.id)
            self._gallery_add(result.older.id)
        self._changed(result.older.id)
        self._changed(result.newer.id)
        return result

    def photo_bytes(self, sha256: str) -> bytes:
        if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256) or not self.store.exists(sha256):
            raise NotFound("No such photo.", sha256=sha256)
        return self.store.get(sha256)

    def counts(self) -> dict[str, int]:
        with self.db.sessions() as s:
            return {"dogs": s.scalar(select(func.count(Dog.id)).where(Dog.deleted_at.is_(None))),
                    "owners": s.scalar(select(func.count(Owner.id)).where(Owner.deleted_at.is_(None))),
                    "templates": len(self.gallery)}

    def close(self) -> None:
        self.db.dispose()


def _code(value) -> str:
    return getattr(value, "value", value)


def _problems_message(problems: Sequence[PhotoProblem]) -> str:
    return "Some photos cannot be used: " + "; ".join(f"photo {p.index + 1} ({p.label}): {p.message}"
                                                       for p in problems)


def _batched(items: Sequence, n: int):
    for i in range(0, len(items), n):
        yield items[i:i + n]
