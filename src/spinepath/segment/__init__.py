"""Segmentation of sagittal lumbar MRI: built-in ONNX backend, post-processing, QC.

``segment_volume(volume)`` is the entry point (see :mod:`spinepath.segment.api`). The package
imports its submodules lazily, so the training code (``spinepath.segment.train``) runs where only
numpy and torch are installed (a GPU machine for training).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from spinepath.segment.api import SpineSegmentation, segment_volume

__all__ = ["SpineSegmentation", "segment_volume"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from spinepath.segment import api

        return getattr(api, name)
    raise AttributeError(f"module 'spinepath.segment' has no attribute {name!r}")
