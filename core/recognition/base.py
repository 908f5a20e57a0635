"""The seam between the use cases and any recognition engine.

An engine turns a decoded photo (BGR uint8) into a quality verdict and a template (an L2-normalised float32
vector, compared by inner product), and turns a similarity score into a decision at its operating threshold.
The use cases own the gallery and the registry; the engine owns the model.
"""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from core.recognition.scale_rule import ScaleRule


def l2_normalize(v: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length: templates are compared by inner product."""
    return v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)


class Decision(str, enum.Enum):
    MATCH = "match"
    UNCERTAIN = "uncertain"
    NO_MATCH = "no_match"


# Reason codes of the quality gate; the UI translates them, the CLI and HTTP API show the English text.
QUALITY_REASONS = {
    "blurry": "too blurry: hold still and focus on the nose",
    "dark": "too dark: add light",
    "bright": "too bright: avoid direct light",
    "glare": "glare on the nose: change the angle or the light",
    "small": "too small: move closer to the nose",
    "no_texture": "no nose texture visible: fill the guide with the nose",
}


@dataclass(frozen=True)
class Quality:
    score: float  # 0 (unusable) .. 1 (excellent)
    reasons: tuple[str, ...] = ()  # codes from QUALITY_REASONS; empty when usable
    measures: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.reasons

    def describe(self) -> str:
        return "; ".join(QUALITY_REASONS.get(r, r) for r in self.reasons) or "good"


class FeatureCache(Protocol):
    """Where the features derived from stored photos are kept between look-ups and processes
    (core.recognition.feature_store.FeatureFiles), by the photo's key and the extractor's version."""

    def read(self, sha256: str, version: str) -> tuple[np.ndarray, np.ndarray] | None: ...

    def write(self, sha256: str, version: str, xy: np.ndarray, desc: np.ndarray) -> bool: ...


@dataclass(frozen=True)
class StoredPhoto:
    """An enrolled photo as re-ranking sees it: a stable key (its content hash, sha256), so that features derived
    from it can be cached, a loader, so that it is read and decoded only when it is actually verified, and where
    its features are kept (read there instead of extracted again; None: only in this process)."""

    key: str
    load: Callable[[], np.ndarray]
    cache: FeatureCache | None = None


# Re-ranking verifies a candidate dog against this many of its photos: those whose templates are the most like
# the probe's (the others rarely change the verdict and each costs a decode and a RootSIFT extraction).
VERIFY_PHOTOS = 2
# A look-up takes this many nearest dogs from the gallery for each probe photo, before centroid scores and
# geometric verification; the verification re-scores the RERANK_TOP best of them.
SEARCH_DOGS = 20
RERANK_TOP = 3


@dataclass(frozen=True)
class Candidate:
    dog_id: str
    score: float  # similarity on the engine's scale (higher = more alike)
    probability: float  # calibrated probability that it is the same dog
    decision: Decision


class Engine(ABC):
    name: str
    version: str
    dim: int

    @abstractmethod
    def quality(self, image: np.ndarray) -> Quality:
        """Fast enough for every preview frame."""

    @abstractmethod
    def embed(self, images: list[np.ndarray]) -> np.ndarray:
        """Templates for a batch of photos: (n, dim) float32, rows L2-normalised."""

    @property
    @abstractmethod
    def match_threshold(self) -> float:
        """Similarity at or above which two templates are the same dog (the operating point)."""

    threshold_override: float | None = None  # an admin's setting wins over the shipped operating point

    @property
    def threshold(self) -> float:
        return self.match_threshold if self.threshold_override is None else self.threshold_override

    @property
    def uncertain_threshold(self) -> float:
        """Similarity at or above which a pair goes to a person for review instead of 'not registered'."""
        return self.threshold - 0.1

    @property
    def agreement_threshold(self) -> float:
        """Similarity a registration photo must reach with at least one other photo of its set (same dog)."""
        return self.uncertain_threshold

    def probability(self, score: float) -> float:
        """Calibrated P(same dog | score). Engines with a fitted calibrator override this."""
        return float(1.0 / (1.0 + np.exp(-(score - self.threshold) * 20.0)))

    def decide(self, score: float) -> Decision:
        if score >= self.threshold:
            return Decision.MATCH
        if score >= self.uncertain_threshold:
            return Decision.UNCERTAIN
        return Decision.NO_MATCH

    @property
    def scale_rule(self):
        """The registry-size decision rule (core.recognition.scale_rule.ScaleRule). Without a fitted one: the fixed
        thresholds above, whatever the registry size, and no margin."""
        return ScaleRule.fixed(self.threshold, self.uncertain_threshold)

    @property
    def reranks(self) -> bool:
        """Whether rerank() can change scores: only then do callers gather the candidates' photos."""
        return False

    def keep_features(self, photos: list[StoredPhoto]) -> None:
        """Extract now and keep (in each photo's cache) what rerank() will need of these newly stored photos, so that
        look-ups read it instead of extracting it. Default: nothing to keep."""
        return None

    def rerank(self, probe: np.ndarray, candidates: dict[str, list[StoredPhoto]], scores: dict[str, float],
               margin: float = 0.0, floor: float = float("-inf")) -> dict[str, float]:
        """Refine the scores of the top candidates with their photos, most probe-like first (geometric
        verification), where it can change the best dog, its margin over the second (`margin`) or whether it
        reaches `floor`. Default: as is."""
        return scores
