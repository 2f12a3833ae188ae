"""Batch augmentation in torch: random affine crops and intensity changes.

No superior-inferior or anterior-posterior flips: the canonical display orientation is known at
inference, and the anatomy is not symmetric along those axes.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from spinepath.segment.train.data import Sample


def affine_crop(
    sample: Sample, size: int, rng: np.random.Generator, augment: bool = True
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """A ``size`` x ``size`` crop of a sample, scaled / rotated when ``augment``.

    Returns image (1, S, S), target (C, S, S) float {0,1}, weight (C, S, S) float {0,1}.
    """
    h, w = sample.image.shape
    fg = np.argwhere(sample.target.any(axis=0))
    if fg.size and rng.random() < 0.85:
        cy, cx = fg[rng.integers(len(fg))]
    else:
        cy, cx = rng.uniform(0, h), rng.uniform(0, w)
    if augment:
        scale = math.exp(rng.uniform(math.log(0.75), math.log(1.33)))
        aspect = math.exp(rng.uniform(-0.1, 0.1))
        ang = math.radians(rng.uniform(-15, 15))
        cy += rng.normal(0, 10)
        cx += rng.normal(0, 10)
    else:
        scale, aspect, ang = 1.0, 1.0, 0.0
    sy, sx = scale * aspect, scale / aspect
    # output pixel offsets (u=col, v=row) -> source pixel coords
    ca, sa = math.cos(ang), math.sin(ang)
    half = size / 2.0
    lin = torch.arange(size, dtype=torch.float32) - half + 0.5
    vv, uu = torch.meshgrid(lin, lin, indexing="ij")
    src_x = cx + (ca * uu * sx - sa * vv * sy)
    src_y = cy + (sa * uu * sx + ca * vv * sy)
    grid = torch.stack([(src_x + 0.5) / w * 2 - 1, (src_y + 0.5) / h * 2 - 1], dim=-1)[None]
    stack = np.concatenate([sample.image[None], sample.target, sample.weight], 0).astype(np.float32)
    t = torch.from_numpy(stack)[None]
    out = F.grid_sample(t, grid, mode="bilinear", padding_mode="zeros", align_corners=False)[0]
    c = sample.target.shape[0]
    img = out[:1]
    tgt = (out[1 : 1 + c] > 0.5).float()
    wgt = (out[1 + c :] > 0.99).float()
    return img, tgt, wgt


def intensity_augment(img: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
    """Gamma, contrast, inversion, bias field, blur and noise on one (1, S, S) image in ~[0, 1]."""
    x = img.clamp(0, 1.5)
    inside = (x > 0).float()
    if rng.random() < 0.8:
        x = x.clamp(0, 1) ** math.exp(rng.uniform(-0.5, 0.5))
    if rng.random() < 0.2:  # inverted contrast (T1-like from T2-like and vice versa)
        x = (1.0 - x.clamp(0, 1)) * inside
    if rng.random() < 0.3:  # smooth multiplicative bias field
        s = x.shape[-1]
        coarse = torch.from_numpy(rng.normal(0, 0.25, (1, 1, 4, 4)).astype(np.float32))
        field = F.interpolate(coarse, size=(s, s), mode="bicubic", align_corners=False)[0]
        x = x * torch.exp(field)
    if rng.random() < 0.15:
        k = torch.tensor([0.25, 0.5, 0.25])
        x = F.conv2d(x[None], (k[:, None] * k[None, :])[None, None], padding=1)[0]
    if rng.random() < 0.2:  # low resolution
        s = x.shape[-1]
        f = rng.uniform(0.4, 0.8)
        small = F.interpolate(x[None], scale_factor=f, mode="bilinear", align_corners=False)
        x = F.interpolate(small, size=(s, s), mode="bilinear", align_corners=False)[0]
    x = x * rng.uniform(0.85, 1.15) + rng.uniform(-0.05, 0.05)
    if rng.random() < 0.5:
        x = x + torch.randn_like(x) * rng.uniform(0, 0.05)
    return x
