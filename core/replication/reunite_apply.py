"""The reunite entities arriving from the other side (issue 24): on the server, a kiosk's pushed lost report, found
case or reunion (`apply_pushed`); on a kiosk, a pulled one (`apply_pulled`). Both apply the same rules:

- a state only moves forward (reunite_states.RANK): an open report or case, a possible reunion may end; an end is
  never undone, and the first end to arrive stays (a second, different one changes nothing);
- photos of a found case are only ever added (by id, or by the same image in the case);
- a redacted state (another organisation's, pulled) never blanks what a copy knows;
- a change waits for what it names (a report's dog; a reunion's case and dog): the server answers it
  `missing_photos` with no photo named (the kiosk pushes it again), a kiosk keeps it for a later page.

Server: what a key may push was checked before (core/replication/trust.py); a new report or case belongs to the
pushing key's organisation. Of another organisation's lost report only its end as home is taken (a confirmed
reunion the pusher decides ends it: of its own found case, or of a finder's case with its dog). A reunion that
arrives confirmed closes its sides here as well: the found case reunited, the dog's open lost reports home, the
case's other possible reunions rejected (what the kiosk also pushes: both converge). The owner is told through
`tell` (the service's tell_owner: one message a reunion and kind), since an enrolled kiosk does not send."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.registry import models
from core.registry.models import DEFAULT_ORG_ID, Dog, FoundCase, FoundPhoto, LostReport, Meta, Outbox, Reunion
from core.replication.changelog import log_changes
from core.replication.messages import (
    ChangeResult,
    FoundCaseChange,
    LostReportChange,
    PulledFoundCase,
    PulledLostReport,
    PulledReunion,
    ReuniteChange,
)
from core.replication.reunite_states import (
    FOUND,
    LOST,
    RANK,
    REUNION,
    FoundCaseState,
    LostReportState,
    ReunionState,
    decides,
)
from core.replication.rows import Fix, as_is, relpath
from core.replication.server_apply import received, remember

log = logging.getLogger(__name__)

Tell = Callable[[Session, Reunion], bool]


MATCH_KEY = "sync_match_pending"  # meta: the found cases and lost reports pushed and not matched yet
MATCH_OVERDUE = timedelta(minutes=5)  # not matched this long after their push: the server died first; match again


@dataclass
class Applied:
    """What applying pushed reunite changes leaves to do after the commit: found cases and lost reports to match
    (the server matches them off the request). `keys()` names them in MATCH_KEY, written with the push."""

    cases: list[str] = field(default_factory=list)
    reports: list[str] = field(default_factory=list)

    def keys(self) -> list[str]:
        return [f"{FOUND}:{i}" for i in self.cases] + [f"{LOST}:{i}" for i in self.reports]

    def __bool__(self) -> bool:
        return bool(self.cases or self.reports)


def _pending_matches(s: Session) -> dict[str, str]:
    row = s.get(Meta, MATCH_KEY)
    try:
        return dict(json.loads(row.value)) if row is not None and row.value else {}
    except (ValueError, TypeError):
        return {}


def note_to_match(s: Session, after: Applied, now: datetime) -> None:
    """In the push's transaction (the sync lock held): what it brought to match, so that a server that dies before
    matching them leaves them for a later one (`overdue_matches`)."""
    if after:
        pending = _pending_matches(s)
        pending.update({k: now.isoformat() for k in after.keys()})
        s.merge(Meta(key=MATCH_KEY, value=json.dumps(pending)))


def matched(s: Session, keys: list[str]) -> None:
    """These are matched (or failed for good): off the list. The caller holds the sync lock."""
    pending = _pending_matches(s)
    if any(k in pending for k in keys):
        for k in keys:
            pending.pop(k, None)
        s.merge(Meta(key=MATCH_KEY, value=json.dumps(pending)))


def overdue_matches(s: Session, now: datetime) -> Applied:
    """Found cases and lost reports pushed more than MATCH_OVERDUE ago and never matched."""
    out = Applied()
    for key, when in _pending_matches(s).items():
        try:
            late = datetime.fromisoformat(when) <= now - MATCH_OVERDUE
        except (TypeError, ValueError):
            late = True
        entity, _, entity_id = key.partition(":")
        if late and entity_id:
            (out.cases if entity == FOUND else out.reports).append(entity_id)
    return out


# ------------------------------------------------------------------------------------------------ shared rules
def forward(old: str, new: str, keep_mine: bool = False) -> str:
    """The state a copy keeps: `new` when it goes further; of two ends, the first (`old`) stays unless this copy's
    own (not `keep_mine`) is to give way to the server's."""
    if RANK[new] > RANK[old]:
        return new
    if RANK[new] == RANK[old] and RANK[old] > 0 and not keep_mine:
        return new
    return old


