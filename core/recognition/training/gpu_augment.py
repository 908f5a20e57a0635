"""The training views of augment.py, made on the device a whole batch at a time (torch ops on tensors).

augment.augment makes one view with OpenCV on the CPU; a GPU trains Lite0 faster than 16 CPU cores can make its views.
Here the photos of a pack already sit on the device (uint8, N x S x S x 3, S = augment.CACHE_SIDE), and one call
turns a batch of them into the network's input: the same transformations with the same probabilities and ranges as
augment.augment, vectorised. The random values of a batch are drawn on the host with numpy from a seed (a few
numbers per photo), the per-pixel noise on the device from the same seed, so a batch repeats on its device.

  geometry    random resized crop, rotation, perspective tilt (nose): one homography per photo, grid_sample
  blur        Gaussian, or a motion streak (nose): one 11 x 11 kernel per photo, a grouped convolution
  low res     (nose) down to 25-60 % and back: area then bilinear, photos grouped by size
  colour      brightness, contrast, saturation or grey, colour cast
  specular    (nose) 1-3 soft bright ellipses, evaluated on the pixel grid
  occlusion   (nose) a band from an edge or a blob, flat colour
  noise       Gaussian sensor noise
  JPEG        (nose) 8 x 8 DCT quantisation at quality 25-80 with 4:2:0 chroma, the artefacts of a real encoder

Runs on any torch device; a CPU runs it too (the dry run of the device script, the tests).
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from core.recognition.preprocess import MEAN, STD
from core.recognition.training.augment import STRENGTHS

KERNEL = 11  # blur kernels: Gaussian sigma up to 1.6 (OpenCV's 8-bit size for it), motion streaks up to 9 px


# ---------------------------------------------------------------------------------------------- random values
def _homographies(dst_side: int, quads: np.ndarray) -> np.ndarray:
    """(n, 3, 3) maps taking output pixel (x, y, 1) to its source point in the quad (OpenCV's warpPerspective
    convention: pixel centres at integers, the output square's corners at 0 and dst_side)."""
    n = len(quads)
    dst = np.array([[0, 0], [dst_side, 0], [dst_side, dst_side], [0, dst_side]], np.float64)
    a = np.zeros((n, 8, 8))
    b = np.zeros((n, 8))
    for k, (x, y) in enumerate(dst):
        u, v = quads[:, k, 0], quads[:, k, 1]
        a[:, 2 * k, :3] = [x, y, 1]
        a[:, 2 * k, 6], a[:, 2 * k, 7] = -u * x, -u * y
        a[:, 2 * k + 1, 3:6] = [x, y, 1]
        a[:, 2 * k + 1, 6], a[:, 2 * k + 1, 7] = -v * x, -v * y
        b[:, 2 * k], b[:, 2 * k + 1] = u, v
    h = np.linalg.solve(a, b[..., None])[..., 0]
    return np.concatenate([h, np.ones((n, 1))], axis=1).reshape(n, 3, 3)


def draw(rng: np.random.Generator, n: int, side: int, res: int, strength: str = "mild") -> dict[str, np.ndarray]:
    """Every random value of n views (what augment.augment draws one by one), as arrays."""
    if strength not in STRENGTHS:
        raise ValueError(f"augmentation strength must be one of {STRENGTHS}, not {strength!r}")
    nose = strength == "nose"
    u = rng.uniform
    # geometry (augment._crop_quad)
    area = u(0.5 if nose else 0.6, 1.0, n)
    aspect = np.exp(u(-0.15, 0.15, n))
    cw = np.minimum(side, side * np.sqrt(area * aspect))
    ch = np.minimum(side, side * np.sqrt(area / aspect))
    cx = cw / 2 + u(0, 1, n) * (side - cw)
    cy = ch / 2 + u(0, 1, n) * (side - ch)
    angle = np.radians(u(-1, 1, n) * (20 if nose else 15))
    tilt = np.where(u(0, 1, n) < 0.5, 0.08, 0.0) if nose else np.zeros(n)
    size = np.stack([cw, ch], 1)[:, None, :]
    corners = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]], np.float64)[None] * size / 2
    corners = corners + u(-1, 1, (n, 4, 2)) * tilt[:, None, None] * size
    cos, sin = np.cos(angle)[:, None], np.sin(angle)[:, None]
    quads = np.stack([corners[..., 0] * cos - corners[..., 1] * sin, corners[..., 0] * sin + corners[..., 1] * cos],
                     -1) + np.stack([cx, cy], 1)[:, None, :]
    p: dict[str, np.ndarray] = {"homography": _homographies(res, quads)}
    # blur: a motion streak (nose, 20 %), else a Gaussian (20 %)
    motion = (u(0, 1, n) < 0.2) & nose
    gauss = ~motion & (u(0, 1, n) < 0.2)
    p["motion"], p["motion_len"], p["motion_angle"] = motion, rng.integers(3, 10, n) | 1, np.radians(u(0, 180, n))
    p["gauss"], p["gauss_sigma"] = gauss, u(0.4, 1.6, n)
    # low resolution (nose, 25 %): down to 25-60 % (at least 24 px), in steps of 4 px so that few sizes occur
    p["lowres"] = (u(0, 1, n) < 0.25) & nose
    p["lowres_side"] = np.maximum(24, (res * u(0.25, 0.6, n) / 4).astype(int) * 4)
    # colour
    p["brightness"], p["contrast"] = u(0.65, 1.35, n), u(0.65, 1.35, n)
    p["grey"] = u(0, 1, n) < 0.15
    p["saturation"], p["cast"] = u(0.6, 1.4, n), u(-12, 12, (n, 3))
    # specular highlights (nose, 30 %): 1-3 ellipses
    p["specular"] = (u(0, 1, n) < 0.3) & nose
    p["spots"] = np.arange(3)[None, :] < rng.integers(1, 4, n)[:, None]
    p["spot_centre"] = u(0, res, (n, 3, 2))
    p["spot_axes"] = np.maximum(1, np.stack([res * u(0.02, 0.1, (n, 3)), res * u(0.01, 0.06, (n, 3))], -1).astype(int))
    p["spot_angle"] = np.radians(u(0, 180, (n, 3)))
    p["spot_sigma"], p["spot_strength"] = u(1.0, 3.0, n), u(0.5, 1.0, n)
    # occlusion (nose, 25 %): a band from an edge (70 %) or anywhere
    p["occlusion"] = (u(0, 1, n) < 0.25) & nose
    w, h = (res * u(0.1, 0.35, n)).astype(int), (res * u(0.2, 0.6, n)).astype(int)
    swap = u(0, 1, n) < 0.5
    w, h = np.where(swap, h, w), np.where(swap, w, h)
    edge = u(0, 1, n) < 0.7
    x = np.where(edge, np.where(u(0, 1, n) < 0.5, 0, res - w), (u(0, 1, n) * (res - w)).astype(int))
    p["occ_box"] = np.stack([x, (u(0, 1, n) * (res - h)).astype(int), w, h], 1)
    p["occ_random_colour"], p["occ_colour"], p["occ_dark"] = u(0, 1, n) < 0.5, u(0, 255, (n, 3)), u(0.2, 0.6, n)
    # sensor noise (20 %), JPEG (nose, 30 %)
    p["noise"], p["noise_sigma"] = u(0, 1, n) < 0.2, u(2, 8, n)
    p["jpeg"], p["jpeg_quality"] = (u(0, 1, n) < 0.3) & nose, rng.integers(25, 80, n)
    return p


