"""Evaluation protocols on a folder-per-dog photo set, the building blocks of the accuracy report
(core.recognition.evaluate), the fitting of operating points (core.recognition.calibration) and the
registry-size report (core.recognition.scale): the photos embedded once (EmbeddedSet), closed-set ranks,
verification pairs, the open-set split and its rates, latency."""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from functools import partial
from pathlib import Path

import numpy as np

from core.recognition.base import RERANK_TOP, Engine, StoredPhoto
from core.recognition.data import list_dogs, read_bgr
from core.recognition.quality import assess


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


def rank_of_truth(scores: dict[str, float], truth: str) -> int:
    order = sorted(scores, key=lambda d: -scores[d])
    return order.index(truth) + 1 if truth in order else 10 ** 6


def dog_scores(sims: np.ndarray, gallery_owner: np.ndarray) -> dict[str, float]:
    """Best template similarity per enrolled dog."""
    best: dict[str, float] = {}
    order = np.argsort(-sims)
    for j in order:
        d = gallery_owner[j]
        if d not in best:
            best[d] = float(sims[j])
    return best


def rerank_scores(engine: Engine, es: EmbeddedSet, probe: int, scores: dict[str, float], gallery: set[int],
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
        scores = dog_scores(sims[k], es.owner[g])
        ranks.append(rank_of_truth(scores, es.owner[p]))
        if rerank:
            scores = rerank_scores(engine, es, p, scores, gset)
            ranks_rr.append(rank_of_truth(scores, es.owner[p]))
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


TAIL_FARS = (1e-3, 1e-4, 1e-5)


def far_tail(emb: np.ndarray, owner: np.ndarray, fars: tuple[float, ...] = TAIL_FARS, block: int = 1024) -> dict:
    """TAR at very low false-accept rates, exact over EVERY cross-dog pair of the set (no sampling: at FAR 1e-5 a
    sample would hold a handful of impostors above the threshold, or none). Per FAR f: the per-pair threshold t that
    at most floor(f * N) of the N impostor pairs exceed, and the share of genuine pairs above t. Only the top of the
    impostor scores is kept, block by block, so a set of 10,000 photos (50 M pairs) needs little memory. A FAR with
    fewer than one impostor pair to spare (f * N < 1) cannot be measured on this set: None."""
    n = len(emb)
    owner = np.asarray(owner)
    same_pairs = sum(c * (c - 1) // 2 for c in np.unique(owner, return_counts=True)[1])
    impostors = n * (n - 1) // 2 - same_pairs
    keep = int(max(fars) * impostors) + 1
    top = np.empty(0, np.float32)
    genuine = []
    for i0 in range(0, n, block):
        i1 = min(n, i0 + block)
        sims = emb[i0:i1] @ emb[i0:].T  # pairs (i, j) with j > i only
        upper = np.arange(i0, n)[None, :] > np.arange(i0, i1)[:, None]
        same = owner[i0:i1, None] == owner[None, i0:]
        genuine.append(sims[upper & same])
        cand = np.concatenate([top, sims[upper & ~same].astype(np.float32)])
        top = cand if len(cand) <= keep else np.partition(cand, len(cand) - keep)[-keep:]
    top = np.sort(top)[::-1]
    gen = np.concatenate(genuine) if genuine else np.empty(0, np.float32)
    out: dict = {"genuine_pairs": int(len(gen)), "impostor_pairs": int(impostors)}
    for far in fars:
        allowed = int(far * impostors)
        if allowed < 1 or not len(gen):
            out[f"tar@far{far:g}"] = out[f"threshold@far{far:g}"] = None
            continue
        t = float(top[allowed])  # allowed impostors lie above it
        out[f"tar@far{far:g}"] = float(np.mean(gen > t))
        out[f"threshold@far{far:g}"] = t
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
            scores = dog_scores(sims[k], es.owner[g])
            if rerank:
                scores = rerank_scores(engine, es, p, scores, gset)
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


def pass_rate(root: str, split: str = "all") -> dict:
    """Share of the photos of a folder-per-dog set that pass the gate, and why the others fail."""
    dogs = list_dogs(root, split)
    counts: Counter[str] = Counter()
    n = ok = 0
    for paths in dogs.values():
        for p in paths:
            q = assess(read_bgr(p))
            n += 1
            ok += q.ok
            counts.update(q.reasons)
    return {"photos": n, "passed": ok, "pass_rate": ok / max(1, n), "reasons": dict(counts)}


if __name__ == "__main__":
    print(json.dumps(pass_rate(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "all"), indent=1))
