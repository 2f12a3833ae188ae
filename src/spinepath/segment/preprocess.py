"""Resampling and intensity normalisation shared by training and inference (numpy/scipy only)."""

from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi

WORK_SPACING_MM = 0.8
"""In-plane pixel size (mm) at which the built-in segmenter is trained and run."""

SIZE_MULTIPLE = 32
"""The network input's height and width must be multiples of this (5 poolings)."""


def normalise_intensity(image: np.ndarray, lo_pct: float = 0.5, hi_pct: float = 99.5) -> np.ndarray:
    """Map intensities to about [0, 1] by percentiles of the non-zero voxels (float32).

    Using the whole stack (not each slice) keeps slices of one series comparable.
    """
    arr = np.asarray(image, dtype=np.float32)
    vals = arr[arr > 0]
    if vals.size < 16:
        vals = arr.ravel()
    lo, hi = np.percentile(vals, [lo_pct, hi_pct])
    if hi - lo < 1e-6:
        return np.zeros_like(arr)
    return np.clip((arr - lo) / (hi - lo), 0.0, 1.5).astype(np.float32)


def zoom_factors(
    spacing_mm: tuple[float, float], target_mm: float = WORK_SPACING_MM
) -> tuple[float, float]:
    """Scale factors (rows, cols) that bring pixels of ``spacing_mm`` to ``target_mm``."""
    return spacing_mm[0] / target_mm, spacing_mm[1] / target_mm


def resample_slice(
    img2d: np.ndarray,
    spacing_mm: tuple[float, float],
    *,
    order: int = 1,
    target_mm: float = WORK_SPACING_MM,
) -> np.ndarray:
    """Resample one 2-D slice to ``target_mm`` pixels (order 1 for images, 0 for labels)."""
    fr, fc = zoom_factors(spacing_mm, target_mm)
    if abs(fr - 1) < 1e-3 and abs(fc - 1) < 1e-3:
        return np.asarray(img2d)
    return ndi.zoom(img2d, (fr, fc), order=order, prefilter=False, grid_mode=True, mode="nearest")


def resize_to(arr2d: np.ndarray, shape: tuple[int, int], *, order: int = 1) -> np.ndarray:
    """Resize a 2-D array to exactly ``shape`` (pixel-area aligned, 'grid mode')."""
    fr = shape[0] / arr2d.shape[0]
    fc = shape[1] / arr2d.shape[1]
    out = ndi.zoom(arr2d, (fr, fc), order=order, prefilter=False, grid_mode=True, mode="nearest")
    if out.shape != shape:  # rounding guard
        pad = [(0, max(0, s - o)) for s, o in zip(shape, out.shape, strict=True)]
        out = np.pad(out, pad, mode="edge")[: shape[0], : shape[1]]
    return out


def pad_to_multiple(
    arr: np.ndarray, multiple: int = SIZE_MULTIPLE
) -> tuple[np.ndarray, tuple[int, int]]:
    """Zero-pad the last two axes at the bottom/right to multiples of ``multiple``.

    Returns the padded array and the original (rows, cols) to crop back to.
    """
    h, w = arr.shape[-2:]
    ph = (-h) % multiple
    pw = (-w) % multiple
    pad = [(0, 0)] * (arr.ndim - 2) + [(0, ph), (0, pw)]
    return np.pad(arr, pad), (h, w)
