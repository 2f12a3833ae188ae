"""Segment one sagittal series and turn it into grader inputs (crops + measurements)."""

from __future__ import annotations

from dataclasses import dataclass

from spinepath.grade.crops import CROP_SHAPE
from spinepath.grade.disc_inputs import DiscInputs, disc_inputs
from spinepath.model.study import Series
from spinepath.segment.api import SpineSegmentation, segment_volume, to_display
from spinepath.segment.onnx_model import OnnxSegmenter


@dataclass
class SeriesGradingInputs:
    """A series, its segmentation and the grader inputs taken from it."""

    series: Series
    segmentation: SpineSegmentation
    inputs: DiscInputs


def series_inputs(
    series: Series,
    *,
    segmenter: OnnxSegmenter | None = None,
    segmentation: SpineSegmentation | None = None,
    crop_shape: tuple[int, int] = CROP_SHAPE,
) -> SeriesGradingInputs:
    """Segment (unless a segmentation is given) and extract crops and measurements."""
    if series.volume is None:
        raise ValueError(f"series {series.description!r} has no image")
    seg = segmentation or segment_volume(series.volume, segmenter=segmenter)
    levels = to_display(seg.levels.array)
    semantic = to_display(seg.semantic.array)
    inputs = disc_inputs(
        seg.image_display, levels, semantic, seg.display_spacing_mm, crop_shape=crop_shape
    )
    return SeriesGradingInputs(series, seg, inputs)