def _report_fields(st: LostReportState, redacted_keep: LostReport | None = None) -> dict:
    """A report's own fields (not its dog, organisation, state or times). `lost_at` is a time people gave: never
    corrected. Redacted: the contact and notes of `redacted_keep` stay."""
    values = {"lost_at": st.lost_at, "place": st.place, "lat": st.lat, "lon": st.lon,
              "channel": st.channel, "language": st.language, "notify_possible": st.notify_possible}
    if not st.redacted:
        values.update(contact_email=st.contact_email, contact_phone=st.contact_phone, notes=st.notes)
    elif redacted_keep is None:
        values.update(contact_email="", contact_phone="", notes="")
    return values


def _case_fields(st: FoundCaseState, redacted_keep: FoundCase | None = None) -> dict:
    values = {"kind": st.kind, "found_at": st.found_at, "place": st.place, "lat": st.lat, "lon": st.lon,
              "hold_until": st.hold_until}
    if not st.redacted:
        values.update(notes=st.notes, finder_contact=st.finder_contact)
    elif redacted_keep is None:
        values.update(notes="", finder_contact="")
    return values


def _set(row, values: dict) -> bool:
    changed = False
    for k, v in values.items():
        if getattr(row, k) != v:
            setattr(row, k, v)
            changed = True
    return changed


def _end(row, enum_cls, st_state: str, closed_at: datetime | None, keep_mine: bool) -> bool:
    """Move a row's state forward to `st_state` (with its closing time). Returns whether it changed."""
    new = forward(row.state.value, st_state, keep_mine)
    if new == row.state.value:
        return False
    row.state = enum_cls(new)
    if RANK[new] > 0 and closed_at is not None:  # a reunion has its decided_at instead
        row.closed_at = closed_at
    return True


def _add_found_photos(s: Session, case_id: str, st: FoundCaseState, fix: Fix) -> int:
    have = s.execute(select(FoundPhoto.id, FoundPhoto.sha256).where(FoundPhoto.case_id == case_id)).all()
    ids, shas = {r.id for r in have}, {r.sha256 for r in have}
    added = 0
    for p in st.photos:
        if p.id in ids or p.sha256 in shas or s.get(FoundPhoto, p.id) is not None:
            continue
        s.add(FoundPhoto(id=p.id, case_id=case_id, sha256=p.sha256, path=relpath(p.sha256), width=p.width,
                         height=p.height, quality=p.quality, position=p.position, model_name=p.model_name,
                         model_version=p.model_version, dim=p.dim, vector=p.data, created_at=fix(p.created_at),
                         updated_at=fix(p.created_at), deleted_at=fix(p.deleted_at), origin_device=p.origin_device))
        ids.add(p.id)
        shas.add(p.sha256)
        added += 1
    return added


def _new_reunion(st: ReunionState, fix: Fix) -> Reunion:
    return Reunion(id=st.id, found_case_id=st.found_case_id, dog_id=st.dog_id, lost_report_id=st.lost_report_id,
                   score=st.score, decision=st.decision, source=st.source, state=models.ReunionState(st.state),
                   decided_by=st.decided_by, decided_at=fix(st.decided_at), created_at=fix(st.created_at),
                   updated_at=fix(st.updated_at), deleted_at=fix(st.deleted_at), origin_device=st.origin_device)


