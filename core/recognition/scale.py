"""Decisions at registry scale: the protocol behind `savepets eval DIR --distractors DIR2`, and the fitting of an
engine's registry-size rule (core.recognition.decision.ScaleRule) on the tune dogs.

Protocol (the same as shared/tools/scale_api.py, so that figures mean the same):
  * half of the DIR dogs (a stable hash of the folder name) are strangers: probed with their first photo, never
    enrolled; every other DIR dog with 2+ photos enrolls all but its last photo (at most 5) and is probed with
    the last;
  * every DIR2 dog (the distractors) enrolls up to 5 photos and is never probed; a DIR2 dog with the same folder
    name as a DIR dog is skipped, so that one set can serve as its own distractors;
  * each probe is scored exactly as a look-up scores it (core.recognition.decision.rank_dogs: the gallery's
    SEARCH_DOGS nearest dogs, centroid scores, RootSIFT verification) and decided by the engine's rule, at the
    full gallery and at smaller ones (random subsets of the distractors), so the trend with registry size shows;
  * several photos per look-up: DIR dogs with 4+ photos enroll all but the last two (at most 5) and are probed
    with those two, alone and fused (and the same for the dogs with 7+ photos alone);
  * registration: each stranger registers with its photos (up to 5; refused = a new dog wrongly refused, flagged
    = sent to a person), each enrolled dog registers again with its last photo (caught = refused as itself,
    flagged = flagged with itself).
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from pathlib import Path

import numpy as np

from core.recognition.base import SEARCH_DOGS, Decision, Engine, StoredPhoto
from core.recognition.data import list_dogs
from core.recognition.decision import Templates, Verdict, decide, rank_dogs
from core.recognition.protocols import EmbeddedSet
from core.recognition.reunite_eval import lost_first_report
from core.recognition.scale_rule import ScaleRule

ENROLL_MAX = 5
STRANGER_RATE = 0.002  # P(a stranger is matched) the fitted rule keeps at every registry size (target: 0.5 %)
REVIEW_RATE = 0.05  # P(a stranger is shown as 'uncertain')
TAIL_SHARE = 1e-3  # the tail model starts at the score this share of (stranger, dog) pairs exceed
TAIL_MIN_POINTS = 200
MARGINS = (0.02, 0.03, 0.04, 0.06, 0.08, 0.1)


def is_stranger(dog: str) -> bool:
    """The stable half of the DIR dogs that are strangers (as shared/tools/scale_api.py)."""
    return int(hashlib.sha256(f"half-{dog}".encode()).hexdigest(), 16) % 2 == 1


class Gallery:
    """Templates of the enrolled photos (indices into an EmbeddedSet), searched as the product's gallery is."""

    def __init__(self, es: EmbeddedSet, photos: list[int]):
        self.es = es
        self.photos = np.array(photos, dtype=np.int64)
        self.owner = es.owner[self.photos]
        self.dogs = len(set(self.owner.tolist()))
        self.by_dog: dict[str, list[int]] = {}
        for i, d in zip(self.photos.tolist(), self.owner.tolist(), strict=True):
            self.by_dog.setdefault(d, []).append(i)

    def nearest(self, vectors: np.ndarray, k: int = SEARCH_DOGS) -> Templates:
        sims = vectors @ self.es.emb[self.photos].T
        dogs: dict[str, None] = {}
        for row in sims:
            best: dict[str, float] = {}
            for j in np.argsort(-row)[: max(50, k)]:
                best.setdefault(self.owner[j], row[j])
                if len(best) >= k:
                    break
            dogs.update(dict.fromkeys(best))
        return {d: ([StoredPhoto(str(self.es.paths[i]), partial(self.es.images.__getitem__, i))
                     for i in self.by_dog[d]], self.es.emb[self.by_dog[d]]) for d in dogs}

    def rank(self, engine: Engine, probes: list[int], rule: ScaleRule) -> list[tuple[str, float]]:
        vecs = self.es.emb[probes]
        return rank_dogs(engine, vecs, [self.es.images[p] for p in probes], self.nearest(vecs), rule, self.dogs)


def split(dogs: dict[str, list[Path]]) -> tuple[list[str], list[str]]:
    """(strangers, enrolled) of the DIR dogs: enrolled dogs have 2+ photos."""
    strangers = [d for d in dogs if is_stranger(d)]
    enrolled = [d for d in dogs if not is_stranger(d) and len(dogs[d]) >= 2]
    return strangers, enrolled


def _enrolled_photos(es: EmbeddedSet, d: str) -> list[int]:
    idx = es.index[d]
    return idx[: min(ENROLL_MAX, len(idx) - 1)]


