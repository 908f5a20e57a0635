"""The training views: the v2 ("nose") augmentation, and the batches of an epoch, which must not depend on how many
worker processes make them (a GPU run uses workers, a CPU run none)."""

from __future__ import annotations

import numpy as np
import pytest

from core.recognition.data import list_dogs, read_bgr
from core.recognition.preprocess import to_square
from core.recognition.training.augment import CACHE_SIDE, _jpeg, _low_resolution, _occlusion, _specular, augment


@pytest.fixture(scope="module")
def nose(nose_data) -> np.ndarray:
    import cv2

    photo = next(iter(list_dogs(nose_data).values()))[0]
    return cv2.resize(to_square(read_bgr(photo)[:, :, ::-1]), (CACHE_SIDE, CACHE_SIDE))


@pytest.mark.parametrize("strength", ["mild", "nose"])
def test_views_are_the_size_asked_for_and_repeat_with_their_seed(nose, strength):
    a = [augment(nose, 96, np.random.default_rng(7), strength) for _ in range(2)]
    assert a[0].shape == (96, 96, 3) and a[0].dtype == np.uint8
    assert np.array_equal(a[0], a[1])
    assert not np.array_equal(a[0], augment(nose, 96, np.random.default_rng(8), strength))


def test_nose_views_differ_more_from_the_photo_than_mild_ones(nose):
    import cv2

    ref = cv2.resize(nose, (96, 96), interpolation=cv2.INTER_AREA).astype(np.float32)

    def spread(strength: str) -> float:
        rng = np.random.default_rng(0)
        return float(np.mean([np.abs(augment(nose, 96, rng, strength).astype(np.float32) - ref).mean()
                              for _ in range(60)]))

    assert spread("nose") > spread("mild") * 1.05


def test_each_nose_specific_change_does_what_it_says(nose):
    rng = np.random.default_rng(3)
    f = nose.astype(np.float32)
    lit = _specular(f, rng)
    assert lit.max() > f.max() - 1 and (lit >= f - 1e-3).all() and (lit > f + 20).any()  # only brighter, somewhere
    covered = _occlusion(f, rng)
    changed = np.any(covered != f, axis=2)
    assert 0.02 < changed.mean() < 0.4  # a part of the nose, not all of it
    small = _low_resolution(nose, rng)
    assert small.shape == nose.shape and np.abs(np.diff(small.astype(np.float32), axis=1)).mean() < \
        np.abs(np.diff(nose.astype(np.float32), axis=1)).mean()  # fewer fine edges
    assert _jpeg(nose, rng).shape == nose.shape


def test_an_unknown_strength_is_refused(nose):
    with pytest.raises(ValueError, match="augmentation strength"):
        augment(nose, 64, np.random.default_rng(0), "strong")


@pytest.mark.train
def test_epoch_batches_do_not_depend_on_the_number_of_workers(nose):
    import torch

    from core.recognition.training.batches import EpochViews, epoch_loader, to_network

    images = np.stack([nose, nose[::-1].copy(), nose[:, ::-1].copy(), nose])
    labels = np.arange(4)
    views = EpochViews(images, labels, np.array([2, 0, 3, 1]), batch=2, res=64, strength="nose", seed=(0, 5))
    alone = list(epoch_loader(views, workers=0))
    helped = list(epoch_loader(views, workers=2))
    assert len(alone) == len(helped) == 2
    for (xa, ya), (xb, yb) in zip(alone, helped, strict=True):
        assert torch.equal(xa, xb) and torch.equal(ya, yb)
    assert alone[0][1].tolist() == [2, 0]
    x = to_network(alone[0][0], torch.device("cpu"))
    assert x.shape == (2, 3, 64, 64) and -1.01 <= float(x.min()) and float(x.max()) <= 1.01
