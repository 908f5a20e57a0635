"""The input of both networks, shared by inference (numpy, ONNX) and training (torch): the centre square of the
photo, resized, RGB, scaled to [-1, 1] as EfficientNet-Lite expects."""

from __future__ import annotations

import cv2
import numpy as np

MEAN, STD = 127.0, 128.0  # EfficientNet-Lite preprocessing: pixels to [-1, 1], RGB order


def to_square(image: np.ndarray) -> np.ndarray:
    """Centre square crop: the dataset crops are square; a camera frame is cropped to its centre (the guide)."""
    h, w = image.shape[:2]
    s = min(h, w)
    y, x = (h - s) // 2, (w - s) // 2
    return image[y: y + s, x: x + s]


def rgb_squares(images: list[np.ndarray], size: int) -> np.ndarray:
    """BGR (or grey) uint8 photos -> (N, size, size, 3) RGB uint8 centre squares."""
    batch = np.empty((len(images), size, size, 3), np.uint8)
    for i, img in enumerate(images):
        if img.ndim == 2:
            img = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
        sq = to_square(img)
        interp = cv2.INTER_AREA if sq.shape[0] > size else cv2.INTER_LINEAR
        batch[i] = cv2.resize(sq, (size, size), interpolation=interp)[:, :, ::-1]
    return batch


def network_input(images: list[np.ndarray], size: int) -> np.ndarray:
    """BGR uint8 photos -> the networks' input: (N, 3, size, size) float32 in [-1, 1]."""
    x = rgb_squares(images, size).transpose(0, 3, 1, 2).astype(np.float32)
    x -= MEAN
    x /= STD
    return np.ascontiguousarray(x)
