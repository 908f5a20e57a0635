"""The gallery's storage parts (core/recognition/gallery.py): growable numpy columns, a key lookup with no Python
object per key, the snapshot's exact vectors read row by row, and the snapshot files' helpers."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from bisect import bisect_left
from contextlib import contextmanager
from pathlib import Path

import numpy as np

MANIFEST = "gallery.json"
log = logging.getLogger("core.recognition.gallery")


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


class Codes8:
    """8-bit codes of the templates, per dimension (offset and step from a training sample, a little wider than
    it): dim bytes a template, in memory. The fast scan's candidates are re-scored on them, and the best of those
    on the exact vectors."""

    def __init__(self, params: np.ndarray, codes: np.ndarray, n: int | None = None):
        self.params = np.asarray(params, np.float32)  # [offset, step] x dim
        self.col = Column(codes)
        if n is not None:
            self.col.n = n

    @classmethod
    def trained(cls, sample: np.ndarray, capacity: int = 0) -> Codes8:
        """Codes for vectors like `sample`, room for `capacity` rows (pages never written cost nothing)."""
        lo, hi = sample.min(0), sample.max(0)
        pad = 0.02 * (hi - lo) + 1e-6
        params = np.stack([lo - pad, (hi - lo + 2 * pad) / 255])
        return cls(params, np.zeros((capacity, sample.shape[1]), np.uint8), 0)

    def encode(self, vectors: np.ndarray) -> np.ndarray:
        lo, step = self.params
        return np.clip(np.rint((vectors - lo) / step), 0, 255).astype(np.uint8)

    def append(self, vectors: np.ndarray) -> None:
        self.col.append(self.encode(vectors))

    def scores(self, slots: np.ndarray, query: np.ndarray) -> np.ndarray:
        """Inner products of the query with the decoded codes of these slots (einsum: a matrix product here goes
        to a multi-threaded BLAS, about 8 ms a call on a busy 2-core machine against 0.3 ms)."""
        lo, step = self.params
        return np.einsum("ij,j->i", self.col.data[slots].astype(np.float32), query * step) + float(query @ lo)

    def decode(self, slots: np.ndarray) -> np.ndarray:
        lo, step = self.params
        return self.col.data[slots].astype(np.float32) * step + lo


def vectors_match(folder: Path, described: dict, fd: int) -> bool:
    """The snapshot's exact vectors against their whole sha256 (in the background, after a start); on a mismatch
    the manifest is removed if it still names them, so that the next start rebuilds."""
    if full_sha256(fd, described["size"]) == described["sha256"]:
        return True
    log.error("gallery: the snapshot's exact vectors (%s) do not match their checksum: re-ranking on the 8-bit "
              "codes; the next start rebuilds from the database", described["name"])
    try:
        if json.loads((folder / MANIFEST).read_text())["files"]["vectors.f16"]["name"] == described["name"]:
            (folder / MANIFEST).unlink()
    except (OSError, ValueError, KeyError):
        pass
    return False


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


class Hashing:
    """A file read once, its sha256 taken on the way (what a start from the snapshot reads anyway is checked in
    the same pass, not read twice)."""

    def __init__(self, path: Path):
        self.f = open(path, "rb")  # noqa: SIM115 - closed by close()
        self.h = hashlib.sha256()

    def read(self, n: int = -1) -> bytes:
        data = self.f.read(n)
        self.h.update(data)
        return data

    def faiss_reader(self):
        import faiss

        return faiss.PyCallbackIOReader(self.read, 1 << 22)

    def hexdigest(self) -> str:
        """The whole file's sha256 (the rest read now, if the reader stopped before the end)."""
        while self.read(1 << 23):
            pass
        self.f.close()
        return self.h.hexdigest()


def load_npy_checked(path: Path, sha256: str) -> np.ndarray:
    """np.load, the file's sha256 checked in the same pass (ValueError when it does not match)."""
    r = Hashing(path)
    try:
        arr = np.lib.format.read_array(r, allow_pickle=False)
    finally:
        digest = r.hexdigest()
    if digest != sha256:
        raise ValueError(f"{path.name}: checksum mismatch")
    return arr


SAMPLES = 64  # blocks of a large file hashed at start: its first and last, and evenly between
SAMPLE_BYTES = 1 << 16


def sample_sha256(fd: int, size: int) -> str:
    """The sha256 of SAMPLES blocks of a file spread over it (with its size): a truncated, torn or different
    file at start costs a few milliseconds to detect; the whole file's sha256 is checked after (FullCheck)."""
    h = hashlib.sha256(str(size).encode())
    for off in sorted({int(x) for x in np.linspace(0, max(0, size - SAMPLE_BYTES), SAMPLES)}):
        h.update(os.pread(fd, SAMPLE_BYTES, off))
    return h.hexdigest()


def full_sha256(fd: int, size: int, duty: float = 0.5) -> str:
    """The sha256 of a whole file read through an open descriptor, at most `duty` of one core (it runs beside
    the look-ups)."""
    h = hashlib.sha256()
    off, step = 0, 1 << 23
    while off < size:
        t = time.perf_counter()
        chunk = os.pread(fd, min(step, size - off), off)
        if not chunk:
            break
        h.update(chunk)
        off += len(chunk)
        time.sleep((time.perf_counter() - t) * (1 - duty) / duty)
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


@contextmanager
def one_omp_thread():
    """faiss parallelises every search with OpenMP; for one query on the exact index that costs far more than
    the search (about 10 ms a query on a busy 2-core machine, against well under 1 ms). The setting is the
    calling thread's own (OpenMP nthreads-var), restored afterwards."""
    import faiss

    prev = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(prev)
