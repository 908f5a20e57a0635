"""A drawn, nose-like picture for screenshots and demos (no real dog's photo goes into the repository)."""

from __future__ import annotations

import cv2
import numpy as np


def synthetic_nose(seed: int, size: tuple[int, int] = (640, 480)) -> np.ndarray:
    w, h = size
    rng = np.random.default_rng(seed)
    tone = rng.integers(40, 80)
    img = np.full((h, w), tone, np.float32)
    # the nose print: rounded tubercles separated by lighter grooves
    for _ in range(2600):
        x, y = rng.integers(0, w), rng.integers(0, h)
        r = int(rng.integers(5, 13))
        cv2.circle(img, (int(x), int(y)), r + 2, float(tone + 45), -1, cv2.LINE_AA)
        cv2.circle(img, (int(x), int(y)), r, float(tone - rng.integers(5, 30)), -1, cv2.LINE_AA)
    img = cv2.GaussianBlur(img, (3, 3), 0)
    # nostrils: two dark commas left and right of the middle
    # each dog's own: where the nose sits, how far apart, how large and how slanted its nostrils (so that the
    # stand-in engine, which compares 16x16 thumbnails, tells the drawn dogs apart as it would real ones)
    shape = np.random.default_rng(seed + 1000)
    mask = np.zeros((h, w), np.uint8)
    cx, cy = int(w * shape.uniform(0.4, 0.6)), int(h * shape.uniform(0.45, 0.65))
    dx = int(w * shape.uniform(0.14, 0.26))
    size = shape.uniform(0.75, 1.3)
    slant = shape.uniform(5, 45)
    for side in (-1, 1):
        cv2.ellipse(mask, (cx + side * dx, cy), (int(w * 0.07 * size), int(h * 0.13 * size)), side * slant, 0, 360,
                    255, -1, cv2.LINE_AA)
    mask = cv2.GaussianBlur(mask, (31, 31), 0).astype(np.float32) / 255
    img = img * (1 - 0.85 * mask)
    # the philtrum: a soft vertical groove
    groove = np.exp(-((np.arange(w) - cx) ** 2) / (2 * (w * 0.012) ** 2))[None, :] * np.linspace(0.2, 1, h)[:, None]
    img = img * (1 - 0.35 * groove)
    # light from above, a dark edge around
    yy, xx = np.mgrid[0:h, 0:w]
    vignette = 1 - 0.55 * (((xx - cx) / (w * 0.6)) ** 2 + ((yy - h * 0.45) / (h * 0.7)) ** 2)
    img = np.clip(img * np.clip(vignette, 0.2, 1.1) + rng.normal(0, 3, (h, w)), 0, 255).astype(np.uint8)
    tint = np.array([1.0, 0.95, 0.9]) if seed % 2 else np.array([0.9, 0.92, 1.0])  # BGR: brownish or black nose
    return np.clip(cv2.cvtColor(img, cv2.COLOR_GRAY2BGR) * tint, 0, 255).astype(np.uint8)


def noised(image: np.ndarray, seed: int, amplitude: int = 3) -> np.ndarray:
    noise = np.random.default_rng(seed).integers(-amplitude, amplitude + 1, image.shape)
    return np.clip(image.astype(np.int16) + noise, 0, 255).astype(np.uint8)