def outcome_rates(verdicts: list[tuple[Verdict, str | None]]) -> dict:
    """The shares a person sees: strangers (truth None) matched / shown as uncertain; enrolled dogs matched to
    themselves or to another dog, shown as uncertain, among the candidates shown, missed."""
    st = [v for v, t in verdicts if t is None]
    en = [(v, t) for v, t in verdicts if t is not None]

    def share(xs) -> float:
        xs = list(xs)
        return round(float(np.mean(xs)), 4) if xs else 0.0

    def best(v: Verdict) -> str | None:
        return v.shown[0][0] if v.shown else None

    return {
        "stranger_probes": len(st), "enrolled_probes": len(en),
        "stranger_matched": share(v.decision == Decision.MATCH for v in st),
        "stranger_uncertain": share(v.decision == Decision.UNCERTAIN for v in st),
        "wrong_dog_matched": share(v.decision == Decision.MATCH and best(v) != t for v, t in en),
        "wrong_dog_uncertain": share(v.decision == Decision.UNCERTAIN and best(v) != t for v, t in en),
        "right_dog_matched": share(v.decision == Decision.MATCH and best(v) == t for v, t in en),
        "right_dog_uncertain": share(v.decision == Decision.UNCERTAIN and best(v) == t for v, t in en),
        "right_dog_in_candidates": share(any(d == t for d, _, _ in v.shown) for v, t in en),
        "missed": share(v.decision == Decision.NO_MATCH for v, t in en),
    }


def scale_report(es: EmbeddedSet, probe_dogs: list[str], distractors: list[str], engine: Engine,
                 sizes: tuple[int, ...] = (0, 250, 500, 1000, 2000), seed: int = 0,
                 progress: bool = True, lost: int | None = None) -> dict:
    """The scale protocol on an embedded set holding the DIR dogs (`probe_dogs`) and the DIR2 dogs. With `lost`,
    also "lost_first": that many enrolled dogs reported lost, found dogs searched among them first
    (core.recognition.reunite_eval)."""
    rule = engine.scale_rule
    strangers, enrolled = split({d: es.index[d] for d in probe_dogs})
    own = [i for d in enrolled for i in _enrolled_photos(es, d)]
    probes = [(es.index[d][0], None) for d in strangers] + [(es.index[d][-1], d) for d in enrolled]
    rng = np.random.default_rng(seed)
    order = list(rng.permutation(distractors)) if distractors else []
    counts = sorted({min(n, len(order)) for n in sizes} | {len(order)})
    out: dict = {"rule": rule.to_config(), "by_gallery_size": []}
    for n in counts:
        g = Gallery(es, own + [i for d in order[:n] for i in es.index[d][:ENROLL_MAX]])
        verdicts = []
        it = probes
        if progress:
            from tqdm import tqdm

            it = tqdm(it, desc=f"scale: {g.dogs} dogs", file=sys.stderr, mininterval=5)
        for p, truth in it:
            verdicts.append((decide(g.rank(engine, [p], rule), g.dogs, rule), truth))
        v0 = verdicts[0][0]
        row = {"gallery_dogs": g.dogs, "distractor_dogs": n, "match_threshold": round(v0.threshold, 4),
               "review_threshold": round(v0.review_threshold, 4), **outcome_rates(verdicts)}
        out["by_gallery_size"].append(row)
    full, full_verdicts = g, verdicts  # the largest gallery
    out.update({k: v for k, v in out["by_gallery_size"][-1].items()})
    fixed = ScaleRule.fixed(engine.threshold, engine.uncertain_threshold, margin=0.0)
    out["fixed_threshold_at_full_size"] = {
        "threshold": round(engine.threshold, 4),
        **outcome_rates([(decide(g.rank(engine, [p], fixed), g.dogs, fixed), truth) for p, truth in probes])}
    out["several_photos"] = several_photos(es, probe_dogs, full, engine, rule)
    out["registration"] = registration(es, strangers, full_verdicts, full, engine, rule)
    if lost:
        out["lost_first"] = lost_first_report(
            es, engine, rule, probes, [v for v, _ in full_verdicts], {d: _enrolled_photos(es, d) for d in enrolled},
            strangers, lost, lambda ps: decide(full.rank(engine, ps, rule), full.dogs, rule), seed=seed,
            progress=progress)
    return out


