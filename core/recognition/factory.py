"""Which engine runs: the learned one when its weights are installed, else the classical matcher."""

from __future__ import annotations

import logging

from core.recognition.base import Engine
from core.recognition.classical import ClassicalEngine
from core.recognition.learned import WEIGHTS, LearnedEngine, weights_installed
from core.recognition.runtime import MODEL_DIR
from core.recognition.standin import StandInEngine

log = logging.getLogger(__name__)

KINDS = ("auto", "learned", "classical", "stand-in")


def load_engine(kind: str = "auto") -> Engine:
    """'auto': the learned engine if resources/models/nose_embed_v1.onnx is installed, else the classical one;
    'learned' (raises FileNotFoundError without weights); 'classical' (no learned weights, no training data);
    'stand-in': the test placeholder (core.recognition.standin)."""
    kind = (kind or "auto").lower()
    if kind in ("stand-in", "standin"):
        return StandInEngine()
    if kind in ("auto", "learned"):
        if weights_installed():
            return LearnedEngine()
        if kind == "learned":
            raise FileNotFoundError(f"no learned weights: {MODEL_DIR / WEIGHTS}")
        log.warning("no learned weights in %s: using the classical engine", MODEL_DIR)
    elif kind != "classical":
        raise ValueError(f"unknown engine {kind!r}; one of {KINDS}")
    return ClassicalEngine()
