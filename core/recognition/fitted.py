"""FittedEngine: the operating point of an engine as fitted on the tune dogs and stored in its JSON
(match threshold, review band, agreement threshold, calibration table), and the shared quality gate."""

from __future__ import annotations

import numpy as np

from core.recognition.base import Engine, Quality
from core.recognition.quality import assess


class FittedEngine(Engine):
    _threshold: float
    _uncertain_gap: float
    _agreement: float | None
    _calib: dict | None

    def _use_operating_point(self, cfg: dict, default_threshold: float) -> None:
        self._threshold = float(cfg.get("match_threshold", default_threshold))
        self._uncertain_gap = float(cfg.get("uncertain_gap", 0.1))
        self._agreement = cfg.get("agreement_threshold")
        self._calib = cfg.get("calibration")

    @property
    def match_threshold(self) -> float:
        return self._threshold

    @property
    def uncertain_threshold(self) -> float:
        return self.threshold - self._uncertain_gap

    @property
    def agreement_threshold(self) -> float:
        return self.uncertain_threshold if self._agreement is None else float(self._agreement)

    def probability(self, score: float) -> float:
        if self._calib:
            return float(np.interp(score, self._calib["x"], self._calib["y"]))
        return super().probability(score)

    def quality(self, image: np.ndarray) -> Quality:
        return assess(image)
