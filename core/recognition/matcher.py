"""The RootSIFT matcher: keypoints + ratio test + RANSAC (partial affine) inlier count, and the rule that fuses its
evidence into an engine's score. Geometric verification that re-ranks the top candidates of any engine
(core.recognition.fitted), and the decision of the classical engine."""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict

import cv2
import numpy as np

from core.recognition.base import VERIFY_PHOTOS, StoredPhoto
from core.recognition.preprocess import to_square

SIFT_SIDE = 176  # keypoints are found on the centre square at this size (15 ms a photo on this CPU)
CONTRAST = 0.02  # SIFT's contrast threshold
CLAHE = (2.0, (4, 4))  # contrast-limited equalisation (clip limit, tiles) before SIFT

Raw = tuple[np.ndarray, np.ndarray]  # keypoint xy (n, 2) float32, SIFT descriptors (n, 128) uint8


class RootSiftMatcher:
    # features of the most recently used photos, in this process (a registered dog's photos recur in look-ups);
    # about 54 KB each (raw descriptors: RootSIFT is made from them at each use, in well under a millisecond)
    CACHE = 1024

    def __init__(self, n_features: int = 400, ratio: float = 0.8, ransac_px: float = 6.0):
        self.n_features, self.ratio, self.ransac_px = n_features, ratio, ransac_px
        self._local = threading.local()  # cv2 objects are not shared between threads
        self._cache: OrderedDict[bytes, Raw] = OrderedDict()
        self._cache_lock = threading.Lock()
        # What the extraction depends on: kept features of another version are never read (OpenCV's version
        # included: another SIFT may find other keypoints).
        self.version = "rootsift-" + hashlib.sha256(json.dumps(
            [SIFT_SIDE, n_features, CONTRAST, CLAHE, cv2.__version__]).encode()).hexdigest()[:12]

    def _sift(self):
        if not hasattr(self._local, "sift"):
            self._local.sift = cv2.SIFT_create(nfeatures=self.n_features, contrastThreshold=CONTRAST)
            self._local.matcher = cv2.BFMatcher(cv2.NORM_L2)
            self._local.clahe = cv2.createCLAHE(clipLimit=CLAHE[0], tileGridSize=CLAHE[1])
        return self._local.sift, self._local.matcher

    def features(self, image: np.ndarray | StoredPhoto) -> tuple[np.ndarray, np.ndarray]:
        """(keypoint xy (n, 2) float32, RootSIFT descriptors (n, 128) float32) of a BGR or grey photo, or of a
        stored photo (from this process's cache by its key, else from its feature cache, else loaded and
        extracted, and then kept in its feature cache)."""
        return rootsift(self._raw(image))

    def keep(self, photo: StoredPhoto) -> None:
        """Make sure the features of a stored photo are in its feature cache (extracted now if they are not)."""
        raw = self._stored(photo)
        self._remember(b"s:" + photo.key.encode(), raw)

    def _raw(self, image: np.ndarray | StoredPhoto) -> Raw:
        key = b"s:" + image.key.encode() if isinstance(image, StoredPhoto) else _content_key(image)
        with self._cache_lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return hit
        out = self._stored(image) if isinstance(image, StoredPhoto) else self._extract(image)
        self._remember(key, out)
        return out

    def _remember(self, key: bytes, raw: Raw) -> None:
        with self._cache_lock:
            self._cache[key] = raw
            self._cache.move_to_end(key)
            while len(self._cache) > self.CACHE:
                self._cache.popitem(last=False)

    def _stored(self, photo: StoredPhoto) -> Raw:
        """A stored photo's features: read from its feature cache, else extracted (a photo that was a probe moments
        ago, as in a registration's screening, is found here by its content) and written there."""
        if photo.cache is not None:
            kept = photo.cache.read(photo.key, self.version)
            if kept is not None:
                return kept
        image = photo.load()
        with self._cache_lock:
            out = self._cache.get(_content_key(image))
        if out is None:
            out = self._extract(image)
        if photo.cache is not None:
            photo.cache.write(photo.key, self.version, *out)
        return out

    def _extract(self, image: np.ndarray) -> Raw:
        gray = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        gray = to_square(gray)
        s = gray.shape[0]
        gray = cv2.resize(gray, (SIFT_SIDE, SIFT_SIDE), interpolation=cv2.INTER_AREA if s > SIFT_SIDE
                          else cv2.INTER_LINEAR)
        sift, _ = self._sift()
        gray = self._local.clahe.apply(gray)
        kps, desc = sift.detectAndCompute(gray, None)
        if desc is None or len(kps) == 0:
            return np.zeros((0, 2), np.float32), np.zeros((0, 128), np.uint8)
        # OpenCV's SIFT descriptors are whole numbers 0..255 in float32: as uint8 they lose nothing
        return np.array([k.pt for k in kps], np.float32), desc.astype(np.uint8)

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


def rootsift(raw: Raw) -> tuple[np.ndarray, np.ndarray]:
    """(xy, RootSIFT descriptors float32) from raw SIFT ones (Arandjelovic & Zisserman 2012): L1-normalised,
    square-rooted."""
    xy, raw_desc = raw
    desc = raw_desc.astype(np.float32)
    if not len(desc):
        return xy, desc
    desc = desc / (np.abs(desc).sum(axis=1, keepdims=True) + 1e-7)
    return xy, np.sqrt(desc).astype(np.float32)


def _content_key(image: np.ndarray) -> bytes:
    return hashlib.blake2b(np.ascontiguousarray(image).data, digest_size=16,
                           person=str(image.shape).encode()[:16]).digest()


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
