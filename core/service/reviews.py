"""Reviews of possible duplicates: two registrations that may be one dog, for a person to decide (the rules are
core/reviews.py)."""

from __future__ import annotations

from sqlalchemy import select

from core import reviews
from core.errors import PermissionDenied
from core.registry.models import Dog, ReviewFlag
from core.schemas import ReviewList, ReviewResult
from core.service.gallery import GalleryIndex


class Reviews(GalleryIndex):
    def list_reviews(self, limit: int = 50) -> ReviewList:
        """Open reviews (two registrations that may be one dog), newest first, with how many are open."""
        self.access()
        with self.db.session() as s:
            page = reviews.open_reviews(s, self._dog_out, limit)
            self._audit_contacts(s, [d for r in page.reviews for d in (r.older, r.newer)], "reviews")
        return page

    def _check_may_review(self, flag_id: str, same_dog: bool) -> None:
        """API keys: merging two registrations (same dog) is for administrators; a staff key (kiosk, vet) may say
        "different dogs" only for a pair with a dog of its organisation; the app may not review."""
        actor = self.actor()
        if actor.key_role in (None, "admin"):  # not through an API key (a member on a staff phone: the phone's key's)
            return
        if actor.key_role == "mobile" or same_dog:
            raise PermissionDenied("Only an administrator's key may merge two registrations (same dog).",
                                   action="review", role=actor.role)
        with self.db.sessions() as s:
            flag = s.get(ReviewFlag, flag_id)
            if flag is None:
                return  # core/reviews.py answers NotFound
            orgs = set(s.scalars(select(Dog.org_id).where(Dog.id.in_([flag.dog_id, flag.other_dog_id]))))
        if actor.org not in orgs:
            raise PermissionDenied("Neither registration of this review is your organisation's.", action="review",
                                   role=actor.role)

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
            self.server_decides("merging two registrations")
        self._check_may_review(flag_id, same_dog)
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
            self._gallery_remove(result.newer.id)
            self._gallery_add(result.older.id)
        self._changed(result.older.id)
        self._changed(result.newer.id)
        return result
