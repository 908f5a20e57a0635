"""A training pack: a folder-per-dog photo set cropped and resized once, re-encoded compactly, in one file.

    savepets train pack DIR --out FILE [--format webp] [--quality 75]

Every photo goes through the one centre-square crop (core.recognition.preprocess.to_square) and is resized to the
side the training views are cut from (augment.CACHE_SIDE, 224 px: recipe v2 trains at up to 192 px from crops of
it), then encoded as WebP (or JPEG). The file is an uncompressed .npz that numpy loads without pickle:

  data     uint8, every encoded photo one after another
  offsets  int64 (n + 1,): photo i is data[offsets[i]: offsets[i + 1]]
  dog      str (n,): the dog id (the folder's name)
  split    str (n,): train / tune / test, by data.split_of (the one split rule)
  name     str (n,): the photo's file name in its dog's folder
  meta     str (): JSON (side, format, quality, counts, the source folder's name)

Photos of one dog are consecutive, in list_dogs' order. The pack is what travels to a GPU machine in one call
(scripts/train_on_device.sh): the 9,313 photos of nose-pbc2022 are about 40 MiB at WebP quality 75 instead of
120 MB of JPEGs. It holds the photos of its set, so the set's terms go with it: write it outside the repository
(or under the git-ignored runs/), never commit it. No PyTorch is needed to write or read one.
"""

from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from core.recognition.data import list_dogs, read_bgr, split_of
from core.recognition.preprocess import to_square

PACK_SIDE = 224  # augment.CACHE_SIDE: the square the training views are cut from (kept equal by a test)
FORMATS = {"webp": (".webp", cv2.IMWRITE_WEBP_QUALITY), "jpeg": (".jpg", cv2.IMWRITE_JPEG_QUALITY)}


def square(img_bgr: np.ndarray, side: int = PACK_SIDE) -> np.ndarray:
    """The photo as training sees it: its centre square, resized to side x side (BGR uint8)."""
    if img_bgr.ndim == 2:
        img_bgr = cv2.cvtColor(img_bgr, cv2.COLOR_GRAY2BGR)
    sq = to_square(img_bgr)
    interp = cv2.INTER_AREA if sq.shape[0] > side else cv2.INTER_LINEAR
    return cv2.resize(sq, (side, side), interpolation=interp)


def encode(img_bgr: np.ndarray, fmt: str = "webp", quality: int = 75) -> bytes:
    ext, flag = FORMATS[fmt]
    ok, buf = cv2.imencode(ext, img_bgr, [flag, int(quality)])
    if not ok:
        raise ValueError(f"cannot encode a photo as {fmt}")
    return buf.tobytes()


def write_pack(data_dir: str | Path, out: str | Path, fmt: str = "webp", quality: int = 75, side: int = PACK_SIDE,
               threads: int | None = None) -> dict:
    """Pack every photo of the folder-per-dog set `data_dir` into `out` (.npz). Returns the pack's meta."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    if not 1 <= quality <= 100:
        raise ValueError(f"quality must be 1..100, not {quality}")
    dogs = list_dogs(data_dir)
    if not dogs:
        raise ValueError(f"{data_dir}: no dog folders with photos")
    items = [(dog, p) for dog, ps in dogs.items() for p in ps]

    def one(item: tuple[str, Path]) -> bytes:
        return encode(square(read_bgr(item[1]), side), fmt, quality)

    with ThreadPoolExecutor(threads or min(8, os.cpu_count() or 1)) as pool:
        blobs = list(pool.map(one, items))
    offsets = np.zeros(len(blobs) + 1, np.int64)
    offsets[1:] = np.cumsum([len(b) for b in blobs])
    dog = np.array([d for d, _ in items])
    split = np.array([split_of(d) for d in dog])
    counts = {s: {"dogs": int(len(set(dog[split == s]))), "photos": int((split == s).sum())}
              for s in ("train", "tune", "test")}
    meta = {"version": 1, "side": side, "format": fmt, "quality": quality, "source": Path(data_dir).name,
            "dogs": len(dogs), "photos": len(items), "splits": counts, "bytes": int(offsets[-1])}
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp.npz")
    np.savez(tmp, data=np.frombuffer(b"".join(blobs), np.uint8), offsets=offsets, dog=dog, split=split,
             name=np.array([p.name for _, p in items]), meta=np.array(json.dumps(meta)))
    tmp.replace(out)
    return meta


@dataclass
class Pack:
    """A pack read back: the encoded photos and, per photo, its dog, split and file name."""

    data: np.ndarray
    offsets: np.ndarray
    dog: np.ndarray
    split: np.ndarray
    name: np.ndarray
    meta: dict

    def __len__(self) -> int:
        return len(self.dog)

    def encoded(self, i: int) -> bytes:
        return self.data[self.offsets[i]: self.offsets[i + 1]].tobytes()

    def indices(self, split: str = "all") -> np.ndarray:
        return np.arange(len(self)) if split == "all" else np.flatnonzero(self.split == split)

    def decode(self, idx: np.ndarray | None = None, rgb: bool = True, threads: int | None = None) -> np.ndarray:
        """(len(idx), side, side, 3) uint8, RGB (the training views' order) unless rgb=False."""
        idx = self.indices() if idx is None else np.asarray(idx)
        side = int(self.meta["side"])
        out = np.empty((len(idx), side, side, 3), np.uint8)

        def one(k: int) -> None:
            img = cv2.imdecode(self.data[self.offsets[idx[k]]: self.offsets[idx[k] + 1]], cv2.IMREAD_COLOR)
            if img is None or img.shape != (side, side, 3):
                raise ValueError(f"pack photo {idx[k]} ({self.dog[idx[k]]}/{self.name[idx[k]]}) does not decode")
            out[k] = img[:, :, ::-1] if rgb else img

        with ThreadPoolExecutor(threads or min(16, os.cpu_count() or 1)) as pool:
            list(pool.map(one, range(len(idx))))
        return out

    def labels(self, idx: np.ndarray) -> tuple[np.ndarray, list[str]]:
        """Class labels 0..k-1 for the photos idx (dogs in sorted order) and the dog ids."""
        ids = sorted(set(self.dog[idx].tolist()))
        pos = {d: i for i, d in enumerate(ids)}
        return np.array([pos[d] for d in self.dog[idx]], np.int64), ids

    def unpack(self, folder: str | Path, split: str = "all") -> Path:
        """Write the photos of `split` as a folder-per-dog set (the encoded bytes as they are, no second loss), for
        the tools that read folders: calibration, evaluation, the export check."""
        folder = Path(folder)
        ext = FORMATS[self.meta["format"]][0]
        for i in self.indices(split):
            d = folder / str(self.dog[i])
            d.mkdir(parents=True, exist_ok=True)
            (d / (Path(str(self.name[i])).stem + ext)).write_bytes(self.encoded(int(i)))
        return folder


def read_pack(path: str | Path) -> Pack:
    with np.load(path, allow_pickle=False) as z:
        meta = json.loads(str(z["meta"]))
        if meta.get("version") != 1:
            raise ValueError(f"{path}: not a training pack of version 1")
        return Pack(z["data"], z["offsets"], z["dog"], z["split"], z["name"], meta)