def _merge_reunion(row: Reunion, st: ReunionState, fix: Fix, keep_mine: bool) -> bool:
    changed = False
    if row.lost_report_id is None and st.lost_report_id is not None:
        row.lost_report_id = st.lost_report_id
        changed = True
    if _end(row, models.ReunionState, st.state, None, keep_mine):
        row.decided_by, row.decided_at = st.decided_by, fix(st.decided_at)
        changed = True
    return changed


# ------------------------------------------------------------------------------------------------ server
def apply_pushed(s: Session, c: ReuniteChange, *, device_id: str | None, org_id: str | None, fix: Fix,
                 now: datetime, photo_exists: Callable[[str], bool], tell: Tell | None = None,
                 after: Applied | None = None, admin: bool = False) -> ChangeResult:
    """Apply one pushed reunite change. The caller holds the sync lock, has checked the pushing key may make it
    (core/replication/trust.py) and commits; a new report or case belongs to `org_id` (the key's). A reunion of
    another organisation's case (unless `admin`) is taken only as a finding: new and possible, or a lost report
    named where none was; a decision of it is rejected (trust.py refuses such a push first)."""
    done = received(s, c.change_id)
    if done is not None:
        return done
    org_id = org_id or DEFAULT_ORG_ID
    after = after if after is not None else Applied()
    logged: list[tuple[str, str]] = []
    if isinstance(c, LostReportChange):
        wait = _push_report(s, c.state, org_id, fix, now, after, admin)
    elif isinstance(c, FoundCaseChange):
        wait = _push_case(s, c.state, org_id, fix, now, photo_exists, after, admin)
    else:
        wait = _push_reunion(s, c.state, None if admin else org_id, fix, now, tell, logged)
    if wait is not None:  # not remembered: pushed again, it is looked at again
        return wait.model_copy(update={"change_id": c.change_id})
    s.flush()
    seqs = log_changes(s, [(c.entity, c.entity_id)] + [x for x in logged if x[1] != c.entity_id], device_id, now)
    result = ChangeResult(change_id=c.change_id, status="applied", seq=seqs[c.entity_id])
    remember(s, [result], device_id, now)
    return result


def _waiting(message: str, missing: list[str] = ()) -> ChangeResult:
    return ChangeResult(change_id="-", status="missing_photos", missing=list(missing), message=message)


def _push_report(s: Session, st: LostReportState, org_id: str, fix: Fix, now: datetime, after: Applied,
                 admin: bool = False) -> ChangeResult | None:
    if s.get(Dog, st.dog_id) is None:
        return _waiting("the report's dog is not on the server yet")
    row = s.get(LostReport, st.id)
    if row is None:
        s.add(LostReport(id=st.id, org_id=org_id, state=models.LostState(st.state), closed_at=fix(st.closed_at),
                         created_at=fix(st.created_at) or now, updated_at=fix(st.updated_at) or now,
                         deleted_at=fix(st.deleted_at), origin_device=st.origin_device, dog_id=st.dog_id,
                         **_report_fields(st)))
        if st.state == "open" and st.deleted_at is None:
            after.reports.append(st.id)
        return None
    changed = False
    if admin or (row.org_id or DEFAULT_ORG_ID) == org_id:
        changed = _set(row, _report_fields(st, redacted_keep=row))
        if st.deleted_at is not None and row.deleted_at is None:
            row.deleted_at = fix(st.deleted_at)
            changed = True
        changed = _end(row, models.LostState, st.state, fix(st.closed_at), keep_mine=True) or changed
    elif st.state == "home":  # another organisation's report: only the end a confirmed reunion makes (trust.py)
        changed = _end(row, models.LostState, "home", fix(st.closed_at) or now, keep_mine=True)
    if changed:
        row.updated_at = max(row.updated_at, fix(st.updated_at) or now)
    return None


