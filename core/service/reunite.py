"""Reunite: the possible reunions recognition finds between found dogs and lost ones, a person's decision, and the
owner told. (Lost reports and found cases themselves: core/service/lost_and_found.py.)

- Matching (match_found_case, match_lost_report): a found dog is searched first among the dogs reported lost, at
  the registry-size rule for their number, then among all dogs (core/recognition/reunite.py); a new lost report
  is searched among the open found cases. What recognition puts together becomes a possible reunion, one per
  (case, dog), with an id derived from the pair, so that the server and a kiosk finding it make one row.
- A person compares and confirms or rejects (decide_reunion): a confirmed reunion closes the found case (reunited)
  and the dog's lost report (home).
- The owner is told (core/notifications.py, the outbox) of a confirmed reunion, and of a possible one when it is a
  sure match, or a likely one (uncertain) when the owner asked for possible ones in the report. Only a registry
  that sends: the server, or a kiosk not enrolled with one (an enrolled kiosk's reunions reach the server through
  sync, which tells the owner).

Who may do what: a staff key sees and decides the reunions of its organisation's found cases, and of a finder's case
whose dog is its organisation's; admin keys, kiosks and the command line all; the app (mobile keys) none.
"""


from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import partial

import numpy as np
from sqlalchemy import and_, case, or_, select
from sqlalchemy.orm import Session, selectinload

from core.errors import InvalidInput, NotFound, PermissionDenied
from core.recognition.base import Decision, StoredPhoto
from core.registry.models import (
    Dog,
    DogStatus,
    FoundCase,
    FoundPhoto,
    FoundState,
    LostReport,
    LostState,
    Organisation,
    Reunion,
    ReunionState,
    reunion_id,
)
from core.schemas import (
    FoundPhotoOut,
    ReunionOut,
)
from core.service.base import ORG_ID_META, ORG_NAME_META
from core.service.lookup import LookUp

log = logging.getLogger(__name__)

LOST_ENTITY, FOUND_ENTITY, REUNION_ENTITY = "lost_report", "found_case", "reunion"
LIST_MAX = 500
# sure reunions first, then likely ones, then the merely closest lost dogs
_LIKELY_FIRST = case((Reunion.decision == Decision.MATCH.value, 0), (Reunion.decision == Decision.UNCERTAIN.value, 1),
                     else_=2)