# ---------------------------------------------------------------------------------------------- the steps
def _t(a: np.ndarray, dev: torch.device, dtype=torch.float32) -> torch.Tensor:
    return torch.as_tensor(a, dtype=dtype, device=dev)


def warp(images: torch.Tensor, homography: torch.Tensor, res: int) -> torch.Tensor:
    """uint8 (n, S, S, 3) -> float (n, 3, res, res) in 0..255: each photo through its homography, bilinear, the
    border reflected (OpenCV's warpPerspective with INTER_LINEAR and BORDER_REFLECT101)."""
    n, side = images.shape[0], images.shape[1]
    x = images.permute(0, 3, 1, 2).float()
    ys, xs = torch.meshgrid(torch.arange(res, device=x.device, dtype=torch.float32),
                            torch.arange(res, device=x.device, dtype=torch.float32), indexing="ij")
    pts = torch.stack([xs, ys, torch.ones_like(xs)], -1).view(1, -1, 3)
    src = pts @ homography.transpose(1, 2)
    uv = src[..., :2] / src[..., 2:].clamp(min=1e-8)
    grid = ((2 * uv + 1) / side - 1).view(n, res, res, 2)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="reflection", align_corners=False)


def blur_kernels(p: dict[str, np.ndarray], idx: np.ndarray) -> np.ndarray:
    """(len(idx), KERNEL, KERNEL): a Gaussian of its sigma, or a motion streak of its length and angle."""
    r = KERNEL // 2
    dy, dx = np.mgrid[-r: r + 1, -r: r + 1].astype(np.float64)
    sigma = p["gauss_sigma"][idx][:, None, None]
    gauss = np.exp(-(dx ** 2 + dy ** 2) / (2 * sigma ** 2))
    a = p["motion_angle"][idx][:, None, None]
    along, across = np.cos(a) * dx + np.sin(a) * dy, -np.sin(a) * dx + np.cos(a) * dy
    half = (p["motion_len"][idx][:, None, None] - 1) / 2
    streak = np.clip(1 - np.abs(across), 0, 1) * np.clip(half + 0.5 - np.abs(along), 0, 1)
    k = np.where(p["motion"][idx][:, None, None], streak, gauss)
    return k / k.sum(axis=(1, 2), keepdims=True)


