"""The registry-size decision rule's numbers: thresholds that follow the number of registered dogs, from a fitted
upper tail of stranger scores (see core.recognition.decision for how a look-up uses it, core.recognition.scale for
how it is fitted). A primitive: it imports nothing of the recognition package."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

FIXED_MARGIN = 0.01  # without a fitted rule, two dogs this close (e.g. one nose registered twice) go to a person


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
    show: int = 8  # at most this many candidates shown to a person (the right dog is in the top 8 for 80 % of
    # the tune dogs' look-ups among 2,400 dogs, the top 5 for 79 %)

    @classmethod
    def from_config(cls, cfg: dict) -> ScaleRule:
        return cls(**{k: cfg[k] for k in cls.__dataclass_fields__ if k in cfg})

    @classmethod
    def fixed(cls, threshold: float, review: float, margin: float = FIXED_MARGIN) -> ScaleRule:
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
