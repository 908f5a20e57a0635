"""The decision of a look-up against the whole registry: 'match' only when one dog is sure, else the few candidates
a person should compare, else 'not registered'.

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

from core.recognition.base import Decision


@dataclass(frozen=True)
class ScaleRule:
    tail_start: float  # per-dog impostor score above which the tail model holds
    tail_share: float  # share of per-dog impostor scores above tail_start
    shape: float  # generalised Pareto shape (xi) of the excess over tail_start
    scale: float  # generalised Pareto scale (sigma)
    stranger_rate: float  # P(a stranger's best dog clears the match threshold), whatever the registry size
    review_rate: float  # P(a stranger is shown for review)
    margin: float  # best minus second-best dog, needed for a sure match
    floor: float  # the match threshold never falls below this (small registries)
    review_floor: float
    show: int = 5  # at most this many candidates shown to a person

    @classmethod
    def from_config(cls, cfg: dict) -> ScaleRule:
        return cls(**{k: cfg[k] for k in cls.__dataclass_fields__ if k in cfg})

    @classmethod
    def fixed(cls, threshold: float, review: float, margin: float = 0.0) -> ScaleRule:
        """A rule whose thresholds do not follow the registry size (an engine with no fitted scale rule)."""
        return cls(tail_start=-2.0, tail_share=1.0, shape=0.0, scale=1e-9, stranger_rate=1.0, review_rate=1.0,
                   margin=margin, floor=threshold, review_floor=review)

    def to_config(self) -> dict:
        return {k: (round(v, 6) if isinstance(v, float) else v) for k, v in self.__dict__.items()}

    def per_dog_quantile(self, exceed: float) -> float:
        """The per-dog impostor score exceeded with probability `exceed` (from the fitted tail)."""
        p = min(1.0, exceed / self.tail_share)  # conditional exceedance within the tail
        if abs(self.shape) < 1e-6:
            return self.tail_start - self.scale * np.log(p)
        return self.tail_start + self.scale / self.shape * (p ** -self.shape - 1.0)

    def match_threshold(self, n_dogs: int) -> float:
        return max(self.floor, self.per_dog_quantile(self.stranger_rate / max(1, n_dogs)))

    def review_threshold(self, n_dogs: int) -> float:
        return min(self.match_threshold(n_dogs),
                   max(self.review_floor, self.per_dog_quantile(self.review_rate / max(1, n_dogs))))


@dataclass(frozen=True)
class Verdict:
    decision: Decision
    reason: str  # a code of core.schemas.LOOKUP_REASONS
    shown: list[tuple[str, float, Decision]]  # (dog id, score, that dog's own verdict), best first
    gallery_dogs: int
    threshold: float
    review_threshold: float


def decide(ranked: list[tuple[str, float]], n_dogs: int, rule: ScaleRule) -> Verdict:
    """The verdict for dogs ranked by fused score (best first) in a registry of n_dogs dogs."""
    thr, review = rule.match_threshold(n_dogs), rule.review_threshold(n_dogs)
    if not ranked:
        return Verdict(Decision.NO_MATCH, "empty_registry" if n_dogs == 0 else "no_similar_dog", [], n_dogs, thr,
                       review)
    best = ranked[0][1]
    second = ranked[1][1] if len(ranked) > 1 else -1.0
    shown = [(d, s) for d, s in ranked[: rule.show] if s >= review]
    if best >= thr and best - second >= rule.margin:
        return Verdict(Decision.MATCH, "sure_match", [(ranked[0][0], best, Decision.MATCH)], n_dogs, thr, review)
    if not shown:
        return Verdict(Decision.NO_MATCH, "no_similar_dog", [], n_dogs, thr, review)
    reason = "close_second" if best >= thr else "weak_match"
    return Verdict(Decision.UNCERTAIN, reason, [(d, s, Decision.UNCERTAIN) for d, s in shown], n_dogs, thr, review)
