"""The one place a photo enters: bytes are checked and decoded once, then passed on as a BGR uint8 array.
Stored photos are content-addressed on disk (sha256), so the same photo is never written twice."""

from __future__ import annotations

import hashlib
import io
import os
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, UnidentifiedImageError

from core.errors import InvalidPhoto

MAX_BYTES = 20 * 1024 * 1024
MAX_PIXELS = 40_000_000  # 40 MP: phone cameras stay below; a decompression bomb does not
MIN_SIDE = 64
WORK_SIDE = 640  # larger photos are downscaled once after decoding: recognition never needs more

Image.MAX_IMAGE_PIXELS = MAX_PIXELS


@dataclass(frozen=True)
class Photo:
    data: bytes  # the original encoded bytes, as stored
    image: np.ndarray  # BGR uint8, longest side <= WORK_SIDE
    sha256: str
    label: str = ""  # file name or field name, for messages

    @property
    def shape(self) -> tuple[int, int]:
        return self.image.shape[:2]


def decode_photo(data: bytes, label: str = "photo") -> Photo:
    """Check and decode an uploaded or captured photo. Raises InvalidPhoto with a reason a person understands."""
    if not data:
        raise InvalidPhoto(f"{label}: the file is empty.", photo=label)
    if len(data) > MAX_BYTES:
        raise InvalidPhoto(f"{label}: the file is larger than {MAX_BYTES // (1024 * 1024)} MB.", photo=label)
    try:
        fmt, (width, height) = read_header(data)
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise InvalidPhoto(f"{label}: not an image (JPEG or PNG expected).", photo=label) from exc
    if fmt not in {"JPEG", "PNG", "WEBP", "BMP"}:
        raise InvalidPhoto(f"{label}: {fmt} images are not supported; use JPEG or PNG.", photo=label)
    if width * height > MAX_PIXELS:
        raise InvalidPhoto(f"{label}: the image is too large ({width}x{height}); at most 40 megapixels.",
                           photo=label)
    if min(width, height) < MIN_SIDE:
        raise InvalidPhoto(f"{label}: the image is too small ({width}x{height}); at least {MIN_SIDE} px a side.",
                           photo=label)
    try:
        with Image.open(io.BytesIO(data), formats=[fmt]) as img:  # within MAX_PIXELS: PIL's own guard stays quiet
            img.load()  # raises on truncated data, unlike cv2.imdecode, which pads with grey
            rgb = np.asarray(img.convert("RGB"))
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise InvalidPhoto(f"{label}: the image is damaged or truncated.", photo=label) from exc
    image = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
    return Photo(data=data, image=limit_size(image), sha256=hashlib.sha256(data).hexdigest(), label=label)


def read_header(data: bytes) -> tuple[str, tuple[int, int]]:
    """(format, (width, height)) from the header alone, found as Image.open finds them but without its
    decompression-bomb check: that check warns (DecompressionBombWarning, printed on the server's stderr) about a
    picture between 40 and 80 megapixels before decode_photo can refuse it with its own message. Nothing is decoded.
    UnidentifiedImageError when no format reads it."""
    Image.init()
    prefix = data[:16]
    for fmt in list(Image.ID):
        factory, accept = Image.OPEN[fmt]
        try:
            accepted = accept(prefix) if accept else True
        except (IndexError, struct.error):  # a check that reads past a file of a few bytes (BMP's)
            continue
        if not accepted or isinstance(accepted, str):  # a str: "looks like it, but unsupported"
            continue
        try:
            with factory(io.BytesIO(data), "") as probe:
                return probe.format, probe.size
        except (SyntaxError, IndexError, TypeError, struct.error):  # not this format (as Image.open does)
            continue
    raise UnidentifiedImageError("cannot identify image file")


def photo_from_array(image: np.ndarray, label: str = "capture") -> Photo:
    """A camera frame: encode it as JPEG once so that it can be stored and synced like any upload."""
    if image is None or image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise InvalidPhoto(f"{label}: expected a colour BGR frame.", photo=label)
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 92])
    if not ok:
        raise InvalidPhoto(f"{label}: could not encode the frame.", photo=label)
    data = buf.tobytes()
    return Photo(data=data, image=limit_size(image), sha256=hashlib.sha256(data).hexdigest(), label=label)


def read_photo_file(path: str | os.PathLike) -> Photo:
    p = Path(path)
    if not p.is_file():
        raise InvalidPhoto(f"{p}: no such file.", photo=str(p))
    return decode_photo(p.read_bytes(), label=p.name)


def limit_size(image: np.ndarray, side: int = WORK_SIDE) -> np.ndarray:
    h, w = image.shape[:2]
    scale = side / max(h, w)
    if scale >= 1:
        return image
    return cv2.resize(image, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)


class PhotoStore:
    """Photos on disk under root/ab/cd/<sha256>. Writes are atomic; the same content is stored once.

    Files derived from a photo (the features re-ranking reads: core.recognition.feature_store) lie under
    derived/ab/cd/<sha256>.<name>, outside root (a backup copies the photos, not what can be made again from them),
    and go when the photo goes (remove): nothing of an erased dog's photo stays behind."""

    def __init__(self, root: Path, derived: Path | None = None):
        self.root = Path(root)
        self.derived = Path(derived) if derived is not None else None

    def relpath(self, sha256: str) -> str:
        return f"{sha256[:2]}/{sha256[2:4]}/{sha256}"

    def path(self, sha256: str) -> Path:
        return self.root / self.relpath(sha256)

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def put(self, data: bytes) -> tuple[str, bool]:
        """Store bytes; returns (sha256, newly_written)."""
        sha = hashlib.sha256(data).hexdigest()
        target = self.path(sha)
        if target.is_file():
            return sha, False
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return sha, True

    def get(self, sha256: str) -> bytes:
        return self.path(sha256).read_bytes()

    def load(self, sha256: str) -> Photo:
        return decode_photo(self.get(sha256), label=sha256[:12])

    def derived_path(self, sha256: str, name: str) -> Path | None:
        """Where a file derived from this photo is kept (None: this store keeps none)."""
        if self.derived is None or not _is_sha256(sha256) or not name.replace("-", "").isalnum():
            return None
        return self.derived / f"{self.relpath(sha256)}.{name}"

    def remove(self, sha256: str) -> None:
        """The photo's file and every file derived from it."""
        self.path(sha256).unlink(missing_ok=True)
        if self.derived is not None and _is_sha256(sha256):
            folder = (self.derived / self.relpath(sha256)).parent
            if folder.is_dir():
                for p in folder.glob(f"{sha256}.*"):
                    p.unlink(missing_ok=True)


def _is_sha256(value: str) -> bool:
    return len(value) == 64 and all(c in "0123456789abcdef" for c in value)
