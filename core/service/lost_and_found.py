"""Lost reports and found cases: the two sides that reunite (core/service/reunite.py) brings together.

- A lost report (report_lost) marks a registered dog lost: when, where, how to reach the owner. It is withdrawn,
  or ends when the dog is home (end_lost). The open found cases are searched for the dog at once.
- A found case (open_found_case) is a dog found without its owner: a shelter's intake of a stray (held for
  settings.found_hold_days), or a finder's report through the app (a mobile key: the answer holds no owner data).
  Its photos are kept with their templates, and it is searched for at once among lost dogs, then all dogs.

Who may do what: staff (kiosk members with the status right, staff and admin keys, the command line) report any
dog lost (as a dog's status today) and take in strays; the app reports only its verified owner's own dogs lost and
opens finder's cases.
"""


from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from core.errors import InvalidInput, PermissionDenied
from core.phone import mask_phone
from core.photos import Photo
from core.recognition.base import Decision
from core.registry.models import (
    Dog,
    DogStatus,
    FoundCase,
    FoundPhoto,
    FoundState,
    LostReport,
    LostState,
    Reunion,
)
from core.schemas import (
    FoundCaseOut,
    FoundIn,
    LostIn,
    LostReportOut,
)
from core.service.base import ORG_ID_META
from core.service.reunite import FOUND_ENTITY, LOST_ENTITY, Reunite, list_limit, photos_out, state_named

log = logging.getLogger(__name__)


