"""From channel probabilities to clean binary masks and a semantic label map."""

from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi

from spinepath.segment import labels as L

MIN_COMPONENT_MM2 = {"vertebra": 40.0, "body": 40.0, "disc": 12.0, "canal": 20.0}
"""Per-slice connected components smaller than this (mm²) are removed."""


def clean_mask(
    mask2d: np.ndarray, min_area_mm2: float, spacing_mm: tuple[float, float]
) -> np.ndarray:
    """Drop connected components smaller than ``min_area_mm2`` from a 2-D bool mask."""
    lab, n = ndi.label(mask2d)
    if n == 0:
        return mask2d.astype(bool)
    sizes = np.bincount(lab.ravel())[1:] * spacing_mm[0] * spacing_mm[1]
    keep = np.concatenate([[False], sizes >= min_area_mm2])
    return keep[lab]


def channel_masks(
    prob: np.ndarray, spacing_mm: tuple[float, float], threshold: float = 0.5
) -> dict[str, np.ndarray]:
    """Thresholded, cleaned masks per channel from probabilities ``(n, C, rows, cols)``.

    The canal keeps only its largest 3-D component (one dural sac); the body is forced inside
    the whole vertebra mask's union with itself (body implies vertebra).
    """
    out: dict[str, np.ndarray] = {}
    for c, name in enumerate(L.CHANNELS):
        m = prob[:, c] >= threshold
        for k in range(m.shape[0]):
            m[k] = clean_mask(m[k], MIN_COMPONENT_MM2[name], spacing_mm)
        out[name] = m
    canal = out["canal"]
    lab, n = ndi.label(canal)
    if n > 1:
        sizes = np.bincount(lab.ravel())[1:]
        out["canal"] = lab == (int(np.argmax(sizes)) + 1)
    out["vertebra"] = out["vertebra"] | out["body"]
    return out


def semantic_map(masks: dict[str, np.ndarray], sacrum: np.ndarray | None = None) -> np.ndarray:
    """uint8 label map (values of :mod:`spinepath.segment.labels`) from channel masks.

    Priority where channels overlap: disc > vertebral body > canal > posterior elements.
    """
    lab = np.zeros(masks["disc"].shape, np.uint8)
    lab[masks["vertebra"]] = L.POSTERIOR_ELEMENTS
    lab[masks["canal"]] = L.CANAL
    lab[masks["body"]] = L.VERTEBRAL_BODY
    if sacrum is not None:
        lab[sacrum & (lab > 0) & (lab != L.CANAL)] = L.SACRUM
    lab[masks["disc"]] = L.DISC
    return lab
