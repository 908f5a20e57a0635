"""The gallery at national scale: start-up, memory, look-up speed and ranking with N templates.

    nice python bench/bench_gallery_scale.py --templates 1000000 [--work DIR] [--probes 200] [--lookups 60]

Fills a SQLite registry (in --work, kept for the next run of the same N) with N templates:
- every dog of --data (../shared/data/nose-pbc2022) with a photo to spare: all its photos but the last (at most 5)
  registered through the registration writer, with templates of the shipped engine (the embeddings are cached in
  --cache, so a second run embeds nothing); its last photo is its probe;
- hidden among generated dogs of 5 templates each, drawn from Gaussians fitted to the real templates: a dog's
  centre from the spread of the real dogs' mean templates (between-dog covariance), each template around it from
  the spread of real templates around their dog's mean (within-dog covariance), normalised like real templates.
  Their score distribution against the real probes is printed beside the real impostor scores (quantiles and a
  histogram: "impostor_scores"), so the crowd can be judged as hard as real dogs are. Generated in chunks (a seed
  per chunk), never all at once, written with plain inserts; their templates point at real photos (as a real
  candidate would, so verification costs what it costs).

Then, each in a fresh process (so that its memory is its own): a start from the database (no snapshot: the gallery
is built from the templates table in chunks and saved), and a start from the snapshot; for the latter, resident
memory (RSS) after start and after the look-ups, look-up p50/p95 through the use case (core.usecases.SavePets.lookup,
one photo of a real dog), and for --probes real probes the real dog's rank in the gallery's search against its rank
in an exact search (float32 inner products with every template, chunk by chunk). Prints JSON.

    nice python bench/bench_gallery_scale.py --templates 15000000 --gallery-only [--shares 0.1,0.5]

The same templates straight into a gallery (no registry, no look-up through the use case: what a registry of 15 M
takes hours to fill): build and save in a fresh process, start from the snapshot in another, resident memory, the
gallery's search p50/p95 (k=50 dogs) and the real dog's rank against exact search, again for each --shares of the
lists searched.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

CHUNK = 100_000  # generated templates per chunk
PER_DOG = 5
SEED = 20261203


# ---------------------------------------------------------------------------------------------- real dogs
def real_set(data: Path, cache: Path, engine) -> dict:
    """Enrolled templates and probe embeddings of the real dogs (cached per engine)."""
    from core.photos import decode_photo
    from core.recognition.data import list_dogs

    path = cache / f"real-{engine.name}-{engine.version}.npz"
    if path.exists():
        z = np.load(path, allow_pickle=False)
        return {k: z[k] for k in z.files}
    dogs = list_dogs(data)
    names, enroll_paths, enroll_dog, probe_paths = [], [], [], []
    for d in sorted(dogs):
        ps = dogs[d]
        if len(ps) < 2:
            continue
        names.append(d)
        for p in ps[:-1][:PER_DOG]:
            enroll_paths.append(str(p))
            enroll_dog.append(len(names) - 1)
        probe_paths.append(str(ps[-1]))

    def embed(paths: list[str]) -> np.ndarray:
        out = []
        t0 = time.perf_counter()
        for i in range(0, len(paths), 32):
            imgs = [decode_photo(Path(p).read_bytes(), label=Path(p).name).image for p in paths[i:i + 32]]
            out.append(engine.embed(imgs).astype(np.float32))
            if (i // 32) % 20 == 0:
                print(f"embedded {i + len(imgs)}/{len(paths)} in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
        return np.concatenate(out)

    res = {"names": np.array(names), "enroll_paths": np.array(enroll_paths), "enroll_dog": np.array(enroll_dog),
           "enroll": embed(enroll_paths), "probe_paths": np.array(probe_paths), "probe": embed(probe_paths)}
    cache.mkdir(parents=True, exist_ok=True)
    np.savez(path, **res)
    return res


class Generator:
    """Generated dogs: centre ~ N(mean, between-dog covariance), template ~ centre + N(0, within-dog covariance),
    normalised. Chunk c is made from seed (SEED, c) alone, so an exact search can make it again."""

    def __init__(self, enroll: np.ndarray, dog: np.ndarray):
        dim = enroll.shape[1]
        means = np.stack([enroll[dog == d].mean(0) for d in np.unique(dog)])
        resid = enroll - means[np.searchsorted(np.unique(dog), dog)]
        self.mean = means.mean(0)
        eps = 1e-6 * np.eye(dim)
        self.between = np.linalg.cholesky(np.cov(means, rowvar=False) + eps).astype(np.float32)
        self.within = np.linalg.cholesky(np.cov(resid, rowvar=False) + eps).astype(np.float32)
        self.dim = dim

    def chunk(self, c: int, n: int) -> np.ndarray:
        rng = np.random.default_rng((SEED, c))
        dogs = (n + PER_DOG - 1) // PER_DOG
        centres = self.mean + rng.standard_normal((dogs, self.dim), np.float32) @ self.between.T
        v = np.repeat(centres, PER_DOG, axis=0)[:n] + rng.standard_normal((n, self.dim), np.float32) @ self.within.T
        v /= np.linalg.norm(v, axis=1, keepdims=True)
        return v.astype(np.float32)


def quantiles(x: np.ndarray) -> dict:
    qs = [0.5, 0.9, 0.99, 0.999, 0.9999]
    return {"n": int(x.size), "mean": round(float(x.mean()), 4), **{f"q{q}": round(float(np.quantile(x, q)), 4)
                                                                    for q in qs}, "max": round(float(x.max()), 4)}


def histogram(x: np.ndarray, edges: np.ndarray) -> list[float]:
    h, _ = np.histogram(x, edges)
    return [round(float(v), 5) for v in h / max(1, x.size)]


# ---------------------------------------------------------------------------------------------- the registry
def fill(work: Path, n_templates: int, real: dict, gen: Generator) -> dict:
    """The registry in work/data with the real dogs and generated ones up to n_templates templates."""
    from real_registry import register_real_dog
    from sqlalchemy import insert, select

    from core.registry.encrypted import place_rows
    from core.registry.models import Dog, NosePhoto, NoseTemplate
    from core.settings import Settings
    from core.usecases import SavePets

    done = work / "filled.json"
    if done.exists():
        return json.loads(done.read_text())
    data_dir = work / "data"
    sp = SavePets(Settings(data_dir=data_dir))
    t0 = time.perf_counter()
    names, paths, dog_of = real["names"], real["enroll_paths"], real["enroll_dog"]
    vec_of = {}
    for i, name in enumerate(names):
        idx = np.flatnonzero(dog_of == i)
        vec_of[str(name)] = real["enroll"][idx]
    # the writer embeds the photos: give it the cached vectors instead
    cached = iter([])

    def embed(images):
        return next(cached)

    sp.engine.embed = embed
    for i, name in enumerate(names):
        cached = iter([vec_of[str(name)]])
        register_real_dog(sp, i, f"real-{name}", [Path(p) for p in paths[dog_of == i]])
        if (i + 1) % 500 == 0:
            print(f"registered {i + 1} real dogs in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    e = sp.engine
    with sp.db.sessions() as s:
        stamp = s.execute(select(NoseTemplate.updated_at).limit(1)).scalar_one()
        raw_stamp = s.connection().exec_driver_sql("SELECT updated_at FROM nose_templates LIMIT 1").scalar()
        owner_id = s.scalar(select(Dog.owner_id).limit(1))
        real_photos = s.execute(select(NosePhoto.sha256, NosePhoto.path, NosePhoto.width, NosePhoto.height)).all()
    # the generated dogs were registered a day ago (a snapshot's change-log tail holds only what is recent)
    stamp = stamp - timedelta(days=1)
    raw_stamp = (datetime.fromisoformat(raw_stamp) - timedelta(days=1)).strftime("%Y-%m-%d %H:%M:%S.%f")
    real_n = len(paths)
    generated = max(0, n_templates - real_n)
    rng = np.random.default_rng(SEED)
    t1 = time.perf_counter()
    raw = sqlite3.connect(sp.db.url.removeprefix("sqlite:///"), timeout=60)
    raw.execute("PRAGMA synchronous=OFF")
    raw.execute("PRAGMA cache_size=-500000")
    for c, start in enumerate(range(0, generated, CHUNK)):
        n = min(CHUNK, generated - start)
        v = gen.chunk(c, n)
        dog_ids = [f"g{c:05d}-{k:07d}" for k in range((n + PER_DOG - 1) // PER_DOG)]
        dogs = place_rows(Dog, [{"id": d, "owner_id": owner_id, "registration_number": d, "registered_at": stamp,
                                 "name": "Generated", "created_at": stamp, "updated_at": stamp} for d in dog_ids])
        # each template its own photo row, showing a real photo (five different ones for each dog)
        base = rng.integers(0, len(real_photos), len(dog_ids))
        photos = (np.repeat(base, PER_DOG)[:n] + np.arange(n) % PER_DOG) % len(real_photos)
        blobs = [row.tobytes() for row in v]
        with sp.db.session() as s:
            s.execute(insert(Dog), dogs)
        with raw:  # plain inserts, one transaction a chunk
            conn = raw
            conn.executemany(
                "INSERT INTO nose_photos (id, created_at, updated_at, dog_id, sha256, path, width, height, quality, "
                "position) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(f"p{c:05d}-{k:08d}", raw_stamp, raw_stamp, dog_ids[k // PER_DOG], *real_photos[photos[k]], 1.0,
                  k % PER_DOG) for k in range(n)])
            conn.executemany(
                "INSERT INTO nose_templates (id, created_at, updated_at, photo_id, dog_id, model_name, model_version, "
                "dim, vector, quality) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(f"t{c:05d}-{k:08d}", raw_stamp, raw_stamp, f"p{c:05d}-{k:08d}", dog_ids[k // PER_DOG], e.name,
                  e.version, e.dim, blobs[k], 1.0) for k in range(n)])
        print(f"generated {start + n}/{generated} templates in {time.perf_counter() - t1:.0f} s", file=sys.stderr)
    raw.close()
    sp.close()
    info = {"templates": real_n + generated, "real_templates": real_n, "real_dogs": len(names),
            "generated_templates": generated, "fill_s": round(time.perf_counter() - t0)}
    done.write_text(json.dumps(info))
    return info


def exact_ranks(real: dict, gen: Generator, generated: int, probes: np.ndarray) -> np.ndarray:
    """The real dog's rank (1 = best) among every dog of the registry, by exact float32 scores (probe i is the
    last photo of real dog i)."""
    truth = probes
    q = real["probe"][probes]
    dog_of = real["enroll_dog"]
    sims = q @ real["enroll"].T
    n_real = len(real["names"])
    best_real = np.full((len(q), n_real), -np.inf, np.float32)
    for d in range(n_real):
        cols = np.flatnonzero(dog_of == d)
        best_real[:, d] = sims[:, cols].max(1)
    own = best_real[np.arange(len(q)), truth]
    above = (best_real > own[:, None]).sum(1)
    for c, start in enumerate(range(0, generated, CHUNK)):
        n = min(CHUNK, generated - start)
        s = q @ gen.chunk(c, n).T
        pad = (-n) % PER_DOG
        if pad:
            s = np.concatenate([s, np.full((len(q), pad), -np.inf, np.float32)], 1)
        per_dog = s.reshape(len(q), -1, PER_DOG).max(2)
        above += (per_dog > own[:, None]).sum(1)
    return above + 1


def impostors(real: dict, gen: Generator, generated: int, probes: np.ndarray) -> dict:
    q = real["probe"][probes]
    dog_of = real["enroll_dog"]
    sims = q @ real["enroll"].T
    mask = dog_of[None, :] != probes[:, None]
    real_imp = sims[mask]
    genuine = sims[~mask]
    g = gen.chunk(0, min(CHUNK, max(generated, PER_DOG)))
    gen_imp = (q @ g.T).ravel()
    edges = np.linspace(-0.4, 1.0, 29)
    return {"genuine_real": quantiles(genuine), "real_impostors": quantiles(real_imp),
            "generated_impostors": quantiles(gen_imp), "histogram_edges": [round(float(x), 2) for x in edges],
            "histogram_real_impostors": histogram(real_imp, edges),
            "histogram_generated_impostors": histogram(gen_imp, edges)}


# ---------------------------------------------------------------------------------------------- one start
def rss_mb() -> dict:
    status = Path("/proc/self/status").read_text()
    val = {line.split(":")[0]: int(line.split()[1]) for line in status.splitlines()
           if line.startswith(("VmRSS", "VmHWM", "RssAnon", "RssFile"))}
    return {k: round(v / 1024) for k, v in val.items()}


def serve_phase(a) -> None:
    """A fresh process: start (snapshot or database), then, with --measure, memory, look-ups and ranks."""
    import faiss

    from core.errors import PhotosRejected
    from core.photos import decode_photo
    from core.settings import Settings
    from core.usecases import SavePets

    faiss.omp_set_num_threads(2)
    work = Path(a.work)
    t0 = time.perf_counter()
    sp = SavePets(Settings(data_dir=work / "data"))
    engine_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    g = sp.gallery
    out = {"start_s": round(time.perf_counter() - t1, 2), "engine_and_registry_s": round(engine_s, 2),
           "gallery": sp.gallery_counters(), "templates": len(g), "dogs": g.dogs, "approximate": g.approximate,
           "gallery_bytes_mb": round(g.nbytes() / 2**20), "rss_after_start_mb": rss_mb()}
    if a.measure:
        real = dict(np.load(a.real_cache, allow_pickle=False))
        probes = np.array(json.loads(a.measure))
        names = real["names"]
        ranks, searches = [], []
        for p in probes:
            w = time.perf_counter()
            found = g.search(real["probe"][p], k=50)
            searches.append(time.perf_counter() - w)
            want = f"real-{names[p]}"
            dog_names = [d for d, _ in found]
            ranks.append(next((i + 1 for i, d in enumerate(dog_names) if _name_of(sp, d) == want), 0))
        out["gallery_ranks"] = ranks
        out["search_p50_ms"] = round(float(np.median(searches)) * 1000, 1)  # the gallery alone, k=50 dogs
        walls = []
        for k, p in enumerate(probes[: a.lookups + 1]):
            path = Path(str(real["probe_paths"][p]))
            photo = decode_photo(path.read_bytes(), label=path.name)
            w = time.perf_counter()
            try:
                sp.lookup([photo])
            except PhotosRejected:
                continue
            if k:
                walls.append(time.perf_counter() - w)
        out["lookup_p50_ms"] = round(float(np.median(walls)) * 1000, 1)
        out["lookup_p95_ms"] = round(float(np.percentile(walls, 95)) * 1000, 1)
        out["lookups"] = len(walls)
        out["rss_after_lookups_mb"] = rss_mb()
        out["max_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    sp.close()
    print(json.dumps(out))


# ---------------------------------------------------------------------------------------------- the gallery alone
def gallery_chunks(real: dict, gen: Generator, generated: int):
    """The same templates as fill() (real dogs' ids real-NAME), straight into a gallery: no registry."""
    names = real["names"]
    yield ([f"real-t{i}" for i in range(len(real["enroll"]))], [f"real-{names[d]}" for d in real["enroll_dog"]],
           real["enroll"])
    for c, start in enumerate(range(0, generated, CHUNK)):
        n = min(CHUNK, generated - start)
        yield ([f"t{c:05d}-{k:08d}" for k in range(n)], [f"g{c:05d}-{k // PER_DOG:07d}" for k in range(n)],
               gen.chunk(c, n))


def gallery_phase(a) -> None:
    """A fresh process, --gallery-only: build (and save) the gallery, or start from its snapshot and measure."""
    import faiss

    from core.recognition.gallery import Gallery

    faiss.omp_set_num_threads(2)
    real = dict(np.load(a.real_cache, allow_pickle=False))
    folder = Path(a.work) / "gallery-only"
    out: dict = {}
    t = time.perf_counter()
    if a.phase == "gallery-build":
        gen = Generator(real["enroll"], real["enroll_dog"])
        g = Gallery.build(256, gallery_chunks(real, gen, a.templates - len(real["enroll"])), a.templates, folder)
        out["build_s"] = round(time.perf_counter() - t, 1)
        t = time.perf_counter()
        g.save(folder, "bench")
        out["save_s"] = round(time.perf_counter() - t, 1)
        out["max_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        print(json.dumps(out))
        return
    g = Gallery.load(folder, "bench", 256)
    out["start_s"] = round(time.perf_counter() - t, 2)
    out["rss_after_start_mb"] = rss_mb()
    probes = np.array(json.loads(a.measure))
    names = real["names"]
    shares = [None, *(float(x) for x in a.shares.split(",") if x)]
    ivf = faiss.extract_index_ivf(g._index)
    for share in shares:
        if share is not None:
            ivf.nprobe = max(1, round(ivf.nlist * share))
        ranks, searches = [], []
        for p in probes:
            w = time.perf_counter()
            found = g.search(real["probe"][p], k=50)
            searches.append(time.perf_counter() - w)
            ranks.append(next((i + 1 for i, (d, _) in enumerate(found) if d == f"real-{names[p]}"), 0))
        out.setdefault("runs", []).append({"nprobe": int(ivf.nprobe), "nlist": int(ivf.nlist), "ranks": ranks,
                                           "search_p50_ms": round(float(np.median(searches)) * 1000, 1),
                                           "search_p95_ms": round(float(np.percentile(searches, 95)) * 1000, 1)})
    t = time.perf_counter()
    out["vectors_checked"] = g.verify()
    out["vectors_check_wait_s"] = round(time.perf_counter() - t, 1)
    out["rss_after_searches_mb"] = rss_mb()
    out["max_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps(out))


_names: dict[str, str] = {}


def _name_of(sp, dog_id: str) -> str:
    if dog_id.startswith("g"):
        return "generated"
    if dog_id not in _names:
        from sqlalchemy import select

        from core.registry.models import Dog

        with sp.db.sessions() as s:
            _names[dog_id] = s.scalar(select(Dog.name).where(Dog.id == dog_id)).removeprefix("Dog ")
    return _names[dog_id]


def run_phase(a, **extra) -> dict:
    cmd = [sys.executable, __file__, "--phase", extra.pop("phase", "serve"), "--work", a.work, "--real-cache",
           a.real_cache, "--lookups", str(a.lookups), "--templates", str(a.templates), "--shares", a.shares]
    for k, v in extra.items():
        cmd += [f"--{k}", v]
    res = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "OMP_NUM_THREADS": "2"})
    if res.returncode:
        sys.stderr.write(res.stderr[-4000:])
        raise SystemExit(res.returncode)
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--templates", type=int, default=1_000_000)
    ap.add_argument("--data", default=str(REPO.parent / "shared" / "data" / "nose-pbc2022"))
    ap.add_argument("--work", default=None, help="the registry's folder (default /tmp/savepets-gallery-N)")
    ap.add_argument("--cache", default=str(Path.home() / ".cache" / "savepets-bench"))
    ap.add_argument("--probes", type=int, default=300, help="real probes whose rank is compared")
    ap.add_argument("--lookups", type=int, default=60, help="timed look-ups through the use case")
    ap.add_argument("--gallery-only", action="store_true",
                    help="no registry: the same templates straight into a gallery (build, save, start from the "
                         "snapshot, memory, search p50 and ranks; no look-up through the use case)")
    ap.add_argument("--shares", default="", help="with --gallery-only: ranks and search p50 again with these shares "
                                                 "of the lists searched (comma-separated)")
    ap.add_argument("--phase", default="main", help=argparse.SUPPRESS)
    ap.add_argument("--measure", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--real-cache", default=None, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.phase == "serve":
        serve_phase(a)
        return
    if a.phase.startswith("gallery-"):
        gallery_phase(a)
        return
    from core.recognition.factory import load_engine

    a.work = a.work or f"/tmp/savepets-gallery-{a.templates}"
    work = Path(a.work)
    work.mkdir(parents=True, exist_ok=True)
    engine = load_engine("auto")
    real = real_set(Path(a.data), Path(a.cache), engine)
    a.real_cache = str(Path(a.cache) / f"real-{engine.name}-{engine.version}.npz")
    gen = Generator(real["enroll"], real["enroll_dog"])
    if a.gallery_only:
        real_n = len(real["enroll"])
        info = {"templates": a.templates, "real_templates": real_n, "real_dogs": len(real["names"]),
                "generated_templates": a.templates - real_n, "fill_s": 0}
    else:
        info = fill(work, a.templates, real, gen)
    rng = np.random.default_rng(1)
    probes = np.sort(rng.choice(len(real["names"]), min(a.probes, len(real["names"])), replace=False))
    t = time.perf_counter()
    exact = exact_ranks(real, gen, info["generated_templates"], probes)
    exact_s = time.perf_counter() - t
    scores = impostors(real, gen, info["generated_templates"], probes)
    comparable = exact <= 50
    if a.gallery_only:
        folder = work / "gallery-only"
        for p in folder.glob("gallery*"):
            p.unlink()
        built = run_phase(a, phase="gallery-build")
        served = run_phase(a, phase="gallery-serve", measure=json.dumps(probes.tolist()))
        runs = []
        for r in served.pop("runs"):
            ranks = np.array(r.pop("ranks"))
            same = int(((ranks == exact) & comparable).sum())
            runs.append({**r, "rank_identical_to_exact": same,
                         "rank_identical_share": round(same / max(1, int(comparable.sum())), 4),
                         "real_dog_rank1_gallery": int((ranks == 1).sum())})
        print(json.dumps({"templates": info["templates"], "gallery_only": True, **built,
                          "start_from_snapshot_s": served["start_s"],
                          "resident_mb_after_start": served["rss_after_start_mb"]["VmRSS"], **runs[0],
                          "rank_probes": int(len(probes)), "rank_within_50_exact": int(comparable.sum()),
                          "real_dog_rank1_exact": int((exact == 1).sum()), "other_shares": runs[1:],
                          "exact_search_s": round(exact_s, 1), "served": served}, indent=1))
        return
    index_dir = work / "data" / "index"
    for p in index_dir.glob("gallery*"):
        p.unlink()
    from_db = run_phase(a)
    from_snapshot = run_phase(a, measure=json.dumps(probes.tolist()))
    ranks = np.array(from_snapshot.pop("gallery_ranks"))
    same = int(((ranks == exact) & comparable).sum())
    out = {"templates": info["templates"], "real_dogs": info["real_dogs"], "real_templates": info["real_templates"],
           "engine": f"{engine.name} {engine.version}", "fill_s": info["fill_s"],
           "start_from_database_s": from_db["start_s"], "start_from_snapshot_s": from_snapshot["start_s"],
           "resident_mb_after_start": from_snapshot["rss_after_start_mb"]["VmRSS"],
           "resident_mb_after_lookups": from_snapshot["rss_after_lookups_mb"]["VmRSS"],
           "max_rss_mb": from_snapshot["max_rss_mb"], "max_rss_mb_start_from_database": from_db["rss_after_start_mb"],
           "lookup_p50_ms": from_snapshot["lookup_p50_ms"], "lookup_p95_ms": from_snapshot["lookup_p95_ms"],
           "lookups": from_snapshot["lookups"], "gallery_search_p50_ms": from_snapshot["search_p50_ms"],
           "rank_probes": int(len(probes)), "rank_within_50_exact": int(comparable.sum()),
           "rank_identical_to_exact": same, "rank_identical_share": round(same / max(1, int(comparable.sum())), 4),
           "real_dog_rank1_exact": int((exact == 1).sum()), "real_dog_rank1_gallery": int((ranks == 1).sum()),
           "exact_search_s": round(exact_s, 1), "gallery_from_database": from_db, "gallery_from_snapshot":
               from_snapshot, "impostor_scores": scores}
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