def _push_case(s: Session, st: FoundCaseState, org_id: str, fix: Fix, now: datetime,
               photo_exists: Callable[[str], bool], after: Applied, admin: bool = False) -> ChangeResult | None:
    row = s.get(FoundCase, st.id)
    have = set(s.scalars(select(FoundPhoto.sha256).where(FoundPhoto.case_id == st.id))) if row is not None else set()
    missing = [sha for sha in st.live_photo_shas() if sha not in have and not photo_exists(sha)]
    if missing:  # nothing is written until every photo is here
        return _waiting("", missing)
    if row is None:
        s.add(FoundCase(id=st.id, org_id=org_id, state=models.FoundState(st.state), dog_id=st.dog_id,
                        closed_at=fix(st.closed_at), created_at=fix(st.created_at) or now,
                        updated_at=fix(st.updated_at) or now, deleted_at=fix(st.deleted_at),
                        origin_device=st.origin_device, **_case_fields(st)))
        s.flush()
        _add_found_photos(s, st.id, st, fix)
        if st.state == "open" and st.deleted_at is None:
            after.cases.append(st.id)
        return None
    if not admin and (row.org_id or DEFAULT_ORG_ID) != org_id:  # a finder's case reunited by its dog's (trust.py)
        if st.state == "reunited" and _end(row, models.FoundState, "reunited", fix(st.closed_at) or now, True):
            row.dog_id = row.dog_id or st.dog_id
            row.updated_at = max(row.updated_at, fix(st.updated_at) or now)
        return None
    changed = _set(row, _case_fields(st, redacted_keep=row))
    if st.deleted_at is not None and row.deleted_at is None:
        row.deleted_at = fix(st.deleted_at)
        changed = True
    if _end(row, models.FoundState, st.state, fix(st.closed_at), keep_mine=True):
        row.dog_id = row.dog_id or st.dog_id
        changed = True
    changed = bool(_add_found_photos(s, st.id, st, fix)) or changed
    if changed:
        row.updated_at = max(row.updated_at, fix(st.updated_at) or now)
    return None


def _push_reunion(s: Session, st: ReunionState, org_id: str | None, fix: Fix, now: datetime, tell: Tell | None,
                  logged: list) -> ChangeResult | None:
    case = s.get(FoundCase, st.found_case_id)
    if case is None or s.get(Dog, st.dog_id) is None:
        return _waiting("the reunion's found case or dog is not on the server yet")
    row = s.get(Reunion, st.id)
    was = row.state if row is not None else None
    if org_id is not None and not decides(s, case, st.dog_id, org_id):
        # another organisation's kiosk found the pair (its own matching of a lost report among the open cases): the
        # finding is kept, undecided, and its owner is not told from it; a decision is the holder's (trust.py)
        if st.state != "possible":
            return ChangeResult(change_id="-", status="rejected", message="a reunion of another organisation's "
                                "found case: only the organisation holding it decides")
        if row is None:
            s.add(_new_reunion(st.model_copy(update={"decided_by": None, "decided_at": None}), fix))
        elif row.lost_report_id is None and st.lost_report_id is not None:
            row.lost_report_id, row.updated_at = st.lost_report_id, max(row.updated_at, now)
        return None
    if row is None:
        row = _new_reunion(st, fix)
        s.add(row)
        s.flush()
    elif _merge_reunion(row, st, fix, keep_mine=True):
        row.updated_at = max(row.updated_at, fix(st.updated_at) or now)
    if row.state == models.ReunionState.CONFIRMED and was != models.ReunionState.CONFIRMED:
        close_sides(s, row, case, now, logged)
    if tell is not None and row.state != was:  # new here, or now decided: the owner told where due
        try:
            with s.begin_nested():
                tell(s, row)
        except Exception:  # noqa: BLE001 - the owner's message never undoes the reunion; the log says why
            log.exception("sync: the owner of reunion %s could not be told", row.id)
    return None


