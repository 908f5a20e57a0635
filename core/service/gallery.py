"""The gallery: the search index of the current engine's templates, derived from the registry (kept in step
after each change and after sync), and identification of nose photos against it."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from functools import partial

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from core.recognition.base import SEARCH_DOGS, Decision, StoredPhoto
from core.recognition.decision import Verdict, decide, rank_dogs
from core.recognition.gallery import Gallery
from core.registry.models import Dog, NosePhoto, NoseTemplate, Owner, SyncLog, utcnow
from core.registry.templates import add_templates
from core.schemas import CandidateOut
from core.service.base import ServiceBase

log = logging.getLogger(__name__)
# A template written less than this long before the gallery last read the registry may have been in a transaction
# that had not committed yet (or stamped by a host whose clock is a little behind): the tail read looks back this far.
TAIL_SLACK = timedelta(minutes=2)


POLL_S = 5.0  # without Redis, a server on a shared database reads the change log this often (sync/server/events.py)
# a SQLite registry (a kiosk) up to this many templates also compares every template id at each refresh
ID_DIFF_MAX = 200_000
LOAD_CHUNK = 20_000  # templates read from the database at a time when the gallery is built


class GalleryIndex(ServiceBase):
    """The gallery is a cache of the templates table. A process builds it once (from a snapshot in the data folder
    plus the changes since, or from the database in chunks), then only applies changes: the templates and dogs
    stamped (updated_at, indexed) since its mark, read outside any lock a look-up takes, applied in a few
    milliseconds. Redis wakes it after another process's change; without Redis it polls (POLL_S).

    What changed is found two ways: rows stamped (updated_at) since the mark, less TAIL_SLACK (the REST API's own
    changes, which reach the change log only when a kiosk next pulls), and the dogs the change log (sync_log, seq)
    lists since the last seq applied (kiosks' pushes keep their origin's stamps). A kiosk's SQLite registry, whose
    pulled rows keep the server's stamps and which has no change log of its own, also compares template ids (ids
    only, up to ID_DIFF_MAX templates)."""

    # Every live template stamped (updated_at) before this is in the gallery: the tail after it is what another
    # process may have committed since (the registration check reads it, _gallery_tail). None: not loaded yet.
    _gallery_mark: datetime | None = None
    # The change log (sync_log) as far as the gallery has applied it: kiosks' pushes, erasures and merges keep their
    # origin's stamps, so they are found by seq, not by updated_at.
    _gallery_seq: int = 0
    _gallery_counters: dict[str, int] | None = None
    _gallery_refreshing: threading.Lock | None = None

    @property
    def gallery(self) -> Gallery:
        g = self._gallery
        if g is not None:  # look-ups never wait on a load or a refresh
            return g
        with self._gallery_lock:
            if self._gallery is None:
                self._gallery = self._load_gallery()
            return self._gallery

    def gallery_counters(self) -> dict[str, int]:
        """How this process's gallery was kept: full_loads (built from the database), snapshot_loads (from the
        saved snapshot plus the changes since), incremental_updates (changes applied from the change log),
        templates_added / templates_removed by those updates."""
        if self._gallery_counters is None:
            self._gallery_counters = {"full_loads": 0, "snapshot_loads": 0, "incremental_updates": 0,
                                      "templates_added": 0, "templates_removed": 0}
        return self._gallery_counters

    def _count(self, name: str, n: int = 1) -> None:
        c = self.gallery_counters()
        c[name] = c.get(name, 0) + n

    def _templates_stamp(self, s: Session) -> str:
        """What a snapshot must have been built for: this registry (its device id) and this engine."""
        e = self.engine
        return f"{self.db.device_id()}:{e.name}:{e.version}:{e.dim}"

    def _load_gallery(self) -> Gallery:
        self.ensure_templates()
        mark = utcnow() - TAIL_SLACK  # what is read from here on includes everything older
        with self.db.sessions() as s:
            stamp = self._templates_stamp(s)
            seq = self._head_seq(s)
        index_dir = self.settings.index_dir
        t0 = time.perf_counter()
        found = None if self.db.url.endswith(":memory:") else \
            Gallery.load(index_dir, stamp, self.engine.dim, with_extra=True)
        if found is not None and (saved_mark := _parse_mark(found[1].get("mark"))) is not None:
            g = found[0]
            added, removed, _ = self._apply_changes(g, saved_mark, int(found[1].get("seq") or 0), seq)
            self._gallery_mark, self._gallery_seq = mark, seq
            self._count("snapshot_loads")
            log.info("gallery: %d templates of %d dogs from the snapshot, %d added and %d removed since it was "
                     "saved (%s), in %.1f s", len(g), g.dogs, added, removed, saved_mark.isoformat(),
                     time.perf_counter() - t0)
            return g
        g = self._build_gallery(index_dir)
        self._gallery_mark, self._gallery_seq = mark, seq
        self._count("full_loads")
        log.info("gallery: full load from the database: %d templates of %d dogs%s in %.1f s", len(g), g.dogs,
                 " (approximate index, exact re-rank)" if g.approximate else "", time.perf_counter() - t0)
        if not self.db.url.endswith(":memory:"):
            try:
                g.save(index_dir, stamp, {"mark": mark.isoformat(), "seq": seq})
            except OSError as exc:  # a read-only data folder still works, only slower to start
                log.warning("could not save the gallery index: %s", exc)
        return g

    def _live_templates(self):
        e = self.engine
        return (select(NoseTemplate.id, NoseTemplate.dog_id, NoseTemplate.vector)
                .join(Dog, Dog.id == NoseTemplate.dog_id)
                .where(_this_model(e), NoseTemplate.deleted_at.is_(None), Dog.deleted_at.is_(None)))

    def _vectors(self, rows) -> np.ndarray:
        return np.frombuffer(b"".join(r.vector for r in rows), np.float32).reshape(len(rows), self.engine.dim)

    def _template_chunks(self):
        """The live templates, LOAD_CHUNK at a time in id order (keyset pages: never every row at once)."""
        last = ""
        dim4 = 4 * self.engine.dim
        while True:
            with self.db.sessions() as s:
                rows = s.execute(self._live_templates().where(NoseTemplate.id > last)
                                 .order_by(NoseTemplate.id).limit(LOAD_CHUNK)).all()
            if not rows:
                return
            last = rows[-1].id
            rows = [r for r in rows if len(r.vector) == dim4]
            if rows:
                yield [r.id for r in rows], [r.dog_id for r in rows], self._vectors(rows)

    def _build_gallery(self, folder) -> Gallery:
        e = self.engine
        with self.db.sessions() as s:
            total = s.scalar(select(func.count(NoseTemplate.id)).where(
                NoseTemplate.model_name == e.name, NoseTemplate.model_version == e.version,
                NoseTemplate.deleted_at.is_(None))) or 0
        on_disk = None if self.db.url.endswith(":memory:") else folder
        try:
            return Gallery.build(e.dim, self._template_chunks(), total, on_disk)
        except OSError:
            return Gallery.build(e.dim, self._template_chunks(), total, None)

    @staticmethod
    def _head_seq(s: Session) -> int:
        return s.scalar(select(func.max(SyncLog.seq))) or 0

    def _apply_changes(self, g: Gallery, since: datetime, after_seq: int, head: int | None = None,
                       dogs: Iterable[str] = ()) -> tuple[int, int, int]:
        """Bring `g` in step with what changed: templates stamped since `since` (added or deleted), dogs stamped
        since then or listed in the change log after `after_seq` (deleted, restored, erased: an erasure deletes the
        templates' rows and stamps the dog; pushed from a kiosk with the kiosk's stamps). Reads the database without
        holding any lock a look-up needs; each add or remove holds the gallery's own lock for milliseconds.
        Returns (templates added, templates removed, the change log's seq applied up to)."""
        e = self.engine
        with self.db.sessions() as s:
            head = self._head_seq(s) if head is None else head
            changed = s.execute(select(NoseTemplate.id, NoseTemplate.dog_id, NoseTemplate.deleted_at,
                                       Dog.deleted_at.label("dog_deleted"))
                                .join(Dog, Dog.id == NoseTemplate.dog_id)
                                .where(NoseTemplate.updated_at >= since, _this_model(e))).all()
            dog_ids = set(s.scalars(select(Dog.id).where(Dog.updated_at >= since))) | set(dogs)
            if head > after_seq:
                dog_ids.update(s.scalars(select(SyncLog.entity_id).where(SyncLog.seq > after_seq, SyncLog.seq <= head,
                                                                          SyncLog.entity == "dog")))
            listed = sorted(dog_ids)
            dogs = []
            for k in range(0, len(listed), 500):
                dogs += s.execute(select(Dog.id, Dog.deleted_at).where(Dog.id.in_(listed[k:k + 500]))).all()
            live_of: dict[str, set[str]] = {}
            alive = [d.id for d in dogs if d.deleted_at is None]
            for k in range(0, len(alive), 500):
                for r in s.execute(self._live_templates().with_only_columns(NoseTemplate.id, NoseTemplate.dog_id)
                                   .where(NoseTemplate.dog_id.in_(alive[k:k + 500]))):
                    live_of.setdefault(r.dog_id, set()).add(r.id)
            every = set(s.scalars(self._live_templates().with_only_columns(NoseTemplate.id))) \
                if self.db.engine.dialect.name == "sqlite" and len(g) <= ID_DIFF_MAX else None
        gone = {r.id for r in changed if r.deleted_at is not None or r.dog_deleted is not None}
        want = {r.id for r in changed if r.id not in gone}
        dead_dogs = [d.id for d in dogs if d.deleted_at is not None]
        have_of = g.keys_by_dog(alive) if alive else {}
        for d in alive:
            have = set(have_of.get(d, ()))
            live = live_of.get(d, set())
            gone |= have - live
            want |= live
        if every is not None:  # SQLite (a kiosk): pulled rows keep the server's stamps; ids only
            gone |= {k for k in g.keys() if k not in every}
            want |= every
        missing = [k for k in want if k not in g]
        removed = len(g)
        g.remove([k for k in gone if k in g])
        g.remove_dogs(dead_dogs)
        removed -= len(g)
        added = 0
        if missing:
            with self.db.sessions() as s:
                for k in range(0, len(missing), 500):
                    rows = s.execute(self._live_templates().where(NoseTemplate.id.in_(missing[k:k + 500]))).all()
                    if rows:
                        before = len(g)
                        g.add([r.id for r in rows], [r.dog_id for r in rows], self._vectors(rows))
                        added += len(g) - before
        return added, removed, head

    def refresh_gallery(self, dogs: Iterable[str] = ()) -> None:
        """Bring the gallery in step with the registry after changes made elsewhere (sync, other servers): only the
        templates and dogs changed since the gallery's mark are read (never a full reload), and the `dogs` given
        (a kiosk's pull knows the dogs it wrote, with the server's stamps)."""
        if self._gallery is None:
            return
        with self._gallery_lock:
            if self._gallery_refreshing is None:
                self._gallery_refreshing = threading.Lock()
        with self._gallery_refreshing:  # one refresh at a time; look-ups go on meanwhile
            g = self._gallery
            mark = utcnow() - TAIL_SLACK
            since = self._gallery_mark or mark
            added, removed, seq = self._apply_changes(g, since, self._gallery_seq, dogs=dogs)
            with self._gallery_lock:
                self._gallery_mark = max(self._gallery_mark or mark, mark)
                self._gallery_seq = max(self._gallery_seq, seq)
            self._count("incremental_updates")
            self._count("templates_added", added)
            self._count("templates_removed", removed)
            if added or removed:
                c = self.gallery_counters()
                log.info("gallery: incremental update from the change log: %d templates added, %d removed "
                         "(incremental updates %d, full loads %d)", added, removed, c["incremental_updates"],
                         c["full_loads"])

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
            # one per photo and model version: a template another replica starting too made first is already there
            add_templates(self.db, [dict(photo_id=r.id, dog_id=r.dog_id, model_name=e.name, model_version=e.version,
                                         dim=e.dim, vector=v.astype(np.float32).tobytes(), quality=r.quality,
                                         origin_device=self.device_id) for r, v in zip(usable, vecs, strict=True)])
            made += len(usable)
            if progress:
                progress(made, len(todo))
        return made

    def _gallery_add(self, dog_id: str) -> None:
        g = self._gallery
        if g is None:
            return
        with self.db.sessions() as s:
            rows = s.execute(self._live_templates().where(NoseTemplate.dog_id == dog_id)).all()
        if rows:
            g.add([r.id for r in rows], [r.dog_id for r in rows], self._vectors(rows))

    def _gallery_tail(self, s: Session) -> list[str]:
        """The registration check, under the registration lock (so every other registration has committed): the live
        templates stamped since the gallery's mark that it lacks (committed by other processes or replicas since it
        was last brought in step), added to it now. Returns their dogs, best compared exactly (the approximate index
        may not rank a fresh template). The mark moves up to TAIL_SLACK ago, so the next tail stays short."""
        g = self.gallery
        now = utcnow()
        query = self._live_templates()
        if self._gallery_mark is not None:
            query = query.where(NoseTemplate.updated_at >= self._gallery_mark)
        rows = [r for r in s.execute(query).all() if r.id not in g]
        if rows:
            g.add([r.id for r in rows], [r.dog_id for r in rows],
                  np.stack([np.frombuffer(r.vector, np.float32) for r in rows]))
            log.info("registration check: %d templates of %d dogs committed elsewhere since the gallery's last "
                     "update", len(rows), len({r.dog_id for r in rows}))
        with self._gallery_lock:
            self._gallery_mark = max(self._gallery_mark or now, now - TAIL_SLACK)
        return list(dict.fromkeys(r.dog_id for r in rows))

    def _gallery_remove(self, dog_id: str) -> None:
        with self._gallery_lock:
            if self._gallery is not None:
                self._gallery.remove_dog(dog_id)

    # ----------------------------------------------------------------- identification
    def _templates_of(self, dogs: Sequence[str]) -> dict[str, tuple[list[str], np.ndarray]]:
        """{dog: (photo sha256s, template vectors)} of the current engine's live templates, for the dogs given."""
        e = self.engine
        with self.db.sessions() as s:
            rows = s.execute(select(NoseTemplate.dog_id, NoseTemplate.vector, NosePhoto.sha256)
                             .join(NosePhoto, NosePhoto.id == NoseTemplate.photo_id)
                             .where(NoseTemplate.dog_id.in_(list(dogs)), _this_model(e),
                                    NoseTemplate.deleted_at.is_(None),
                                    NosePhoto.deleted_at.is_(None))).all()
        grouped: dict[str, tuple[list[str], list[np.ndarray]]] = {}
        for r in rows:
            shas, vecs = grouped.setdefault(r.dog_id, ([], []))
            shas.append(r.sha256)
            vecs.append(np.frombuffer(r.vector, np.float32))
        return {d: (shas, np.stack(vecs)) for d, (shas, vecs) in grouped.items()}

    def _identify(self, vectors: np.ndarray, images: Sequence[np.ndarray], also: Sequence[str] = ()) -> Verdict:
        """The verdict for photos of one dog: the gallery's nearest dogs for each photo (and the dogs `also`, always
        scored: the registration check's tail), scored as core.recognition.decision.rank_dogs does and decided by
        the engine's registry-size rule."""
        g = self.gallery
        n_dogs = g.dogs
        dogs = list(dict.fromkeys([*(d for v in vectors for d, _, _ in g.search_templates(v, k=SEARCH_DOGS)),
                                   *also]))
        templates = {d: ([self._stored_photo(sha) if self.store.exists(sha) else None for sha in shas], vecs)
                         for d, (shas, vecs) in self._templates_of(dogs).items()} if dogs else {}
        rule = self.engine.scale_rule
        return decide(rank_dogs(self.engine, vectors, list(images), templates, rule, n_dogs), n_dogs, rule)

    def _stored_image(self, sha256: str) -> np.ndarray:
        return self.store.load(sha256).image

    def _stored_photo(self, sha256: str) -> StoredPhoto:
        """A stored photo as re-ranking sees it: decoded only if its kept features are missing."""
        return StoredPhoto(sha256, partial(self._stored_image, sha256), self.features)

    def _keep_features(self, shas: Iterable[str]) -> None:
        """What re-ranking needs of newly stored photos, extracted now and kept beside the photos, so that look-ups
        read it (extracting it cost most of a look-up's CPU time). Never fails a registration: a store that cannot
        be written, or a photo gone meanwhile, leaves it to the look-ups."""
        photos = [self._stored_photo(sha) for sha in dict.fromkeys(shas)]
        try:
            self.engine.keep_features(photos)
        except Exception:  # noqa: BLE001 - an optimisation: the registration is committed whatever happens here
            log.warning("could not keep the features of %d photos", len(photos), exc_info=True)

    def _candidates(self, s: Session, shown: Sequence[tuple[str, float, Decision]]) -> list[CandidateOut]:
        dogs = {d.id: d for d in s.scalars(select(Dog).options(selectinload(Dog.owner), selectinload(Dog.photos))
                                           .where(Dog.id.in_([d for d, _, _ in shown])))}
        return [CandidateOut(dog=self._dog_out(s, dogs[dog_id]), score=round(score, 4),
                             probability=round(self.engine.probability(score), 4), decision=decision)
                for dog_id, score, decision in shown if dog_id in dogs]

    def _engine_label(self) -> str:
        return f"{self.engine.name} {self.engine.version}"

    def counts(self) -> dict[str, int]:
        with self.db.sessions() as s:
            return {"dogs": s.scalar(select(func.count(Dog.id)).where(Dog.deleted_at.is_(None))),
                    "owners": s.scalar(select(func.count(Owner.id)).where(Owner.deleted_at.is_(None))),
                    "templates": len(self.gallery)}


def _this_model(e):
    """The engine's templates, as a condition no index serves: the (model_name, model_version) index matches nearly
    every row, and a planner that picks it (SQLite without statistics) reads the whole table where the dog's, the
    id's or the stamp's index reads a few rows."""
    return NoseTemplate.model_name + "\x1f" + NoseTemplate.model_version == f"{e.name}\x1f{e.version}"


def _parse_mark(value) -> datetime | None:
    try:
        mark = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None
    return mark.replace(tzinfo=UTC) if mark.tzinfo is None else mark


def _batched(items: Sequence, n: int):
    for i in range(0, len(items), n):
        yield items[i:i + n]
