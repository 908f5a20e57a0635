"""The quality gate shared by every engine: is this frame worth enrolling or searching with?

Fast enough for every preview frame (about 1 ms for 640x480 on one core): the frame is cropped to its centre
square (where the nose guide is) and downscaled to WORK px before anything is measured. Reasons are the codes
of base.QUALITY_REASONS. The thresholds were chosen on the nose-pbc2022 photos so that nearly all of them pass
(see THRESHOLDS and the pass rate measured by `python -m core.recognition.protocols DIR`), while frames that are
black, white, flat, blurred or tiny fail.
"""

from __future__ import annotations

import cv2
import numpy as np

from core.recognition.base import Quality
from core.recognition.preprocess import to_square

WORK = 128  # measuring resolution (centre square, downscaled)

THRESHOLDS = {
    "min_side": 70,  # px of the original photo's shorter side: below -> small
    "dark_mean": 20.0,  # mean grey level (0..255) below -> dark
    "bright_mean": 235.0,  # mean grey level above -> bright
    "glare_frac": 0.30,  # share of saturated pixels (>= 250) above -> glare
    "flat_std": 5.0,  # grey-level standard deviation below -> no_texture (flat colour, lens cap, wall)
    "blur_sharp": 8.0,  # variance of the Laplacian of the WORK px grey image below -> blurry
}


def measure(image: np.ndarray) -> dict[str, float]:
    h, w = image.shape[:2]
    sq = to_square(image)
    step = sq.shape[0] // (2 * WORK)
    if step > 1:  # cheap decimation first, then an area filter: keeps a 640x480 frame at about 1 ms
        sq = sq[::step, ::step]
    interp = cv2.INTER_AREA if sq.shape[0] > WORK else cv2.INTER_LINEAR
    small = cv2.resize(sq, (WORK, WORK), interpolation=interp)
    gray = small if small.ndim == 2 else cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
    mean, std = cv2.meanStdDev(gray)
    lap = cv2.Laplacian(gray, cv2.CV_32F)
    _, lap_std = cv2.meanStdDev(lap)
    return {
        "min_side": float(min(h, w)),
        "mean": float(mean[0, 0]),
        "std": float(std[0, 0]),
        "sharpness": float(lap_std[0, 0] ** 2),
        "glare": float(np.count_nonzero(gray >= 250)) / gray.size,
    }


def assess(image: np.ndarray, thresholds: dict[str, float] | None = None) -> Quality:
    """Quality verdict for a BGR (or grey) uint8 photo."""
    t = {**THRESHOLDS, **(thresholds or {})}
    if image is None or image.size == 0 or image.dtype != np.uint8:
        return Quality(score=0.0, reasons=("no_texture",), measures={})
    m = measure(image)
    reasons = []
    if m["min_side"] < t["min_side"]:
        reasons.append("small")
    if m["mean"] < t["dark_mean"]:
        reasons.append("dark")
    elif m["mean"] > t["bright_mean"]:
        reasons.append("bright")
    if m["glare"] > t["glare_frac"] and "bright" not in reasons:
        reasons.append("glare")
    if m["std"] < t["flat_std"]:
        reasons.append("no_texture")
    elif m["sharpness"] < t["blur_sharp"]:
        reasons.append("blurry")
    # a 0..1 score for ranking frames (best frame of a burst): sharpness and contrast, with soft exposure terms
    sharp = min(1.0, np.log1p(m["sharpness"]) / np.log1p(t["blur_sharp"] * 20))
    contrast = min(1.0, m["std"] / 50.0)
    exposure = 1.0 - min(1.0, abs(m["mean"] - 128.0) / 128.0) ** 2
    score = float(np.clip(0.5 * sharp + 0.3 * contrast + 0.2 * exposure, 0.0, 1.0))
    if reasons:
        score = min(score, 0.3)
    return Quality(score=score, reasons=tuple(reasons), measures=m)
