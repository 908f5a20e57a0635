"""The gallery: every enrolled template, searchable by inner product with faiss. Derived from the registry (it can
always be rebuilt from the templates table) and saved to disk (a snapshot) so that start-up is fast.

Sized for a national registry (about 15 M templates of 256 floats) with no Python object per template:
- Up to ANN_MIN templates the index is exact (IndexFlatIP). A gallery built larger (Gallery.build, or an add() that
  crosses ANN_MIN) uses an inverted file of 8-bit scalar-quantised codes (IndexIVFScalarQuantizer, SQ8: 256 bytes a
  template against 1 KB) whose faiss ids are int64 slot numbers; the candidates it finds (RERANK of them at least)
  are re-scored on exact vectors (float16, a file of the snapshot read row by row with pread, plus the templates
  added since in memory), so that the candidates found are ordered as an exact search orders them (the 8-bit codes
  change no order); which candidates are found depends on the lists searched (NPROBE; bench/bench_gallery_scale.py
  measures the real dog's rank against an exact search). Templates added later join the trained index as they are;
  only a full build (the next start without a current snapshot) trains again.
- Template keys and dog ids (the registry's 36-character ids) are numpy byte-string arrays: a key's slot is found by
  bisection over a sorted order of the keys loaded or built at once, plus a small dict of the keys added since; a dog
  has an int32 number and a count of its templates.
- save() writes a snapshot: every file under a name of its own (a random token), a manifest with each file's sha256
  replaced atomically last, so two processes saving into one folder never pair one's index with the other's keys,
  and load() rebuilds (returns None) when a checksum does not match."""

from __future__ import annotations

import json
import os
import threading
import uuid
from collections.abc import Iterable
from contextlib import contextmanager
from pathlib import Path

import faiss
import numpy as np

from core.recognition.gallery_store import MANIFEST, Column, Lookup, RowFile, chain, save_npy, sha256_of, sweep

KEY = "S36"  # the registry's ids: String(36)


def _flat(dim: int) -> faiss.Index:
    return faiss.IndexIDMap2(faiss.IndexFlatIP(dim))


def _as_keys(items: Iterable[str]) -> np.ndarray:
    items = list(items)
    if any(len(k) > 36 for k in items):
        raise ValueError("gallery keys and dog ids are at most 36 characters")
    return np.array([k.encode() for k in items], dtype=KEY) if items else np.zeros(0, KEY)


