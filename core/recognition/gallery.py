"""The gallery: every enrolled template, searchable by inner product with faiss. Derived from the registry
(it can always be rebuilt from the templates table) and saved to disk so that start-up is fast.

Up to ANN_MIN templates the search is exact (IndexFlatIP). Past ANN_MIN the gallery switches itself to an
inverted-file index (IndexIVFFlat, inner product; nlist ~ 4 sqrt(n), nprobe = NPROBE_SHARE of the lists, at least
16), which supports removal by id like the flat index; it is re-trained when the gallery has doubled since its
last training. bench/bench_recognition.py measures its speed and recall."""

from __future__ import annotations

import json
import threading
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

import faiss
import numpy as np


def _flat(dim: int) -> faiss.Index:
    return faiss.IndexIDMap2(faiss.IndexFlatIP(dim))


def _all_vectors(index: faiss.Index) -> tuple[np.ndarray, np.ndarray]:
    """(ids, vectors) of every template in a flat IDMap2 or an IVF index."""
    if isinstance(index, faiss.IndexIDMap2) or hasattr(index, "id_map"):
        ids = faiss.vector_to_array(index.id_map).astype(np.int64)
        vecs = index.index.reconstruct_n(0, index.ntotal) if index.ntotal else np.zeros((0, index.d), np.float32)
        return ids, vecs
    ivf = faiss.extract_index_ivf(index)
    ids_all, vecs_all = [], []
    invlists = ivf.invlists
    for lst in range(ivf.nlist):
        n = invlists.list_size(lst)
        if not n:
            continue
        ids_all.append(faiss.rev_swig_ptr(invlists.get_ids(lst), n).copy())
        codes = faiss.rev_swig_ptr(invlists.get_codes(lst), n * invlists.code_size).copy()
        vecs_all.append(codes.view(np.float32).reshape(n, ivf.d))
    if not ids_all:
        return np.zeros(0, np.int64), np.zeros((0, ivf.d), np.float32)
    return np.concatenate(ids_all).astype(np.int64), np.concatenate(vecs_all)


