"""The ONNX files the product runs reproduce the torch networks they were exported from (needs PyTorch)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

pytestmark = pytest.mark.train  # scripts/test_train.sh


def test_export_reproduces_the_torch_templates_and_refuses_one_that_does_not(nose_data, tmp_path, monkeypatch):
    import torch

    from core.recognition.learned import CONFIG, MODEL_DIR, TORCH_WEIGHTS, WEIGHTS, LearnedEngine
    from core.recognition.training.export import MIN_COSINE, check_embedding, export_checked, sample_photos

    for name in (TORCH_WEIGHTS, CONFIG, "nose_embed_v1_whitening.npz"):
        shutil.copy(MODEL_DIR / name, tmp_path / name)
    photos = sample_photos(nose_data, n=8)
    assert export_checked(tmp_path, photos) >= MIN_COSINE
    fresh, shipped = LearnedEngine(tmp_path), LearnedEngine()
    assert np.min(np.sum(fresh.embed(photos) * shipped.embed(photos), axis=1)) >= MIN_COSINE

    # weights that are not the exported ones are caught by the check
    blob = torch.load(tmp_path / TORCH_WEIGHTS, weights_only=False)
    blob["state_dict"] = {k: v * 1.05 if v.is_floating_point() else v for k, v in blob["state_dict"].items()}
    torch.save(blob, tmp_path / TORCH_WEIGHTS)
    assert check_embedding(tmp_path, photos) < MIN_COSINE
    # and an exporter that wrote another network is refused, its file removed
    from core.recognition.training import export

    monkeypatch.setattr(export, "export_embedding", lambda src, dst: shutil.copy(MODEL_DIR / WEIGHTS, dst))
    with pytest.raises(RuntimeError, match="differs from the torch model"):
        export.export_checked(tmp_path, photos)
    assert not (tmp_path / WEIGHTS).exists()


def test_imagenet_descriptor_export_matches_torch(nose_data):
    from core.recognition.training.export import MIN_COSINE, check_imagenet, sample_photos

    assert check_imagenet(sample_photos(nose_data, n=6)) >= MIN_COSINE


@pytest.mark.parametrize("arch", ["lite1", "lite2"])
def test_a_stronger_backbone_starts_from_its_imagenet_weights_and_exports(nose_data, tmp_path, arch):
    import torch

    from core.recognition.learned import CONFIG, TORCH_WEIGHTS
    from core.recognition.training.export import MIN_COSINE, check_embedding, export_embedding, sample_photos
    from core.recognition.training.model import NoseNet
    from core.recognition.training.train import export

    net = NoseNet(dim=64, pretrained=True, arch=arch).eval()
    scratch = NoseNet(dim=64, pretrained=False, arch=arch)
    stem = "net._conv_stem.weight"
    assert not torch.equal(net.state_dict()[stem], scratch.state_dict()[stem])  # the package's weights, loaded
    export(net, tmp_path / TORCH_WEIGHTS, {"dim": 64, "arch": arch, "input_size": 128})
    (tmp_path / CONFIG).write_text('{"input_size": 128}')
    export_embedding(tmp_path / TORCH_WEIGHTS, tmp_path / "nose_embed_v1.onnx")
    assert check_embedding(tmp_path, sample_photos(nose_data, n=4)) >= MIN_COSINE


def test_an_unknown_backbone_is_refused():
    from core.recognition.training.model import NoseNet

    with pytest.raises(ValueError, match="unknown backbone 'lite9'"):
        NoseNet(arch="lite9")
