"""Small synthetic nose-like photos for tests: one texture per 'dog', tiny noise per 'photo'."""

from __future__ import annotations

import cv2
import numpy as np

from core.photos import Photo, decode_photo


def dog_texture(seed: int, size: int = 224) -> np.ndarray:
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 255, (size // 8, size // 8), dtype=np.uint8)
    base = cv2.resize(base, (size, size), interpolation=cv2.INTER_CUBIC)
    cells = rng.integers(60, 200, (size, size), dtype=np.uint8)
    gray = cv2.addWeighted(base, 0.7, cv2.GaussianBlur(cells, (5, 5), 0), 0.3, 0)
    return cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR)


def jpeg(image: np.ndarray, quality: int = 92) -> bytes:
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return buf.tobytes()


def dog_photo_bytes(dog: int, shot: int) -> bytes:
    img = dog_texture(dog).astype(np.int16)
    noise = np.random.default_rng(dog * 1000 + shot + 1).integers(-6, 7, img.shape)
    return jpeg(np.clip(img + noise, 0, 255).astype(np.uint8))


def dog_photos(dog: int, n: int = 5, first_shot: int = 0) -> list[Photo]:
    return [decode_photo(dog_photo_bytes(dog, s), label=f"dog{dog}-{s}.jpg") for s in range(first_shot, first_shot + n)]


def black_photo() -> Photo:
    return decode_photo(jpeg(np.zeros((224, 224, 3), np.uint8)), label="black.jpg")


def look_alike_photo_bytes(dog: int, other: int, shot: int, share: float = 0.7) -> bytes:
    """A photo of `dog` blended with `other` (share of `dog`): on the stand-in engine 0.7 scores about 0.92 against
    `dog`, between its review (0.87) and match (0.97) thresholds: a look-alike that is not a sure match."""
    a = cv2.imdecode(np.frombuffer(dog_photo_bytes(dog, shot), np.uint8), cv2.IMREAD_COLOR).astype(np.float32)
    b = cv2.imdecode(np.frombuffer(dog_photo_bytes(other, shot), np.uint8), cv2.IMREAD_COLOR).astype(np.float32)
    return jpeg(np.clip(share * a + (1 - share) * b, 0, 255).astype(np.uint8))
