"""What the graders see per disc level: disc-aligned crops and the measurements of one
mid-sagittal slice, taken from a series and its segmentation.

Works on the segmentation's display-orientation stack (rows S->I, cols A->P). The slice used is
the one with the largest total disc area (the mid-sagittal slice of a 3-D series; the only slice
of a 2-D one). Vertebral bodies are measured without their posterior elements.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from spinepath.grade.crops import CROP_SHAPE, disc_frame, normalise_picture, sample_crop
from spinepath.measure import SagittalSlice, measure_sagittal
from spinepath.measure.frame import CANAL_ID, DISC_OFFSET, VERTEBRA_IDS
from spinepath.model.findings import Measurement

BODY_SEMANTIC = (1, 5)
SACRUM_ID = VERTEBRA_IDS["S1"]
S1_DEPTH_MM = 30.0
"""How far below the L5-S1 disc centre (along its normal) the S1 body is taken to reach."""
"""Semantic labels that count as vertebral body for measurements (body, sacrum)."""


@dataclass
class DiscInputs:
    """Inputs of the graders for one series: crops and measurements per disc level."""

    crops: dict[str, np.ndarray] = field(default_factory=dict)
    mm_per_px: dict[str, float] = field(default_factory=dict)
    measurements: list[Measurement] = field(default_factory=list)
    slice_index: int = 0


def mid_sagittal_index(levels_display: np.ndarray) -> int:
    """Slice of a display stack (n, rows, cols) with the largest total disc area."""
    disc_area = ((levels_display > DISC_OFFSET) & (levels_display < 200)).sum(axis=(1, 2))
    return int(np.argmax(disc_area))


def measurement_labels(
    levels2d: np.ndarray, semantic2d: np.ndarray, spacing: tuple[float, float] = (1.0, 1.0)
) -> np.ndarray:
    """Level map for measurements: vertebra ids kept on vertebral body pixels only.

    The sacrum is labelled whole (body, posterior elements, lower segments); its S1 body is taken
    as the sacral pixels anterior to the canal and within ``S1_DEPTH_MM`` below the L5-S1 disc
    along the disc's normal (rows without canal use the nearest row with canal).
    """
    out = levels2d.copy()
    vertebra = (out > 0) & (out < 60)
    out[vertebra & ~np.isin(semantic2d, BODY_SEMANTIC)] = 0
    sacrum = out == SACRUM_ID
    if not sacrum.any():
        return out
    canal = levels2d == CANAL_ID
    if canal.any():
        rows_with_canal = np.nonzero(canal.any(axis=1))[0]
        first_canal_col = np.argmax(canal, axis=1)
        cols = np.arange(out.shape[1])
        for r in np.nonzero(sacrum.any(axis=1))[0]:
            nearest = rows_with_canal[np.argmin(np.abs(rows_with_canal - r))]
            out[r, (cols >= first_canal_col[nearest]) & sacrum[r]] = 0
    frame = disc_frame(levels2d == DISC_OFFSET + VERTEBRA_IDS["L5"], spacing)
    if frame is not None:
        rows, cols = np.nonzero(out == SACRUM_ID)
        offset = (np.column_stack([rows, cols]) - frame.centre_rc) * np.asarray(spacing)
        depth = offset @ frame.normal_rc
        along = offset @ frame.ap_axis_rc
        outside = (depth > S1_DEPTH_MM) | (np.abs(along) > 0.75 * frame.ap_length_mm)
        out[rows[outside], cols[outside]] = 0
    return out


def disc_inputs(
    image_display: np.ndarray,
    levels_display: np.ndarray,
    semantic_display: np.ndarray,
    spacing: tuple[float, float],
    *,
    slice_index: int | None = None,
    crop_shape: tuple[int, int] = CROP_SHAPE,
) -> DiscInputs:
    """Crops (normalised picture, disc frame) and measurements of every labelled disc."""
    k = mid_sagittal_index(levels_display) if slice_index is None else slice_index
    image = image_display[k].astype(np.float32)
    levels2d = measurement_labels(levels_display[k], semantic_display[k], spacing)
    picture = normalise_picture(image)
    out = DiscInputs(slice_index=k)
    sl = SagittalSlice(image=image, labels=levels2d, spacing=spacing)
    for level in sl.present_discs():
        frame = disc_frame(sl.disc_mask(level), spacing)
        if frame is None:
            continue
        crop, mm = sample_crop(picture, spacing, frame, shape=crop_shape)
        out.crops[level] = crop
        out.mm_per_px[level] = mm
    out.measurements = measure_sagittal(sl)
    return out
