"""What the graders see per disc level: disc-aligned crops and the measurements of one
mid-sagittal slice, taken from a series and its segmentation.

Works on the segmentation's display-orientation stack (rows S->I, cols A->P). The slice used is
the one with the largest total disc area (the mid-sagittal slice of a 3-D series; the only slice
of a 2-D one). Vertebral bodies are measured without their posterior elements.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from spinepath.grade.crops import disc_frame, normalise_picture, sample_crop
from spinepath.measure import SagittalSlice, measure_sagittal
from spinepath.measure.frame import DISC_OFFSET
from spinepath.model.findings import Measurement

BODY_SEMANTIC = (1, 5)
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


def measurement_labels(levels2d: np.ndarray, semantic2d: np.ndarray) -> np.ndarray:
    """Level map for measurements: vertebra ids kept on vertebral body / sacrum pixels only."""
    out = levels2d.copy()
    vertebra = (out > 0) & (out < 60)
    out[vertebra & ~np.isin(semantic2d, BODY_SEMANTIC)] = 0
    return out


def disc_inputs(
    image_display: np.ndarray,
    levels_display: np.ndarray,
    semantic_display: np.ndarray,
    spacing: tuple[float, float],
    *,
    slice_index: int | None = None,
) -> DiscInputs:
    """Crops (normalised picture, disc frame) and measurements of every labelled disc."""
    k = mid_sagittal_index(levels_display) if slice_index is None else slice_index
    image = image_display[k].astype(np.float32)
    levels2d = measurement_labels(levels_display[k], semantic_display[k])
    picture = normalise_picture(image)
    out = DiscInputs(slice_index=k)
    sl = SagittalSlice(image=image, labels=levels2d, spacing=spacing)
    for level in sl.present_discs():
        frame = disc_frame(sl.disc_mask(level), spacing)
        if frame is None:
            continue
        crop, mm = sample_crop(picture, spacing, frame)
        out.crops[level] = crop
        out.mm_per_px[level] = mm
    out.measurements = measure_sagittal(sl)
    return out
