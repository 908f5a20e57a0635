"""The training views made on the device a batch at a time (gpu_augment): the same changes as augment.augment,
each doing what it says, repeating with their seed, and about as far from the photo as the CPU's views."""

from __future__ import annotations

import numpy as np
import pytest

from core.recognition.data import list_dogs, read_bgr
from core.recognition.training.pack import square

pytestmark = pytest.mark.train  # needs PyTorch: scripts/test_train.sh


@pytest.fixture(scope="module")
def noses(nose_data) -> np.ndarray:
    """Four real noses, RGB training squares."""
    dogs = list(list_dogs(nose_data, "test").values())[:4]
    return np.stack([square(read_bgr(ps[0]))[:, :, ::-1] for ps in dogs])


def _plain(ga, n: int, side: int, res: int) -> dict:
    """draw()'s values with every change off and the whole square as the view."""
    p = ga.draw(np.random.default_rng(0), n, side, res, "nose")
    quads = np.tile(np.array([[0, 0], [side, 0], [side, side], [0, side]], np.float64), (n, 1, 1))
    p["homography"] = ga._homographies(res, quads)
    for flag in ("motion", "gauss", "lowres", "grey", "specular", "occlusion", "noise", "jpeg"):
        p[flag] = np.zeros(n, bool)
    p["brightness"], p["contrast"], p["saturation"] = np.ones(n), np.ones(n), np.ones(n)
    p["cast"] = np.zeros((n, 3))
    return p


def _edges(x) -> float:
    return float(x.diff(dim=-1).abs().mean())


def test_views_are_the_networks_input_and_repeat_with_their_seed(noses):
    import torch

    from core.recognition.training.gpu_augment import batch_views

    images = torch.from_numpy(noses)
    idx = np.array([0, 1, 2, 3, 0, 1])
    a = batch_views(images, idx, 96, "nose", (0, 1, 2))
    assert a.shape == (6, 3, 96, 96) and a.dtype == torch.float32
    assert a.is_contiguous(memory_format=torch.channels_last)
    assert -1.0 <= float(a.min()) and float(a.max()) <= 1.0
    assert torch.equal(a, batch_views(images, idx, 96, "nose", (0, 1, 2)))
    assert not torch.equal(a, batch_views(images, idx, 96, "nose", (0, 1, 3)))
    with pytest.raises(ValueError, match="augmentation strength"):
        batch_views(images, idx, 96, "strong", (0,))


def test_with_every_change_off_a_view_is_the_photo_resized(noses):
    import cv2
    import torch

    from core.recognition.training import gpu_augment as ga

    images = torch.from_numpy(noses)
    side = noses.shape[1]
    same = ga.views(images, side, _plain(ga, 4, side, side), normalise=False)
    assert float((same.permute(0, 2, 3, 1) - images.float()).abs().max()) <= 1.0
    half = ga.views(images, side // 2, _plain(ga, 4, side, side // 2), normalise=False).permute(0, 2, 3, 1).numpy()
    # OpenCV's warpPerspective with the same corners, as augment._geometry does it
    quad = np.float32([[0, 0], [side, 0], [side, side], [0, side]])
    m = cv2.getPerspectiveTransform(quad, quad / 2)
    ref = np.stack([cv2.warpPerspective(im, m, (side // 2, side // 2), flags=cv2.INTER_LINEAR,
                                        borderMode=cv2.BORDER_REFLECT101) for im in noses])
    assert np.abs(half - ref).mean() < 1.0


def test_each_change_does_what_it_says(noses):
    import cv2
    import torch

    from core.recognition.training import gpu_augment as ga

    images = torch.from_numpy(noses)
    n, side, res = 4, noses.shape[1], 128
    base_p = _plain(ga, n, side, res)
    base = ga.views(images, res, base_p, normalise=False)

    def one(flag: str, **values) -> torch.Tensor:
        p = {k: v.copy() for k, v in base_p.items()}
        p[flag] = np.ones(n, bool)
        p.update(values)
        return ga.views(images, res, p, generator=torch.Generator().manual_seed(0), normalise=False)

    grey = one("grey")
    assert torch.allclose(grey[:, 0], grey[:, 1], atol=1.0) and torch.allclose(grey[:, 1], grey[:, 2], atol=1.0)
    for blur in ("motion", "gauss", "lowres"):
        assert _edges(one(blur)) < 0.9 * _edges(base), blur  # fewer fine edges
    lit = one("specular")
    assert (lit >= base.clamp(max=250) - 1).all() and ((lit - base) > 20).flatten(1).any(1).all()  # brighter, somewhere
    boxes = np.array([[0, 10, 30, 50]] * n)
    covered = one("occlusion", occ_box=boxes, occ_random_colour=np.ones(n, bool))
    inside = covered[:, :, 10:60, 0:30]
    assert (inside == inside[:, :, :1, :1]).all()  # one flat colour in the box
    assert torch.equal(covered[:, :, 60:], base[:, :, 60:]) and torch.equal(covered[:, :, :, 30:], base[:, :, :, 30:])
    noisy = one("noise", noise_sigma=np.full(n, 6.0))
    assert 2.0 < float((noisy - base).std()) < 8.0
    # JPEG: what OpenCV's encoder does to the view, at the same quality
    q = 40
    ours = one("jpeg", jpeg_quality=np.full(n, q)).permute(0, 2, 3, 1).numpy()
    plain = base.permute(0, 2, 3, 1).numpy().astype(np.uint8)
    theirs = np.stack([cv2.imdecode(cv2.imencode(".jpg", im, [cv2.IMWRITE_JPEG_QUALITY, q])[1], cv2.IMREAD_UNCHANGED)
                       for im in plain]).astype(np.float32)
    assert np.abs(ours - plain).mean() > 1.0 and np.abs(ours - theirs).mean() < 2.5


def test_views_are_about_as_far_from_the_photo_as_the_cpu_ones(noses):
    import torch

    from core.recognition.training.augment import augment
    from core.recognition.training.gpu_augment import batch_views

    res = 96
    idx = np.repeat(np.arange(4), 24)
    for strength in ("mild", "nose"):
        gpu = batch_views(torch.from_numpy(noses), idx, res, strength, (5,), normalise=False)
        gpu = gpu.permute(0, 2, 3, 1).numpy()
        rng = np.random.default_rng(5)
        cpu = np.stack([augment(noses[i], res, rng, strength) for i in idx]).astype(np.float32)
        # brightness, contrast and colour over many views: the same ranges
        for stat in (np.mean, np.std):
            g, c = stat(gpu, axis=(1, 2, 3)).mean(), stat(cpu, axis=(1, 2, 3)).mean()
            assert abs(g - c) < 0.12 * c, (strength, stat.__name__, g, c)
