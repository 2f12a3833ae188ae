"""Disc-aligned crops: the picture a learned grader sees for one disc level.

A crop is resampled from a sagittal picture (rows superior->inferior, columns anterior->
posterior) in the disc's own frame: its columns run along the disc's long (antero-posterior)
axis toward posterior, its rows along the disc normal toward inferior, centred on the disc
centroid. The crop's physical size scales with the disc's AP length, so discs of different
patients and pixel spacings fill the crop alike; the scale (mm per crop pixel) is returned.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

CROP_SHAPE = (64, 96)
"""(rows, columns) of a crop."""
WIDTH_FACTOR = 1.6
"""Crop width as a multiple of the disc's AP length."""


@dataclass(frozen=True)
class DiscFrame:
    """A disc's centre (row, col px), unit axes (row, col) and AP length in mm."""

    centre_rc: np.ndarray
    ap_axis_rc: np.ndarray
    normal_rc: np.ndarray
    ap_length_mm: float


def disc_frame(mask: np.ndarray, spacing: tuple[float, float]) -> DiscFrame | None:
    """Principal axes of a 2-D disc mask in mm; None for fewer than 5 pixels."""
    rows, cols = np.nonzero(mask)
    if len(rows) < 5:
        return None
    sp = np.asarray(spacing, float)
    pts = np.column_stack([rows, cols]) * sp
    centre = pts.mean(axis=0)
    _, vecs = np.linalg.eigh(np.cov((pts - centre).T))
    ap = vecs[:, 1]  # major axis
    if ap[1] < 0:
        ap = -ap  # toward posterior (+col)
    normal = np.array([ap[1], -ap[0]])
    if normal[0] < 0:
        normal = -normal  # toward inferior (+row)
    proj = (pts - centre) @ ap
    length = float(np.ptp(proj) + sp.mean())
    return DiscFrame(centre / sp, ap, normal, length)


def sample_crop(
    image: np.ndarray,
    spacing: tuple[float, float],
    frame: DiscFrame,
    shape: tuple[int, int] = CROP_SHAPE,
    width_factor: float = WIDTH_FACTOR,
) -> tuple[np.ndarray, float]:
    """Bilinear crop of ``image`` in the disc frame; returns (crop, mm per crop pixel)."""
    h, w = shape
    mm_per_px = width_factor * frame.ap_length_mm / w
    sp = np.asarray(spacing, float)
    jj, ii = np.meshgrid(np.arange(w) - (w - 1) / 2, np.arange(h) - (h - 1) / 2)
    offset_mm = jj[..., None] * mm_per_px * frame.ap_axis_rc + ii[..., None] * mm_per_px * (
        frame.normal_rc
    )
    coords = frame.centre_rc + offset_mm / sp  # (h, w, 2) in pixels
    crop = ndimage.map_coordinates(
        image.astype(np.float32),
        [coords[..., 0], coords[..., 1]],
        order=1,
        mode="constant",
        cval=0.0,
    )
    return crop, mm_per_px


def normalise_picture(image: np.ndarray) -> np.ndarray:
    """Scale a picture to [0, 1] between its 1st and 99th percentile (float32)."""
    lo, hi = np.percentile(image, [1.0, 99.0])
    if hi <= lo:
        hi = lo + 1.0
    return np.clip((image.astype(np.float32) - lo) / (hi - lo), 0.0, 1.0)
