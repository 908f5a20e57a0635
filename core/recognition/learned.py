"""The learned engine: the fine-tuned nose embedding (resources/models/nose_embed_v1.onnx, exported from the
torch weights nose_embed_v1.pt by core.recognition.training.export; see the model card resources/models/README.md)
with the operating threshold, calibration and optional RootSIFT fusion rule of resources/models/nose_embed_v1.json,
fitted on the 'tune' dogs by core.recognition.calibration.calibrate_learned; the JSON may name a within-dog
whitening (core.recognition.whitening, fitted on the training dogs) that is applied to every template. Runs on
onnxruntime: no torch."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from core.recognition.base import l2_normalize
from core.recognition.fitted import FittedEngine
from core.recognition.preprocess import network_input
from core.recognition.runtime import MODEL_DIR, OnnxNet
from core.recognition.whitening import Whitening

WEIGHTS = "nose_embed_v1.onnx"
TORCH_WEIGHTS = "nose_embed_v1.pt"  # the training checkpoint the ONNX file is exported from (`train` extra)
CONFIG = "nose_embed_v1.json"
WHITENING = "nose_embed_v1_whitening.npz"


def weights_installed(folder: Path = MODEL_DIR) -> bool:
    return (folder / WEIGHTS).exists()


def template_version(weights: bytes, whitening: bytes | None, input_size: int, tta_flip: bool) -> str:
    """What changes a template changes the version, so that a registry re-embeds its photos."""
    digest = hashlib.sha256(weights)
    if whitening is not None:
        digest.update(whitening)
    digest.update(json.dumps([input_size, tta_flip]).encode())
    return "1." + digest.hexdigest()[:8]


class LearnedEngine(FittedEngine):
    name = "nose-embed"

    def __init__(self, folder: Path | str = MODEL_DIR, config: dict | None = None, threads: int | None = None):
        folder = Path(folder)
        self.folder = folder
        self.net = OnnxNet(folder / WEIGHTS, threads=threads)
        self.meta = {k: json.loads(v) for k, v in self.net.metadata.items()}
        self.dim = int(self.meta.get("dim", 256))
        if config is None:
            path = folder / CONFIG
            config = json.loads(path.read_text()) if path.exists() else {}
        self.config = config
        self.input_size = int(config.get("input_size", self.meta.get("input_size", 160)))
        self.tta_flip = bool(config.get("tta_flip", False))
        self.whitening: Whitening | None = None
        wbytes = None
        if config.get("whitening"):
            wpath = folder / config["whitening"]["file"]
            self.whitening = Whitening.load(wpath)
            self.dim = self.whitening.dim
            wbytes = wpath.read_bytes()
        self.version = template_version((folder / WEIGHTS).read_bytes(), wbytes, self.input_size, self.tta_flip)
        # The templates an export reproduces keep the version they had under torch, so registries need no re-embedding;
        # any change of weights, whitening, size or flip makes `for` differ and the computed version applies.
        kept = config.get("template_version") or {}
        if kept.get("for") == self.version:
            self.version = kept["version"]
        self._use_operating_point(config, default_threshold=0.5)

    # ---------------------------------------------------------------- Engine
    @property
    def whitening_path(self) -> Path:
        """Where calibration writes a fitted whitening for this engine."""
        return self.folder / WHITENING

    def embed(self, images: list[np.ndarray], batch: int = 32, tta_flip: bool | None = None) -> np.ndarray:
        flip = self.tta_flip if tta_flip is None else tta_flip
        out = []
        for i in range(0, len(images), batch):
            x = network_input(images[i: i + batch], self.input_size)
            if flip:  # the photo and its mirror image in one run: one call costs less than two
                both = self.net(np.concatenate([x, np.ascontiguousarray(x[..., ::-1])]))
                n = len(x)
                e = l2_normalize(l2_normalize(both[:n]) + l2_normalize(both[n:]))
            else:
                e = l2_normalize(self.net(x))
            out.append(e.astype(np.float32, copy=False))
        if not out:
            return np.zeros((0, self.dim), np.float32)
        emb = np.concatenate(out)
        return self.whitening(emb) if self.whitening else np.ascontiguousarray(emb, dtype=np.float32)