class Gallery:
    ANN_MIN = 100_000  # past this many templates: approximate search (IVF)
    NPROBE_SHARE = 1 / 16

    def __init__(self, dim: int):
        self.dim = dim
        self._lock = threading.RLock()
        self._index = _flat(dim)
        self._trained_at = 0  # gallery size when the IVF index was trained; 0 while flat
        self._next_id = 0
        self._key_of: dict[int, str] = {}  # faiss id -> template key
        self._id_of: dict[str, int] = {}
        self._owner: dict[str, str] = {}  # template key -> dog id
        self._templates_of: Counter[str] = Counter()  # dog id -> its templates in the gallery

    def __len__(self) -> int:
        return len(self._key_of)

    @property
    def dogs(self) -> int:
        """Distinct dogs in the gallery (the registry size a look-up's decision follows)."""
        return len(self._templates_of)

    @property
    def approximate(self) -> bool:
        """True once the gallery uses the approximate (IVF) index."""
        return self._trained_at > 0

    def _rebuild_ann(self) -> None:
        """Move every template into a freshly trained IVF index (called under the lock)."""
        ids, vecs = _all_vectors(self._index)
        n = len(ids)
        nlist = int(min(16384, max(64, 2 ** round(np.log2(4 * np.sqrt(n))))))
        quantizer = faiss.IndexFlatIP(self.dim)
        ivf = faiss.IndexIVFFlat(quantizer, self.dim, nlist, faiss.METRIC_INNER_PRODUCT)
        rng = np.random.default_rng(0)
        sample = vecs[rng.choice(n, min(n, nlist * 64), replace=False)]
        ivf.train(np.ascontiguousarray(sample, dtype=np.float32))
        ivf.add_with_ids(np.ascontiguousarray(vecs, dtype=np.float32), ids)
        ivf.nprobe = max(16, int(nlist * self.NPROBE_SHARE))
        self._index = ivf
        self._trained_at = n

    def _maybe_switch(self) -> None:
        n = len(self._key_of)
        if (not self.approximate and n > self.ANN_MIN) or (self.approximate and n > 2 * self._trained_at):
            self._rebuild_ann()

    def __contains__(self, key: str) -> bool:
        return key in self._id_of

    def add(self, keys: list[str], dog_ids: list[str], vectors: np.ndarray) -> None:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1, self.dim)
        with self._lock:
            fresh = [i for i, k in enumerate(keys) if k not in self._id_of]
            if not fresh:
                return
            ids = np.arange(self._next_id, self._next_id + len(fresh), dtype=np.int64)
            self._next_id += len(fresh)
            self._index.add_with_ids(vectors[fresh], ids)
            for fid, i in zip(ids.tolist(), fresh, strict=True):
                self._key_of[fid] = keys[i]
                self._id_of[keys[i]] = fid
                self._owner[keys[i]] = dog_ids[i]
                self._templates_of[dog_ids[i]] += 1
            self._maybe_switch()

    def remove(self, keys: list[str]) -> None:
        with self._lock:
            ids = [self._id_of.pop(k) for k in keys if k in self._id_of]
            if ids:
                self._index.remove_ids(np.asarray(ids, dtype=np.int64))
            for fid in ids:
                dog = self._owner.pop(self._key_of.pop(fid), None)
                if dog is not None:
                    self._templates_of[dog] -= 1
                    if self._templates_of[dog] <= 0:
                        del self._templates_of[dog]

    def remove_dog(self, dog_id: str) -> None:
        self.remove([k for k, d in self._owner.items() if d == dog_id])

    def search(self, vector: np.ndarray, k: int = 5, per_template: int = 50) -> list[tuple[str, float]]:
        """The k best dogs for one template: (dog_id, best template similarity), best first."""
        return [(dog, score) for dog, score, _ in self.search_templates(vector, k, per_template)]

    def search_templates(self, vector: np.ndarray, k: int = 5,
                         per_template: int = 50) -> list[tuple[str, float, list[str]]]:
        """The k best dogs for one template: (dog_id, best template similarity, the dog's template keys among the
        per_template nearest, most similar first), best first."""
        with self._lock:
            if not self._key_of:
                return []
            n = min(len(self._key_of), max(per_template, k))
            query = np.asarray(vector, np.float32).reshape(1, self.dim)
            if self.approximate:
                scores, ids = self._index.search(query, n)
            else:
                with one_omp_thread():
                    scores, ids = self._index.search(query, n)
            best: dict[str, tuple[float, list[str]]] = {}
            for s, fid in zip(scores[0].tolist(), ids[0].tolist(), strict=True):
                if fid < 0:
                    continue
                key = self._key_of[fid]
                dog = self._owner[key]
                if dog not in best:
                    best[dog] = (s, [])
                best[dog][1].append(key)
            return sorted(((d, s, keys) for d, (s, keys) in best.items()), key=lambda t: -t[1])[:k]

    def save(self, folder: Path, stamp: str) -> None:
        """`stamp` identifies the registry state (and engine) it was built from; load() checks it."""
        folder.mkdir(parents=True, exist_ok=True)
        with self._lock:
            faiss.write_index(self._index, str(folder / "gallery.faiss.tmp"))
            meta = {"stamp": stamp, "dim": self.dim, "next_id": self._next_id, "trained_at": self._trained_at,
                    "nprobe": int(getattr(faiss.extract_index_ivf(self._index), "nprobe", 0)) if self.approximate
                    else 0,
                    "keys": {str(f): k for f, k in self._key_of.items()}, "owner": self._owner}
            (folder / "gallery.json.tmp").write_text(json.dumps(meta))
            (folder / "gallery.faiss.tmp").replace(folder / "gallery.faiss")
            (folder / "gallery.json.tmp").replace(folder / "gallery.json")

    @classmethod
    def load(cls, folder: Path, stamp: str, dim: int) -> Gallery | None:
        """The saved gallery if it was built from the same registry state, else None (rebuild)."""
        try:
            meta = json.loads((folder / "gallery.json").read_text())
            if meta["stamp"] != stamp or meta["dim"] != dim:
                return None
            g = cls(dim)
            g._index = faiss.read_index(str(folder / "gallery.faiss"))
        except (OSError, ValueError, KeyError, RuntimeError):
            return None
        g._next_id = meta["next_id"]
        g._trained_at = int(meta.get("trained_at", 0))
        if g._trained_at and meta.get("nprobe"):
            faiss.extract_index_ivf(g._index).nprobe = int(meta["nprobe"])
        g._key_of = {int(f): k for f, k in meta["keys"].items()}
        g._id_of = {k: f for f, k in g._key_of.items()}
        g._owner = meta["owner"]
        g._templates_of = Counter(g._owner.values())
        return g


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
