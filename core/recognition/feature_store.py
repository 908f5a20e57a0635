"""Local features of stored photos kept in files, so that geometric re-ranking reads a candidate's keypoints and
descriptors instead of decoding its photo and extracting them again at every look-up (the extraction was most of a
look-up's CPU time).

One file a photo and extractor version, found by the photo's content hash (sha256) and the version through a path
function the photo store gives (core.photos.PhotoStore.derived_path: the files of a photo go when the photo does).
The file holds keypoint coordinates (float32) and the raw SIFT descriptors (uint8: OpenCV's are whole numbers
0..255), so that what a reader makes of them is bit for bit what a fresh extraction gives. Anything unreadable,
short or of another layout reads as missing, and the caller extracts again; a store that cannot be written (a
read-only photo folder) only costs the extraction at each use."""

from __future__ import annotations

import logging
import os
import struct
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

MAGIC = b"SPF1"
HEADER = struct.Struct("<4sIII")  # magic, keypoints n, descriptor width d, 0 (16 bytes: the arrays stay aligned)


class FeatureFiles:
    """Read and write (xy float32 (n, 2), descriptors uint8 (n, d)) per (photo sha256, extractor version)."""

    def __init__(self, path_of: Callable[[str, str], Path | None]):
        self.path_of = path_of
        self._warned = False

    def read(self, sha256: str, version: str) -> tuple[np.ndarray, np.ndarray] | None:
        path = self.path_of(sha256, version)
        if path is None:
            return None
        try:
            data = path.read_bytes()
        except OSError:
            return None
        if len(data) < HEADER.size:
            return None
        magic, n, d, _ = HEADER.unpack_from(data)
        if magic != MAGIC or len(data) != HEADER.size + n * 8 + n * d:
            return None
        xy = np.frombuffer(data, np.float32, n * 2, HEADER.size).reshape(n, 2)
        desc = np.frombuffer(data, np.uint8, n * d, HEADER.size + n * 8).reshape(n, d)
        return xy, desc

    def write(self, sha256: str, version: str, xy: np.ndarray, desc: np.ndarray) -> bool:
        """Keep them (atomically: a reader sees the whole file or none). False when the store cannot be written."""
        path = self.path_of(sha256, version)
        if path is None:
            return False
        xy = np.ascontiguousarray(xy, np.float32)
        desc = np.ascontiguousarray(desc, np.uint8)
        n, d = desc.shape
        payload = HEADER.pack(MAGIC, n, d, 0) + xy.tobytes() + desc.tobytes()
        tmp = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            with os.fdopen(fd, "wb") as fh:
                fh.write(payload)
            os.replace(tmp, path)
            return True
        except OSError as exc:
            if tmp is not None:
                Path(tmp).unlink(missing_ok=True)
            if not self._warned:  # a read-only photo folder: said once, then features are extracted at each use
                self._warned = True
                log.warning("could not keep photo features in %s (%s): they are extracted at each use", path.parent,
                            exc)
            return False