def close_sides(s: Session, row: Reunion, case: FoundCase, now: datetime, logged: list) -> None:
    """A reunion confirmed on the server: its found case reunited, its dog's open lost reports home, the case's
    other possible reunions rejected (each logged for the kiosks)."""
    if case.state == models.FoundState.OPEN:
        case.state, case.dog_id, case.closed_at, case.updated_at = models.FoundState.REUNITED, row.dog_id, now, now
        logged.append((FOUND, case.id))
    for report in s.scalars(select(LostReport).where(LostReport.dog_id == row.dog_id,
                                                     LostReport.state == models.LostState.OPEN)):
        report.state, report.closed_at, report.updated_at = models.LostState.HOME, now, now
        logged.append((LOST, report.id))
    for other in s.scalars(select(Reunion).where(Reunion.found_case_id == case.id, Reunion.id != row.id,
                                                 Reunion.state == models.ReunionState.POSSIBLE)):
        other.state, other.decided_by, other.decided_at, other.updated_at = (
            models.ReunionState.REJECTED, "closed with the case", now, now)
        logged.append((REUNION, other.id))


# ------------------------------------------------------------------------------------------------ kiosk
def _pending(s: Session, entity_id: str) -> bool:
    return s.scalar(select(Outbox.seq).where(Outbox.entity_id == entity_id, Outbox.pushed_at.is_(None))
                    .limit(1)) is not None


def apply_pulled(s: Session, c: PulledLostReport | PulledFoundCase | PulledReunion) -> bool:
    """A pulled reunite entity, in the caller's transaction; False when what it names is not here yet (it waits
    for a later page). What this kiosk changed and has not pushed yet stays (its state, if further)."""
    st = c.state
    if isinstance(c, PulledLostReport):
        return _pull_report(s, st)
    if isinstance(c, PulledFoundCase):
        return _pull_case(s, st)
    return _pull_reunion(s, st)


def _merge_pulled(s: Session, row, st, fields, states) -> bool:
    """A pulled lost report or found case onto its row here: its fields (`fields(st, redacted_keep=row)`) unless this
    kiosk has changes of it waiting to push, its organisation, its tombstone, its end (forward only: `_end`). True
    when it ended here now."""
    mine = _pending(s, st.id)
    if not mine:
        _set(row, fields(st, redacted_keep=row))
    row.org_id = st.org_id or row.org_id
    if st.deleted_at is not None and row.deleted_at is None:
        row.deleted_at = st.deleted_at
    return _end(row, states, st.state, st.closed_at, keep_mine=mine)


def _pull_report(s: Session, st: LostReportState) -> bool:
    if s.get(Dog, st.dog_id) is None:
        return False
    row = s.get(LostReport, st.id)
    if row is None:
        s.add(LostReport(id=st.id, org_id=st.org_id, state=models.LostState(st.state), closed_at=st.closed_at,
                         created_at=st.created_at, updated_at=st.updated_at, deleted_at=st.deleted_at,
                         origin_device=st.origin_device, dog_id=st.dog_id, **_report_fields(st)))
        return True
    _merge_pulled(s, row, st, _report_fields, models.LostState)
    row.updated_at = max(row.updated_at, st.updated_at)
    return True


def _pull_case(s: Session, st: FoundCaseState) -> bool:
    row = s.get(FoundCase, st.id)
    if row is None:
        s.add(FoundCase(id=st.id, org_id=st.org_id, state=models.FoundState(st.state), dog_id=st.dog_id,
                        closed_at=st.closed_at, created_at=st.created_at, updated_at=st.updated_at,
                        deleted_at=st.deleted_at, origin_device=st.origin_device, **_case_fields(st)))
        s.flush()
        _add_found_photos(s, st.id, st, as_is)
        return True
    if _merge_pulled(s, row, st, _case_fields, models.FoundState) or row.dog_id is None:
        row.dog_id = row.dog_id or st.dog_id
    _add_found_photos(s, st.id, st, as_is)
    row.updated_at = max(row.updated_at, st.updated_at)
    return True


def _pull_reunion(s: Session, st: ReunionState) -> bool:
    if s.get(FoundCase, st.found_case_id) is None or s.get(Dog, st.dog_id) is None:
        return False
    row = s.get(Reunion, st.id)
    if row is None:
        s.add(_new_reunion(st, as_is))
        return True
    _merge_reunion(row, st, as_is, keep_mine=_pending(s, st.id))
    row.updated_at = max(row.updated_at, st.updated_at)
    return True