def convolve(x: torch.Tensor, kernels: torch.Tensor) -> torch.Tensor:
    """Each image (n, 3, H, W) with its own kernel (n, K, K), reflected border."""
    n, c, h, w = x.shape
    r = kernels.shape[-1] // 2
    padded = F.pad(x.reshape(1, n * c, h, w), (r, r, r, r), mode="reflect")
    weight = kernels.repeat_interleave(c, 0)[:, None]
    return F.conv2d(padded, weight, groups=n * c).view(n, c, h, w)


def low_resolution(x: torch.Tensor, sides: np.ndarray) -> torch.Tensor:
    out = x.clone()
    res = x.shape[-1]
    for s in np.unique(sides):
        sel = torch.as_tensor(np.flatnonzero(sides == s), device=x.device)
        small = F.interpolate(x[sel], size=(int(s), int(s)), mode="area")
        out[sel] = F.interpolate(small, size=(res, res), mode="bilinear", align_corners=False)
    return out


def specular_mask(p: dict[str, np.ndarray], idx: np.ndarray, res: int, dev: torch.device) -> torch.Tensor:
    """(len(idx), 1, res, res) in 0..1: the photo's 1-3 ellipses with soft (Gaussian-blurred) edges, times its
    strength."""
    ys, xs = torch.meshgrid(torch.arange(res, device=dev, dtype=torch.float32),
                            torch.arange(res, device=dev, dtype=torch.float32), indexing="ij")
    c = _t(p["spot_centre"][idx], dev)[:, :, :, None, None]           # (m, 3, 2, 1, 1)
    axes = _t(p["spot_axes"][idx], dev)[:, :, :, None, None]
    a = _t(p["spot_angle"][idx], dev)[:, :, None, None]
    dx, dy = xs - c[:, :, 0], ys - c[:, :, 1]                          # (m, 3, res, res)
    along, across = torch.cos(a) * dx + torch.sin(a) * dy, -torch.sin(a) * dx + torch.cos(a) * dy
    rho = torch.sqrt((along / axes[:, :, 0]) ** 2 + (across / axes[:, :, 1]) ** 2).clamp(min=1e-3)
    dist = torch.sqrt(along ** 2 + across ** 2)
    inside = dist / rho - dist                                          # signed distance to the edge, in px
    sigma = _t(p["spot_sigma"][idx], dev)[:, None, None, None]
    soft = torch.sigmoid(1.7 * inside / sigma) * _t(p["spots"][idx], dev)[:, :, None, None]
    return soft.amax(1, keepdim=True) * _t(p["spot_strength"][idx], dev)[:, None, None, None]


