"""The gallery: the search index of the current engine's templates, derived from the registry (kept in step
after each change and after sync), and identification of nose photos against it."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from functools import partial

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from core.recognition.base import SEARCH_DOGS, Decision, StoredPhoto
from core.recognition.decision import Verdict, decide, rank_dogs
from core.recognition.gallery import Gallery
from core.registry.models import Dog, NosePhoto, NoseTemplate, Owner, utcnow
from core.schemas import CandidateOut
from core.service.base import ServiceBase

log = logging.getLogger(__name__)
# A template written less than this long before the gallery last read the registry may have been in a transaction
# that had not committed yet (or stamped by a host whose clock is a little behind): the tail read looks back this far.
TAIL_SLACK = timedelta(minutes=2)


class GalleryIndex(ServiceBase):
    # Every live template stamped (updated_at) before this is in the gallery: the tail after it is what another
    # process may have committed since (the registration check reads it, _gallery_tail). None: not loaded yet.
    _gallery_mark: datetime | None = None

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
        self._gallery_mark = utcnow() - TAIL_SLACK  # what is read from here on includes everything older
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
            mark = utcnow() - TAIL_SLACK
            with self.db.sessions() as s:
                live = set(s.scalars(self._live_templates().with_only_columns(NoseTemplate.id)))
            gone = [k for k in list(g._id_of) if k not in live]
            g.remove(gone)
            self._fill_gallery(g, only_missing=True)
            self._gallery_mark = max(self._gallery_mark or mark, mark)

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

    def _gallery_add(self, dog_id: str) -> None:
        with self._gallery_lock:
            if self._gallery is None:
                return
            with self.db.sessions() as s:
                rows = s.execute(self._live_templates().where(NoseTemplate.dog_id == dog_id)).all()
            if rows:
                self._gallery.add([r.id for r in rows], [r.dog_id for r in rows],
                                  np.stack([np.frombuffer(r.vector, np.float32) for r in rows]))

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
                             .where(NoseTemplate.dog_id.in_(list(dogs)), NoseTemplate.model_name == e.name,
                                    NoseTemplate.model_version == e.version, NoseTemplate.deleted_at.is_(None),
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

    def _engine_label(self) -> str:
        return f"{self.engine.name} {self.engine.version}"

    def counts(self) -> dict[str, int]:
        with self.db.sessions() as s:
            return {"dogs": s.scalar(select(func.count(Dog.id)).where(Dog.deleted_at.is_(None))),
                    "owners": s.scalar(select(func.count(Owner.id)).where(Owner.deleted_at.is_(None))),
                    "templates": len(self.gallery)}


def _batched(items: Sequence, n: int):
    for i in range(0, len(items), n):
        yield items[i:i + n]