class Reunite(LookUp):
    # ------------------------------------------------------------------------------------------------ matching
    def match_found_case(self, case_id: str, images: Sequence[np.ndarray] | None = None) -> list[str]:
        """Search an open found case among the dogs reported lost, then among all dogs; the possible reunions made
        (ids of new ones). Runs again harmlessly (a pair has one reunion)."""
        from core.recognition.reunite import search_lost_first

        with self.db.sessions() as s:
            case = self._case_row(s, case_id)
            if case.state != FoundState.OPEN:
                return []
            rows = [p for p in case.photos if p.deleted_at is None and self._this_model(p)]
            if not rows:
                return []
            vectors = np.stack([np.frombuffer(p.vector, np.float32) for p in rows])
            shas = [p.sha256 for p in rows]
            lost = {r.dog_id: r.id for r in s.execute(select(LostReport.dog_id, LostReport.id).where(
                LostReport.state == LostState.OPEN, LostReport.deleted_at.is_(None)))}
        if images is None or len(images) != len(shas):
            images = [self.store.load(sha).image for sha in shas]
        registry = self._identify(vectors, list(images))
        verdict = search_lost_first(self.engine, vectors, list(images), self._scoring_templates(list(lost)),
                                    registry)
        return self._make_reunions(case_id, [(d, score, decision, source, lost.get(d))
                                             for d, score, decision, source in verdict.possible])

    def match_lost_report(self, report_id: str) -> list[str]:
        """Search the open found cases for a lost report's dog; the possible reunions made (ids of new ones)."""
        from core.recognition.reunite import rank_found_cases

        with self.db.sessions() as s:
            report = self._lost_row(s, report_id)
            if report.state != LostState.OPEN:
                return []
            dog_id = report.dog_id
            cases: dict[str, list[np.ndarray]] = {}
            for p in s.scalars(select(FoundPhoto).join(FoundCase, FoundCase.id == FoundPhoto.case_id).where(
                    FoundCase.state == FoundState.OPEN, FoundCase.deleted_at.is_(None),
                    FoundPhoto.deleted_at.is_(None))):
                if self._this_model(p):
                    cases.setdefault(p.case_id, []).append(np.frombuffer(p.vector, np.float32))
        templates = self._templates_of([dog_id])
        if not cases or dog_id not in templates:
            return []
        verdict = rank_found_cases(self.engine, templates[dog_id][1], {c: np.stack(v) for c, v in cases.items()},
                                   self.engine.scale_rule)
        return self._make_reunions(None, [(case, score, decision, "lost", report_id)
                                          for case, score, decision in verdict.shown
                                          if decision != Decision.NO_MATCH], dog_id=dog_id)

    def _make_reunions(self, case_id: str | None, found: list[tuple], dog_id: str | None = None) -> list[str]:
        """Possible reunions for (dog, score, decision, source, lost report) of one case, or, with `dog_id`, for
        (case, score, decision, source, lost report) of one dog; the owners told where they should be."""
        made: list[str] = []
        with self._write_lock, self.db.session() as s:
            for key, score, decision, source, report_id in found:
                case, dog = (case_id, key) if dog_id is None else (key, dog_id)
                rid = reunion_id(case, dog)
                if s.get(Dog, dog) is None:
                    continue
                if (have := s.get(Reunion, rid)) is not None:  # found before; now also a lost report's
                    if report_id and have.lost_report_id is None and have.state == ReunionState.POSSIBLE:
                        have.lost_report_id, have.updated_at = report_id, self.now()
                        self._record(s, REUNION_ENTITY, rid, "upsert")
                        self.tell_owner(s, have)
                    continue
                row = Reunion(id=rid, found_case_id=case, dog_id=dog, lost_report_id=report_id,
                              score=float(score), decision=Decision(decision).value, source=source,
                              origin_device=self.device_id)
                s.add(row)
                s.flush()
                self._record(s, REUNION_ENTITY, rid, "upsert")
                self._audit(s, "reunion_possible", dog=s.get(Dog, dog),
                            detail=f"case={case} source={source} decision={row.decision} score={score:.3f}")
                self.tell_owner(s, row)
                made.append(rid)
        return made

    # ------------------------------------------------------------------------------------------------ reunions
    def reunions(self, state: str | None = "possible", limit: int = 100) -> list[ReunionOut]:
        """Reunions (state None: all): sure ones first, then likely (uncertain) ones, then the merely closest lost
        dogs (decision no_match), the newest cases first within each; for possible ones only those of open cases.
        Staff only: a staff key sees the reunions of its organisation's cases and of finders' cases of its dogs."""
        self._staff_only("list reunions")
        stmt = select(Reunion).join(FoundCase, FoundCase.id == Reunion.found_case_id).where(
            Reunion.deleted_at.is_(None))
        if state:
            stmt = stmt.where(Reunion.state == ReunionState(state_named(ReunionState, state)))
            if state == ReunionState.POSSIBLE.value:
                stmt = stmt.where(FoundCase.state == FoundState.OPEN)
        org = self._acting_org()
        if org is not None:
            stmt = stmt.join(Dog, Dog.id == Reunion.dog_id).where(
                or_(FoundCase.org_id == org, and_(FoundCase.kind == "finder", Dog.org_id == org)))
        with self.db.sessions() as s:
            rows = s.scalars(stmt.order_by(_LIKELY_FIRST, FoundCase.found_at.desc(), Reunion.score.desc())
                             .limit(list_limit(limit))).all()
            out = [self._reunion_out(s, r) for r in rows]
            if out:
                with self.db.session() as w:
                    self._audit_contacts(w, [r.dog for r in out], "reunions")
            return out

    def decide_reunion(self, reunion_id_: str, confirm: bool) -> ReunionOut:
        """A person compared the found dog with the registered one: confirm (the found case is reunited, the dog's
        lost report ends as home, the dog's status becomes found, the owner is told) or reject."""
        self._staff_only("decide reunions")
        self.access("status")
        with self._write_lock, self.db.session() as s:
            row = s.get(Reunion, reunion_id_)
            if row is None or row.deleted_at is not None:
                raise NotFound(f"No reunion {reunion_id_!r}.", reunion=reunion_id_)
            case = self._case_row(s, row.found_case_id)
            self._check_reunion_org(s, case, row, "decide", decide=True)
            if row.state != ReunionState.POSSIBLE:
                raise InvalidInput(f"This reunion is {row.state.value} already.", reunion=row.id,
                                   state=row.state.value)
            if confirm and case.state != FoundState.OPEN:
                raise InvalidInput(f"The found case is {case.state.value}: it cannot be reunited again.",
                                   case=case.id, state=case.state.value)
            self._apply_decision(s, row, case, confirm, self.actor().name or self.actor().id)
        return self.reunion(reunion_id_)

    def _apply_decision(self, s: Session, row: Reunion, case: FoundCase, confirm: bool, who: str) -> None:
        now = self.now()
        row.state = ReunionState.CONFIRMED if confirm else ReunionState.REJECTED
        row.decided_by, row.decided_at, row.updated_at = who[:100], now, now
        self._record(s, REUNION_ENTITY, row.id, "upsert")
        dog = s.get(Dog, row.dog_id)
        self._audit(s, "reunion_confirm" if confirm else "reunion_reject", dog=dog, detail=f"case={case.id}")
        if not confirm:
            return
        case.state, case.dog_id, case.closed_at, case.updated_at = FoundState.REUNITED, row.dog_id, now, now
        self._record(s, FOUND_ENTITY, case.id, "upsert")
        for report in s.scalars(select(LostReport).where(LostReport.dog_id == row.dog_id,
                                                         LostReport.state == LostState.OPEN)):
            report.state, report.closed_at, report.updated_at = LostState.HOME, now, now
            self._record(s, LOST_ENTITY, report.id, "upsert")
        if dog is not None and dog.status != DogStatus.FOUND:
            old = dog.status
            dog.status, dog.updated_at = DogStatus.FOUND, now
            self._record(s, "dog", dog.id, "upsert")
            self._audit(s, "status", dog=dog, detail=f"from={old.value} to=found")
        for other in s.scalars(select(Reunion).where(Reunion.found_case_id == case.id, Reunion.id != row.id,
                                                     Reunion.state == ReunionState.POSSIBLE)):
            other.state, other.decided_by, other.decided_at, other.updated_at = (ReunionState.REJECTED,
                                                                                 "closed with the case", now, now)
            self._record(s, REUNION_ENTITY, other.id, "upsert")
        self.tell_owner(s, row)

    def reunion(self, reunion_id_: str) -> ReunionOut:
        self._staff_only("see reunions")
        with self.db.sessions() as s:
            row = s.get(Reunion, reunion_id_)
            if row is None or row.deleted_at is not None:
                raise NotFound(f"No reunion {reunion_id_!r}.", reunion=reunion_id_)
            self._check_reunion_org(s, self._case_row(s, row.found_case_id), row, "see", decide=False)
            return self._reunion_out(s, row)

    # ------------------------------------------------------------------------------------------------ the owner told
    def sends_notifications(self) -> bool:
        """Whether this registry tells owners: a server or a kiosk of its own; an enrolled kiosk leaves it to the
        server its reunions reach through sync."""
        return not self.db.meta(ORG_ID_META)

    def tell_owner(self, s: Session, row: Reunion) -> bool:
        """Queue the owner's message about a reunion where it is due (core/notifications.py): a confirmed one
        always, a possible one when it is a sure match or the owner asked for possible ones. One message a reunion
        and kind, whoever queues it (the dedupe key). True when one is queued now."""
        from core import notifications

        if not self.sends_notifications() or row.state == ReunionState.REJECTED:
            return False
        report = s.get(LostReport, row.lost_report_id) if row.lost_report_id else s.scalar(
            select(LostReport).where(LostReport.dog_id == row.dog_id).order_by(LostReport.lost_at.desc()).limit(1))
        confirmed = row.state == ReunionState.CONFIRMED
        likely = row.decision == Decision.UNCERTAIN.value and report is not None and report.notify_possible
        if not confirmed and row.decision != Decision.MATCH.value and not likely:
            return False  # a no_match entry is merely among the closest lost dogs: nothing to tell
        dog = s.scalar(select(Dog).options(selectinload(Dog.owner)).where(Dog.id == row.dog_id))
        if dog is None:
            return False
        if report is not None and report.channel == "email" and report.contact_email:
            channel, recipient = "email", report.contact_email
        else:
            channel, recipient = "sms", (report.contact_phone if report and report.contact_phone else dog.owner.phone)
        if not recipient:  # an erased or redacted owner, no contact in the report
            return False
        case = s.get(FoundCase, row.found_case_id)
        kind = "reunion_confirmed" if confirmed else "reunion_possible"
        language = report.language if report is not None else "ko"
        subject, body = notifications.reunion_message(kind, language, dog_name=dog.name, place=case.place,
                                                      when=case.found_at, org_name=self._org_name(s, case.org_id),
                                                      ref=case.id[:8])
        queued = notifications.enqueue(s, dedupe_key=f"{kind}:{row.id}", kind=kind, channel=channel,
                                       recipient=recipient, language=language, subject=subject, body=body,
                                       dog_id=dog.id)
        if queued:
            self._audit(s, "notify_queued", dog=dog, detail=f"kind={kind} channel={channel} reunion={row.id}")
        return queued

    def owner_told(self, case_id: str) -> bool:
        """Whether a message to an owner about one of this found case's reunions is queued (or sent)."""
        from core.registry.models import Notification

        with self.db.sessions() as s:
            ids = list(s.scalars(select(Reunion.id).where(Reunion.found_case_id == case_id)))
            if not ids:
                return False
            keys = [f"{k}:{i}" for i in ids for k in ("reunion_possible", "reunion_confirmed")]
            return s.scalar(select(Notification.id).where(Notification.dedupe_key.in_(keys)).limit(1)) is not None

    def _org_name(self, s: Session, org_id: str | None) -> str:
        org = s.get(Organisation, org_id) if org_id else None
        if org is not None:
            return org.name
        if org_id and org_id == self.db.meta(ORG_ID_META):
            return self.db.meta(ORG_NAME_META) or "SavePets"
        return "SavePets"

    # ------------------------------------------------------------------------------------------------ helpers
    def _staff_only(self, what: str) -> None:
        self.access()
        if self._is_public():
            raise PermissionDenied(f"The app may not {what}.", action=what, role="mobile")

    def _acting_org(self) -> str | None:
        """The organisation whose found cases, reunions and lost reports the caller decides: a staff API key's, or
        an enrolled kiosk's (registry meta "org_id": the server takes no decision of another organisation's from
        it, core/replication/trust.py); None for those who decide on any (admin keys, the command line on a
        server, a kiosk of its own)."""
        org = self._staff_org()
        return org if org is not None else (self.db.meta(ORG_ID_META) or None)

    def _may_see_reunion(self, s: Session, case: FoundCase, row: Reunion, decide: bool = False) -> bool:
        """A staff key or enrolled kiosk decides the reunions of its organisation's found cases, and those of a
        finder's case (held by the app) whose dog is its organisation's: the shelter or clinic that knows the owner.
        It sees those, and any reunion of its organisation's dog (its dog found elsewhere), without deciding it."""
        org = self._acting_org()
        if org is None or case.org_id == org:
            return True
        if decide and case.kind != "finder":
            return False
        return s.scalar(select(Dog.org_id).where(Dog.id == row.dog_id)) == org

    def _check_reunion_org(self, s: Session, case: FoundCase, row: Reunion, what: str, decide: bool) -> None:
        if not self._may_see_reunion(s, case, row, decide):
            raise PermissionDenied(f"This found case is held by another organisation: {self._who()} may not {what} "
                                   "its reunions.", action=f"{what} reunions of", role=self.actor().role)

    def _check_case_org(self, case: FoundCase, what: str) -> None:
        """A staff key or enrolled kiosk acts only on its organisation's found cases."""
        org = self._acting_org()
        if org is not None and case.org_id != org:
            raise PermissionDenied(f"This found case is held by another organisation: {self._who()} may not {what} it.",
                                   action=what, role=self.actor().role)

    def _who(self) -> str:
        return f"a {self.actor().role} key" if self._staff_org() is not None else "this kiosk"

    def _this_model(self, p: FoundPhoto) -> bool:
        return p.model_name == self.engine.name and p.model_version == self.engine.version

    def _scoring_templates(self, dogs: list[str]):
        """decision.Templates of `dogs`: their stored photos (loaded only when verified) and template vectors."""
        return {d: ([StoredPhoto(sha, partial(self._stored_image, sha)) if self.store.exists(sha) else None
                     for sha in shas], vecs)
                for d, (shas, vecs) in self._templates_of(dogs).items()} if dogs else {}

    def _lost_row(self, s: Session, report_id: str) -> LostReport:
        row = s.get(LostReport, report_id)
        if row is None or row.deleted_at is not None:
            raise NotFound(f"No lost report {report_id!r}.", report=report_id)
        return row

    def _case_row(self, s: Session, case_id: str) -> FoundCase:
        case = s.scalar(select(FoundCase).options(selectinload(FoundCase.photos)).where(FoundCase.id == case_id))
        if case is None or case.deleted_at is not None:
            raise NotFound(f"No found case {case_id!r}.", case=case_id)
        return case

    def _reunion_decision(self, rid: str) -> Decision | None:
        with self.db.sessions() as s:
            row = s.get(Reunion, rid)
            return Decision(row.decision) if row is not None else None

    def _reunion_out(self, s: Session, r: Reunion, case: FoundCase | None = None) -> ReunionOut:
        case = case or s.get(FoundCase, r.found_case_id)
        dog = s.scalar(select(Dog).options(selectinload(Dog.owner), selectinload(Dog.photos))
                       .where(Dog.id == r.dog_id))
        return ReunionOut(id=r.id, found_case_id=r.found_case_id, lost_report_id=r.lost_report_id,
                          dog=self._dog_out(s, dog), score=round(r.score, 4),
                          probability=round(self.engine.probability(r.score), 4), decision=Decision(r.decision),
                          source=r.source, state=r.state.value, decided_by=r.decided_by, decided_at=r.decided_at,
                          created_at=r.created_at, found_photos=photos_out(case) if case is not None else [])



def photos_out(c: FoundCase) -> list[FoundPhotoOut]:
    return [FoundPhotoOut(id=p.id, sha256=p.sha256, position=p.position) for p in c.photos if p.deleted_at is None]


def state_named(enum_cls, value: str) -> str:
    allowed = [m.value for m in enum_cls]
    if value not in allowed:
        raise InvalidInput(f"state must be one of {', '.join(allowed)}; got {value!r}.", state=value)
    return value


def list_limit(limit: int) -> int:
    return max(1, min(int(limit), LIST_MAX))

