"""Training views of a nose photo (RGB uint8, a CACHE_SIDE square in; res x res RGB uint8 out).

`mild` is the v1 recipe: random resized crop, rotation, colour jitter, sometimes blur, grey or sensor noise.
`nose` (v2) adds what phone and kiosk photos of a nose do to it: a perspective tilt, wet-nose specular highlights,
a finger or fur across part of the nose, motion blur, the low resolution of a small crop and JPEG artefacts.
Never a flip: a mirrored nose is another pattern.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

CACHE_SIDE = 224
STRENGTHS = ("mild", "nose")


def _crop_quad(rng: np.random.Generator, min_area: float, max_angle: float, tilt: float) -> np.ndarray:
    """The four corners (in the cached square) of the region that becomes the view: a random resized crop, rotated,
    its corners moved by up to `tilt` of its side (a perspective tilt)."""
    s = CACHE_SIDE
    area = rng.uniform(min_area, 1.0)
    aspect = math.exp(rng.uniform(-0.15, 0.15))
    cw, ch = min(s, s * math.sqrt(area * aspect)), min(s, s * math.sqrt(area / aspect))
    cx, cy = rng.uniform(cw / 2, s - cw / 2), rng.uniform(ch / 2, s - ch / 2)
    a = math.radians(rng.uniform(-max_angle, max_angle))
    corners = np.array([[-cw, -ch], [cw, -ch], [cw, ch], [-cw, ch]], np.float32) / 2
    corners += rng.uniform(-tilt, tilt, size=(4, 2)).astype(np.float32) * np.array([cw, ch], np.float32)
    rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]], np.float32)
    return corners @ rot.T + np.array([cx, cy], np.float32)


def _geometry(img: np.ndarray, res: int, rng: np.random.Generator, strength: str) -> np.ndarray:
    nose = strength == "nose"
    quad = _crop_quad(rng, 0.5 if nose else 0.6, 20 if nose else 15, 0.08 if nose and rng.random() < 0.5 else 0.0)
    dst = np.array([[0, 0], [res, 0], [res, res], [0, res]], np.float32)
    m = cv2.getPerspectiveTransform(quad, dst)
    return cv2.warpPerspective(img, m, (res, res), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT101)


def _motion_blur(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    k = int(rng.integers(3, 10)) | 1
    kernel = np.zeros((k, k), np.float32)
    kernel[k // 2, :] = 1.0
    rot = cv2.getRotationMatrix2D(((k - 1) / 2, (k - 1) / 2), rng.uniform(0, 180), 1.0)
    kernel = cv2.warpAffine(kernel, rot, (k, k))
    return cv2.filter2D(img, -1, kernel / max(kernel.sum(), 1e-6))


def _low_resolution(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    res = img.shape[0]
    small = max(24, int(res * rng.uniform(0.25, 0.6)))
    down = cv2.resize(img, (small, small), interpolation=cv2.INTER_AREA)
    return cv2.resize(down, (res, res), interpolation=cv2.INTER_LINEAR)


def _specular(f: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """1-3 soft bright spots: the light of a flash or a window on a wet nose."""
    res = f.shape[0]
    mask = np.zeros((res, res), np.float32)
    for _ in range(int(rng.integers(1, 4))):
        centre = (int(rng.uniform(0, res)), int(rng.uniform(0, res)))
        axes = (max(1, int(res * rng.uniform(0.02, 0.1))), max(1, int(res * rng.uniform(0.01, 0.06))))
        cv2.ellipse(mask, centre, axes, rng.uniform(0, 180), 0, 360, 1.0, -1)
    mask = cv2.GaussianBlur(mask, (0, 0), rng.uniform(1.0, 3.0))[..., None] * rng.uniform(0.5, 1.0)
    return f * (1 - mask) + 250.0 * mask


def _occlusion(f: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A band or blob over part of the nose (a finger, fur, a shadow), from an edge inwards."""
    res = f.shape[0]
    w, h = (int(res * rng.uniform(0.1, 0.35)), int(res * rng.uniform(0.2, 0.6)))
    if rng.random() < 0.5:
        w, h = h, w
    x = int(rng.choice([0, res - w])) if rng.random() < 0.7 else int(rng.uniform(0, res - w))
    y = int(rng.uniform(0, res - h))
    colour = rng.uniform(0, 255, size=3) if rng.random() < 0.5 else f.mean(axis=(0, 1)) * rng.uniform(0.2, 0.6)
    out = f.copy()
    out[y: y + h, x: x + w] = colour.astype(np.float32)
    return out


def _jpeg(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(25, 80))])
    return cv2.imdecode(buf, cv2.IMREAD_UNCHANGED) if ok else img


def augment(img: np.ndarray, res: int, rng: np.random.Generator, strength: str = "mild") -> np.ndarray:
    """One training view: CACHE_SIDE square RGB uint8 in, res x res RGB uint8 out."""
    if strength not in STRENGTHS:
        raise ValueError(f"augmentation strength must be one of {STRENGTHS}, not {strength!r}")
    nose = strength == "nose"
    out = _geometry(img, res, rng, strength)
    if nose and rng.random() < 0.2:
        out = _motion_blur(out, rng)
    elif rng.random() < 0.2:
        out = cv2.GaussianBlur(out, (0, 0), rng.uniform(0.4, 1.6))
    if nose and rng.random() < 0.25:
        out = _low_resolution(out, rng)
    f = out.astype(np.float32)
    f = f * rng.uniform(0.65, 1.35)  # brightness
    mean = f.mean()
    f = (f - mean) * rng.uniform(0.65, 1.35) + mean  # contrast
    gray = f @ np.array([0.299, 0.587, 0.114], np.float32)
    if rng.random() < 0.15:
        f = np.repeat(gray[..., None], 3, axis=2)
    else:
        f = (f - gray[..., None]) * rng.uniform(0.6, 1.4) + gray[..., None]  # saturation
        f += rng.uniform(-12, 12, size=3).astype(np.float32)  # colour cast
    if nose and rng.random() < 0.3:
        f = _specular(f, rng)
    if nose and rng.random() < 0.25:
        f = _occlusion(f, rng)
    if rng.random() < 0.2:
        f += rng.normal(0, rng.uniform(2, 8), size=f.shape).astype(np.float32)  # sensor noise
    out = np.clip(f, 0, 255).astype(np.uint8)
    if nose and rng.random() < 0.3:
        out = _jpeg(out, rng)
    return out
