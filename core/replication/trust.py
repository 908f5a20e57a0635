"""Server: what a pushing device may do, and what the server makes itself rather than take from it.

Who pushes comes from the key (`Caller`: its device, its organisation, whether it is an administrator's), never
from the body. A device changes only the dogs of its own organisation; of another organisation's dog it may only
report that the dog is lost or found (recorded in the audit trail). An owner's erasure and a merge (a review flag
resolved `same_dog`) go through the admin routes: on sync they are refused to every key but an administrator's.
A new dog may name an owner the server has only with that owner's phone (a pushed owner id alone never attaches a
dog to someone else's owner). A push holding any refused change is refused as a whole (`PushRefused`, 403 over
HTTP), naming each change and why; nothing of it is applied.

Reunite (issue 24): a device may push a lost report of any dog (as it may report any dog lost); the report is its
key's organisation's, and of another organisation's report it may only say that it ended as home, and only with a
confirmed reunion of a found case of its own organisation (on the server or in the same push). A found case is the
pushing key's organisation's, and only that organisation changes it afterwards; a reunion's decision (confirmed,
rejected) is accepted only from the organisation holding its found case, or, for a finder's case (the app's), from
the organisation of the dog, which may then also mark that case reunited. Any device may report a possible reunion
(a kiosk's own matching of a lost report among the open cases it pulled finds other organisations' cases): the
server keeps it undecided and tells no owner from it.

Templates: the server makes every template it keeps from the photo it has (the engine embeds the stored bytes),
whatever vectors a kiosk sent: a kiosk cannot plant a vector that sends look-ups to the wrong dog. The same holds
for a found case's photos (`server_found_templates`)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.actors import Actor
from core.errors import PermissionDenied
from core.registry.models import (
    DEFAULT_ORG_ID,
    Dog,
    DogStatus,
    FoundCase,
    FoundPhoto,
    LostReport,
    NosePhoto,
    NoseTemplate,
    Owner,
    Reunion,
    ReunionState,
    ReviewFlag,
    SyncIdMap,
    SyncReceived,
)
from core.replication.bundle import DOG, DogBundle, TemplateState
from core.replication.messages import (
    AnyChange,
    DogChange,
    FlagChange,
    FoundCaseChange,
    LostReportChange,
    ReunionChange,
)
from core.replication.reunite_states import decides
from core.replication.rules import pair_flag

REPORTABLE = (DogStatus.LOST, DogStatus.FOUND)  # what any device may say of any dog


@dataclass(frozen=True)
class Caller:
    """The pushing device as its key says: its id, its organisation, whether the key is an administrator's, and the
    actor its audit entries name."""

    device_id: str
    org_id: str = DEFAULT_ORG_ID
    admin: bool = False
    actor: Actor | None = None

    def owns(self, dog: Dog) -> bool:
        return (dog.org_id or DEFAULT_ORG_ID) == (self.org_id or DEFAULT_ORG_ID)


class PushRefused(PermissionDenied):
    """A push with a change this device may not make: nothing of it was applied. details.refused lists each such
    change: change_id, entity, entity_id, reason."""

    code = "push_refused"


def refusals(s: Session, changes: Sequence[AnyChange], caller: Caller) -> list[dict]:
    """The changes of a push this caller may not make, each with why. The caller holds the sync lock."""
    if caller.admin:
        return []
    done = set(s.scalars(select(SyncReceived.change_id).where(
        SyncReceived.change_id.in_([c.change_id for c in changes])))) if changes else set()
    out = []
    for c in changes:
        if c.change_id in done:  # a resend: answered as the duplicate it is, nothing applied again
            continue
        if isinstance(c, DogChange):
            why = _dog_refusal(s, c, caller)
        elif isinstance(c, FlagChange):
            why = _flag_refusal(s, c)
        else:
            why = _reunite_refusal(s, c, caller, changes)
        if why:
            out.append({"change_id": c.change_id, "entity": c.entity, "entity_id": c.entity_id, "reason": why})
    return out


def _dog_refusal(s: Session, c: DogChange, caller: Caller) -> str:
    st = c.state
    dog = s.get(Dog, c.entity_id)
    deleting = c.op == "delete" or st.deleted_at is not None
    if dog is None:
        return _new_dog_refusal(s, st)
    if st.owner.erased_at is not None and s.get(Owner, dog.owner_id).deleted_at is None:
        return "an owner's erasure goes through the admin routes (POST /v1/owners/erase)"
    if caller.owns(dog):
        return ""
    if deleting:
        return "" if dog.deleted_at is not None else "a dog of another organisation cannot be removed from this device"
    edited = sorted(set(c.clocks) - {"status"})
    if edited:
        return f"a dog of another organisation: only its status (lost, found) may change here, not {edited}"
    if "status" in c.clocks and st.fields.status != dog.status and st.fields.status not in REPORTABLE:
        return f"a dog of another organisation may be reported lost or found, not {st.fields.status.value}"
    have_ids = set(s.scalars(select(NosePhoto.id).where(NosePhoto.dog_id == dog.id)))
    have_shas = set(s.scalars(select(NosePhoto.sha256).where(NosePhoto.dog_id == dog.id)))
    if any(p.id not in have_ids and p.sha256 not in have_shas for p in st.photos):
        return "photos cannot be added to a dog of another organisation"
    return ""


def _new_dog_refusal(s: Session, st: DogBundle) -> str:
    o = st.owner
    if o.redacted:
        return "a new dog needs its owner's phone (the owner came redacted)"
    mapped = s.get(SyncIdMap, o.id)
    known = s.get(Owner, mapped.to_id if mapped is not None else o.id)
    if known is not None and (known.deleted_at is not None or not o.phone or known.phone != o.phone):
        return f"owner {o.id} is on the server with another phone: a new dog names an existing owner only by " \
               "that owner's phone"
    if o.erased_at is not None:
        same = known or (s.scalar(select(Owner).where(Owner.phone_hash == o.phone)) if o.phone else None)
        if same is not None and same.deleted_at is None:
            return "an owner's erasure goes through the admin routes (POST /v1/owners/erase)"
    return ""


def _flag_refusal(s: Session, c: FlagChange) -> str:
    st = c.state
    if st.resolution != "same_dog":
        return ""
    flag = s.get(ReviewFlag, st.id) or pair_flag(s, st.dog_id, st.other_dog_id)
    if flag is not None and flag.resolution == "same_dog":
        return ""  # the server merged them already: nothing new
    return "a merge (a review decided same_dog) goes through the admin routes (POST /v1/reviews/{id})"


def _org(row) -> str:
    return row.org_id or DEFAULT_ORG_ID


def _reunite_refusal(s: Session, c: LostReportChange | FoundCaseChange | ReunionChange, caller: Caller,
                     push: Sequence[AnyChange]) -> str:
    mine = caller.org_id or DEFAULT_ORG_ID
    if isinstance(c, FoundCaseChange):
        case = s.get(FoundCase, c.entity_id)
        if case is None or _org(case) == mine:
            return ""
        st = c.state  # a finder's case reunited with a dog of this organisation by a reunion confirmed here
        if (case.kind == "finder" and st.state == "reunited" and st.dog_id is not None
                and decides(s, case, st.dog_id, mine) and _confirmed_here(s, st.dog_id, mine, push, case.id)):
            return ""
        return "a found case of another organisation"
    if isinstance(c, ReunionChange):
        case = s.get(FoundCase, c.state.found_case_id)
        if case is None or decides(s, case, c.state.dog_id, mine) or c.state.state == "possible":
            return ""  # a finding (its matching of a lost report among open cases) any device may report
        row = s.get(Reunion, c.entity_id)
        if row is not None and row.state.value == c.state.state:
            return ""  # decided so already: nothing new
        return "a reunion of another organisation's found case: only the organisation holding it decides"
    report = s.get(LostReport, c.entity_id)
    if report is None or _org(report) == mine:
        return ""
    if c.state.state == "home" and (report.state.value == "home" or _confirmed_here(s, report.dog_id, mine, push)):
        return ""
    return "a lost report of another organisation: only a confirmed reunion of this organisation's found case " \
           "ends it (home)"


def _confirmed_here(s: Session, dog_id: str, org_id: str, push: Sequence[AnyChange],
                    case_id: str | None = None) -> bool:
    """Whether a reunion of `dog_id` (with `case_id`, if given) that `org_id` decides is confirmed, on the server
    or in this push."""
    confirmed = list(s.scalars(select(Reunion.found_case_id).where(Reunion.dog_id == dog_id,
                                                                   Reunion.state == ReunionState.CONFIRMED)))
    pushed_cases = {c.entity_id for c in push if isinstance(c, FoundCaseChange)}
    confirmed += [c.state.found_case_id for c in push if isinstance(c, ReunionChange) and c.state.dog_id == dog_id
                  and c.state.state == "confirmed"]
    for found in confirmed:
        if case_id is not None and found != case_id:
            continue
        case = s.get(FoundCase, found)
        if decides(s, case, dog_id, org_id) if case is not None else found in pushed_cases:  # new: the pusher's
            return True
    return False


# ------------------------------------------------------------------------------------------------ templates
def template_id(photo_id: str, engine) -> str:
    """The id of the server's template of a photo for an engine: the same wherever and whenever it is made."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"savepets:template:{photo_id}:{engine.name}:{engine.version}"))


