"""Feature filters fitted on training rows only (scikit-learn transformers over DataFrames).

- :class:`RobustnessFilter` keeps features whose ICC(3,1) across segmentation perturbations
  (original mask, eroded, dilated, ...) is at least a threshold (0.75: "good", Koo & Li 2016).
  The perturbed feature tables are given up front, so it works with any extractor; at fit time
  only the training rows' entries are used.
- :class:`RedundancyFilter` groups features whose pairwise |Spearman rho| exceeds a threshold
  (complete linkage, so every pair inside a group exceeds it) and keeps one per group: the most
  central one (largest mean |rho| to the rest of its group).
- :class:`KBest` keeps the ``k`` predictors with the largest ANOVA F statistic against the
  outcome (a label-using step: it must live inside the cross-validation folds, as here).

Columns not listed in ``features`` pass through untouched.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import squareform
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_selection import f_classif
from sklearn.utils.validation import check_is_fitted

from spinepath.cohort.modelling.icc import feature_icc
from spinepath.errors import InputError

__all__ = ["KBest", "RedundancyFilter", "RobustnessFilter"]


def _frame(X: Any, who: str) -> pd.DataFrame:
    if not isinstance(X, pd.DataFrame):
        raise InputError(f"{who} needs a pandas DataFrame; got {type(X).__name__}")
    return X


class RobustnessFilter(TransformerMixin, BaseEstimator):
    """Drop features with ICC(3,1) below ``threshold`` across perturbed extractions.

    Parameters
    ----------
    tables:
        The original feature table first, then one table per perturbation; all indexed like
        the rows that will be passed to :meth:`fit` (one row per ROI).
    features:
        Feature columns to assess; others pass through.
    threshold:
        Minimum ICC(3,1) to keep a feature (default 0.75).
    """

    def __init__(
        self,
        tables: Sequence[pd.DataFrame] = (),
        features: Sequence[str] = (),
        *,
        threshold: float = 0.75,
    ) -> None:
        self.tables = tables
        self.features = features
        self.threshold = threshold

    def fit(self, X: pd.DataFrame, y: Any = None) -> RobustnessFilter:
        """Compute each feature's ICC on the rows of ``X`` (by index) and choose the kept set."""
        X = _frame(X, "RobustnessFilter")
        feats = [f for f in self.features if f in X.columns]
        self.icc_ = feature_icc(list(self.tables), feats, rows=X.index)
        keep = self.icc_ >= self.threshold
        self.kept_ = [f for f in feats if keep[f]]
        self.dropped_ = [f for f in feats if not keep[f]]
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        """Remove the non-robust feature columns."""
        check_is_fitted(self, "kept_")
        return _frame(X, "RobustnessFilter").drop(columns=self.dropped_, errors="ignore")


class RedundancyFilter(TransformerMixin, BaseEstimator):
    """Keep one feature per cluster of |Spearman rho| > ``threshold``; drop constant ones."""

    def __init__(self, features: Sequence[str] = (), *, threshold: float = 0.9) -> None:
        self.features = features
        self.threshold = threshold

    def fit(self, X: pd.DataFrame, y: Any = None) -> RedundancyFilter:
        """Cluster the training rows' features and choose one representative per cluster."""
        X = _frame(X, "RedundancyFilter")
        feats = [f for f in self.features if f in X.columns]
        values = X[feats]
        constant = [f for f in feats if values[f].nunique(dropna=True) <= 1]
        live = [f for f in feats if f not in constant]
        self.clusters_: list[list[str]] = []
        if len(live) <= 1:
            self.clusters_ = [[f] for f in live]
        else:
            rho = values[live].rank().corr(method="pearson").abs().to_numpy()
            rho = np.nan_to_num(rho, nan=0.0)
            np.fill_diagonal(rho, 1.0)
            dist = np.clip(1.0 - rho, 0.0, None)
            z = linkage(squareform(dist, checks=False), method="complete")
            labels = fcluster(z, t=1.0 - self.threshold, criterion="distance")
            for lab in np.unique(labels):
                members = [live[i] for i in np.flatnonzero(labels == lab)]
                if len(members) > 1:
                    sub = rho[np.ix_(np.flatnonzero(labels == lab), np.flatnonzero(labels == lab))]
                    centrality = (sub.sum(axis=1) - 1.0) / (len(members) - 1)
                    members = [members[i] for i in np.argsort(-centrality, kind="stable")]
                self.clusters_.append(members)
        self.kept_ = [c[0] for c in self.clusters_]
        kept = set(self.kept_)
        self.dropped_ = [f for f in feats if f not in kept]
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        """Remove the redundant and constant feature columns."""
        check_is_fitted(self, "kept_")
        return _frame(X, "RedundancyFilter").drop(columns=self.dropped_, errors="ignore")


class KBest(TransformerMixin, BaseEstimator):
    """Keep the ``k`` columns with the largest ANOVA F against a binary outcome (``None``:
    keep all; ``k`` larger than the number of columns keeps all)."""

    def __init__(self, k: int | None = None) -> None:
        self.k = k

    def fit(self, X: pd.DataFrame, y: Any = None) -> KBest:
        """Rank the columns of the training rows by their F statistic."""
        X = _frame(X, "KBest")
        cols = list(X.columns)
        if self.k is None or self.k >= len(cols):
            self.kept_ = cols
            return self
        if y is None:
            raise InputError("KBest needs the outcome to rank features")
        with np.errstate(all="ignore"):
            f, _ = f_classif(X.to_numpy(dtype=float), np.asarray(y))
        f = np.nan_to_num(f, nan=-1.0)
        order = np.argsort(-f, kind="stable")[: self.k]
        self.kept_ = [cols[i] for i in sorted(order)]
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        """Keep the chosen columns."""
        check_is_fitted(self, "kept_")
        return _frame(X, "KBest")[self.kept_]
