"""FittedEngine: the operating point of an engine as fitted on the tune dogs and stored in its JSON
(match threshold, review band, agreement threshold, calibration table, RootSIFT fusion rule), the shared quality
gate and the shared RootSIFT re-ranking."""

from __future__ import annotations

import threading
from dataclasses import replace

import numpy as np

from core.recognition.base import Engine, Quality, StoredPhoto
from core.recognition.matcher import RootSiftMatcher, fused_rerank
from core.recognition.quality import assess
from core.recognition.scale_rule import ScaleRule


class FittedEngine(Engine):
    _threshold: float
    _uncertain_gap: float
    _agreement: float | None
    _calib: dict | None
    fusion: dict | None
    _scale: ScaleRule | None

    def _use_operating_point(self, cfg: dict, default_threshold: float, default_fusion: dict | None = None) -> None:
        self._threshold = float(cfg.get("match_threshold", default_threshold))
        self._uncertain_gap = float(cfg.get("uncertain_gap", 0.1))
        self._agreement = cfg.get("agreement_threshold")
        calib = cfg.get("calibration")
        # as arrays once: np.interp converting the lists at every candidate shown was a visible share of a look-up
        self._calib = {"x": np.asarray(calib["x"], float), "y": np.asarray(calib["y"], float)} if calib else None
        self.fusion = cfg.get("fusion", default_fusion)
        self._scale = ScaleRule.from_config(cfg["scale"]) if cfg.get("scale") else None
        self._matcher = None  # RootSiftMatcher, made at the first re-ranking
        self._matcher_lock = threading.Lock()

    @property
    def match_threshold(self) -> float:
        return self._threshold

    @property
    def uncertain_threshold(self) -> float:
        return self.threshold - self._uncertain_gap

    @property
    def agreement_threshold(self) -> float:
        return self.uncertain_threshold if self._agreement is None else float(self._agreement)

    @property
    def scale_rule(self) -> ScaleRule:
        if not self._scale:
            return super().scale_rule
        if self.threshold_override is not None:  # an admin's threshold is the floor of the registry-size rule
            return replace(self._scale, floor=self.threshold_override, review_floor=self.uncertain_threshold)
        return self._scale

    def probability(self, score: float) -> float:
        if self._calib:
            return float(np.interp(score, self._calib["x"], self._calib["y"]))
        return super().probability(score)

    def quality(self, image: np.ndarray) -> Quality:
        return assess(image)

    @property
    def reranks(self) -> bool:
        return bool(self.fusion)

    @property
    def matcher(self) -> RootSiftMatcher:
        with self._matcher_lock:
            if self._matcher is None:
                self._matcher = RootSiftMatcher()
        return self._matcher

    def keep_features(self, photos: list[StoredPhoto]) -> None:
        if self.fusion:
            for photo in photos:
                self.matcher.keep(photo)

    def rerank(self, probe: np.ndarray, candidates: dict[str, list[StoredPhoto]], scores: dict[str, float],
               margin: float = 0.0, floor: float = float("-inf")) -> dict[str, float]:
        if not self.fusion:
            return scores
        return fused_rerank(self.matcher, self.fusion, probe, candidates, scores, margin, floor)
