"""Accuracy of an engine on any folder-per-dog photo set, per the protocol of shared/data/README.md.

    python -m core.recognition.evaluate DIR [--engine auto|learned|classical] [--split test] [--enroll 5]

  * closed set: every dog with >= 3 photos enrolls all photos but the last and probes with the last
    (enroll=N: dogs with >= N+1 photos enroll the first N and probe with each of the others); rank-1, rank-5,
    and the answers a person gets at the engine's thresholds: the right dog as a match, as "uncertain", or none;
  * verification: every genuine pair and impostor pairs (all of them, or a random 2 M when there are more):
    ROC AUC, EER, TAR at FAR 1e-2 and 1e-3;
  * open set: half the dogs (by a seeded shuffle) enroll all photos but the last; their last photos are genuine
    probes and every photo of the other half is a stranger; false-accept rate (a stranger's best score reaches the
    engine's threshold) and false-reject rate (an enrolled dog's probe is not matched to itself at the threshold);
  * latency per photo (quality + embedding, batch of one).
If the engine re-ranks (geometric verification), rank-1/rank-5 and open set are given with and without it.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path

import numpy as np

from core.recognition.base import RERANK_TOP, Engine, StoredPhoto
from core.recognition.data import list_dogs, read_bgr


class EmbeddedSet:
    """The photos of a set, their owners and templates (computed once, reused by every protocol)."""

    def __init__(self, dogs: dict[str, list[Path]], engine: Engine, progress: bool = True, batch: int = 32):
        self.dogs = dogs
        self.paths = [p for ps in dogs.values() for p in ps]
        self.owner = np.array([d for d, ps in dogs.items() for _ in ps])
        self.images = [read_bgr(p) for p in self.paths]
        self.index: dict[str, list[int]] = {}
        for i, d in enumerate(self.owner.tolist()):
            self.index.setdefault(d, []).append(i)
        t0 = time.perf_counter()
        chunks = []
        it = range(0, len(self.images), batch)
        if progress:
            from tqdm import tqdm

            it = tqdm(it, desc="embedding", file=sys.stderr, mininterval=5)
        for i in it:
            chunks.append(engine.embed(self.images[i: i + batch]))
        self.emb = np.concatenate(chunks).astype(np.float32)
        self.embed_s_per_photo = (time.perf_counter() - t0) / max(1, len(self.images))

    def restricted(self, dogs: list[str]) -> EmbeddedSet:
        """The same set with only these dogs (templates not recomputed)."""
        rows = [i for d in dogs for i in self.index[d]]
        es = EmbeddedSet.__new__(EmbeddedSet)
        es.dogs = {d: self.dogs[d] for d in dogs}
        es.paths = [self.paths[i] for i in rows]
        es.owner = self.owner[rows]
        es.images = [self.images[i] for i in rows]
        es.index = {}
        for i, d in enumerate(es.owner.tolist()):
            es.index.setdefault(d, []).append(i)
        es.emb = self.emb[rows]
        es.embed_s_per_photo = self.embed_s_per_photo
        return es

    def most_alike(self, probe: int, photos: list[int]) -> list[int]:
        """`photos` ordered by the similarity of their templates to the probe's, best first (as the gallery
        hands them to re-ranking)."""
        return sorted(photos, key=lambda i: -float(self.emb[i] @ self.emb[probe]))


def _rank_of_truth(scores: dict[str, float], truth: str) -> int:
    order = sorted(scores, key=lambda d: -scores[d])
    return order.index(truth) + 1 if truth in order else 10 ** 6


def _dog_scores(sims: np.ndarray, gallery_owner: np.ndarray) -> dict[str, float]:
    """Best template similarity per enrolled dog."""
    best: dict[str, float] = {}
    order = np.argsort(-sims)
    for j in order:
        d = gallery_owner[j]
        if d not in best:
            best[d] = float(sims[j])
    return best


def _rerank(engine: Engine, es: EmbeddedSet, probe: int, scores: dict[str, float], gallery: set[int],
            top: int = RERANK_TOP) -> dict[str, float]:
    best = sorted(scores, key=lambda d: -scores[d])[:top]
    cands = {d: [StoredPhoto(str(es.paths[i]), partial(es.images.__getitem__, i))
                 for i in es.most_alike(probe, [i for i in es.index[d] if i in gallery])] for d in best}
    new = engine.rerank(es.images[probe], cands, {d: scores[d] for d in best})
    return {**scores, **new}


def closed_set(es: EmbeddedSet, engine: Engine, enroll: int | None = None, rerank: bool = False,
               progress: bool = False) -> dict:
    probes: list[int] = []
    gallery: list[int] = []
    for _d, idx in es.index.items():
        if enroll is None:
            if len(idx) >= 3:
                gallery += idx[:-1]
                probes.append(idx[-1])
        elif len(idx) >= enroll + 1:
            gallery += idx[:enroll]
            probes += idx[enroll:]
    if not probes:
        return {"probes": 0}
    g = np.array(gallery)
    gset = set(gallery)
    sims = es.emb[probes] @ es.emb[g].T
    ranks, ranks_rr, answers = [], [], []
    it = enumerate(probes)
    if progress and rerank:
        from tqdm import tqdm

        it = tqdm(it, total=len(probes), desc="re-ranking", file=sys.stderr, mininterval=5)
    for k, p in it:
        scores = _dog_scores(sims[k], es.owner[g])
        ranks.append(_rank_of_truth(scores, es.owner[p]))
        if rerank:
            scores = _rerank(engine, es, p, scores, gset)
            ranks_rr.append(_rank_of_truth(scores, es.owner[p]))
        top = max(scores, key=scores.get)
        answers.append((top == es.owner[p], scores[top]))
    r = np.array(ranks)
    out = {"dogs": len({es.owner[p] for p in probes}), "probes": len(probes), "gallery_photos": len(gallery),
           "rank1": float((r <= 1).mean()), "rank5": float((r <= 5).mean()),
           f"top{RERANK_TOP}_contains_truth": float((r <= RERANK_TOP).mean())}
    if rerank:
        rr = np.array(ranks_rr)
        out["reranked"] = {"rank1": float((rr <= 1).mean()), "rank5": float((rr <= 5).mean())}
    right = np.array([a for a, _ in answers])
    best = np.array([b for _, b in answers])
    out["answers"] = {"right_dog_matched": float((right & (best >= engine.threshold)).mean()),
                      "right_dog_uncertain": float((right & (best >= engine.uncertain_threshold)
                                                    & (best < engine.threshold)).mean()),
                      "wrong_dog_matched": float((~right & (best >= engine.threshold)).mean()),
                      "reranked": rerank}
    return out


def pair_scores(emb: np.ndarray, owner: np.ndarray, max_impostors: int = 2_000_000,
                seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(scores, labels) of every genuine pair and of all (or a random max_impostors) impostor pairs."""
    n = len(emb)
    rng = np.random.default_rng(seed)
    total = n * (n - 1) // 2
    if total <= max_impostors * 1.2:
        iu = np.triu_indices(n, 1)
        s = np.einsum("ij,ij->i", emb[iu[0]], emb[iu[1]]) if n > 6000 else (emb @ emb.T)[iu]
        same = owner[iu[0]] == owner[iu[1]]
        return s.astype(np.float32), same
    gen_s = []
    idx: dict[str, list[int]] = {}
    for i, d in enumerate(owner.tolist()):
        idx.setdefault(d, []).append(i)
    for ids in idx.values():
        if len(ids) > 1:
            e = emb[ids]
            gen_s.append((e @ e.T)[np.triu_indices(len(ids), 1)])
    a = rng.integers(0, n, max_impostors)
    b = rng.integers(0, n, max_impostors)
    keep = owner[a] != owner[b]
    imp = np.einsum("ij,ij->i", emb[a[keep]], emb[b[keep]])
    gen = np.concatenate(gen_s)
    return np.concatenate([gen, imp]).astype(np.float32), np.r_[np.ones(len(gen), bool), np.zeros(len(imp), bool)]


