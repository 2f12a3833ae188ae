"""Intraclass correlation for feature robustness.

ICC(3,1) of Shrout & Fleiss (1979, Psychol Bull 86:420-428), called ICC(C,1) by McGraw & Wong
(1996, Psychol Methods 1:30-46): two-way mixed effects, consistency, single measurement,

    ICC(3,1) = (MS_rows - MS_error) / (MS_rows + (k - 1) MS_error)

with ``n`` subjects (rows: ROIs) and ``k`` fixed "raters" (columns: the original mask and its
perturbations, e.g. eroded and dilated by one voxel). Koo & Li (2016, J Chiropr Med 15:155-163):
below 0.5 poor, 0.5-0.75 moderate, 0.75-0.9 good, above 0.9 excellent.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from spinepath.errors import InputError

__all__ = ["feature_icc", "icc_3_1"]


def icc_3_1(ratings: np.ndarray) -> np.ndarray:
    """ICC(3,1) of an ``n x k`` matrix, or of each feature of an ``n x k x p`` array.

    Rows with a missing value in any column are left out (per feature). Returns NaN where fewer
    than 2 complete rows remain or there is no variation at all.
    """
    r = np.asarray(ratings, dtype=float)
    single = r.ndim == 2
    if single:
        r = r[:, :, None]
    if r.ndim != 3 or r.shape[1] < 2:
        raise InputError(f"ICC needs an n x k (k >= 2) table; got shape {np.shape(ratings)}")
    _, k, p = r.shape
    out = np.full(p, np.nan)
    for j in range(p):
        x = r[:, :, j]
        x = x[np.isfinite(x).all(axis=1)]
        n = x.shape[0]
        if n < 2:
            continue
        grand = x.mean()
        ss_rows = k * ((x.mean(axis=1) - grand) ** 2).sum()
        ss_cols = n * ((x.mean(axis=0) - grand) ** 2).sum()
        ss_total = ((x - grand) ** 2).sum()
        ss_err = ss_total - ss_rows - ss_cols
        ms_rows = ss_rows / (n - 1)
        ms_err = ss_err / ((n - 1) * (k - 1))
        denom = ms_rows + (k - 1) * ms_err
        if denom > 0:
            out[j] = (ms_rows - ms_err) / denom
    return out[0] if single else out


def feature_icc(
    tables: Sequence[pd.DataFrame], features: Sequence[str], rows: pd.Index | None = None
) -> pd.Series:
    """ICC(3,1) of each feature across ``tables`` (the original extraction first, then its
    perturbations), which must share their index (one row per ROI). ``rows`` restricts the
    computation to those index labels (e.g. the training rows of a fold)."""
    if len(tables) < 2:
        raise InputError("feature robustness needs the original table and >= 1 perturbed table")
    idx = tables[0].index if rows is None else rows
    stacks = []
    for t in tables:
        missing_rows = idx.difference(t.index)
        if len(missing_rows):
            raise InputError(
                f"a perturbed feature table lacks {len(missing_rows)} rows of the main table "
                f"(e.g. {list(missing_rows[:3])}); extract the perturbed features for every ROI"
            )
        missing = [f for f in features if f not in t.columns]
        if missing:
            raise InputError(f"a perturbed feature table lacks features {missing[:5]}")
        stacks.append(t.loc[idx, list(features)].to_numpy(dtype=float))
    arr = np.stack(stacks, axis=1)  # n x k x p
    return pd.Series(icc_3_1(arr), index=list(features), name="icc_3_1")