class Gallery:
    ANN_MIN = 100_000  # past this many templates: approximate search (IVF, SQ8) with an exact re-rank
    RERANK = 256  # at least this many candidates re-scored on exact vectors
    NPROBE = 16  # lists searched: at least this many, and NPROBE_SHARE of them
    NPROBE_SHARE = 1 / 10

    @classmethod
    def _nprobe(cls, nlist: int) -> int:
        return int(min(nlist, max(cls.NPROBE, round(nlist * cls.NPROBE_SHARE))))

    def __init__(self, dim: int):
        self.dim = dim
        self._lock = threading.RLock()
        self._index: faiss.Index = _flat(dim)
        self._approx = False
        self._keys = Column(np.zeros(0, KEY))  # template key per slot
        self._dog = Column(np.zeros(0, np.int32))  # dog number per slot; -1: removed
        self._dog_ids = Column(np.zeros(0, KEY))  # dog id per dog number
        self._count = Column(np.zeros(0, np.int32))  # templates per dog number
        self._key_at = Lookup(self._keys.view)
        self._dog_at = Lookup(self._dog_ids.view)
        self._vec_base: np.ndarray | RowFile = np.zeros((0, dim), np.float16)  # exact vectors of the first slots
        self._vec_more = Column(np.zeros((0, dim), np.float16))  # and of the slots added since
        self._live = 0
        self._dogs = 0

    # ------------------------------------------------------------------------------------------ size
    def __len__(self) -> int:
        return self._live

    @property
    def dogs(self) -> int:
        """Distinct dogs in the gallery (the registry size a look-up's decision follows)."""
        return self._dogs

    @property
    def approximate(self) -> bool:
        """True when the gallery uses the approximate (IVF, SQ8) index."""
        return self._approx

    def nbytes(self) -> int:
        """Memory held in numpy columns and the faiss codes (not the exact vectors, read from a file)."""
        codes = self._index.sa_code_size() * self._index.ntotal if self._approx else 4 * self.dim * self._index.ntotal
        return int(codes + sum(c.data.nbytes for c in (self._keys, self._dog, self._dog_ids, self._count,
                                                        self._vec_more)) + 8 * len(self._key_at.order))

    # ------------------------------------------------------------------------------------------ keys
    def _slot(self, key: str) -> int:
        s = self._key_at.find(self._keys.view, key.encode())
        return s if s >= 0 and self._dog.data[s] >= 0 else -1

    def __contains__(self, key: str) -> bool:
        with self._lock:
            return self._slot(key) >= 0

    def _dog_number(self, dog_id: str, create: bool) -> int:
        d = self._dog_at.find(self._dog_ids.view, dog_id.encode())
        if d < 0 and create:
            d = self._dog_ids.n
            self._dog_ids.append(_as_keys([dog_id]))
            self._count.append(np.zeros(1, np.int32))
            self._dog_at.recent[dog_id.encode()] = d
        return d

    # ------------------------------------------------------------------------------------------ changes
    def add(self, keys: list[str], dog_ids: list[str], vectors: np.ndarray) -> None:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1, self.dim)
        with self._lock:
            seen: set[str] = set()
            fresh = []
            for i, k in enumerate(keys):
                if k not in seen and self._slot(k) < 0:
                    fresh.append(i)
                seen.add(k)
            if not fresh:
                return
            first = self._keys.n
            slots = np.arange(first, first + len(fresh), dtype=np.int64)
            dogs = np.array([self._dog_number(dog_ids[i], create=True) for i in fresh], np.int32)
            self._keys.append(_as_keys([keys[i] for i in fresh]))
            self._dog.append(dogs)
            for s, i in zip(slots.tolist(), fresh, strict=True):
                self._key_at.recent[keys[i].encode()] = s
            for d in dogs.tolist():
                if self._count.data[d] == 0:
                    self._dogs += 1
                self._count.data[d] += 1
            self._live += len(fresh)
            if self._approx:
                self._vec_more.append(vectors[fresh].astype(np.float16))
            self._index.add_with_ids(vectors[fresh], slots)
            if not self._approx and self._live > self.ANN_MIN:
                self._to_ann()
            if len(self._key_at.recent) > 65536:  # fold the recent keys into the sorted order now and then
                self._key_at = Lookup(self._keys.view)
                self._dog_at = Lookup(self._dog_ids.view)

    def _drop(self, slots: list[int]) -> None:
        slots = [s for s in slots if self._dog.data[s] >= 0]
        if not slots:
            return
        for s in slots:
            d = int(self._dog.data[s])
            self._dog.data[s] = -1
            self._count.data[d] -= 1
            if self._count.data[d] == 0:
                self._dogs -= 1
        self._live -= len(slots)
        self._index.remove_ids(np.asarray(slots, dtype=np.int64))

    def remove(self, keys: list[str]) -> None:
        with self._lock:
            self._drop([s for s in (self._slot(k) for k in keys) if s >= 0])

    def remove_dog(self, dog_id: str) -> None:
        with self._lock:
            d = self._dog_number(dog_id, create=False)
            if d >= 0 and self._count.data[d] > 0:
                self._drop(np.flatnonzero(self._dog.view == d).tolist())

    def keys(self) -> list[str]:
        """Every template key in the gallery (for a kiosk-sized gallery)."""
        with self._lock:
            return [k.decode() for k in self._keys.view[self._dog.view >= 0].tolist()]

    def keys_by_dog(self, dog_ids: list[str]) -> dict[str, list[str]]:
        """{dog: its template keys in the gallery} for these dogs, in one pass over the slots."""
        with self._lock:
            numbers = [d for d in (self._dog_number(x, create=False) for x in dog_ids) if d >= 0]
            numbers = [d for d in numbers if self._count.data[d] > 0]
            if not numbers:
                return {}
            slots = np.flatnonzero(np.isin(self._dog.view, np.asarray(numbers, np.int32)))
            out: dict[str, list[str]] = {}
            for d, k in zip(self._dog.data[slots].tolist(), self._keys.data[slots].tolist(), strict=True):
                out.setdefault(self._dog_ids.data[d].decode(), []).append(k.decode())
            return out

    def remove_dogs(self, dog_ids: list[str]) -> None:
        with self._lock:
            numbers = [d for d in (self._dog_number(x, create=False) for x in dog_ids) if d >= 0]
            numbers = [d for d in numbers if self._count.data[d] > 0]
            if numbers:
                self._drop(np.flatnonzero(np.isin(self._dog.view, np.asarray(numbers, np.int32))).tolist())

    def keys_of(self, dog_id: str) -> list[str]:
        """The dog's template keys in the gallery."""
        with self._lock:
            d = self._dog_number(dog_id, create=False)
            if d < 0 or self._count.data[d] == 0:
                return []
            return [k.decode() for k in self._keys.view[np.flatnonzero(self._dog.view == d)]]

    # ------------------------------------------------------------------------------------------ approximate index
    @staticmethod
    def _ivf(dim: int, n: int, sample: np.ndarray) -> faiss.Index:
        nlist = int(min(1024, max(64, 2 ** round(np.log2(max(1.0, np.sqrt(n) / 4))))))
        quantizer = faiss.IndexFlatIP(dim)
        ivf = faiss.IndexIVFScalarQuantizer(quantizer, dim, nlist, faiss.ScalarQuantizer.QT_8bit,
                                            faiss.METRIC_INNER_PRODUCT)
        ivf.train(np.ascontiguousarray(sample[: nlist * 64], dtype=np.float32))
        ivf.nprobe = Gallery._nprobe(nlist)
        return ivf

    def _to_ann(self) -> None:
        """The flat index grew past ANN_MIN: move its templates into a trained IVF (SQ8) index."""
        flat = self._index
        ids = faiss.vector_to_array(flat.id_map).astype(np.int64)
        vecs = flat.index.reconstruct_n(0, flat.ntotal)
        rng = np.random.default_rng(0)
        ivf = self._ivf(self.dim, len(ids), vecs[rng.permutation(len(ids))])
        ivf.add_with_ids(vecs, ids)
        exact = np.zeros((self._keys.n, self.dim), np.float16)
        exact[ids] = vecs.astype(np.float16)
        self._vec_base, self._vec_more = exact, Column(np.zeros((0, self.dim), np.float16))
        self._index, self._approx = ivf, True

    def _exact(self, slots: np.ndarray) -> np.ndarray:
        base = len(self._vec_base)
        out = np.empty((len(slots), self.dim), np.float32)
        low = slots < base
        if low.any():
            idx = slots[low]
            order = np.argsort(idx)  # a file reads best in order
            out[np.flatnonzero(low)[order]] = self._vec_base[idx[order]]
        if (~low).any():
            out[~low] = self._vec_more.data[slots[~low] - base]
        return out

    # ------------------------------------------------------------------------------------------ search
    def search(self, vector: np.ndarray, k: int = 5, per_template: int = 50) -> list[tuple[str, float]]:
        """The k best dogs for one template: (dog_id, best template similarity), best first."""
        return [(dog, score) for dog, score, _ in self.search_templates(vector, k, per_template)]

    def search_templates(self, vector: np.ndarray, k: int = 5,
                         per_template: int = 50) -> list[tuple[str, float, list[str]]]:
        """The k best dogs for one template: (dog_id, best template similarity, the dog's template keys among the
        per_template nearest, most similar first), best first. Approximate: the candidates are re-scored exactly."""
        query = np.asarray(vector, np.float32).reshape(1, self.dim)
        with self._lock:
            if not self._live:
                return []
            n = min(self._live, max(per_template, k))
            if self._approx:
                scores, ids = self._index.search(query, min(self._live, max(self.RERANK, 4 * n)))
                slots = ids[0][ids[0] >= 0]
                exact = self._exact(slots) @ query[0]
                best = np.argsort(-exact, kind="stable")[:n]
                slots, sc = slots[best], exact[best]
            else:
                with one_omp_thread():
                    scores, ids = self._index.search(query, n)
                keep = ids[0] >= 0
                slots, sc = ids[0][keep], scores[0][keep]
            dogs = self._dog.data[slots]
            keys = self._keys.data[slots]
            found: dict[int, tuple[float, list[str]]] = {}
            for s, d, key in zip(sc.tolist(), dogs.tolist(), keys.tolist(), strict=True):
                if d < 0:
                    continue
                if d not in found:
                    found[d] = (s, [])
                found[d][1].append(key.decode())
            ranked = sorted(found.items(), key=lambda t: -t[1][0])[:k]
            return [(self._dog_ids.data[d].decode(), s, ks) for d, (s, ks) in ranked]

    # ------------------------------------------------------------------------------------------ bulk build
    @classmethod
    def build(cls, dim: int, chunks: Iterable[tuple[list[str], list[str], np.ndarray]], total: int,
              folder: Path | None = None) -> Gallery:
        """A gallery of `total` (about: an upper bound is fine) templates given in chunks of (keys, dog ids, float32
        vectors), each key once. Past ANN_MIN: an IVF SQ8 index trained on the first chunks (up to 64 k vectors),
        its exact vectors written (float16) to a file under `folder` and read from it as needed (kept in memory
        without a folder). Never holds all the float32 vectors at once."""
        g = cls(dim)
        if total <= cls.ANN_MIN:
            for keys, dogs, vecs in chunks:
                g.add(keys, dogs, vecs)
            return g
        it = iter(chunks)
        pending: list[tuple[list[str], list[str], np.ndarray]] = []
        have = 0
        for c in it:
            pending.append(c)
            have += len(c[0])
            if have >= 65536:
                break
        sample = np.concatenate([np.asarray(v, np.float32).reshape(-1, dim) for _, _, v in pending])
        rng = np.random.default_rng(0)
        g._index = cls._ivf(dim, total, sample[rng.permutation(len(sample))])
        g._approx = True
        del sample
        token = uuid.uuid4().hex
        vec_path = None
        if folder is not None:
            folder.mkdir(parents=True, exist_ok=True)
            vec_path = folder / f"gallery-{token}.vectors.f16"
            out = open(vec_path, "wb")  # noqa: SIM115 - closed below
        keys_parts, dog_parts = [], []
        mem_vecs: list[np.ndarray] = []
        slot = 0
        try:
            for keys, dogs, vecs in chain(pending, it):
                vecs = np.ascontiguousarray(vecs, np.float32).reshape(-1, dim)
                g._index.add_with_ids(vecs, np.arange(slot, slot + len(keys), dtype=np.int64))
                slot += len(keys)
                keys_parts.append(_as_keys(keys))
                dog_parts.append(_as_keys(dogs))
                half = vecs.astype(np.float16)
                if vec_path is not None:
                    out.write(half.tobytes())
                else:
                    mem_vecs.append(half)
        finally:
            if vec_path is not None:
                out.close()
        pending.clear()
        all_keys = np.concatenate(keys_parts) if keys_parts else np.zeros(0, KEY)
        del keys_parts
        all_dogs = np.concatenate(dog_parts) if dog_parts else np.zeros(0, KEY)
        del dog_parts
        dog_ids, dog_of = np.unique(all_dogs, return_inverse=True)
        del all_dogs
        g._keys = Column(all_keys)
        g._dog = Column(dog_of.astype(np.int32).reshape(-1))
        g._dog_ids = Column(dog_ids)
        g._count = Column(np.bincount(g._dog.view, minlength=len(dog_ids)).astype(np.int32))
        g._key_at = Lookup(all_keys)
        g._dog_at = Lookup(dog_ids, np.arange(len(dog_ids), dtype=np.int64))  # np.unique sorts
        g._live, g._dogs = slot, len(dog_ids)
        if vec_path is not None:
            g._vec_base = RowFile(vec_path, slot, dim)
            g._vec_file = vec_path
        else:
            g._vec_base = np.concatenate(mem_vecs) if mem_vecs else np.zeros((0, dim), np.float16)
        return g

    # ------------------------------------------------------------------------------------------ snapshot
    def save(self, folder: Path, stamp: str, extra: dict | None = None) -> None:
        """A snapshot: `stamp` identifies the registry state (and engine) it was built from (load() checks it);
        `extra` is kept in the manifest (the service's change-log mark). Each file under a name of its own, then the
        manifest (with the files' sha256) replaced atomically; older snapshots' files are removed."""
        folder.mkdir(parents=True, exist_ok=True)
        token = uuid.uuid4().hex
        files: dict[str, str] = {}
        with self._lock:
            def put(kind: str, write) -> None:
                path = folder / f"gallery-{token}.{kind}"
                write(path)
                files[kind] = path.name

            put("faiss", lambda p: faiss.write_index(self._index, str(p)))
            for kind, col in (("keys", self._keys), ("dog", self._dog), ("dogids", self._dog_ids),
                              ("count", self._count)):
                put(kind + ".npy", lambda p, c=col: save_npy(p, c.view))
            put("keyorder.npy", lambda p: save_npy(p, self._key_at.folded(self._keys.view)))
            put("dogorder.npy", lambda p: save_npy(p, self._dog_at.folded(self._dog_ids.view)))
            if self._approx:
                base = getattr(self, "_vec_file", None)
                if base is not None and base.exists() and not self._vec_more.n and len(self._vec_base) == self._keys.n:
                    files["vectors.f16"] = base.name  # unchanged since it was written: shared, not copied
                else:
                    def write_vecs(p: Path) -> None:
                        with open(p, "wb") as f:
                            for i in range(0, len(self._vec_base), 1 << 16):
                                f.write(np.ascontiguousarray(self._vec_base[i:i + (1 << 16)]).tobytes())
                            f.write(self._vec_more.view.tobytes())
                    put("vectors.f16", write_vecs)
            meta = {"stamp": stamp, "dim": self.dim, "approximate": self._approx, "slots": self._keys.n,
                    "live": self._live, "dogs": self._dogs,
                    "nprobe": int(faiss.extract_index_ivf(self._index).nprobe) if self._approx else 0,
                    "files": {kind: {"name": name, "sha256": sha256_of(folder / name)} for kind, name in files.items()},
                    "extra": extra or {}}
        tmp = folder / f"{MANIFEST}.{token}.tmp"
        tmp.write_text(json.dumps(meta))
        os.replace(tmp, folder / MANIFEST)
        sweep(folder, {name for name in files.values()})

    @classmethod
    def load(cls, folder: Path, stamp: str, dim: int, *, with_extra: bool = False):
        """The saved gallery if it was built from the same registry state (`stamp`) and every file's checksum
        matches, else None (rebuild). With with_extra: (gallery, the manifest's extra) or None."""
        try:
            meta = json.loads((folder / MANIFEST).read_text())
            if meta["stamp"] != stamp or meta["dim"] != dim:
                return None
            paths = {}
            for kind, f in meta["files"].items():
                path = folder / f["name"]
                if sha256_of(path) != f["sha256"]:
                    return None
                paths[kind] = path
            g = cls(dim)
            g._index = faiss.read_index(str(paths["faiss"]))
            cols = {kind: np.load(paths[kind + ".npy"])
                    for kind in ("keys", "dog", "dogids", "count", "keyorder", "dogorder")}
        except (OSError, ValueError, KeyError, RuntimeError, TypeError):
            return None
        g._keys, g._dog = Column(cols["keys"]), Column(cols["dog"])
        g._dog_ids, g._count = Column(cols["dogids"]), Column(cols["count"])
        g._key_at = Lookup(g._keys.view, cols["keyorder"])
        g._dog_at = Lookup(g._dog_ids.view, cols["dogorder"])
        g._live, g._dogs = int(meta["live"]), int(meta["dogs"])
        g._approx = bool(meta["approximate"])
        if g._approx:
            ivf = faiss.extract_index_ivf(g._index)
            ivf.nprobe = cls._nprobe(ivf.nlist)
            slots = g._keys.n
            g._vec_base = RowFile(paths["vectors.f16"], slots, dim)
            g._vec_file = paths["vectors.f16"]
        return (g, meta.get("extra") or {}) if with_extra else g


@contextmanager
def one_omp_thread():
    """faiss parallelises every search with OpenMP; for one query on the exact index that costs far more than
    the search (about 10 ms a query on a busy 2-core machine, against well under 1 ms). The setting is the
    calling thread's own (OpenMP nthreads-var), restored afterwards."""
    prev = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(prev)
