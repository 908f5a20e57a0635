"""Look-up: identify a dog from 1 to MAX_LOOKUP_PHOTOS photos of its nose, and check one registration photo on the
spot (usable? already registered?)."""

from __future__ import annotations

import time
from collections.abc import Sequence

from core.errors import PhotosRejected
from core.photos import Photo
from core.recognition.base import Decision
from core.schemas import LOOKUP_REASONS, LookupResult, PhotoCheck, PhotoProblem
from core.service.base import problems_message
from core.service.gallery import GalleryIndex

MAX_LOOKUP_PHOTOS = 5


class LookUp(GalleryIndex):
    def lookup(self, photos: Photo | Sequence[Photo]) -> LookupResult:
        """Identify a dog from 1 to MAX_LOOKUP_PHOTOS photos of its nose (several photos of one dog are fused)."""
        self.access()
        t0 = time.perf_counter()
        photos = [photos] if isinstance(photos, Photo) else list(photos)
        qualities = self._usable_photos(photos, "A look-up takes 1 to {n} photos of one dog; got {got}.")
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

    def _usable_photos(self, photos: list[Photo], count_message: str) -> list:
        """The photos' qualities, or PhotosRejected: not 1 to MAX_LOOKUP_PHOTOS of them (`count_message` with {n}
        and {got}), or some unusable (each named with why)."""
        if not 1 <= len(photos) <= MAX_LOOKUP_PHOTOS:
            raise PhotosRejected(count_message.format(n=MAX_LOOKUP_PHOTOS, got=len(photos)), count=len(photos))
        qualities = [self.engine.quality(p.image) for p in photos]
        problems = [PhotoProblem(index=i, label=p.label, reasons=list(q.reasons), message=q.describe())
                    for i, (p, q) in enumerate(zip(photos, qualities, strict=True)) if not q.ok]
        if problems:
            message = (f"{photos[0].label}: {qualities[0].describe()}" if len(photos) == 1
                       else problems_message(problems))
            raise PhotosRejected(message, problems=[x.model_dump() for x in problems])
        return qualities

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