def box_mask(boxes: np.ndarray, res: int, dev: torch.device) -> torch.Tensor:
    b = _t(boxes, dev)[:, :, None, None]
    ar = torch.arange(res, device=dev, dtype=torch.float32)
    ys, xs = ar[None, :, None], ar[None, None, :]
    inside = (xs >= b[:, 0]) & (xs < b[:, 0] + b[:, 2]) & (ys >= b[:, 1]) & (ys < b[:, 1] + b[:, 3])
    return inside[:, None].float()


_Q_LUMA = np.array([16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56,
                    14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113,
                    92, 49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99],
                   np.float64).reshape(8, 8)
_Q_CHROMA = np.full((8, 8), 99.0)
_Q_CHROMA[:4, :4] = [[17, 18, 24, 47], [18, 21, 26, 66], [24, 26, 56, 99], [47, 66, 99, 99]]


def _dct_matrix() -> np.ndarray:
    k, i = np.mgrid[0:8, 0:8]
    d = np.cos((2 * i + 1) * k * math.pi / 16) * math.sqrt(2 / 8)
    d[0] /= math.sqrt(2)
    return d


def quant_tables(quality: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The IJG (libjpeg) tables at each quality: (n, 8, 8) luma and chroma."""
    q = np.asarray(quality, np.float64)[:, None, None]
    scale = np.where(q < 50, 5000 / q, 200 - 2 * q)
    return (np.clip(np.floor((_Q_LUMA * scale + 50) / 100), 1, 255),
            np.clip(np.floor((_Q_CHROMA * scale + 50) / 100), 1, 255))


def _quantise(plane: torch.Tensor, table: torch.Tensor, d: torch.Tensor) -> torch.Tensor:
    """plane (m, H, W), H and W multiples of 8: 8 x 8 DCT, rounded to multiples of the table, inverse DCT."""
    m, h, w = plane.shape
    blocks = (plane - 128).view(m, h // 8, 8, w // 8, 8).permute(0, 1, 3, 2, 4)
    coef = d @ blocks @ d.T
    t = table[:, None, None]
    coef = torch.round(coef / t) * t
    return (d.T @ coef @ d).permute(0, 1, 3, 2, 4).reshape(m, h, w) + 128


def jpeg(x: torch.Tensor, quality: np.ndarray) -> torch.Tensor:
    """(m, 3, H, W) RGB 0..255 -> what a baseline JPEG (4:2:0) at each quality decodes to."""
    m, _, h, w = x.shape
    ph, pw = -h % 16, -w % 16
    x = F.pad(x, (0, pw, 0, ph), mode="replicate") if ph or pw else x
    x = torch.round(x.clamp(0, 255))
    r, g, b = x[:, 0], x[:, 1], x[:, 2]
    y = 0.299 * r + 0.587 * g + 0.114 * b
    cb = -0.168736 * r - 0.331264 * g + 0.5 * b + 128
    cr = 0.5 * r - 0.418688 * g - 0.081312 * b + 128
    luma, chroma = (_t(t, x.device) for t in quant_tables(quality))
    d = _t(_dct_matrix(), x.device)
    y = _quantise(y, luma, d)
    sub = F.avg_pool2d(torch.stack([cb, cr], 1), 2)
    sub = torch.stack([_quantise(sub[:, 0], chroma, d), _quantise(sub[:, 1], chroma, d)], 1)
    cb, cr = F.interpolate(sub, scale_factor=2, mode="bilinear", align_corners=False).unbind(1)
    out = torch.stack([y + 1.402 * (cr - 128), y - 0.344136 * (cb - 128) - 0.714136 * (cr - 128),
                       y + 1.772 * (cb - 128)], 1)
    return torch.round(out.clamp(0, 255))[:, :, :h, :w]


# ---------------------------------------------------------------------------------------------- a batch
_GREY = (0.299, 0.587, 0.114)


def views(images: torch.Tensor, res: int, p: dict[str, np.ndarray], generator: torch.Generator | None = None,
          normalise: bool = True) -> torch.Tensor:
    """uint8 (n, S, S, 3) on the device + draw(...)'s values -> the batch's views: the network's input (float,
    (n, 3, res, res), channels_last, as batches.to_network makes it), or 0..255 pixels with normalise=False."""
    dev = images.device
    n = images.shape[0]
    x = warp(images, _t(p["homography"], dev), res)

    blur = np.flatnonzero(p["motion"] | p["gauss"])
    if len(blur):
        sel = torch.as_tensor(blur, device=dev)
        x[sel] = convolve(x[sel], _t(blur_kernels(p, blur), dev))
    low = np.flatnonzero(p["lowres"])
    if len(low):
        sel = torch.as_tensor(low, device=dev)
        x[sel] = low_resolution(x[sel], p["lowres_side"][low])
    x = torch.round(x.clamp(0, 255))  # the CPU views are uint8 here

    def col(a: np.ndarray) -> torch.Tensor:
        return _t(a, dev).view(n, *([1] * (x.dim() - 1)))

    x = x * col(p["brightness"])
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    x = (x - mean) * col(p["contrast"]) + mean
    grey_w = torch.tensor(_GREY, device=dev).view(1, 3, 1, 1)
    grey = (x * grey_w).sum(1, keepdim=True)
    coloured = (x - grey) * col(p["saturation"]) + grey + _t(p["cast"], dev)[:, :, None, None]
    x = torch.where(col(p["grey"]).bool(), grey.expand_as(x), coloured)

    spec = np.flatnonzero(p["specular"])
    if len(spec):
        sel = torch.as_tensor(spec, device=dev)
        m = specular_mask(p, spec, res, dev)
        x[sel] = x[sel] * (1 - m) + 250.0 * m
    occ = np.flatnonzero(p["occlusion"])
    if len(occ):
        sel = torch.as_tensor(occ, device=dev)
        dark = x[sel].mean(dim=(2, 3)) * _t(p["occ_dark"][occ], dev)[:, None]
        colour = torch.where(_t(p["occ_random_colour"][occ], dev).bool()[:, None], _t(p["occ_colour"][occ], dev),
                             dark)
        m = box_mask(p["occ_box"][occ], res, dev)
        x[sel] = x[sel] * (1 - m) + colour[:, :, None, None] * m
    noisy = np.flatnonzero(p["noise"])
    if len(noisy):
        sel = torch.as_tensor(noisy, device=dev)
        z = torch.randn((len(noisy), 3, res, res), generator=generator, device=dev)
        x[sel] = x[sel] + z * _t(p["noise_sigma"][noisy], dev)[:, None, None, None]
    x = torch.floor(x.clamp(0, 255))  # astype(uint8) truncates
    jp = np.flatnonzero(p["jpeg"])
    if len(jp):
        sel = torch.as_tensor(jp, device=dev)
        x[sel] = jpeg(x[sel], p["jpeg_quality"][jp])
    if not normalise:
        return x
    return ((x - MEAN) / STD).contiguous(memory_format=torch.channels_last)


def batch_views(images: torch.Tensor, idx: np.ndarray, res: int, strength: str, seed: tuple[int, ...],
                normalise: bool = True) -> torch.Tensor:
    """The views of photos `idx` of the device-resident `images`, every random value from `seed`."""
    rng = np.random.default_rng(list(seed))
    p = draw(rng, len(idx), images.shape[1], res, strength)
    gen = torch.Generator(device=images.device)
    gen.manual_seed(int(rng.integers(2 ** 62)))
    sel = torch.as_tensor(idx, device=images.device)
    return views(images[sel], res, p, gen, normalise)
