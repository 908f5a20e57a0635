"""Fitting an engine's operating point on the 'tune' dogs (never on 'test'):

  * input_size (learned engine): the resolution among try_sizes with the best rank-1 + TAR@FAR1e-3;
  * tta_flip: kept only if averaging with the mirrored photo raises closed-set rank-1 and TAR@FAR1e-3;
  * whitening (learned engine, see core.recognition.whitening): fitted on the TRAINING dogs' templates for each
    shrinkage of SHRINKAGES; the best by rank-1 + TAR@FAR1e-3 on the tune dogs is kept only if it raises both;
  * match_threshold: open set (half the tune dogs enrolled, the other half strangers, OPEN_SET_SHUFFLES
    shuffles): the lowest score at which fewer than 0.5 % of the strangers' photos are matched to an enrolled dog
    in every shuffle (with the fusion rule, re-fitted on the fused scores the same way);
  * uncertain_gap: threshold minus the score at which 5 % of strangers would reach it (the review band);
  * fusion (RootSIFT inliers, see matcher.fuse): grid-searched; kept only if it raises closed-set rank-1 AND
    does not raise the open-set false-reject rate at its own (re-fitted) 0.5 % threshold;
  * agreement_threshold: the similarity a registration photo must reach with another photo of its set; the
    value that AGREEMENT_PASS of the tune dogs' own photos reach (agreement_scores; bench/bench_agreement.py
    prints the whole trade-off against stray photos of other dogs);
  * scale: the registry-size decision rule (core.recognition.scale.fit_scale_rule), with the training dogs as
    the rest of the registry;
  * calibration: isotonic regression P(same dog | score) with genuine and impostor weighted equally (a 50/50
    prior), stored as an interpolation table (x, y) so that nothing is unpickled at run time.
"""

from __future__ import annotations

import itertools
import json
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

from core.recognition.base import RERANK_TOP, Engine
from core.recognition.classical import CONFIG as CLASSICAL_CONFIG
from core.recognition.classical import ClassicalEngine
from core.recognition.data import list_dogs
from core.recognition.learned import CONFIG, LearnedEngine
from core.recognition.matcher import RootSiftMatcher, fuse
from core.recognition.protocols import (
    EmbeddedSet,
    closed_set,
    dog_scores,
    open_set_rates,
    open_set_scores,
    open_set_split,
    pair_scores,
    verification,
)
from core.recognition.runtime import MODEL_DIR
from core.recognition.scale import fit_scale_rule
from core.recognition.whitening import SHRINKAGES, Whitening

STRANGER_FAR = 0.005
REVIEW_FAR = 0.05
AGREEMENT_PASS = 0.95
OPEN_SET_SHUFFLES = 5  # the stranger threshold must hold in every one: 0.5 % of ~500 strangers is a few photos


def threshold_for(stranger_best: np.ndarray, far: float = STRANGER_FAR) -> float:
    """Lowest threshold at which the share of strangers with best score >= threshold is below `far`."""
    s = np.sort(stranger_best)[::-1]
    allowed = max(0, int(np.ceil(far * len(s))) - 1)
    return float(s[allowed] + 1e-4) if len(s) else 1.0


def isotonic_table(scores: np.ndarray, labels: np.ndarray, points: int = 200) -> dict:
    from sklearn.isotonic import IsotonicRegression

    labels = labels.astype(bool)
    w = np.where(labels, 0.5 / max(1, labels.sum()), 0.5 / max(1, (~labels).sum()))
    iso = IsotonicRegression(y_min=0.0, y_max=1.0, increasing=True, out_of_bounds="clip")
    iso.fit(scores.astype(np.float64), labels.astype(np.float64), sample_weight=w)
    x = np.linspace(float(np.percentile(scores, 0.1)), float(scores.max()), points)
    y = iso.predict(x)
    return {"x": [round(float(v), 5) for v in x], "y": [round(float(v), 5) for v in y],
            "prior": "genuine and impostor weighted equally"}


