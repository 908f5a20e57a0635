"""The gallery: every enrolled template, searchable by inner product with faiss. Derived from the registry (it can
always be rebuilt from the templates table) and saved to disk (a snapshot) so that start-up is fast.

Sized for a national registry (about 15 M templates of 256 floats) with no Python object per template:
- Up to ANN_MIN templates the index is exact (IndexFlatIP). A gallery built larger (Gallery.build, or an add() that
  crosses ANN_MIN) searches in three steps: an inverted file of 4-bit PQ codes (dim/8 bytes a template) scanned with
  faiss's SIMD fast scan finds CANDIDATES templates in NPROBE_SHARE of its lists (ids: int64 slot numbers); these
  are re-scored on 8-bit codes kept in memory (dim bytes a template), and the best of them (RERANK at least) on the
  exact vectors (float16, a file of the snapshot read row by row with pread, plus the templates added since in
  memory), so that the candidates found are ordered as an exact search orders them. Which are found depends on the
  lists searched (bench/bench_gallery_scale.py measures the real dog's rank against an exact search). Templates
  added later join the trained index as they are; only a full build (a start without a current snapshot) trains.
- Template keys and dog ids (the registry's 36-character ids) are numpy byte-string arrays: a key's slot is found by
  bisection over a sorted order of the keys loaded or built at once, plus a small dict of the keys added since; a dog
  has an int32 number and a count of its templates.
- save() writes a snapshot: every file under a name of its own (a random token), a manifest with each file's size
  and sha256 replaced atomically last, so two processes saving into one folder never pair one's index with the
  other's keys. load() checks each file it reads in the pass that reads it, and the exact vectors (the largest file,
  read row by row later) by size and sampled blocks, their whole sha256 in the background: a mismatch found at
  start means a rebuild (load() returns None), found later a re-rank on the 8-bit codes and a rebuild at the next
  start."""

from __future__ import annotations

import json
import os
import threading
import uuid
from collections.abc import Iterable
from pathlib import Path

import faiss
import numpy as np

from core.recognition.gallery_store import (
    MANIFEST,
    Codes8,
    Column,
    Hashing,
    Lookup,
    RowFile,
    chain,
    load_npy_checked,
    one_omp_thread,
    sample_sha256,
    save_npy,
    sha256_of,
    sweep,
    vectors_match,
)

KEY = "S36"  # the registry's ids: String(36)
FORMAT = 2  # the snapshot's layout (1: IVF SQ8; 2: IVF 4-bit PQ fast scan, 8-bit codes beside)


def _flat(dim: int) -> faiss.Index:
    return faiss.IndexIDMap2(faiss.IndexFlatIP(dim))


def _as_keys(items: Iterable[str]) -> np.ndarray:
    items = list(items)
    if any(len(k) > 36 for k in items):
        raise ValueError("gallery keys and dog ids are at most 36 characters")
    return np.array([k.encode() for k in items], dtype=KEY) if items else np.zeros(0, KEY)


