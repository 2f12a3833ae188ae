"""Mid-sagittal (or mid-stack) preview PNGs of each series, for a quick visual check."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from PIL import Image

from spinepath.model.study import Plane, Series, Study


def window_to_uint8(
    image: np.ndarray, *, low_pct: float = 1.0, high_pct: float = 99.5
) -> np.ndarray:
    """Scale an image to 0..255 between two percentiles of its nonzero voxels."""
    data = image.astype(np.float32)
    values = data[data != 0] if np.any(data != 0) else data.ravel()
    lo, hi = np.percentile(values, [low_pct, high_pct]) if values.size else (0.0, 1.0)
    if hi <= lo:
        hi = lo + 1.0
    return (np.clip((data - lo) / (hi - lo), 0, 1) * 255).astype(np.uint8)


def series_picture(series: Series) -> np.ndarray:
    """The middle slice of a series as a display picture.

    Sagittal series: head up, anterior left. Axial: anterior up, patient's right on the picture's
    left (radiological convention). Coronal: head up, patient's right on the left.
    """
    if series.volume is None:
        raise ValueError(f"series {series.description!r} has no image")
    vol = series.volume.to_canonical()
    a = vol.array
    if series.plane in (Plane.SAGITTAL, Plane.UNKNOWN, Plane.OBLIQUE):
        return vol.sagittal_display()
    if series.plane == Plane.AXIAL:
        sl = a[:, :, a.shape[2] // 2]  # (R, A)
        return np.ascontiguousarray(np.flip(sl.T, axis=(0, 1)))  # rows A->P, cols R->L
    sl = a[:, a.shape[1] // 2, :]  # (R, S)
    return np.ascontiguousarray(np.flip(sl.T, axis=(0, 1)))  # rows S->I, cols R->L


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_")[:60] or "series"


def write_previews(study: Study, out_dir: Path) -> list[Path]:
    """Write one PNG per image series into ``out_dir``; return their paths.

    The picture is resampled to square pixels so anatomy is not distorted.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for idx, series in enumerate(study.series, start=1):
        if series.volume is None:
            continue
        picture = window_to_uint8(series_picture(series))
        sp = series.volume.to_canonical().spacing
        if series.plane == Plane.AXIAL:
            row_mm, col_mm = sp[1], sp[0]
        elif series.plane == Plane.CORONAL:
            row_mm, col_mm = sp[2], sp[0]
        else:
            row_mm, col_mm = sp[2], sp[1]
        h, w = picture.shape
        scale = min(row_mm, col_mm)
        size = (max(1, round(w * col_mm / scale)), max(1, round(h * row_mm / scale)))
        img = Image.fromarray(picture).resize(size, Image.Resampling.BILINEAR)
        path = out_dir / f"{idx:02d}_{_safe_name(series.description)}_{series.kind.value}.png"
        img.save(path)
        written.append(path)
    return written