def verification(scores: np.ndarray, labels: np.ndarray) -> dict:
    from sklearn.metrics import roc_auc_score, roc_curve

    fpr, tpr, thr = roc_curve(labels, scores)
    eer_i = int(np.nanargmin(np.abs(fpr - (1 - tpr))))
    out = {"genuine_pairs": int(labels.sum()), "impostor_pairs": int((~labels).sum()),
           "auc": float(roc_auc_score(labels, scores)), "eer": float((fpr[eer_i] + 1 - tpr[eer_i]) / 2)}
    for far in (1e-2, 1e-3):
        i = int(np.searchsorted(fpr, far, side="right") - 1)
        out[f"tar@far{far:g}"] = float(tpr[i])
        out[f"threshold@far{far:g}"] = float(thr[i])
    return out


def open_set_split(es: EmbeddedSet, seed: int) -> tuple[list[int], list[int], list[int], set[str]]:
    """(gallery, genuine probes, stranger probes, enrolled dogs): a seeded half of the dogs enrolls all photos but
    the last (the last is a genuine probe); every photo of the other half is a stranger."""
    rng = np.random.default_rng(seed)
    ids = sorted(es.index)
    rng.shuffle(ids)
    enrolled = set(ids[: len(ids) // 2])
    gallery, genuine, strangers = [], [], []
    for d, idx in es.index.items():
        if d in enrolled:
            if len(idx) >= 2:
                gallery += idx[:-1]
                genuine.append(idx[-1])
            else:
                gallery += idx
        else:
            strangers += idx
    return gallery, genuine, strangers, enrolled


def open_set_scores(es: EmbeddedSet, engine: Engine, seed: int = 0, rerank: bool = False,
                    progress: bool = False) -> dict:
    """Best-candidate scores of genuine probes (and whether that candidate is the right dog) and of strangers."""
    gallery, genuine, strangers, enrolled = open_set_split(es, seed)
    g = np.array(gallery)
    gset = set(gallery)

    def best(probes: list[int], desc: str) -> tuple[np.ndarray, np.ndarray]:
        sims = es.emb[probes] @ es.emb[g].T
        top_s, top_right = [], []
        it = enumerate(probes)
        if progress and rerank:
            from tqdm import tqdm

            it = tqdm(it, total=len(probes), desc=desc, file=sys.stderr, mininterval=5)
        for k, p in it:
            scores = _dog_scores(sims[k], es.owner[g])
            if rerank:
                scores = _rerank(engine, es, p, scores, gset)
            d = max(scores, key=scores.get)
            top_s.append(scores[d])
            top_right.append(d == es.owner[p])
        return np.array(top_s), np.array(top_right)

    gs, gr = best(genuine, "open set, enrolled")
    ss, _ = best(strangers, "open set, strangers")
    return {"genuine_best": gs, "genuine_right": gr, "stranger_best": ss, "enrolled_dogs": len(enrolled),
            "gallery_photos": len(gallery)}


def open_set_rates(o: dict, threshold: float, review: float | None = None) -> dict:
    """Rates at the match threshold; with `review` (the engine's uncertain threshold) also how often the answer
    is 'uncertain': the right dog shown to a person for comparison, or a stranger shown to one."""
    gb, gr, sb = o["genuine_best"], o["genuine_right"], o["stranger_best"]
    out = {"enrolled_dogs": o["enrolled_dogs"], "genuine_probes": int(len(gb)), "stranger_probes": int(len(sb)),
           "threshold": float(threshold), "false_accept_rate": float((sb >= threshold).mean()),
           "false_reject_rate": float(1 - ((gb >= threshold) & gr).mean()),
           "wrong_dog_matched": float(((gb >= threshold) & ~gr).mean())}
    if review is not None:
        band = (gb >= review) & (gb < threshold)
        out.update({"review_threshold": float(review), "genuine_right_dog_for_review": float((band & gr).mean()),
                    "stranger_for_review": float(((sb >= review) & (sb < threshold)).mean())})
    return out


def latency(engine: Engine, images: list[np.ndarray], n: int = 20) -> dict:
    q, e = [], []
    for img in images[:n]:
        t = time.perf_counter()
        engine.quality(img)
        q.append(time.perf_counter() - t)
        t = time.perf_counter()
        engine.embed([img])
        e.append(time.perf_counter() - t)
    return {"quality_ms_p50": float(np.median(q) * 1000), "embed_ms_p50": float(np.median(e) * 1000),
            "embed_ms_p95": float(np.percentile(e, 95) * 1000)}


def evaluate(dir: str | Path, engine: Engine, enroll: int | None = None,
             dogs_filter: Iterable[str] | Callable[[str], bool] | None = None, progress: bool = True,
             split: str = "all", rerank: bool | None = None, distractors: str | Path | None = None,
             distractors_max: int | None = None) -> dict:
    """Evaluate `engine` on the folder-per-dog set `dir` (dogs of `split`, optionally only those accepted by
    `dogs_filter`: a collection of ids or a predicate). rerank=None: re-rank when the engine has a fusion rule.
    With `distractors` (a folder-per-dog set, up to `distractors_max` dogs) the report also has "scale": the
    decisions a person gets with those dogs registered as well (core.recognition.scale). Returns a JSON-able
    dict."""
    dogs = list_dogs(dir, split)
    if dogs_filter is not None:
        keep = dogs_filter if callable(dogs_filter) else set(dogs_filter).__contains__
        dogs = {d: ps for d, ps in dogs.items() if keep(d)}
    if rerank is None:
        rerank = engine.reranks
    t0 = time.time()
    extra: dict[str, list[Path]] = {}
    if distractors is not None:
        from core.recognition.scale import ENROLL_MAX

        extra = {d: ps[:ENROLL_MAX] for d, ps in list_dogs(distractors).items() if d not in dogs}
        if distractors_max is not None:
            extra = dict(list(extra.items())[:max(0, distractors_max)])
    both = EmbeddedSet({**dogs, **extra}, engine, progress=progress)
    es = both.restricted(list(dogs)) if extra else both
    quality_ok = sum(engine.quality(img).ok for img in es.images)
    out: dict = {"engine": f"{engine.name} {engine.version}", "dir": str(dir), "split": split,
                 "dogs": len(dogs), "photos": len(es.paths), "quality_pass_rate": quality_ok / max(1, len(es.paths))}
    out["closed_set"] = closed_set(es, engine, enroll=None, rerank=rerank, progress=progress)
    if enroll:
        out[f"enroll{enroll}"] = closed_set(es, engine, enroll=enroll, rerank=rerank, progress=progress)
    s, lab = pair_scores(es.emb, es.owner)
    out["verification"] = verification(s, lab)
    o = open_set_scores(es, engine, rerank=False)
    out["open_set"] = open_set_rates(o, engine.threshold, engine.uncertain_threshold)
    if rerank:
        o = open_set_scores(es, engine, rerank=True, progress=progress)
        out["open_set_reranked"] = open_set_rates(o, engine.threshold, engine.uncertain_threshold)
    if distractors is not None:
        from core.recognition.data import split_of
        from core.recognition.scale import scale_report

        out["scale"] = {"distractors_dir": str(distractors), "distractor_dogs": len(extra),
                        **scale_report(both, list(dogs), list(extra), engine, progress=progress)}
        trained_on = sum(split_of(d) != "test" for d in extra)
        if getattr(engine, "meta", None) and trained_on:
            out["scale"]["note"] = (f"{trained_on} of the {len(extra)} distractor dogs are training or tune dogs of "
                                    "the shipped weights (nose-pbc2022 ids not ending in 0): the weights were "
                                    "trained on them")
    out["latency"] = latency(engine, es.images)
    out["latency"]["embed_batched_ms_per_photo"] = both.embed_s_per_photo * 1000
    out["seconds"] = time.time() - t0
    return out


def eval_command(dir: str, engine: str = "auto", enroll: int | None = None, split: str = "all",
                 rerank: bool | None = None, out: str | None = None, progress: bool = True,
                 distractors: str | None = None, distractors_max: int | None = None) -> dict:
    """CLI entry point (savepets eval DIR [--enroll 5] [--split test] [--distractors DIR2]): prints and returns the
    result dict."""
    from core.recognition.factory import load_engine

    eng = load_engine(engine)
    res = evaluate(dir, eng, enroll=enroll, split=split, rerank=rerank, progress=progress, distractors=distractors,
                   distractors_max=distractors_max)
    if split in ("all", "train", "tune") and getattr(eng, "meta", None):
        # the shipped weights were trained on the 'train' dogs and tuned on the 'tune' dogs of nose-pbc2022
        res["note"] = ("if this is the training set of the weights, only --split test gives figures on dogs "
                       "that training and tuning never saw")
    text = json.dumps(res, indent=1)
    if out:
        Path(out).write_text(text)
    print(text)
    return res


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dir")
    ap.add_argument("--engine", default="auto")
    ap.add_argument("--enroll", type=int, default=None)
    ap.add_argument("--split", default="all", choices=["all", "train", "tune", "test"])
    ap.add_argument("--rerank", choices=["auto", "on", "off"], default="auto")
    ap.add_argument("--out", default=None)
    ap.add_argument("--distractors", default=None)
    ap.add_argument("--distractors-max", type=int, default=None)
    a = ap.parse_args(argv)
    eval_command(a.dir, a.engine, a.enroll, a.split, {"auto": None, "on": True, "off": False}[a.rerank], a.out,
                 distractors=a.distractors, distractors_max=a.distractors_max)


if __name__ == "__main__":
    main()
