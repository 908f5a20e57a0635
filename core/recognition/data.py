"""Folder-per-dog photo sets and the one split rule (by dog id) used by training, tuning and evaluation."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}
SPLITS = ("train", "tune", "test", "all")


def split_of(dog_id: str) -> str:
    """THE split rule. Dog ids ending in 0 -> 'test' (never trained or tuned on; report on it),
    ending in 5 -> 'tune' (thresholds, fusion, calibration), else 'train'. Non-numeric ids: by a stable hash."""
    try:
        n = int(dog_id)
    except ValueError:
        import zlib

        n = zlib.crc32(dog_id.encode())
    r = n % 10
    return "test" if r == 0 else "tune" if r == 5 else "train"


def list_dogs(root: str | Path, split: str = "all") -> dict[str, list[Path]]:
    """{dog id: [photo paths, sorted by their number]} for the dogs of `split` in a folder-per-dog set."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}")
    root = Path(root)
    out: dict[str, list[Path]] = {}
    for d in sorted(p for p in root.iterdir() if p.is_dir()):
        if split != "all" and split_of(d.name) != split:
            continue
        files = [f for f in d.iterdir() if f.suffix.lower() in IMAGE_SUFFIXES]
        files.sort(key=lambda f: (int(f.stem) if f.stem.isdigit() else 1 << 30, f.name))
        if files:
            out[d.name] = files
    return out


def read_bgr(path: str | Path) -> np.ndarray:
    img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if img is None:
        raise OSError(f"cannot read {path}")
    return img
