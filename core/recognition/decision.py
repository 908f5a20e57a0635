"""The decision of a look-up against the whole registry: 'match' only when one dog is sure, else the few candidates
a person should compare, else 'not registered'.

Scoring: a dog's score for a probe photo is the similarity of the photo's template to the dog's centroid (the
normalised mean of its templates: on the tune dogs it ranks the right dog first more often than the best single
template, 74.9 vs 73.0 % of 692 leave-one-out probes among 2,400 dogs); the RERANK_TOP best dogs are re-scored
with the engine's geometric verification (RootSIFT inliers); several probe photos of one dog are averaged.

A fixed per-pair threshold is not enough at registry scale: a look-up compares the probe with every registered
dog, so the chance that *some* stranger clears a fixed threshold grows with the number of dogs. The rule here
keeps that chance fixed:

  * the match threshold grows with the registry: the best score of a stranger against n dogs is modelled as the
    maximum of n per-dog impostor scores, whose upper tail is fitted (peaks over a threshold, generalised Pareto)
    on dogs the weights never saw; the threshold for n dogs is the score that a stranger's best exceeds with
    probability `stranger_rate`, i.e. the per-dog quantile 1 - stranger_rate / n;
  * the best dog must stand apart from the second-best by `margin`: two dogs close together are for a person;
  * the review band (shown as 'uncertain', candidates for a person) follows the registry the same way, at the
    looser rate `review_rate`.
Fitted by core.recognition.scale.fit_scale_rule on the tune dogs; stored in the engine's JSON under "scale".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.recognition.base import RERANK_TOP, VERIFY_PHOTOS, Decision, Engine, StoredPhoto, l2_normalize
from core.recognition.scale_rule import ScaleRule


@dataclass(frozen=True)
class Verdict:
    decision: Decision
    reason: str  # a code of core.schemas.LOOKUP_REASONS
    shown: list[tuple[str, float, Decision]]  # (dog id, score, that dog's own verdict), best first
    gallery_dogs: int
    threshold: float
    review_threshold: float


def decide(ranked: list[tuple[str, float]], n_dogs: int, rule: ScaleRule) -> Verdict:
    """The verdict for dogs ranked by fused score (best first) in a registry of n_dogs dogs. Unless the match is
    sure, the `show` best dogs are offered to a person for comparison: as 'uncertain' when the best reaches the
    review threshold, else as the closest dogs of a 'not registered' answer."""
    thr, review = rule.match_threshold(n_dogs), rule.review_threshold(n_dogs)
    if not ranked:
        return Verdict(Decision.NO_MATCH, "empty_registry" if n_dogs == 0 else "no_similar_dog", [], n_dogs, thr,
                       review)
    best = ranked[0][1]
    second = ranked[1][1] if len(ranked) > 1 else -1.0
    if best >= thr and best - second >= rule.margin:
        return Verdict(Decision.MATCH, "sure_match", [(ranked[0][0], best, Decision.MATCH)], n_dogs, thr, review)
    top = ranked[: rule.show]
    if best < review:
        return Verdict(Decision.NO_MATCH, "no_similar_dog", [(d, s, Decision.NO_MATCH) for d, s in top], n_dogs,
                       thr, review)
    reason = "close_second" if best >= thr else "weak_match"
    shown = [(d, s, Decision.UNCERTAIN if s >= review else Decision.NO_MATCH) for d, s in top]
    return Verdict(Decision.UNCERTAIN, reason, shown, n_dogs, thr, review)


# dog -> (its photos, its templates (n, dim)), row for row; a photo is None when its file is not on this machine
# (pulled by sync, not downloaded yet): its template still counts, geometric verification skips it.
Templates = dict[str, tuple[list[StoredPhoto | None], np.ndarray]]


def rank_dogs(engine: Engine, vectors: np.ndarray, images: list[np.ndarray], templates: Templates,
              rule: ScaleRule, n_dogs: int) -> list[tuple[str, float]]:
    """Candidate dogs (those of `templates`: the gallery's nearest) ranked by fused score, best first."""
    dogs = list(templates)
    if not dogs:
        return []
    centroids = l2_normalize(np.stack([templates[d][1].mean(axis=0) for d in dogs]))
    per_photo = []
    for vector, image in zip(vectors, images, strict=True):
        scores = dict(zip(dogs, (centroids @ vector).tolist(), strict=True))
        if engine.reranks:
            top = sorted(scores, key=lambda d: -scores[d])[:RERANK_TOP]
            photos = {}
            for d in top:
                stored, vecs = templates[d]
                photos[d] = [stored[j] for j in np.argsort(-(vecs @ vector)) if stored[j] is not None][:VERIFY_PHOTOS]
            scores.update(engine.rerank(image, photos, {d: scores[d] for d in top}, margin=rule.margin,
                                        floor=rule.review_threshold(n_dogs)))
        per_photo.append(scores)
    dogs = set().union(*per_photo)
    fused = {d: float(np.mean([p.get(d, -1.0) for p in per_photo])) for d in dogs}
    return sorted(fused.items(), key=lambda kv: -kv[1])
