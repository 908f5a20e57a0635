"""Writing nose templates: at most one per photo and model version (the unique index of migration 0011), so an
insert that loses a race (replicas re-embedding together at start after a model change, a sync push applied twice) is
"already there", not an error; and `savepets templates rebuild`, which re-embeds every photo with the installed model
in chunks, resumable (a photo that has a template of this model version is done)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import numpy as np
from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError

from core.registry.db import Database
from core.registry.models import NosePhoto, NoseTemplate

log = logging.getLogger(__name__)
EMBED_BATCH = 32  # photos per call of the engine


def add_templates(db: Database, rows: Sequence[dict]) -> int:
    """Insert templates (NoseTemplate keyword arguments), one transaction for all; when one of them is already
    there (another process made the template of that photo and model version first), each is tried alone and those
    already there are skipped. Returns how many were added."""
    if not rows:
        return 0
    try:
        with db.session() as s:
            s.add_all([NoseTemplate(**r) for r in rows])
        return len(rows)
    except IntegrityError:
        pass
    added = 0
    for r in rows:
        try:
            with db.session() as s:
                if s.scalar(select(NoseTemplate.id).where(
                        NoseTemplate.photo_id == r["photo_id"], NoseTemplate.model_name == r["model_name"],
                        NoseTemplate.model_version == r["model_version"]).limit(1)) is not None:
                    continue
                s.add(NoseTemplate(**r))
            added += 1
        except IntegrityError:  # made by another process between the check and the insert, or its photo is gone
            log.info("template of photo %s (%s %s) already there", r["photo_id"], r["model_name"], r["model_version"])
    return added


def _missing(engine):
    """Live photos without a template of `engine`'s model version (the same rule as the start's ensure_templates)."""
    has = exists().where(NoseTemplate.photo_id == NosePhoto.id, NoseTemplate.model_name == engine.name,
                         NoseTemplate.model_version == engine.version)
    return NosePhoto.deleted_at.is_(None), ~has


@dataclass
class RebuildCounts:
    model: str
    version: str
    photos: int = 0  # live photos
    had: int = 0  # already with a template of this model version when the run began (a resumed run's earlier work)
    made: int = 0  # templates made by this run
    already: int = 0  # made by another process meanwhile
    missing_files: int = 0  # photos whose image is not in the photo store: nothing to embed

    @property
    def todo(self) -> int:
        return self.photos - self.had

    def as_dict(self) -> dict:
        return asdict(self)


def rebuild_templates(db: Database, store, engine, device_id: str | None = None, chunk: int = 256,
                      progress: Callable[[RebuildCounts], None] | None = None) -> RebuildCounts:
    """Embed every live photo that lacks a template of `engine`'s model version, `chunk` photos a transaction, in
    photo id order (read a chunk at a time, never the whole registry). Each chunk is committed: a run stopped by a
    crash or Ctrl-C resumes where it stopped. Templates of other model versions are left as they are."""
    live, lacking = _missing(engine)
    with db.sessions() as s:
        counts = RebuildCounts(engine.name, engine.version,
                               photos=s.scalar(select(func.count(NosePhoto.id)).where(live)) or 0)
        counts.had = counts.photos - (s.scalar(select(func.count(NosePhoto.id)).where(live, lacking)) or 0)
    if progress:
        progress(counts)
    last = ""
    while True:
        with db.sessions() as s:
            todo = s.execute(select(NosePhoto.id, NosePhoto.dog_id, NosePhoto.sha256, NosePhoto.quality)
                             .where(live, lacking, NosePhoto.id > last).order_by(NosePhoto.id).limit(chunk)).all()
        if not todo:
            return counts
        last = todo[-1].id
        usable = [r for r in todo if store.exists(r.sha256)]
        counts.missing_files += len(todo) - len(usable)
        rows = []
        for i in range(0, len(usable), EMBED_BATCH):
            batch = usable[i:i + EMBED_BATCH]
            vectors = engine.embed([store.load(r.sha256).image for r in batch])
            rows += [dict(photo_id=r.id, dog_id=r.dog_id, model_name=engine.name, model_version=engine.version,
                          dim=engine.dim, vector=np.asarray(v, np.float32).tobytes(), quality=r.quality,
                          origin_device=device_id) for r, v in zip(batch, vectors, strict=True)]
        added = add_templates(db, rows)
        counts.made += added
        counts.already += len(rows) - added
        if progress:
            progress(counts)
