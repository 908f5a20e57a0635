"""`savepets eval DIR --distractors DIR2 --lost N`: found dogs searched among the dogs reported lost first
(core.recognition.reunite), beside today's answer from the whole registry. Part of the scale protocol
(core.recognition.scale), on its full gallery:

  * N of the enrolled DIR dogs (a seeded choice) are reported lost: the lost gallery holds their enrolled photos;
  * found dogs: each lost dog's probe photo; each stranger's first photo (a stray that nobody reported lost and
    that is not registered); each other enrolled dog's probe photo (a registered dog that was not reported lost);
  * each found dog is decided as the product decides it: the look-up among all registered dogs (the scale
    protocol's verdict) and the search among the lost dogs at the rule for N dogs (search_lost_first), and
    offered as possible reunions by ReuniteVerdict.possible;
  * the other way round: each lost dog's report searched among the found dogs' cases (rank_found_cases), and
    each registered dog that was not lost, as if reported, among the cases without its own;
  * strays with every photo: each photo of each stranger as a found dog of its own (more strays, so that a
    rate of 0.5 % means more than one dog).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import partial

import numpy as np

from core.recognition.base import Decision, Engine, StoredPhoto
from core.recognition.decision import Templates, Verdict
from core.recognition.protocols import EmbeddedSet
from core.recognition.reunite import LOST, ReuniteVerdict, rank_found_cases, search_lost_first
from core.recognition.scale_rule import ScaleRule


def _share(xs) -> float:
    xs = list(xs)
    return round(float(np.mean(xs)), 4) if xs else 0.0


def choose_lost(enrolled: list[str], n: int, seed: int = 0) -> list[str]:
    """The seeded choice of the enrolled dogs reported lost."""
    rng = np.random.default_rng(seed)
    pool = sorted(enrolled)
    return sorted(rng.choice(pool, size=min(n, len(pool)), replace=False).tolist()) if pool and n > 0 else []


def lost_templates(es: EmbeddedSet, photos: dict[str, list[int]]) -> Templates:
    return {d: ([StoredPhoto(str(es.paths[i]), partial(es.images.__getitem__, i)) for i in idx], es.emb[idx])
            for d, idx in photos.items()}


def found_figures(records: list[tuple[str, str | None, ReuniteVerdict]]) -> dict:
    """The shares of the report from (kind, truth, verdict) records; kind: 'lost' (truth was reported lost),
    'stray' (truth None: not registered), 'registered' (registered, not reported lost)."""
    lost = [(t, v) for k, t, v in records if k == "lost"]
    strays = [v for k, _, v in records if k == "stray"]
    reg = [(t, v) for k, t, v in records if k == "registered"]

    def reg_best(v: Verdict) -> str | None:
        return v.shown[0][0] if v.decision == Decision.MATCH and v.shown else None

    def lost_possible(v: ReuniteVerdict) -> list:
        return [c for c in v.possible if c[3] == LOST]

    return {
        "found_lost_dogs": {
            "probes": len(lost),
            "right_dog_possible": _share(any(c[0] == t for c in v.possible) for t, v in lost),
            "right_dog_matched": _share(v.matched == t for t, v in lost),
            "wrong_dog_matched": _share(v.matched not in (None, t) for t, v in lost),
            "right_dog_possible_match_or_uncertain": _share(any(c[0] == t and c[2] != Decision.NO_MATCH
                                                                for c in v.possible) for t, v in lost),
            "right_dog_in_lost_top": _share(any(d == t for d, _, _ in v.lost.shown) for t, v in lost),
            "possible_per_dog": round(float(np.mean([len(v.possible) for _, v in lost])), 2) if lost else 0.0,
            "whole_registry_only": {
                "right_dog_in_candidates": _share(any(d == t for d, _, _ in v.registry.shown) for t, v in lost),
                "right_dog_possible": _share(any(d == t for d, _, dec in v.registry.shown if dec != Decision.NO_MATCH)
                                             for t, v in lost),
                "right_dog_matched": _share(reg_best(v.registry) == t for t, v in lost),
                "wrong_dog_matched": _share(reg_best(v.registry) not in (None, t) for t, v in lost)}},
        "strays_not_lost": {
            "probes": len(strays),
            "matched_to_lost_dog": _share(v.lost.decision == Decision.MATCH and v.matched is not None
                                          and v.matched == v.lost.shown[0][0] for v in strays),
            "matched_at_all": _share(v.matched is not None for v in strays),
            "with_possible_lost_dog": _share(bool(lost_possible(v)) for v in strays),
            "with_lost_dog_match_or_uncertain": _share(any(c[2] != Decision.NO_MATCH for c in lost_possible(v))
                                                       for v in strays),
            "possible_per_dog": round(float(np.mean([len(v.possible) for v in strays])), 2) if strays else 0.0,
            "whole_registry_only": {"matched_at_all": _share(reg_best(v.registry) is not None for v in strays),
                                    "with_candidates": _share(v.registry.decision == Decision.UNCERTAIN
                                                              for v in strays)}},
        "registered_not_lost": {
            "probes": len(reg),
            "matched_to_lost_dog": _share(v.lost.decision == Decision.MATCH and v.matched == v.lost.shown[0][0]
                                          for _, v in reg),
            "right_dog_matched": _share(v.matched == t for t, v in reg),
            "wrong_dog_matched": _share(v.matched not in (None, t) for t, v in reg),
            "right_dog_possible": _share(any(c[0] == t for c in v.possible) for t, v in reg),
            "whole_registry_only": {"right_dog_matched": _share(reg_best(v.registry) == t for t, v in reg)}},
    }


def lost_first_report(es: EmbeddedSet, engine: Engine, rule: ScaleRule, probes: list[tuple[int, str | None]],
                      registry: list[Verdict], enrolled: dict[str, list[int]], strangers: list[str], n_lost: int,
                      look_up: Callable[[list[int]], Verdict], seed: int = 0, progress: bool = True,
                      keep: list | None = None) -> dict:
    """The lost-first figures. `probes` (photo, truth: None for a stranger) and `registry` (their verdicts among
    all registered dogs), row for row, are the scale protocol's; `enrolled` the enrolled photos of each enrolled
    DIR dog; `look_up` decides more photos among all registered dogs (the strays' other photos). `keep`, when
    given, receives the (kind, truth, ReuniteVerdict) records."""
    lost = choose_lost(list(enrolled), n_lost, seed)
    lost_set = set(lost)
    templates = lost_templates(es, {d: enrolled[d] for d in lost})
    records: list[tuple[str, str | None, ReuniteVerdict]] = []
    it = list(zip(probes, registry, strict=True))
    if progress:
        from tqdm import tqdm

        it = tqdm(it, desc=f"lost first: {len(lost)} lost dogs", file=sys.stderr, mininterval=5)
    for (p, truth), v in it:
        kind = "stray" if truth is None else LOST if truth in lost_set else "registered"
        records.append((kind, truth, search_lost_first(engine, es.emb[[p]], [es.images[p]], templates, v)))
    if keep is not None:
        keep.extend(records)
    v0 = records[0][2] if records else None
    out: dict = {
        "lost_dogs": len(lost), "seed": seed,
        "lost_gallery": {"dogs": len(lost), "match_threshold": round(rule.match_threshold(len(lost)), 4),
                         "review_threshold": round(rule.review_threshold(len(lost)), 4)},
        "whole_registry": {"dogs": v0.registry.gallery_dogs if v0 else 0,
                           "match_threshold": round(v0.registry.threshold, 4) if v0 else None,
                           "review_threshold": round(v0.registry.review_threshold, 4) if v0 else None},
        **found_figures(records)}
    # strays with every photo, each a found dog of its own
    more = [(i, d) for d in strangers for i in es.index[d]]
    if progress:
        from tqdm import tqdm

        more = tqdm(more, desc="lost first: every stray photo", file=sys.stderr, mininterval=5)
    every = [("stray", None, search_lost_first(engine, es.emb[[i]], [es.images[i]], templates, look_up([i])))
             for i, _ in more]
    f = found_figures(every)["strays_not_lost"]
    out["strays_every_photo"] = {k: f[k] for k in ("probes", "matched_to_lost_dog", "matched_at_all",
                                                   "with_lost_dog_match_or_uncertain", "possible_per_dog")}
    out["lost_report_search"] = lost_report_search(es, engine, rule, probes, enrolled, lost)
    return out


def lost_report_search(es: EmbeddedSet, engine: Engine, rule: ScaleRule, probes: list[tuple[int, str | None]],
                       enrolled: dict[str, list[int]], lost: list[str]) -> dict:
    """Each lost dog's report (its enrolled templates) searched among the found cases (one per found dog: its
    photo's template); each registered dog that was not lost, as if reported, among the cases but its own."""
    cases = {f"case{k}": es.emb[[p]] for k, (p, _) in enumerate(probes)}
    truth_case = {t: f"case{k}" for k, (_, t) in enumerate(probes) if t is not None}
    right_m, right_c, wrong = [], [], []
    for d in lost:
        v = rank_found_cases(engine, es.emb[enrolled[d]], cases, rule)
        best = v.shown[0][0] if v.decision == Decision.MATCH else None
        right_m.append(best == truth_case[d])
        right_c.append(any(c == truth_case[d] and dec != Decision.NO_MATCH for c, _, dec in v.shown))
        wrong.append(best not in (None, truth_case[d]))
    others = [d for d in enrolled if d not in set(lost) and d in truth_case]
    impostor = []
    for d in others:
        rest = {c: e for c, e in cases.items() if c != truth_case[d]}
        impostor.append(rank_found_cases(engine, es.emb[enrolled[d]], rest, rule).decision == Decision.MATCH)
    return {"found_cases": len(cases), "match_threshold": round(rule.match_threshold(len(cases)), 4),
            "lost_reports": len(lost), "right_case_matched": _share(right_m), "right_case_uncertain_or_matched":
            _share(right_c), "wrong_case_matched": _share(wrong), "reports_without_case": len(others),
            "reports_without_case_matched": _share(impostor)}