def as_received(sp, changes: Sequence[AnyChange], caller: Caller) -> list[AnyChange]:
    """The changes as the server takes them: made where the key says (every `origin_device` the key's device, for
    the rows a push creates), with the server's own templates (`server_templates`, `server_found_templates`)."""
    dev = caller.device_id
    out: list[AnyChange] = []
    for c in server_found_templates(sp, server_templates(sp, changes)):
        st = c.state
        if isinstance(c, DogChange):
            st = st.model_copy(update={
                "origin_device": dev, "owner": st.owner.model_copy(update={"origin_device": dev}),
                "photos": [p.model_copy(update={"origin_device": dev}) for p in st.photos],
                "templates": [x.model_copy(update={"origin_device": dev}) for x in st.templates]})
        elif isinstance(c, FoundCaseChange):
            st = st.model_copy(update={"origin_device": dev,
                                       "photos": [p.model_copy(update={"origin_device": dev}) for p in st.photos]})
        else:
            st = st.model_copy(update={"origin_device": dev})
        out.append(c.model_copy(update={"state": st}))
    return out


def server_found_templates(sp, changes: Sequence[AnyChange]) -> list[AnyChange]:
    """The changes with each found case photo's template made by the server's engine from the stored bytes (a
    pushed vector is dropped); a photo not here yet keeps what was pushed (its change waits for the file and is
    pushed again, so it is made then). Photos the server has already are left as they are."""
    engine = sp.engine
    cases = [c for c in changes if isinstance(c, FoundCaseChange)]
    if not cases:
        return list(changes)
    with sp.db.sessions() as s:
        have = set(s.scalars(select(FoundPhoto.id).where(FoundPhoto.case_id.in_([c.entity_id for c in cases]))))
    shas = sorted({p.sha256 for c in cases for p in c.state.photos
                   if p.id not in have and p.deleted_at is None and sp.store.exists(p.sha256)})
    vectors: dict[str, str] = {}
    for i in range(0, len(shas), 32):
        batch = shas[i:i + 32]
        for sha, v in zip(batch, engine.embed([sp.store.load(sha).image for sha in batch]), strict=True):
            vectors[sha] = _b64(np.asarray(v, np.float32))
    if not vectors:
        return list(changes)
    out: list[AnyChange] = []
    for c in changes:
        if isinstance(c, FoundCaseChange):
            photos = [p.model_copy(update={"model_name": engine.name, "model_version": engine.version,
                                           "dim": engine.dim, "vector": vectors[p.sha256]})
                      if p.id not in have and p.sha256 in vectors else p for p in c.state.photos]
            c = c.model_copy(update={"state": c.state.model_copy(update={"photos": photos})})
        out.append(c)
    return out


