"""Recognition speed: one photo -> decision on a gallery of real templates, and gallery search at scale.

    python bench/bench_recognition.py [--engine auto] [--data ../shared/data/nose-pbc2022] [--gallery-photos 600]
                                      [--sizes 10000,100000,1000000] [--probes 40] [--old-model DIR]

Prints JSON: the embedding time of one photo under each runtime side by side (onnxruntime, what the product runs,
and PyTorch when the train extra is installed, on the same photos in turn, with the templates' agreement), lookup
latency p50/p95 (quality gate + embedding + gallery search + re-ranking when the engine
fuses RootSIFT), and for synthetic galleries (clustered unit vectors, 4 templates per dog) build time, search
time p50/p95, recall of the right dog at rank 1 against exact search, bytes per template. Wall-clock times are
given with the CPU time of this process beside them, because a shared machine inflates wall time.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from functools import partial
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from core.recognition.gallery import Gallery  # noqa: E402


def _pct(xs: list[float]) -> dict:
    return {"p50_ms": round(float(np.median(xs)) * 1000, 2), "p95_ms": round(float(np.percentile(xs, 95)) * 1000, 2)}


def lookup_latency(engine_kind: str, data: Path, gallery_photos: int, probes: int, rerank_top: int = 3,
                   rerank: bool = True) -> dict:
    from core.recognition.data import list_dogs, read_bgr
    from core.recognition.factory import load_engine

    engine = load_engine(engine_kind)
    if not rerank:
        engine.fusion = None
    dogs = list_dogs(data, "test")
    enrolled, probe_paths = [], []
    for d, ps in dogs.items():
        if len(enrolled) >= gallery_photos:
            break
        enrolled += [(d, p) for p in ps[:-1]]
        if len(ps) >= 2 and len(probe_paths) < probes:
            probe_paths.append((d, ps[-1]))
    images = {p: read_bgr(p) for _, p in enrolled}
    g = Gallery(engine.dim)
    t = time.perf_counter()
    vecs = np.concatenate([engine.embed([images[p] for _, p in enrolled[i: i + 32]])
                           for i in range(0, len(enrolled), 32)])
    enroll_s = time.perf_counter() - t
    g.add([str(p) for _, p in enrolled], [d for d, _ in enrolled], vecs)
    from core.recognition.base import VERIFY_PHOTOS, StoredPhoto
    from core.recognition.data import read_bgr as load_from_disk  # as the use case loads a stored photo
    walls, cpus, parts = [], [], {"quality": [], "embed": [], "search": [], "rerank": []}
    hits = 0
    for i, (d, p) in enumerate(probe_paths):
        img = read_bgr(p)
        w0, c0 = time.perf_counter(), time.process_time()
        engine.quality(img)
        w1 = time.perf_counter()
        v = engine.embed([img])[0]
        w2 = time.perf_counter()
        found = g.search_templates(v, k=5)
        w3 = time.perf_counter()
        top = found[:rerank_top]
        cands = {dog: [StoredPhoto(key, partial(load_from_disk, key)) for key in keys[:VERIFY_PHOTOS]]
                 for dog, _, keys in top}
        rescored = engine.rerank(img, cands, {dog: score for dog, score, _ in top})
        best = max({**{dog: score for dog, score, _ in found}, **rescored}.items(), key=lambda kv: kv[1])
        engine.decide(best[1])
        w4 = time.perf_counter()
        if i == 0:  # warm-up (lazy model load, allocator)
            continue
        hits += best[0] == d
        walls.append(w4 - w0)
        cpus.append(time.process_time() - c0)
        for k, a, b in (("quality", w0, w1), ("embed", w1, w2), ("search", w2, w3), ("rerank", w3, w4)):
            parts[k].append(b - a)
    return {"engine": f"{engine.name} {engine.version}", "gallery_templates": len(g),
            "gallery_dogs": len({d for d, _ in enrolled}), "probes": len(walls),
            "rank1_on_this_gallery": hits / max(1, len(walls)),
            "enroll_ms_per_photo_batched": round(enroll_s / len(enrolled) * 1000, 1),
            "lookup_wall": _pct(walls), "lookup_cpu": _pct(cpus),
            "parts_wall_p50_ms": {k: round(float(np.median(v)) * 1000, 2) for k, v in parts.items()}}


def embed_runtimes(data: Path, photos: int = 40, threads: int = 2, old_model: Path | None = None) -> dict:
    """One photo at a time (the look-up case), with the engine's input size and flip, under both runtimes, and the
    old model (a folder of its files, --old-model) beside the installed one."""
    from core.recognition.data import list_dogs, read_bgr
    from core.recognition.learned import TORCH_WEIGHTS, LearnedEngine

    engine = LearnedEngine(threads=threads)
    images = [read_bgr(ps[0]) for ps in list(list_dogs(data, "test").values())[:photos]]
    runtimes = {"onnxruntime": engine.embed}
    old = LearnedEngine(old_model, threads=threads) if old_model else None
    if old is not None:
        runtimes["old_model"] = old.embed
    try:
        from core.recognition.training.export import TorchEmbedder

        runtimes["torch"] = TorchEmbedder(engine.folder / TORCH_WEIGHTS, engine, threads=threads).embed
    except ModuleNotFoundError as exc:  # the product's install: no torch to compare with
        torch_missing = f"not installed ({exc.name}; pip install -e '.[train]')"
    else:
        torch_missing = None
    times: dict[str, list[float]] = {k: [] for k in runtimes}
    templates: dict[str, list[np.ndarray]] = {k: [] for k in runtimes}
    for i, img in enumerate(images):
        for name, embed in runtimes.items():
            t = time.perf_counter()
            v = embed([img])
            if i:  # the first call of each runtime warms it up
                times[name].append(time.perf_counter() - t)
            templates[name].append(v[0])
    out = {"engine": f"{engine.name} {engine.version}", "input_size": engine.input_size, "tta_flip": engine.tta_flip,
           "threads": threads, "photos": len(images) - 1}
    for name in runtimes:
        out[name] = _pct(times[name])
    if old is not None:
        out["old_model"].update(engine=f"{old.name} {old.version}", input_size=old.input_size, tta_flip=old.tta_flip)
    if torch_missing:
        out["torch"] = torch_missing
    else:
        cos = np.sum(np.array(templates["onnxruntime"]) * np.array(templates["torch"]), axis=1)  # same weights
        out["template_cosine_min"] = round(float(cos.min()), 7)
    return out


def synthetic(n: int, dim: int, seed: int = 0, per_dog: int = 4, spread: float = 0.06):
    rng = np.random.default_rng(seed)
    dogs = n // per_dog
    centres = rng.standard_normal((dogs, dim), dtype=np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    v = np.repeat(centres, per_dog, axis=0)
    v += rng.standard_normal(v.shape, dtype=np.float32) * spread
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    return centres, v


def search_bench(n: int, dim: int, queries: int = 200) -> dict:
    import faiss

    centres, v = synthetic(n, dim)
    keys = [f"t{i}" for i in range(n)]
    owners = [f"d{i // 4}" for i in range(n)]
    t = time.perf_counter()
    g = Gallery(dim)
    g.add(keys, owners, v)
    build = time.perf_counter() - t
    rng = np.random.default_rng(1)
    qi = rng.choice(len(centres), queries, replace=False)
    q = centres[qi] + rng.standard_normal((queries, dim), dtype=np.float32) * 0.06
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    g.search(q[0], k=5)
    walls, cpus, hits = [], [], 0
    for j in range(queries):
        w, c = time.perf_counter(), time.process_time()
        res = g.search(q[j], k=5)
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
        hits += res[0][0] == f"d{qi[j]}"
    # exact answer for the same queries (recall of the index against brute force)
    exact = 0
    best = np.full(queries, -2.0, np.float32)
    arg = np.zeros(queries, np.int64)
    for s in range(0, n, 200_000):
        sims = q @ v[s: s + 200_000].T
        a = sims.argmax(1)
        m = sims[np.arange(queries), a]
        upd = m > best
        best[upd], arg[upd] = m[upd], a[upd] + s
    exact = int(sum(arg[j] // 4 == qi[j] for j in range(queries)))
    size = len(faiss.serialize_index(g._index))
    return {"templates": n, "index": "IVFFlat" if g.approximate else "FlatIP", "build_s": round(build, 1),
            "search_wall": _pct(walls), "search_cpu": _pct(cpus), "right_dog_rank1": hits / queries,
            "exact_search_rank1": exact / queries, "index_bytes_per_template": round(size / n, 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--engine", default="auto")
    ap.add_argument("--data", default=str(REPO.parent / "shared" / "data" / "nose-pbc2022"))
    ap.add_argument("--gallery-photos", type=int, default=600)
    ap.add_argument("--probes", type=int, default=40)
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--dim", type=int, default=0, help="template size for the synthetic galleries (0: engine's)")
    ap.add_argument("--skip-lookup", action="store_true")
    ap.add_argument("--threads", type=int, default=2, help="threads of the embedding runtimes (the kiosk has 2 cores)")
    ap.add_argument("--no-rerank", action="store_true", help="look-ups without RootSIFT re-ranking")
    ap.add_argument("--old-model", default=None, help="a folder with an earlier model's files, timed beside it")
    a = ap.parse_args()
    out: dict = {}
    dim = a.dim
    if Path(a.data).is_dir():
        out["embed"] = embed_runtimes(Path(a.data), threads=a.threads,
                                      old_model=Path(a.old_model) if a.old_model else None)
        print(json.dumps(out["embed"]), flush=True)
    if not a.skip_lookup and Path(a.data).is_dir():
        out["lookup"] = lookup_latency(a.engine, Path(a.data), a.gallery_photos, a.probes,
                                       rerank=not a.no_rerank)
        print(json.dumps(out["lookup"]), flush=True)
    if not dim:
        from core.recognition.factory import load_engine

        dim = load_engine(a.engine).dim
    out["search"] = []
    for n in (int(x) for x in a.sizes.split(",") if x):
        r = search_bench(n, dim)
        out["search"].append(r)
        print(json.dumps(r), flush=True)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
