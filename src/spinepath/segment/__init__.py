"""Segmentation of sagittal lumbar MRI: built-in ONNX backend, post-processing, QC.

``segment_volume(volume)`` is the entry point (see :mod:`spinepath.segment.api`).
"""

from spinepath.segment.api import SpineSegmentation, segment_volume

__all__ = ["SpineSegmentation", "segment_volume"]
