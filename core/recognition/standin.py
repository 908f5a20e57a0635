"""StandInEngine: a deterministic placeholder for tests of the registry and use cases only.

It is NOT a nose recogniser: its template is a normalised 16x16 thumbnail, which tells identical or
near-identical photos apart from different ones and nothing more.
"""

from __future__ import annotations

import cv2
import numpy as np

from core.recognition.base import Engine, Quality


class StandInEngine(Engine):
    name = "stand-in"
    version = "0"
    dim = 256

    @property
    def match_threshold(self) -> float:
        return 0.97

    def quality(self, image: np.ndarray) -> Quality:
        gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        mean, sharp = float(gray.mean()), float(cv2.Laplacian(gray, cv2.CV_64F).var())
        reasons = tuple(r for r, bad in (("dark", mean < 30), ("bright", mean > 230), ("blurry", sharp < 5)) if bad)
        return Quality(score=0.0 if reasons else 1.0, reasons=reasons, measures={"mean": mean, "sharpness": sharp})

    def embed(self, images: list[np.ndarray]) -> np.ndarray:
        out = np.zeros((len(images), self.dim), np.float32)
        for i, image in enumerate(images):
            v = cv2.resize(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), (16, 16), interpolation=cv2.INTER_AREA)
            v = v.astype(np.float32).ravel()
            v -= v.mean()
            out[i] = v / (np.linalg.norm(v) + 1e-6)
        return out


def turned(image: np.ndarray, degrees: float) -> np.ndarray:
    """The same picture taken at another angle."""
    h, w = image.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    return cv2.warpAffine(image, m, (w, h), borderMode=cv2.BORDER_REFLECT)


def angle_alike(image: np.ndarray, similarity: float) -> float:
    """How far to turn a picture for this engine to find it `similarity` alike (turned further: less alike): how
    tests and screenshots make look-alikes that are 'uncertain' rather than sure."""
    engine = StandInEngine()
    ref = engine.embed([image])[0]
    for degrees in np.arange(0.25, 30, 0.25):
        if float(engine.embed([turned(image, degrees)])[0] @ ref) <= similarity:
            return float(degrees)
    raise ValueError(f"the picture never gets {similarity} alike")
