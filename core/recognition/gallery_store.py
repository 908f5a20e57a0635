"""The gallery's storage parts (core/recognition/gallery.py): growable numpy columns, a key lookup with no Python
object per key, the snapshot's exact vectors read row by row, and the snapshot files' helpers."""

from __future__ import annotations

import hashlib
import os
import time
from bisect import bisect_left
from pathlib import Path

import numpy as np

MANIFEST = "gallery.json"


class Column:
    """A growable numpy column (over-allocated, so that adding a few rows to millions copies nothing)."""

    def __init__(self, data: np.ndarray):
        self.data = data
        self.n = len(data)

    def append(self, rows: np.ndarray) -> None:
        need = self.n + len(rows)
        if need > len(self.data):
            cap = max(need, self.n + max(4096, self.n // 8))
            grown = np.zeros((cap, *self.data.shape[1:]), self.data.dtype)
            grown[:self.n] = self.data[:self.n]
            self.data = grown
        self.data[self.n:need] = rows
        self.n = need

    @property
    def view(self) -> np.ndarray:
        return self.data[:self.n]


class Lookup:
    """key -> position in a byte-string column: bisection over a sorted order of the first `base` keys, a dict for
    the keys appended since (few). No Python object per key of the base."""

    def __init__(self, keys: np.ndarray, order: np.ndarray | None = None):
        if order is None or len(order) != len(keys):
            order = np.argsort(keys, kind="stable").astype(np.int64) if len(keys) else np.zeros(0, np.int64)
        self.order = order
        self.recent: dict[bytes, int] = {}

    def folded(self, keys: np.ndarray) -> np.ndarray:
        """The sorted order of every key, the recent ones included (what a snapshot keeps)."""
        return self.order if not self.recent else Lookup(keys).order

    def find(self, keys: np.ndarray, key: bytes) -> int:
        pos = self.recent.get(key)
        if pos is not None:
            return pos
        order = self.order
        i = bisect_left(order, key, key=lambda j: keys[j])
        return int(order[i]) if i < len(order) and keys[order[i]] == key else -1


class RowFile:
    """The exact vectors (float16 rows) of a snapshot, read a row at a time with pread: never mapped into the
    process, so that the rows a search reads stay in the page cache, not in the process's resident memory."""

    def __init__(self, path: Path, rows: int, dim: int):
        self.rows, self.dim, self.row_bytes = rows, dim, 2 * dim
        self.fd = os.open(path, os.O_RDONLY)  # open while the file is there: a later sweep cannot take it away

    def __len__(self) -> int:
        return self.rows

    def __getitem__(self, idx) -> np.ndarray:
        if isinstance(idx, slice):
            start, stop, _ = idx.indices(self.rows)
            data = os.pread(self.fd, max(0, stop - start) * self.row_bytes, start * self.row_bytes)
            return np.frombuffer(data, np.float16).reshape(-1, self.dim)
        rows = np.asarray(idx, np.int64).tolist()
        out = np.empty((len(rows), self.dim), np.float16)
        for j, r in enumerate(rows):
            out[j] = np.frombuffer(os.pread(self.fd, self.row_bytes, r * self.row_bytes), np.float16)
        return out

    def __del__(self):
        try:
            os.close(self.fd)
        except (OSError, AttributeError):
            pass


def chain(first, rest):
    yield from first
    yield from rest


def save_npy(path: Path, arr: np.ndarray) -> None:
    with open(path, "wb") as f:
        np.save(f, arr)


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 23):
            h.update(chunk)
    return h.hexdigest()


def sweep(folder: Path, keep: set[str], older_s: float = 120.0) -> None:
    """Remove files of older snapshots (and left-over temporary files), once they are a little old: another
    process may be reading the snapshot it has just found."""
    now = time.time()
    for p in folder.glob("gallery*"):
        if p.name == MANIFEST or p.name in keep:
            continue
        try:
            if now - p.stat().st_mtime > older_s:
                p.unlink()
        except OSError:
            pass
