"""Overlap metrics."""

from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi


def dice(pred: np.ndarray, ref: np.ndarray) -> float:
    """Dice coefficient of two bool arrays; 1.0 when both are empty."""
    pred = np.asarray(pred, bool)
    ref = np.asarray(ref, bool)
    s = pred.sum() + ref.sum()
    return 1.0 if s == 0 else float(2.0 * np.logical_and(pred, ref).sum() / s)


def instance_dices(pred: np.ndarray, ref_instances: np.ndarray) -> list[float]:
    """Per reference instance, the Dice with the predicted connected component that overlaps it
    most (instances matched by overlap, not by label number). 0.0 when nothing overlaps."""
    lab, _ = ndi.label(np.asarray(pred, bool))
    out = []
    for k in np.unique(ref_instances):
        if k == 0:
            continue
        ref = ref_instances == k
        hits = lab[ref]
        hits = hits[hits > 0]
        if hits.size == 0:
            out.append(0.0)
            continue
        best = np.bincount(hits).argmax()
        out.append(dice(lab == best, ref))
    return out


def summary(values: list[float]) -> dict:
    """``{"dice_median", "dice_mean", "n"}`` of a list (None when empty)."""
    if not values:
        return {"dice_median": None, "dice_mean": None, "n": 0}
    arr = np.asarray(values, float)
    return {
        "dice_median": round(float(np.median(arr)), 4),
        "dice_mean": round(float(arr.mean()), 4),
        "n": len(values),
    }


def row_span(mask: np.ndarray, margin_px: int, axis_rows: int = 1) -> np.ndarray:
    """Bool array like ``mask`` that is True on the rows (axis ``axis_rows``) spanned by the
    mask plus ``margin_px`` on each side."""
    other = tuple(a for a in range(mask.ndim) if a != axis_rows)
    rows = np.flatnonzero(mask.any(axis=other))
    span = np.zeros(mask.shape[axis_rows], bool)
    if rows.size:
        span[max(0, rows[0] - margin_px) : rows[-1] + 1 + margin_px] = True
    shape = [1] * mask.ndim
    shape[axis_rows] = -1
    return np.broadcast_to(span.reshape(shape), mask.shape)