class LostAndFound(Reunite):
    # ------------------------------------------------------------------------------------------------ lost reports
    def report_lost(self, report: LostIn) -> LostReportOut:
        """Report a registered dog lost; the open found cases are searched for it at once."""
        self.access("status")
        with self._write_lock, self.db.session() as s:
            dog = self._find_dog(s, report.dog)
            self._check_own_dog(s, dog, "report lost")
            if s.scalar(select(LostReport.id).where(LostReport.dog_id == dog.id, LostReport.state == LostState.OPEN,
                                                    LostReport.deleted_at.is_(None))):
                raise InvalidInput(f"{dog.name} ({dog.registration_number}) is reported lost already: withdraw that "
                                   "report or mark the dog home first.", dog=dog.id, reason="already_lost")
            row = LostReport(dog_id=dog.id, org_id=self.actor().org, lost_at=report.lost_at, place=report.place,
                             lat=report.lat, lon=report.lon, contact_email=report.contact_email or "",
                             contact_phone=report.contact_phone or "", channel=report.channel,
                             language=report.language, notify_possible=report.notify_possible, notes=report.notes,
                             origin_device=self.device_id)
            s.add(row)
            old = dog.status
            if dog.status != DogStatus.LOST:
                dog.status = DogStatus.LOST
                dog.updated_at = self.now()
                self._record(s, "dog", dog.id, "upsert")
                self._audit(s, "status", dog=dog, detail=f"from={old.value} to=lost")
            s.flush()
            self._record(s, LOST_ENTITY, row.id, "upsert")
            self._audit(s, "lost_report", dog=dog, detail=f"report={row.id} channel={row.channel}")
            report_id = row.id
        self._changed(dog.id)
        self.match_lost_report(report_id)
        return self.lost_report(report_id)

    def end_lost(self, report_id: str, how: str) -> LostReportOut:
        """End an open lost report: "withdrawn" (the owner took it back) or "home" (the dog is home); the dog's
        status becomes home unless another of its reports is open."""
        if how not in (LostState.WITHDRAWN.value, LostState.HOME.value):
            raise InvalidInput("A lost report ends as withdrawn or home.", how=how)
        self.access("status")
        with self._write_lock, self.db.session() as s:
            row = self._lost_row(s, report_id)
            dog = self._find_dog(s, row.dog_id)
            self._check_own_dog(s, dog, "end the lost report of")
            org = self._acting_org()
            if org is not None and row.org_id and row.org_id != org:
                raise PermissionDenied("This lost report was made with another organisation: only it ends it (or a "
                                       "confirmed reunion does).", action="end lost report", role=self.actor().role)
            if row.state != LostState.OPEN:
                raise InvalidInput(f"This lost report is {row.state.value} already.", report=row.id,
                                   state=row.state.value)
            now = self.now()
            row.state, row.closed_at, row.updated_at = LostState(how), now, now
            if dog.status == DogStatus.LOST:
                dog.status, dog.updated_at = DogStatus.HOME, now
                self._record(s, "dog", dog.id, "upsert")
                self._audit(s, "status", dog=dog, detail="from=lost to=home")
            self._record(s, LOST_ENTITY, row.id, "upsert")
            self._audit(s, "lost_end", dog=dog, detail=f"report={row.id} as={how}")
            dog_id = dog.id
        self._changed(dog_id)
        return self.lost_report(report_id)

    def lost_report(self, report_id: str) -> LostReportOut:
        self.access()
        with self.db.sessions() as s:
            row = self._lost_row(s, report_id)
            if self._is_public():
                self._check_own_dog(s, self._find_dog(s, row.dog_id), "see the lost report of")
            return self._lost_out(s, row)

    def lost_reports(self, state: str | None = "open", limit: int = 100) -> list[LostReportOut]:
        """Lost reports, newest first (state None: all); the app sees its verified owner's dogs' reports only."""
        self.access()
        stmt = select(LostReport).where(LostReport.deleted_at.is_(None))
        if state:
            stmt = stmt.where(LostReport.state == LostState(state_named(LostState, state)))
        with self.db.sessions() as s:
            if self._is_public():
                own = self.verified_phone_hash(s)
                if own is None:
                    return []
                stmt = stmt.join(Dog, Dog.id == LostReport.dog_id).where(
                    Dog.owner_id.in_(self._owner_ids_with_hash(s, own)))
            rows = s.scalars(stmt.order_by(LostReport.lost_at.desc()).limit(list_limit(limit))).all()
            return [self._lost_out(s, r) for r in rows]

    # ------------------------------------------------------------------------------------------------ found cases
    def open_found_case(self, photos: Sequence[Photo], found: FoundIn) -> FoundCaseOut:
        """A dog found without its owner, from 1 to 5 photos of its nose: the case is kept (photos, templates, a
        holding deadline for a shelter's intake) and searched for at once among lost dogs, then all dogs."""
        self.access("status")
        photos = list(photos)
        qualities = self._usable_photos(photos, "A found dog takes 1 to {n} photos of its nose; got {got}.")
        vectors = self.engine.embed([p.image for p in photos])
        finder = self._is_public()
        written: list[str] = []
        try:
            with self._write_lock, self.db.session() as s:
                case = FoundCase(org_id=self.actor().org or self.db.meta(ORG_ID_META), kind="finder" if finder
                                 else "intake", found_at=found.found_at, place=found.place, lat=found.lat,
                                 lon=found.lon, notes=found.notes, finder_contact=found.contact,
                                 hold_until=None if finder else found.found_at + timedelta(
                                     days=self.settings.found_hold_days),
                                 origin_device=self.device_id)
                s.add(case)
                s.flush()
                seen: set[str] = set()
                for i, (photo, vector, q) in enumerate(zip(photos, vectors, qualities, strict=True)):
                    if photo.sha256 in seen:
                        continue
                    seen.add(photo.sha256)
                    sha, new = self.store.put(photo.data)
                    if new:
                        written.append(sha)
                    h, w = photo.shape
                    s.add(FoundPhoto(case_id=case.id, sha256=sha, path=self.store.relpath(sha), width=w, height=h,
                                     quality=q.score, position=i, model_name=self.engine.name,
                                     model_version=self.engine.version, dim=self.engine.dim,
                                     vector=np.asarray(vector, np.float32).tobytes(), origin_device=self.device_id))
                self._record(s, FOUND_ENTITY, case.id, "upsert")
                self._audit(s, "found_open", detail=f"case={case.id} kind={case.kind} photos={len(seen)}")
                case_id = case.id
        except BaseException:
            for sha in written:
                self.store.remove(sha)
            raise
        made = self.match_found_case(case_id, images=[p.image for p in photos])
        with self.db.sessions() as s:
            out = self._case_out(s, self._case_row(s, case_id))
        decisions = {r.decision for r in out.reunions} | {self._reunion_decision(rid) for rid in made}
        registered, likely = Decision.MATCH in decisions, Decision.UNCERTAIN in decisions
        told = self.owner_told(case_id)
        if finder:  # the public: whether the dog is registered, and that its owner is told; no owner, no dog
            out = out.model_copy(update={"reunions": [], "notes": ""})
        message = ("This dog is registered: its owner is being told." if registered and told
                   else "This dog is registered; a shelter will contact its owner." if registered
                   else "This dog may be registered: staff will compare the photos." if likely
                   else "No registered dog matches these photos yet. The case stays open: a lost report "
                        "made later is searched against it.")
        return out.model_copy(update={"registered": registered, "owner_told": told, "message": message})

    def found_case(self, case_id: str) -> FoundCaseOut:
        self.access()
        with self.db.sessions() as s:
            case = self._case_row(s, case_id)
            if self._is_public():
                raise PermissionDenied("The app sees only the answer to its own report.", action="found_case",
                                       role="mobile")
            return self._case_out(s, case)

    def found_cases(self, state: str | None = "open", limit: int = 100) -> list[FoundCaseOut]:
        """Found cases, newest first (state None: all). Staff only."""
        self._staff_only("list found dogs")
        stmt = select(FoundCase).options(selectinload(FoundCase.photos)).where(FoundCase.deleted_at.is_(None))
        if state:
            stmt = stmt.where(FoundCase.state == FoundState(state_named(FoundState, state)))
        with self.db.sessions() as s:
            return [self._case_out(s, c) for c in
                    s.scalars(stmt.order_by(FoundCase.found_at.desc()).limit(list_limit(limit))).all()]

    def close_found_case(self, case_id: str) -> FoundCaseOut:
        """Close an open found case without a reunion (adopted, holding period over, opened by mistake)."""
        self._staff_only("close found cases")
        self.access("status")
        with self._write_lock, self.db.session() as s:
            case = self._case_row(s, case_id)
            self._check_case_org(case, "close")
            if case.state != FoundState.OPEN:
                raise InvalidInput(f"This found case is {case.state.value} already.", case=case.id)
            now = self.now()
            case.state, case.closed_at, case.updated_at = FoundState.CLOSED, now, now
            self._record(s, FOUND_ENTITY, case.id, "upsert")
            self._audit(s, "found_close", detail=f"case={case.id}")
        return self.found_case(case_id)

    def _check_own_dog(self, s: Session, dog: Dog, what: str) -> None:
        """The app acts only on its verified owner's own dogs (staff on any dog, as for a dog's status)."""
        if self._is_public():
            own = self.verified_phone_hash(s)
            if own is None or dog.owner.phone_hash != own:
                raise PermissionDenied(f"The app may {what} only its verified owner's own dogs.", action=what,
                                       role="mobile")

    def _owner_ids_with_hash(self, s: Session, phone_hash: str) -> list[str]:
        from sqlalchemy import String, type_coerce

        from core.registry.models import Owner

        return list(s.scalars(select(Owner.id).where(type_coerce(Owner.phone_hash, String(64)) == phone_hash)))

    def _lost_out(self, s: Session, r: LostReport) -> LostReportOut:
        dog = s.get(Dog, r.dog_id)
        contact = (r.contact_email if r.channel == "email" else mask_phone(r.contact_phone) if r.contact_phone
                   else "the owner's registered phone")
        if r.channel == "email" and contact:
            name, _, domain = contact.partition("@")
            contact = f"{name[:1]}***@{domain}"
        return LostReportOut(id=r.id, dog_id=r.dog_id, registration_number=dog.registration_number if dog else "",
                             dog_name=dog.name if dog else "", lost_at=r.lost_at, place=r.place, lat=r.lat,
                             lon=r.lon, channel=r.channel, language=r.language, notify_possible=r.notify_possible,
                             contact=contact, notes=r.notes, state=r.state.value, created_at=r.created_at,
                             closed_at=r.closed_at)

    def _case_out(self, s: Session, c: FoundCase, with_reunions: bool = True) -> FoundCaseOut:
        days_left = None
        if c.hold_until is not None and c.state == FoundState.OPEN:
            days_left = max(0, (c.hold_until.date() - self.now().date()).days)
        reunions = []
        if with_reunions:
            rows = s.scalars(select(Reunion).where(Reunion.found_case_id == c.id, Reunion.deleted_at.is_(None))
                             .order_by(Reunion.score.desc())).all()
            reunions = [self._reunion_out(s, r, case=c) for r in rows if self._may_see_reunion(s, c, r)]
        return FoundCaseOut(id=c.id, kind=c.kind, found_at=c.found_at, place=c.place, lat=c.lat, lon=c.lon,
                            notes=c.notes, state=c.state.value, hold_until=c.hold_until, days_left=days_left,
                            org_id=c.org_id, dog_id=c.dog_id, photos=photos_out(c), created_at=c.created_at,
                            reunions=reunions, registered=any(r.decision == Decision.MATCH for r in reunions))