def several_photos(es: EmbeddedSet, probe_dogs: list[str], full: Gallery, engine: Engine, rule: ScaleRule) -> dict:
    """DIR dogs with 4+ photos enroll all but their last two (at most 5) and are probed with the last two, one at
    a time and fused into one look-up; also for the dogs with 7+ photos alone (enroll 5, probe with 2)."""
    dogs = [d for d in probe_dogs if len(es.index[d]) >= 4]
    if not dogs:
        return {"dogs": 0}
    others = [i for i in full.photos.tolist() if es.owner[i] not in set(dogs)]
    g = Gallery(es, others + [i for d in dogs for i in es.index[d][:-2][:ENROLL_MAX]])
    one, two = {}, {}
    for d in dogs:
        a, b = es.index[d][-2:]
        one[d] = [(decide(g.rank(engine, [p], rule), g.dogs, rule), d) for p in (a, b)]
        two[d] = [(decide(g.rank(engine, [a, b], rule), g.dogs, rule), d)]
    keys = ("right_dog_matched", "right_dog_uncertain", "wrong_dog_matched", "right_dog_in_candidates", "missed")

    def rates(chosen: list[str]) -> dict:
        r1 = outcome_rates([v for d in chosen for v in one[d]])
        r2 = outcome_rates([v for d in chosen for v in two[d]])
        return {"dogs": len(chosen), "one_photo": {k: r1[k] for k in keys},
                "two_photos_fused": {k: r2[k] for k in keys}}

    return {"gallery_dogs": g.dogs, **rates(dogs),
            "dogs_with_7_photos": rates([d for d in dogs if len(es.index[d]) >= 7])}


def registration(es: EmbeddedSet, strangers: list[str], lookups: list[tuple[Verdict, str | None]], g: Gallery,
                 engine: Engine, rule: ScaleRule) -> dict:
    """New dogs registering (each stranger with up to 5 of its photos) and enrolled dogs registering again (with
    their last photo, never enrolled), against the full gallery, decided as registration decides. A registration
    from that one photo is decided as its look-up was: `lookups`, the full gallery's verdicts."""
    new = {"refused": 0, "flagged": 0, "registered": 0}
    for d in strangers:
        v = decide(g.rank(engine, es.index[d][:ENROLL_MAX], rule), g.dogs, rule)
        new["refused" if v.decision == Decision.MATCH else "flagged" if v.decision == Decision.UNCERTAIN
            else "registered"] += 1
    again = {"caught": 0, "refused_as_another_dog": 0, "flagged_with_itself": 0, "flagged_without_itself": 0,
             "missed": 0}
    enrolled = [(v, d) for v, d in lookups if d is not None]
    for v, d in enrolled:
        flagged = [x for x, _, dec in v.shown if dec == Decision.UNCERTAIN]
        if v.decision == Decision.MATCH:
            again["caught" if v.shown[0][0] == d else "refused_as_another_dog"] += 1
        elif v.decision == Decision.UNCERTAIN:
            again["flagged_with_itself" if d in flagged else "flagged_without_itself"] += 1
        else:
            again["missed"] += 1
    n_new, n_again = max(1, len(strangers)), max(1, len(enrolled))
    return {"gallery_dogs": g.dogs, "new_dogs": len(strangers), **{f"new_{k}": round(v / n_new, 4)
                                                                  for k, v in new.items()},
            "re_registrations": len(enrolled), **{f"again_{k}": round(v / n_again, 4) for k, v in again.items()},
            "again_caught_or_flagged_with_itself": round((again["caught"] + again["flagged_with_itself"]) / n_again,
                                                         4)}


def load_scale_set(dir: str | Path, split_name: str, distractors_dir: str | Path, distractors_max: int | None,
                   engine: Engine, progress: bool = True) -> tuple[EmbeddedSet, list[str], list[str]]:
    """One embedded set of the DIR dogs of `split_name` and the DIR2 dogs not among them (by folder name)."""
    probe = list_dogs(dir, split_name)
    distr = {d: ps[:ENROLL_MAX] for d, ps in list_dogs(distractors_dir).items() if d not in probe}
    if distractors_max is not None:
        distr = dict(list(distr.items())[:distractors_max])
    es = EmbeddedSet({**probe, **distr}, engine, progress=progress)
    return es, list(probe), list(distr)


