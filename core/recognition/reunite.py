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
  * the lost search's LOST_CANDIDATES (8: as many as a look-up shows staff) closest lost dogs, each with its own
    decision (match, uncertain, or no_match: merely among the closest);
  * the registry's sure match and the dogs it calls 'uncertain' (registered dogs not reported lost: their owners
    may not know yet).
  An entry whose decision is no_match is one of the closest lost dogs for a person to compare in the compare view,
  not a likely reunion: an owner who asked to hear of possible reunions should be told of match and uncertain
  entries only.

Why the closest 8 and not the uncertain ones only (chosen on the tune dogs, ids ending in 5: 149 enrolled, 100
reported lost in 3 seeded draws, 141 strays, 2,689 dogs registered, the shipped engine): a lost dog found again is
often far from sure. Among 100 lost dogs the right dog is the best for 83 % of the found photos, among the 3 best
for 93 %, the 8 best for 95.0 %; but for 10 % its score is below 0.38, where half the strays' best lost dog
scores 0.39: no score separates them (a floor of 0.40 keeps 84 % of the right dogs and still gives half of the
strays a candidate). Right dog among the possible reunions: the sure and uncertain ones only 70.0 %, the 3
closest lost dogs 93.0 %, the 5 closest 94.3 %, the 8 closest 95.0 % (target 95 %); right dog matched 64.3 % vs
63.3 % from the whole registry alone, no wrong dog matched, no stray matched to a lost dog (0 of 141; 0 of 465
with every photo of each stray). The lost search's threshold is the rule's for 100 dogs (0.628, review 0.534);
at its floor (0.602) it would match 1 point more.

MEASURED on the test dogs (ids ending in 0, never trained or tuned on): `savepets eval ../shared/data/nose-pbc2022
--split test --distractors ../shared/data/nose-pbc2022 --lost 100` (2,685 dogs registered: 134 enrolled test dogs
and 2,551 others; 100 of the 134 reported lost, seed 0; 145 strays; scale.lost_first):
  found dogs reported lost (100):  right dog among the possible reunions 96 %, as a match or uncertain 72 % (the
                                   whole registry alone: among its 8 shown 86 %, sure or uncertain 67 %); matched
                                   68 % (alone 63 %); wrong dog matched 0 % (alone 0 %); 3.2 possible reunions
                                   each (1 when matched, else up to 8)
  strays not reported lost (145):  matched to a lost dog 0 % (every photo of each stray, 474: 0 %); matched at all
                                   0 % (474 photos: 0.4 %, by the whole registry, as today); a match or uncertain
                                   lost dog among their possible reunions 2.1 %
  registered, not lost (34):       matched to a lost dog 0 %, to itself 62 % (as the registry alone)
  lost reports among the 279 found cases (rank_found_cases): right case matched 59 %, matched or uncertain 68 %,
                                   wrong case 0 %; reports whose dog was not found (34): none matched
Two other seeded draws of the 100 lost dogs (1, 2): among the possible reunions 96 and 97 %, matched 69 and 65 %
(alone 61 and 61 %), no wrong dog, no stray matched to a lost dog; the 3 draws together 96.3 % and 67.3 %.
Targets (issue 24): among the candidates >= 95 %, matched >= 68 %, wrong dog <= 0.1 %, strays matched to a lost dog
<= 0.5 %. One found dog is 1 %: 5 closest would give 95 %, 3 closest 92 %.
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
