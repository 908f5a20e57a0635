"""The learned engine: the fine-tuned nose embedding (resources/models/nose_embed_v1.pt, see the model card
resources/models/README.md) with the operating threshold, calibration and optional RootSIFT fusion rule of
resources/models/nose_embed_v1.json, fitted on the 'tune' dogs by calibrate(); the JSON may name a within-dog
whitening (core.recognition.whitening, fitted on the training dogs) that is applied to every template."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from core.recognition.fitted import FittedEngine
from core.recognition.whitening import Whitening

MODEL_DIR = Path(__file__).resolve().parents[2] / "resources" / "models"
WEIGHTS = "nose_embed_v1.pt"
CONFIG = "nose_embed_v1.json"
WHITENING = "nose_embed_v1_whitening.npz"


def weights_installed(folder: Path = MODEL_DIR) -> bool:
    return (folder / WEIGHTS).exists()


class LearnedEngine(FittedEngine):
    name = "nose-embed"

    def __init__(self, folder: Path | str = MODEL_DIR, config: dict | None = None, threads: int | None = None):
        import torch

        from core.recognition.model import NoseNet

        folder = Path(folder)
        self.torch = torch
        if threads:
            torch.set_num_threads(threads)
        blob = torch.load(folder / WEIGHTS, map_location="cpu", weights_only=False)
        meta = blob["meta"]
        self.meta = meta
        self.dim = int(meta["dim"])
        self.net = NoseNet(dim=self.dim, pretrained=False, frozen_blocks=0)
        self.net.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in blob["state_dict"].items()})
        self.net.eval().to(memory_format=torch.channels_last)
        self.folder = folder
        if config is None:
            path = folder / CONFIG
            config = json.loads(path.read_text()) if path.exists() else {}
        self.config = config
        self.input_size = int(config.get("input_size", meta.get("input_size", 160)))
        self.tta_flip = bool(config.get("tta_flip", False))
        self.whitening: Whitening | None = None
        digest = hashlib.sha256((folder / WEIGHTS).read_bytes())
        if config.get("whitening"):
            wpath = folder / config["whitening"]["file"]
            self.whitening = Whitening.load(wpath)
            self.dim = self.whitening.dim
            digest.update(wpath.read_bytes())
        # what changes a template changes the version, so that a registry re-embeds its photos
        digest.update(json.dumps([self.input_size, self.tta_flip]).encode())
        self.version = "1." + digest.hexdigest()[:8]
        self._use_operating_point(config, default_threshold=0.5)

    # ---------------------------------------------------------------- Engine
    @property
    def whitening_path(self) -> Path:
        """Where calibration writes a fitted whitening for this engine."""
        return self.folder / WHITENING

    def embed(self, images: list[np.ndarray], batch: int = 32, tta_flip: bool | None = None) -> np.ndarray:
        from core.recognition.model import preprocess

        flip = self.tta_flip if tta_flip is None else tta_flip
        torch = self.torch
        out = []
        with torch.inference_mode():
            for i in range(0, len(images), batch):
                x = preprocess(images[i: i + batch], self.input_size)
                e = torch.nn.functional.normalize(self.net(x))
                if flip:
                    e = torch.nn.functional.normalize(e + torch.nn.functional.normalize(self.net(x.flip(3))))
                out.append(e.numpy())
        if not out:
            return np.zeros((0, self.dim), np.float32)
        emb = np.concatenate(out)
        return self.whitening(emb) if self.whitening else np.ascontiguousarray(emb, dtype=np.float32)


def calibrate(data_dir: str | Path, folder: Path | str = MODEL_DIR, try_fusion: bool = True,
              progress: bool = True) -> dict:
    """Fit and write nose_embed_v1.json on the 'tune' dogs. See core.recognition.calibration.fit_engine_config."""
    from core.recognition.calibration import fit_engine_config

    folder = Path(folder)
    cfg = fit_engine_config(lambda c: LearnedEngine(folder, config=c), data_dir, try_fusion=try_fusion,
                            try_flip=True, progress=progress, try_sizes=(160, 192))
    (folder / CONFIG).write_text(json.dumps(cfg, indent=1))
    return cfg
