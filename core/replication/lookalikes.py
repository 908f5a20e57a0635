"""Server: is a pushed dog's nose already registered? Two kiosks may register the same dog offline: both
registrations are kept and a review flag pairs them, for a person to decide (core/reviews.py); the flag
replicates like any change."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from sqlalchemy.orm import Session

from core.recognition.gallery import one_omp_thread
from core.registry.models import ReviewFlag
from core.replication.bundle import TemplateState
from core.replication.rules import pair_flag

DuplicateFinder = Callable[[str, list[TemplateState]], list[tuple[str, float]]]
DuplicateScreen = Callable[[list[tuple[str, list[TemplateState]]]], set[str]]


def sure_match_score(sp) -> float:
    """The template similarity at which two dogs are the same for the registry's size (the engine's registry-size
    rule): below it, a look-alike is left to look-ups and reviews, as a fixed threshold would flag ever more
    pairs as the registry grows."""
    return sp.engine.scale_rule.match_threshold(sp.gallery.dogs)


def _vectors(engine, templates: list[TemplateState]) -> list[np.ndarray]:
    return [np.frombuffer(t.data, np.float32) for t in templates if t.live_for(engine)]


def gallery_duplicate_finder(sp) -> DuplicateFinder:
    """The careful path's question for one dog, over the service's gallery plus the dogs applied before it in the
    same push (not yet in the gallery). Only templates of the server's engine are compared."""
    seen: list[tuple[str, np.ndarray]] = []
    limit = sure_match_score(sp)

    def find(dog_id: str, templates: list[TemplateState]) -> list[tuple[str, float]]:
        vecs = _vectors(sp.engine, templates)
        if not vecs:
            return []
        best: dict[str, float] = {}
        for v in vecs:
            with one_omp_thread():
                found = sp.gallery.search(v, k=3)
            for other, score in found:
                if other != dog_id and score >= limit:
                    best[other] = max(best.get(other, -1.0), score)
            for other, ov in seen:
                score = float(np.max(ov @ v))
                if other != dog_id and score >= limit:
                    best[other] = max(best.get(other, -1.0), score)
        seen.append((dog_id, np.stack(vecs)))
        return sorted(best.items(), key=lambda kv: -kv[1])

    return find


def gallery_duplicate_screen(sp) -> DuplicateScreen:
    """The bulk path's question for many new dogs at once: which look like a registered dog or like each other
    (those take the careful path, which flags them)."""
    limit = sure_match_score(sp)

    def screen(dogs: list[tuple[str, list[TemplateState]]]) -> set[str]:
        owners, vecs = [], []
        for dog_id, templates in dogs:
            for v in _vectors(sp.engine, templates):
                owners.append(dog_id)
                vecs.append(v)
        if not vecs:
            return set()
        m = np.stack(vecs)
        hit: set[str] = set()
        with one_omp_thread():
            for dog_id, v in zip(owners, m, strict=True):
                for other, score in sp.gallery.search(v, k=3):
                    if other != dog_id and score >= limit:
                        hit.add(dog_id)
        sims = m @ m.T
        ids = np.asarray(owners)
        for i, j in zip(*np.nonzero(sims >= limit), strict=True):
            if ids[i] != ids[j]:
                hit.update((str(ids[i]), str(ids[j])))
        return hit

    return screen


def flag_pair(s: Session, dog_id: str, other_id: str, score: float, device_id: str | None) -> str | None:
    """A review flag for two dogs found alike, unless the pair has one already. Returns the new flag's id."""
    if dog_id == other_id:
        return None
    if pair_flag(s, dog_id, other_id) is not None:
        return None
    flag = ReviewFlag(dog_id=dog_id, other_dog_id=other_id, score=float(score), reason="possible_duplicate_sync",
                      origin_device=device_id)
    s.add(flag)
    s.flush()
    return flag.id
