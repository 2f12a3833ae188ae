"""SPECT / bone scintigraphy counts normalised to a reference region.

Uncalibrated SPECT voxels are counts; they become comparable between patients and levels once
divided by the mean counts of a reference region (e.g. a normal vertebra or the whole labelled
spine), giving a dimensionless uptake ratio (reference mean = 1).
"""

from __future__ import annotations

import numpy as np

from spinepath.errors import AnalysisError
from spinepath.model.volume import Volume


def normalise_to_reference(image: Volume, reference_mask: np.ndarray) -> tuple[Volume, float]:
    """``image`` divided by its mean over ``reference_mask`` (same grid); returns the ratio
    volume and the reference mean (input units, e.g. counts per voxel)."""
    mask = np.asarray(reference_mask, dtype=bool)
    if mask.shape != image.shape:
        raise AnalysisError(f"reference mask shape {mask.shape} differs from image {image.shape}")
    if not mask.any():
        raise AnalysisError("the reference region is empty; choose a region inside the image")
    ref = float(np.mean(image.array[mask]))
    if ref <= 0:
        raise AnalysisError(f"mean counts in the reference region are {ref}; cannot normalise")
    meta = dict(image.meta)
    meta.update(units="ratio to reference region mean", reference_mean=ref)
    return Volume(image.array.astype(np.float32) / ref, image.affine, meta), ref