def agreement_scores(es: EmbeddedSet, photos: int = 5, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """As registration checks a set of `photos` photos (dogs with >= 3): for every photo its best similarity to
    the others of its set (genuine), and for every dog the best similarity of a stray photo of another dog to the
    first photos of the set (stray)."""
    sets = [idx[:photos] for idx in es.index.values() if len(idx) >= 3]
    rng = np.random.default_rng(seed)
    genuine, stray = [], []
    for i, idx in enumerate(sets):
        e = es.emb[idx]
        s = e @ e.T
        np.fill_diagonal(s, -1)
        genuine.extend(s.max(1).tolist())
        other = sets[(i + 1 + rng.integers(len(sets) - 1)) % len(sets)]
        stray.append(float((e[: photos - 1] @ es.emb[other[rng.integers(len(other))]]).max()))
    return np.array(genuine), np.array(stray)


def _candidate_table(es: EmbeddedSet, matcher, feats: list, probes: list[int], gallery: list[int],
                     progress: bool, desc: str) -> list[list[tuple[bool, float, int]]]:
    """For each probe, its top RERANK_TOP dogs: (is the probe's dog, embedding score, RootSIFT inliers)."""
    g = np.array(gallery)
    gset = set(gallery)
    sims = es.emb[probes] @ es.emb[g].T
    rows = []
    it = enumerate(probes)
    if progress:
        from tqdm import tqdm

        it = tqdm(it, total=len(probes), desc=desc, file=sys.stderr, mininterval=5)
    for k, p in it:
        scores = dog_scores(sims[k], es.owner[g])
        top = sorted(scores, key=lambda d: -scores[d])[:RERANK_TOP]
        row = []
        for d in top:
            inl = matcher.best_inliers(feats[p], [feats[i] for i in es.most_alike(p, [i for i in es.index[d]
                                                                                         if i in gset])])
            row.append((d == es.owner[p], scores[d], inl))
        rows.append(row)
    return rows


def _fused_best(rows, rule) -> tuple[np.ndarray, np.ndarray]:
    best, right = [], []
    for row in rows:
        fused = [(fuse(s, n, rule) if rule else s, truth) for truth, s, n in row]
        s, truth = max(fused)
        best.append(s)
        right.append(truth)
    return np.array(best), np.array(right)


def _raises_both(new: tuple[float, float], old: tuple[float, float]) -> bool:
    """(rank-1, TAR@FAR1e-3): neither lower, and not both equal."""
    return new[0] >= old[0] and new[1] >= old[1] and new != old


def _fit_whitening(make_engine: Callable[[dict], Engine], cfg: dict, engine: Engine, es: EmbeddedSet,
                   base: tuple[float, float], data_dir: str | Path, report: dict, progress: bool) -> Engine:
    """Fit the whitening candidates on the training dogs, keep the best if it beats `base` (rank-1, TAR@FAR1e-3
    of es as it is) on the tune dogs (es); on success cfg names the written file, es.emb is whitened and the
    returned engine applies it."""
    train = list_dogs(data_dir, "train")
    if len(train) < 3:
        return engine
    train_es = EmbeddedSet(train, engine, progress=progress)
    report["whitening"] = {"none": list(base)}
    raw, best = es.emb, None
    for shrink in SHRINKAGES:
        w = Whitening.fit(train_es.emb, train_es.owner, shrink)
        es.emb = w(raw)
        got = (closed_set(es, engine)["rank1"], verification(*pair_scores(es.emb, es.owner))["tar@far0.001"])
        report["whitening"][str(shrink)] = list(got)
        if best is None or sum(got) > sum(best[0]):
            best = (got, shrink, w)
    es.emb = raw
    got, shrink, w = best
    if not _raises_both(got, base):
        return engine
    w.save(engine.whitening_path)
    cfg["whitening"] = {"file": engine.whitening_path.name, "shrinkage": shrink,
                        "fitted_on": f"{len(train)} training dogs, {len(train_es.owner)} photos"}
    es.emb = w(raw)
    return make_engine(cfg)


def fit_engine_config(make_engine: Callable[[dict], Engine], data_dir: str | Path, try_fusion: bool = True,
                      try_flip: bool = True, progress: bool = True, base: dict | None = None,
                      try_sizes: tuple[int, ...] = ()) -> dict:
    cfg: dict = dict(base or {})
    report: dict = {}
    engine = make_engine(cfg)
    dogs = list_dogs(data_dir, "tune")
    es = EmbeddedSet(dogs, engine, progress=progress)
    plain_cs = closed_set(es, engine)
    plain_v = verification(*pair_scores(es.emb, es.owner))
    if try_sizes and hasattr(engine, "input_size"):
        # input resolution: the one with the best rank-1 + TAR@FAR1e-3 on the tune dogs
        best = (plain_cs["rank1"] + plain_v["tar@far0.001"], engine.input_size, es.emb, plain_cs, plain_v)
        report["input_size"] = {str(engine.input_size): [plain_cs["rank1"], plain_v["tar@far0.001"]]}
        for size in try_sizes:
            if size == engine.input_size:
                continue
            engine.input_size = size
            es.emb = np.concatenate([engine.embed(es.images[i: i + 32]) for i in range(0, len(es.images), 32)])
            cs, v = closed_set(es, engine), verification(*pair_scores(es.emb, es.owner))
            report["input_size"][str(size)] = [cs["rank1"], v["tar@far0.001"]]
            if cs["rank1"] + v["tar@far0.001"] > best[0]:
                best = (cs["rank1"] + v["tar@far0.001"], size, es.emb, cs, v)
        _, size, es.emb, plain_cs, plain_v = best
        cfg["input_size"] = int(size)
        engine = make_engine(cfg)
    report["plain"] = {"rank1": plain_cs["rank1"], "tar@1e-3": plain_v["tar@far0.001"], "auc": plain_v["auc"]}
    if try_flip and hasattr(engine, "tta_flip"):
        emb_plain = es.emb
        es.emb = np.concatenate([engine.embed(es.images[i: i + 32], tta_flip=True)
                                 for i in range(0, len(es.images), 32)])
        f_cs = closed_set(es, engine)
        f_v = verification(*pair_scores(es.emb, es.owner))
        report["flip"] = {"rank1": f_cs["rank1"], "tar@1e-3": f_v["tar@far0.001"], "auc": f_v["auc"]}
        better = _raises_both((f_cs["rank1"], f_v["tar@far0.001"]), (plain_cs["rank1"], plain_v["tar@far0.001"]))
        cfg["tta_flip"] = bool(better)
        if not better:
            es.emb = emb_plain
        else:
            plain_cs, plain_v = f_cs, f_v
        engine = make_engine(cfg)
    if hasattr(engine, "whitening_path"):
        engine = _fit_whitening(make_engine, cfg, engine, es, (plain_cs["rank1"], plain_v["tar@far0.001"]),
                                data_dir, report, progress)

    genuine, stray = agreement_scores(es)
    cfg["agreement_threshold"] = round(float(np.quantile(genuine, 1 - AGREEMENT_PASS)), 4)
    report["agreement"] = {"genuine_pass": float((genuine >= cfg["agreement_threshold"]).mean()),
                           "stray_pass": float((stray >= cfg["agreement_threshold"]).mean())}

    # operating threshold without fusion: every shuffle must keep strangers under 0.5 %
    opens = [open_set_scores(es, engine, seed=s) for s in range(OPEN_SET_SHUFFLES)]
    thr = max(threshold_for(o["stranger_best"]) for o in opens)
    review = float(np.mean([threshold_for(o["stranger_best"], REVIEW_FAR) for o in opens]))
    cfg["match_threshold"] = round(thr, 4)
    cfg["uncertain_gap"] = round(float(np.clip(thr - review, 0.03, 0.2)), 4)
    report["open_set_plain"] = [open_set_rates(o, thr) for o in opens]
    scores, labels = pair_scores(es.emb, es.owner)
    cfg["calibration"] = isotonic_table(scores, labels)
    cfg["fusion"] = None

    if try_fusion:
        matcher = RootSiftMatcher()
        it = es.images
        if progress:
            from tqdm import tqdm

            it = tqdm(it, desc="RootSIFT features", file=sys.stderr, mininterval=5)
        feats = [matcher.features(img) for img in it]
        # closed set (all but last), as closed_set()
        probes, gallery = [], []
        for idx in es.index.values():
            if len(idx) >= 3:
                gallery += idx[:-1]
                probes.append(idx[-1])
        cs_rows = _candidate_table(es, matcher, feats, probes, gallery, progress, "fusion: closed set")
        # open set: every shuffle, as for the plain threshold
        shuffles = []
        for seed in range(OPEN_SET_SHUFFLES):
            og, ogen, ostr, _ = open_set_split(es, seed)
            desc = f"fusion: open set {seed}"
            shuffles.append((_candidate_table(es, matcher, feats, ogen, og, progress, f"{desc}, enrolled"),
                             _candidate_table(es, matcher, feats, ostr, og, progress, f"{desc}, strangers")))

        def score_rule(rule):
            b, r = _fused_best(cs_rows, rule)
            rank1 = float(r.mean())
            t = max(threshold_for(_fused_best(str_rows, rule)[0]) for _, str_rows in shuffles)
            frr = float(np.mean([1 - ((gb >= t) & gr).mean() for gb, gr in (_fused_best(gen_rows, rule)
                                                                              for gen_rows, _ in shuffles)]))
            return rank1, frr, t

        base_r1, base_frr, base_t = score_rule(None)
        results = []
        for w, lo, hi in itertools.product((0.05, 0.1, 0.2, 0.3, 0.5), (4, 8, 12, 16), (20, 40, 80)):
            if hi <= lo:
                continue
            rule = {"weight": w, "low": lo, "high": hi}
            r1, frr, t = score_rule(rule)
            results.append((r1, -frr, rule, t))
        results.sort(key=lambda x: (x[0], x[1]), reverse=True)
        best_r1, neg_frr, best_rule, best_t = results[0]
        report["fusion_search"] = {"without": {"rank1": base_r1, "open_set_frr": base_frr, "threshold": base_t},
                                   "best": {"rule": best_rule, "rank1": best_r1, "open_set_frr": -neg_frr,
                                            "threshold": best_t}}
        if best_r1 > base_r1 and -neg_frr <= base_frr:
            cfg["fusion"] = best_rule
            cfg["match_threshold"] = round(best_t, 4)
            # calibration on the re-ranked candidates (is this candidate the probe's dog?)
            xs = np.array([fuse(s, n, best_rule) for row in cs_rows for _, s, n in row])
            ys = np.array([t for row in cs_rows for t, _, _ in row])
            cfg["calibration"] = isotonic_table(xs, ys)
            cfg["calibration"]["on"] = "top candidates after re-ranking"
    # the registry-size rule (thresholds by number of dogs, margin), on the final engine
    rule, report["scale"] = fit_scale_rule(make_engine(cfg), data_dir, progress=progress)
    if rule is not None:
        cfg["scale"] = rule.to_config()
    cfg["tuning_report"] = report
    cfg["fitted_on"] = "tune dogs (id % 10 == 5)"
    return cfg


# ------------------------------------------------------------------------------------------ per engine
def calibrate_learned(data_dir: str | Path, folder: Path | str = MODEL_DIR, try_fusion: bool = True,
                      progress: bool = True) -> dict:
    """Fit and write nose_embed_v1.json on the 'tune' dogs (fit_engine_config above)."""
    folder = Path(folder)
    old = json.loads((folder / CONFIG).read_text()) if (folder / CONFIG).exists() else {}
    cfg = fit_engine_config(lambda c: LearnedEngine(folder, config=c), data_dir, try_fusion=try_fusion,
                            try_flip=True, progress=progress, try_sizes=(160, 192))
    if old.get("template_version"):  # still valid only if the same templates come out (checked at load)
        cfg["template_version"] = old["template_version"]
    (folder / CONFIG).write_text(json.dumps(cfg, indent=1))
    return cfg


def calibrate_classical(data_dir: str | Path, folder: Path | str = MODEL_DIR, progress: bool = True) -> dict:
    """Fit classical.json (threshold, review band, calibration, fusion rule) on the 'tune' dogs of data_dir.
    Without that file the engine uses its defaults; it needs no training data either way."""
    folder = Path(folder)
    shared = {"descriptor": None}

    def make(cfg: dict) -> ClassicalEngine:
        e = ClassicalEngine(config=cfg)
        if shared["descriptor"] is not None:
            e._descriptor = shared["descriptor"]
        else:
            e.embed([np.zeros((64, 64, 3), np.uint8)])
            shared["descriptor"] = e._descriptor
        return e

    cfg = fit_engine_config(make, data_dir, try_fusion=True, try_flip=False, progress=progress,
                            base={"fusion": None})
    folder.mkdir(parents=True, exist_ok=True)
    (folder / CLASSICAL_CONFIG).write_text(json.dumps(cfg, indent=1))
    return cfg
