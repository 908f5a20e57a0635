"""Running a network at inference: an ONNX file executed by onnxruntime on the CPU. No PyTorch at run time:
the networks are trained with torch (core/recognition/training, the `train` extra) and exported to ONNX."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

MODEL_DIR = Path(__file__).resolve().parents[2] / "resources" / "models"


def default_threads() -> int:
    """Intra-op threads: the machine's cores, at most 4 (a kiosk shares its CPU with the camera preview)."""
    return max(1, min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1))


class OnnxNet:
    """One ONNX network with one input and one output; thread-safe (onnxruntime sessions are)."""

    def __init__(self, path: Path | str, threads: int | None = None):
        import onnxruntime as ort

        self.path = Path(path)
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads or default_threads()
        opts.inter_op_num_threads = 1
        # no busy-waiting between runs: onnxruntime's idle threads would otherwise spin on the cores that the other
        # look-ups of a server (or the kiosk's camera) need; the answers are the same either way
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        opts.log_severity_level = 3  # warnings about unused initialisers are not the user's business
        self.session = ort.InferenceSession(str(self.path), opts, providers=["CPUExecutionProvider"])
        self.input = self.session.get_inputs()[0].name
        self.metadata: dict[str, str] = dict(self.session.get_modelmeta().custom_metadata_map)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.session.run(None, {self.input: x})[0]
