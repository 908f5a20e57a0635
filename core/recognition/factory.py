"""Which engine runs: the learned one when its weights are installed, else the classical matcher."""

from __future__ import annotations

from core.recognition.base import Engine


def load_engine(kind: str = "auto") -> Engine:
    # Until the real engines land, only the stand-in exists.
    from core.recognition.standin import StandInEngine

    return StandInEngine()