def server_templates(sp, changes: Sequence[AnyChange]) -> list[AnyChange]:
    """The changes with the templates the server makes: for each live photo here, one template of the server's
    engine embedded from the stored bytes (the kiosk's template id kept where it sent one of this engine, so both
    copies name it alike); pushed vectors and templates of other engines are dropped. Templates the server has
    already are left as they are (their vectors were made here)."""
    engine = sp.engine
    dog_ids = [c.entity_id for c in changes if isinstance(c, DogChange)]
    if not dog_ids:
        return list(changes)
    with sp.db.sessions() as s:
        have = set(s.scalars(select(NoseTemplate.photo_id).where(
            NoseTemplate.dog_id.in_(dog_ids), NoseTemplate.model_name == engine.name,
            NoseTemplate.model_version == engine.version)))
    todo: dict[tuple[str, str], str] = {}  # (dog, photo) -> sha
    for c in changes:
        if isinstance(c, DogChange):
            for p in c.state.photos:
                if p.deleted_at is None and p.id not in have and sp.store.exists(p.sha256):
                    todo[(c.entity_id, p.id)] = p.sha256
    shas = sorted(set(todo.values()))
    vectors: dict[str, np.ndarray] = {}
    for i in range(0, len(shas), 32):
        batch = shas[i:i + 32]
        for sha, v in zip(batch, engine.embed([sp.store.load(sha).image for sha in batch]), strict=True):
            vectors[sha] = np.asarray(v, np.float32)
    out: list[AnyChange] = []
    for c in changes:
        if not isinstance(c, DogChange):
            out.append(c)
            continue
        st = c.state
        pushed = {t.photo_id: t for t in st.templates if t.live_for(engine)}
        templates = []
        for p in st.photos:
            sha = todo.get((c.entity_id, p.id))
            if sha is None:
                continue
            mine = pushed.get(p.id)
            templates.append(TemplateState(
                id=mine.id if mine is not None else template_id(p.id, engine), photo_id=p.id,
                model_name=engine.name, model_version=engine.version, dim=engine.dim,
                vector=_b64(vectors[sha]), quality=p.quality, created_at=p.created_at,
                origin_device=None))
        out.append(c.model_copy(update={"state": st.model_copy(update={"templates": templates})}))
    return out


def _b64(v: np.ndarray) -> str:
    import base64

    return base64.b64encode(v.astype(np.float32).tobytes()).decode("ascii")


__all__ = ["DOG", "REPORTABLE", "Caller", "PushRefused", "as_received", "refusals", "server_found_templates",
           "server_templates", "template_id"]
