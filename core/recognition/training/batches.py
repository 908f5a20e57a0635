"""The training batches of one epoch, augmented on the CPU: in the training process on a CPU machine, in worker
processes when a GPU does the rest (the GPU would otherwise wait for the augmentation)."""

from __future__ import annotations

import os

import cv2
import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from core.recognition.preprocess import MEAN, STD
from core.recognition.training.augment import augment


class EpochViews(Dataset):
    """Item i: the augmented views (uint8, N x res x res x 3) and labels of the i-th batch of `order`. Each batch has
    its own random stream (seed, epoch, i), so the views do not depend on how many workers make them."""

    def __init__(self, images: np.ndarray, labels: np.ndarray, order: np.ndarray, batch: int, res: int,
                 strength: str, seed: tuple[int, ...]):
        self.images, self.labels, self.order = images, labels, order
        self.batch, self.res, self.strength, self.seed = batch, res, strength, seed

    def __len__(self) -> int:
        return len(self.order) // self.batch

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        rng = np.random.default_rng([*self.seed, i])
        idx = self.order[i * self.batch: (i + 1) * self.batch]
        views = np.stack([augment(self.images[j], self.res, rng, self.strength) for j in idx])
        return torch.from_numpy(views), torch.from_numpy(self.labels[idx])


def _quiet_worker(_: int) -> None:
    cv2.setNumThreads(1)
    torch.set_num_threads(1)


def augment_workers(device: torch.device) -> int:
    """Worker processes for the augmentation: none on a CPU (the network needs the cores), all but two with a GPU."""
    return 0 if device.type == "cpu" else max(2, (os.cpu_count() or 4) - 2)


def epoch_loader(views: EpochViews, workers: int) -> DataLoader:
    return DataLoader(views, batch_size=None, shuffle=False, num_workers=workers, worker_init_fn=_quiet_worker,
                      pin_memory=workers > 0 and torch.cuda.is_available(), prefetch_factor=4 if workers else None,
                      persistent_workers=False)


def to_network(views: torch.Tensor, device: torch.device) -> torch.Tensor:
    """uint8 NHWC views -> the normalised NCHW float input (channels_last), on the device."""
    x = views.to(device, non_blocking=True).permute(0, 3, 1, 2).float()
    return ((x - MEAN) / STD).contiguous(memory_format=torch.channels_last)