# --------------------------------------------------------------------------------------------- fitting
def fit_tail(stranger_lists: list[np.ndarray], gallery_dogs: int, floor: float, review_floor: float,
             stranger_rate: float = STRANGER_RATE, review_rate: float = REVIEW_RATE) -> ScaleRule:
    """The per-dog impostor tail from strangers' look-ups in a gallery of `gallery_dogs` dogs: each list holds a
    stranger's scores for its nearest dogs. The excesses over u are pooled and fitted with a generalised Pareto
    distribution (scipy); their count over all (stranger, dog) pairs is the tail share. u is the score that
    TAIL_SHARE of all pairs exceed (on the tune dogs a lower start bends the fit to the body and under-states the
    far tail: 1.0 % of strangers passed a threshold fitted for 0.2 %), and never below the 99th percentile of
    the lists' last scores, above which (nearly) every dog scoring higher is in the lists."""
    from scipy.stats import genpareto

    pairs = len(stranger_lists) * gallery_dogs
    pooled = np.sort(np.concatenate(stranger_lists))[::-1]
    k = int(min(len(pooled) - 1, max(TAIL_MIN_POINTS, TAIL_SHARE * pairs)))
    u = max(float(pooled[k]), float(np.percentile([s[-1] for s in stranger_lists if len(s)], 99)))
    excess = pooled[pooled > u] - u
    shape, _, scale = genpareto.fit(excess, floc=0.0)
    return ScaleRule(tail_start=u, tail_share=float(len(excess) / pairs), shape=float(shape), scale=float(scale),
                     stranger_rate=stranger_rate, review_rate=review_rate, margin=0.0, floor=floor,
                     review_floor=review_floor)


def fit_scale_rule(engine: Engine, data_dir: str | Path, progress: bool = True,
                   make_set: Callable[..., EmbeddedSet] = EmbeddedSet) -> tuple[ScaleRule | None, dict]:
    """Fit the registry-size rule on the tune dogs, with the training dogs enrolled as the rest of the registry:

      * tail: every photo of every tune dog is a stranger to a gallery of the training dogs (up to 5 photos
        each); each is scored as a look-up scores it, with every top candidate verified; the per-dog impostor
        scores above the 99th percentile of each probe's 20th-best score are pooled and a generalised Pareto
        distribution is fitted to their excess (scipy): the per-dog tail the registry-size threshold reads;
      * margin: the smallest of MARGINS at which no tune dog, enrolled (all photos but the last, both halves in
        turn) and probed with its last photo, is matched to another dog at the fitted threshold for the full
        gallery;
      * floor: the engine's fixed per-pair threshold (fitted for 0.5 % strangers among ~140 dogs).
    Too few dogs for a tail (a toy set): (None, the reason), and the engine keeps its fixed thresholds."""
    tune = list_dogs(data_dir, "tune")
    train = {d: ps[:ENROLL_MAX] for d, ps in list_dogs(data_dir, "train").items()}
    es = make_set({**tune, **train}, engine, progress=progress)
    verify_all = ScaleRule.fixed(float("-inf"), float("-inf"), margin=float("inf"))
    distr = [i for d in train for i in es.index[d]]
    g = Gallery(es, distr)
    stranger_lists = []
    it = [i for d in tune for i in es.index[d]]
    if progress:
        from tqdm import tqdm

        it = tqdm(it, desc="scale rule: strangers", file=sys.stderr, mininterval=5)
    for p in it:
        stranger_lists.append(np.array([s for _, s in g.rank(engine, [p], verify_all)]))
    if len(stranger_lists) * g.dogs < 20 * TAIL_MIN_POINTS:
        return None, {"skipped": f"{len(stranger_lists)} strangers x {g.dogs} dogs: too few pairs for a tail model"}
    rule = fit_tail(stranger_lists, g.dogs, floor=engine.match_threshold, review_floor=engine.uncertain_threshold)
    # margin: enrolled tune dogs (each half in turn) among the training dogs
    rows = []
    for half in (True, False):
        enrolled = [d for d in tune if is_stranger(d) == half and len(tune[d]) >= 2]
        gh = Gallery(es, distr + [i for d in enrolled for i in _enrolled_photos(es, d)])
        rows += [(gh.rank(engine, [es.index[d][-1]], verify_all), d, gh.dogs) for d in enrolled]
    report: dict = {"strangers": len(stranger_lists), "gallery_dogs": g.dogs, "enrolled_probes": len(rows),
                    "margins": {}}
    chosen = None
    for m in MARGINS:
        r = replace(rule, margin=m)
        verdicts = [(decide(ranked, n, r), d) for ranked, d, n in rows]
        rates = outcome_rates(verdicts)
        report["margins"][str(m)] = {k: rates[k] for k in ("right_dog_matched", "wrong_dog_matched")}
        if chosen is None and rates["wrong_dog_matched"] == 0.0:
            chosen = m
    rule = replace(rule, margin=chosen if chosen is not None else MARGINS[-1])
    report["thresholds"] = {str(n): round(rule.match_threshold(n), 4) for n in (100, 1000, 3200, 10000, 100000)}
    return rule, report