class Gallery:
    ANN_MIN = 100_000  # past this many templates: approximate search (IVF, 4-bit PQ fast scan) with re-ranks
    # At 15 M templates the real dog's rank matched exact search for 96.5 % of probes with 1/4 of the lists and 4,096
    # candidates, 98.0 % with 3/4 and 16,384, 99.6 % with these (search p50 67 ms; bench_gallery_scale.py).
    CANDIDATES = 32768  # candidates the fast scan finds, re-scored on the 8-bit codes
    RERANK = 512  # of those, at least this many re-scored on exact vectors
    NPROBE = 16  # lists searched: at least this many, and NPROBE_SHARE of them
    NPROBE_SHARE = 3 / 4

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
        self._codes = Codes8(np.zeros((2, dim)), np.zeros((0, dim), np.uint8))  # approximate: of every slot
        self._vec_check: threading.Thread | None = None  # the exact vectors' full checksum, after a load
        self.damaged = False  # the exact vectors did not match their checksum: re-ranked on the 8-bit codes
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
        codes = (self.dim // 8 + 8) * self._index.ntotal if self._approx else 4 * self.dim * self._index.ntotal
        return int(codes + sum(c.data.nbytes for c in (self._keys, self._dog, self._dog_ids, self._count,
                                                        self._vec_more, self._codes.col)) + 8 * len(self._key_at.order))

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
                self._codes.append(vectors[fresh])
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
        self.remove_dogs([dog_id])

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
        return self.keys_by_dog([dog_id]).get(dog_id, [])

    # ------------------------------------------------------------------------------------------ approximate index
    @staticmethod
    def _ivf(dim: int, n: int, sample: np.ndarray) -> faiss.Index:
        """An inverted file of 4-bit PQ codes (dim/8 bytes a template) scanned with faiss's SIMD fast scan: a
        three quarters of the lists cost about half what a tenth of them cost with 8-bit codes."""
        nlist = int(min(1024, max(64, 2 ** round(np.log2(max(1.0, np.sqrt(n) / 4))))))
        ivf = faiss.index_factory(dim, f"IVF{nlist},PQ{dim // 4}x4fs", faiss.METRIC_INNER_PRODUCT)
        ivf.train(np.ascontiguousarray(sample[: max(nlist * 64, 32768)], dtype=np.float32))
        faiss.extract_index_ivf(ivf).nprobe = Gallery._nprobe(nlist)
        return ivf

    def _to_ann(self) -> None:
        """The flat index grew past ANN_MIN: move its templates into a trained approximate index."""
        flat = self._index
        ids = faiss.vector_to_array(flat.id_map).astype(np.int64)
        vecs = flat.index.reconstruct_n(0, flat.ntotal)
        rng = np.random.default_rng(0)
        sample = vecs[rng.permutation(len(ids))]
        ivf = self._ivf(self.dim, len(ids), sample)
        codes = Codes8.trained(sample[:65536], self._keys.n)
        ivf.add_with_ids(vecs, ids)
        exact = np.zeros((self._keys.n, self.dim), np.float16)
        exact[ids] = vecs.astype(np.float16)
        codes.col.data[ids] = codes.encode(vecs)
        codes.col.n = self._keys.n
        self._vec_base, self._vec_more = exact, Column(np.zeros((0, self.dim), np.float16))
        self._codes = codes
        self._index, self._approx = ivf, True

    def _exact(self, slots: np.ndarray) -> np.ndarray:
        if self.damaged:  # the snapshot's exact vectors did not match: the 8-bit codes until the next build
            return self._codes.decode(slots)
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
        per_template nearest, most similar first), best first. Approximate: the fast scan's candidates re-scored on
        the 8-bit codes, the best of those (RERANK at least) on the exact vectors, and every one of these counts
        toward the k dogs (a dog with many templates near the probe takes one place of k, not several)."""
        query = np.asarray(vector, np.float32).reshape(1, self.dim)
        with self._lock:
            if not self._live:
                return []
            n = min(self._live, max(per_template, k))
            if self._approx:
                want = max(self.RERANK, 4 * n)
                _, ids = self._index.search(query, min(self._live, max(self.CANDIDATES, 4 * want)))
                slots = ids[0][ids[0] >= 0]
                slots = slots[self._dog.data[slots] >= 0]
                coarse = self._codes.scores(slots, query[0])  # the best `want` go on to the exact vectors
                if len(slots) > want:
                    slots = slots[np.argpartition(-coarse, want - 1)[:want]]
                exact = np.einsum("ij,j->i", self._exact(slots), query[0])
                order = np.argsort(-exact, kind="stable")
                slots, sc = slots[order], exact[order]
            else:
                with one_omp_thread():
                    scores, ids = self._index.search(query, n)
                keep = ids[0] >= 0
                slots, sc = ids[0][keep], scores[0][keep]
            dogs = self._dog.data[slots]
            live = dogs >= 0
            slots, sc, dogs = slots[live], sc[live], dogs[live]
            _, first = np.unique(dogs, return_index=True)  # each dog's best place (the scores are in order)
            out = []
            for p in np.sort(first)[:k].tolist():
                d = int(dogs[p])
                mine = slots[dogs == d] if self._approx else slots[:n][dogs[:n] == d]
                out.append((self._dog_ids.data[d].decode(), float(sc[p]), [x.decode() for x in self._keys.data[mine]]))
            return out

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
        sample = sample[rng.permutation(len(sample))]
        g._index = cls._ivf(dim, total, sample)
        g._codes = Codes8.trained(sample, total)
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
                g._codes.append(vecs)
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
        manifest (with the files' sha256 and sizes) replaced atomically; older snapshots' files are removed."""
        if self.damaged:
            raise OSError("the gallery's exact vectors did not match their checksum: not saved")
        folder.mkdir(parents=True, exist_ok=True)
        token = uuid.uuid4().hex
        files: dict[str, str] = {}
        with self._lock:
            def put(kind: str, write) -> None:
                path = folder / f"gallery-{token}.{kind}"
                write(path)
                files[kind] = path.name

            put("faiss", lambda p: faiss.write_index(self._index, str(p)))
            cols = [("keys", self._keys), ("dog", self._dog), ("dogids", self._dog_ids), ("count", self._count)]
            if self._approx:
                cols.append(("codes", self._codes.col))
            for kind, col in cols:
                put(kind + ".npy", lambda p, c=col: save_npy(p, c.view))
            put("keyorder.npy", lambda p: save_npy(p, self._key_at.folded(self._keys.view)))
            put("dogorder.npy", lambda p: save_npy(p, self._dog_at.folded(self._dog_ids.view)))
            if self._approx:
                put("sq.npy", lambda p: save_npy(p, self._codes.params))
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
            described = {}
            for kind, name in files.items():
                path = folder / name
                known = getattr(self, "_vec_desc", None)
                if kind == "vectors.f16" and known is not None and known["name"] == name:
                    described[kind] = known  # a shared file is not read again
                    continue
                described[kind] = {"name": name, "sha256": sha256_of(path), "size": path.stat().st_size}
                if kind == "vectors.f16":
                    fd = os.open(path, os.O_RDONLY)
                    try:
                        described[kind]["sample"] = sample_sha256(fd, described[kind]["size"])
                    finally:
                        os.close(fd)
                    self._vec_desc = described[kind]
            meta = {"format": FORMAT, "stamp": stamp, "dim": self.dim, "approximate": self._approx,
                    "slots": self._keys.n, "live": self._live, "dogs": self._dogs,
                    "nprobe": int(faiss.extract_index_ivf(self._index).nprobe) if self._approx else 0,
                    "files": described, "extra": extra or {}}
        tmp = folder / f"{MANIFEST}.{token}.tmp"
        tmp.write_text(json.dumps(meta))
        os.replace(tmp, folder / MANIFEST)
        sweep(folder, {name for name in files.values()})

    @classmethod
    def load(cls, folder: Path, stamp: str, dim: int, *, with_extra: bool = False):
        """The saved gallery if it was built from the same registry state (`stamp`) and its files match the
        manifest, else None (rebuild). Every file the start reads is checked against its sha256 in the pass that
        reads it; the exact vectors (read row by row later, the largest file) by their size and sampled blocks now,
        and by their whole sha256 in a background thread (verify()): a mismatch there re-ranks on the 8-bit codes
        and removes the manifest, so that the next start rebuilds. With with_extra: (gallery, the manifest's
        extra) or None."""
        try:
            meta = json.loads((folder / MANIFEST).read_text())
            if meta.get("format") != FORMAT or meta["stamp"] != stamp or meta["dim"] != dim:
                return None
            files = meta["files"]
            paths = {kind: folder / f["name"] for kind, f in files.items()}
            for kind, path in paths.items():
                if path.stat().st_size != files[kind]["size"]:
                    return None
            g = cls(dim)
            g._approx = bool(meta["approximate"])
            if g._approx:  # the cheap checks first: a torn or foreign vectors file means no start from here
                vec = files["vectors.f16"]
                g._vec_base = RowFile(paths["vectors.f16"], int(meta["slots"]), dim)
                if vec["size"] != int(meta["slots"]) * 2 * dim or \
                        sample_sha256(g._vec_base.fd, vec["size"]) != vec["sample"]:
                    return None
                g._vec_file, g._vec_desc = paths["vectors.f16"], vec
            r = Hashing(paths["faiss"])
            try:
                g._index = faiss.read_index(r.faiss_reader())
            finally:
                digest = r.hexdigest()
            if digest != files["faiss"]["sha256"]:
                return None
            kinds = ["keys", "dog", "dogids", "count", "keyorder", "dogorder"] + (["codes", "sq"] if g._approx else [])
            cols = {kind: load_npy_checked(paths[kind + ".npy"], files[kind + ".npy"]["sha256"]) for kind in kinds}
        except (OSError, ValueError, KeyError, RuntimeError, TypeError):
            return None
        g._keys, g._dog = Column(cols["keys"]), Column(cols["dog"])
        g._dog_ids, g._count = Column(cols["dogids"]), Column(cols["count"])
        g._key_at = Lookup(g._keys.view, cols["keyorder"])
        g._dog_at = Lookup(g._dog_ids.view, cols["dogorder"])
        g._live, g._dogs = int(meta["live"]), int(meta["dogs"])
        if g._approx:
            ivf = faiss.extract_index_ivf(g._index)
            ivf.nprobe = cls._nprobe(ivf.nlist)
            g._codes = Codes8(cols["sq"], cols["codes"])
            g._vec_check = threading.Thread(target=g._check_vectors, args=(folder, files["vectors.f16"]),
                                            name="gallery-vectors-check", daemon=True)
            g._vec_check.start()
        return (g, meta.get("extra") or {}) if with_extra else g

    def _check_vectors(self, folder: Path, described: dict) -> None:
        if not vectors_match(folder, described, self._vec_base.fd):
            with self._lock:
                self.damaged = True

    def verify(self, timeout: float | None = None) -> bool:
        """Wait for the exact vectors' background check (after a load): True unless they did not match."""
        if self._vec_check is not None:
            self._vec_check.join(timeout)
        return not self.damaged
