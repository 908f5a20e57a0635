"""The gallery: every enrolled template, searchable by inner product with faiss. Derived from the registry
(it can always be rebuilt from the templates table) and saved to disk so that start-up is fast."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import faiss
import numpy as np


class Gallery:
    def __init__(self, dim: int):
        self.dim = dim
        self._lock = threading.RLock()
        self._index = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
        self._next_id = 0
        self._key_of: dict[int, str] = {}  # faiss id -> template key
        self._id_of: dict[str, int] = {}
        self._owner: dict[str, str] = {}  # template key -> dog id

    def __len__(self) -> int:
        return len(self._key_of)

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

    def remove(self, keys: list[str]) -> None:
        with self._lock:
            ids = [self._id_of.pop(k) for k in keys if k in self._id_of]
            if ids:
                self._index.remove_ids(np.asarray(ids, dtype=np.int64))
            for fid in ids:
                self._owner.pop(self._key_of.pop(fid), None)

    def remove_dog(self, dog_id: str) -> None:
        self.remove([k for k, d in self._owner.items() if d == dog_id])

    def search(self, vector: np.ndarray, k: int = 5, per_template: int = 50) -> list[tuple[str, float]]:
        """The k best dogs for one template: (dog_id, best template similarity), best first."""
        with self._lock:
            if not self._key_of:
                return []
            n = min(len(self._key_of), max(per_template, k))
            scores, ids = self._index.search(np.asarray(vector, np.float32).reshape(1, self.dim), n)
            best: dict[str, float] = {}
            for s, fid in zip(scores[0].tolist(), ids[0].tolist(), strict=True):
                if fid < 0:
                    continue
                dog = self._owner[self._key_of[fid]]
                if dog not in best:
                    best[dog] = s
            return sorted(best.items(), key=lambda kv: -kv[1])[:k]

    def save(self, folder: Path, stamp: str) -> None:
        """`stamp` identifies the registry state (and engine) it was built from; load() checks it."""
        folder.mkdir(parents=True, exist_ok=True)
        with self._lock:
            faiss.write_index(self._index, str(folder / "gallery.faiss.tmp"))
            meta = {"stamp": stamp, "dim": self.dim, "next_id": self._next_id,
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
        g._key_of = {int(f): k for f, k in meta["keys"].items()}
        g._id_of = {k: f for f, k in g._key_of.items()}
        g._owner = meta["owner"]
        return g
