"""Design matrices for meta-regression (one row per study, R-style treatment coding)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from spinepath.errors import InputError


def design_matrix(
    covariates: pd.DataFrame, names: Sequence[str], k: int
) -> tuple[np.ndarray, list[str]]:
    """Intercept plus the named covariates of ``k`` studies, as a ``(k, q)`` matrix and names.

    Numeric columns enter as they are; text columns are treatment-coded against their first level
    in sorted order (so ``type`` with levels IAQ, SAQ gives one column ``typeSAQ``, as R does).

    Raises:
        InputError: unknown column, missing values, or a covariate with a single level.
    """
    columns = [np.ones(k)]
    labels = ["(Intercept)"]
    for name in names:
        if name not in covariates.columns:
            raise InputError(
                f"covariate {name!r} is not a column of the study table; "
                f"available: {list(covariates.columns)}"
            )
        col = covariates[name]
        if col.isna().any():
            raise InputError(f"covariate {name!r} has missing values; fill or drop those studies")
        if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
            columns.append(col.to_numpy(dtype=float))
            labels.append(name)
            continue
        levels = sorted(col.astype(str).unique())
        if len(levels) < 2:
            raise InputError(f"covariate {name!r} has one level only ({levels[0]!r}); drop it")
        values = col.astype(str).to_numpy()
        for level in levels[1:]:
            columns.append((values == level).astype(float))
            labels.append(f"{name}{level}")
    z = np.column_stack(columns)
    if np.linalg.matrix_rank(z) < z.shape[1]:
        raise InputError(f"covariates {list(names)} are collinear with each other or the intercept")
    return z, labels
