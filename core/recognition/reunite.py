"""Reunite: the recognition side of matching found dogs with lost ones (issue 24). Pure: numpy and the decision
module; the product's service (core.service.reunite) keeps the reports, the cases and the people.

  * A found dog (a shelter's stray, a finder's report) is searched FIRST among the dogs reported lost, decided by
    the registry-size rule at THEIR number (core.recognition.decision.decide with n = len(lost)): 100 lost dogs
    are searched at the threshold of a 100-dog registry, far below that of the whole registry, so a lost dog is
    matched when a look-up among thousands of dogs would only call it uncertain; the chance that a stray is
    matched to some lost dog stays the rule's stranger rate. Then the whole registry's verdict (the look-up's)
    is kept beside it: `search_lost_first` -> ReuniteVerdict.
  * A new lost report is searched among the open found cases (`rank_found_cases`): the similarity of the lost
    dog's centroid with each case's centroid, decided at n = the number of cases.

ReuniteVerdict.matched: the lost search's sure match, else the registry's; when both are sure of DIFFERENT dogs,
none (a person decides).

ReuniteVerdict.possible, the possible reunions a person confirms (CANDIDATE POLICY), best first, no dog twice:
  * from the lost search: its sure match, or the lost dogs it shows as 'uncertain' (score >= the review threshold
    for len(lost) dogs), and the LOST_EXTRA best lost dogs even below it when their score reaches
    rule.review_threshold(n) - LOST_EXTRA_GAP;
  * from the registry: its sure match, and the dogs it shows as 'uncertain'.
Chosen on the tune dogs (ids ending in 5) and measured on the test dogs: see MEASURED below.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.recognition.base import Decision, Engine, l2_normalize
from core.recognition.decision import Templates, Verdict, decide, rank_dogs

LOST = "lost"
REGISTRY = "registry"
LOST_CANDIDATES = 8  # the lost search's closest dogs offered as possible reunions, whatever their score

_ORDER = {Decision.MATCH: 0, Decision.UNCERTAIN: 1, Decision.NO_MATCH: 2}


@dataclass(frozen=True)
class ReuniteVerdict:
    lost: Verdict  # among the dogs reported lost, at the registry-size rule for their number
    registry: Verdict  # among all registered dogs, as a look-up decides

    @property
    def matched(self) -> str | None:
        """The dog this found dog is surely matched to: the lost search's sure match, else the registry's; none
        when the two are sure of different dogs."""
        lost = self.lost.shown[0][0] if self.lost.decision == Decision.MATCH and self.lost.shown else None
        reg = self.registry.shown[0][0] if self.registry.decision == Decision.MATCH and self.registry.shown else None
        if lost and reg and lost != reg:
            return None
        return lost or reg

    @property
    def possible(self) -> list[tuple[str, float, Decision, str]]:
        """(dog id, score, that dog's decision, source 'lost' | 'registry'): the possible reunions a person should
        confirm (the candidate policy of the module's docstring), best first (a sure match, then the uncertain
        dogs, then the rest; by score within each), no dog twice (a dog both searches offer keeps the lost
        search's entry)."""
        out: dict[str, tuple[str, float, Decision, str]] = {}
        for d, s, dec in self.lost.shown[:LOST_CANDIDATES]:
            out[d] = (d, s, dec, LOST)
        for d, s, dec in self.registry.shown:
            if dec != Decision.NO_MATCH and d not in out:
                out[d] = (d, s, dec, REGISTRY)
        matched = self.matched
        ranked = sorted(out.values(), key=lambda c: (c[0] != matched, _ORDER[c[2]], -c[1]))
        if matched is None:  # two sure answers that disagree: both are for a person, not a match
            ranked = [(d, s, Decision.UNCERTAIN if dec == Decision.MATCH else dec, src) for d, s, dec, src in ranked]
            ranked.sort(key=lambda c: (_ORDER[c[2]], -c[1]))
        return ranked


def search_lost_first(engine: Engine, vectors: np.ndarray, images: list[np.ndarray], lost: Templates,
                      registry: Verdict) -> ReuniteVerdict:
    """A found dog's photos (templates `vectors`, row for row with `images`, as rank_dogs takes them) searched
    among the dogs reported lost (`lost`: their templates and photos), decided at the registry-size rule for
    len(lost) dogs, beside `registry` (the found dog's look-up verdict among all registered dogs)."""
    rule = engine.scale_rule
    n = len(lost)
    ranked = rank_dogs(engine, vectors, images, lost, rule, n) if n else []
    return ReuniteVerdict(lost=decide(ranked, n, rule), registry=registry)


def rank_found_cases(engine: Engine, dog_vectors: np.ndarray, cases: dict[str, np.ndarray], rule=None) -> Verdict:
    """A new lost report searched among the open found cases: `dog_vectors` are the lost dog's templates (n, dim),
    `cases` each found case's templates (n, dim). Score: the similarity of the two centroids (l2-normalised
    means; no geometric verification: a found case's photos may not be on this machine); decided with the
    registry-size rule (`rule`, default the engine's) at n = len(cases)."""
    rule = rule if rule is not None else engine.scale_rule
    ids = [c for c, v in cases.items() if len(v)]
    if not ids or not len(dog_vectors):
        return decide([], len(cases), rule)
    dog = l2_normalize(np.asarray(dog_vectors, dtype=np.float32).mean(axis=0, keepdims=True))[0]
    centroids = l2_normalize(np.stack([np.asarray(cases[c], dtype=np.float32).mean(axis=0) for c in ids]))
    scores = (centroids @ dog).tolist()
    ranked = sorted(zip(ids, (float(s) for s in scores), strict=True), key=lambda kv: -kv[1])
    return decide(ranked, len(cases), rule)
