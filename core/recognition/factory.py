"""Which engine runs: the learned one when its weights are installed, else the classical matcher.
"standin" is the test placeholder (see standin.py) and is never chosen by "auto"."""

from __future__ import annotations

from core.recognition.base import Engine


def load_engine(kind: str = "auto") -> Engine:
    if kind == "standin":
        from core.recognition.standin import StandInEngine

        return StandInEngine()
    # Until the real engines land, only the stand-in exists.
    from core.recognition.standin import StandInEngine

    return StandInEngine()
