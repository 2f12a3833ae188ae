"""Model pipelines: every data-dependent step is a pipeline step, so that cross-validation
refits all of them (imputation, harmonisation, feature filters, selection, scaling, model) on
the training rows of each fold and the test rows are only ever transformed.

Step order: ``impute`` (median, numeric predictors) -> ``harmonise`` (ComBat on radiomics
features across sites) -> ``robust`` (ICC filter) -> ``prune`` (|Spearman| redundancy filter)
-> ``design`` (predictor matrix, one-hot clinical categories) -> ``select`` (k best by ANOVA F)
-> ``scale`` (z-score) -> ``clf``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted

from spinepath.cohort.harmonise import ComBat
from spinepath.cohort.modelling.selection import KBest, RedundancyFilter, RobustnessFilter
from spinepath.cohort.modelling.table import TableSpec
from spinepath.errors import InputError

__all__ = [
    "KINDS",
    "LEARNERS",
    "DesignMatrix",
    "FilterOptions",
    "FrameImputer",
    "build_pipeline",
    "param_grid",
]

KINDS = ("clinical", "radiomics", "combined")
LEARNERS = ("logistic_l1", "logistic_l2", "random_forest", "gradient_boosting")


class FrameImputer(TransformerMixin, BaseEstimator):
    """Median imputation of the listed numeric columns (medians of the training rows)."""

    def __init__(self, columns: Sequence[str] = ()) -> None:
        self.columns = columns

    def fit(self, X: pd.DataFrame, y: Any = None) -> FrameImputer:
        """Remember each column's training median (0 where a column is all missing)."""
        cols = [c for c in self.columns if c in X.columns]
        med = X[cols].median(numeric_only=True)
        self.medians_ = med.fillna(0.0).to_dict()
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        """Fill missing values with the training medians."""
        check_is_fitted(self, "medians_")
        if not any(X[c].isna().any() for c in self.medians_ if c in X.columns):
            return X
        return X.fillna(value=self.medians_)


class DesignMatrix(TransformerMixin, BaseEstimator):
    """Select the predictor columns still present and one-hot encode the categorical ones
    (levels seen in training; an unseen level encodes as all zeros)."""

    def __init__(self, numeric: Sequence[str] = (), categorical: Sequence[str] = ()) -> None:
        self.numeric = numeric
        self.categorical = categorical

    def fit(self, X: pd.DataFrame, y: Any = None) -> DesignMatrix:
        """Fix the column list and the category levels from the training rows."""
        self.numeric_ = [c for c in self.numeric if c in X.columns]
        self.levels_ = {c: sorted(X[c].astype(str).unique()) for c in self.categorical}
        self.columns_ = [*self.numeric_] + [
            f"{c}={lvl}" for c, levels in self.levels_.items() for lvl in levels[1:]
        ]
        if not self.columns_:
            raise InputError("no predictor columns left to model (all filtered out?)")
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        """The numeric design matrix, one column per predictor (names in ``columns_``)."""
        check_is_fitted(self, "columns_")
        parts = [X[self.numeric_].astype(float)]
        for c, levels in self.levels_.items():
            v = X[c].astype(str)
            parts.append(pd.DataFrame(
                {f"{c}={lvl}": (v == lvl).astype(float) for lvl in levels[1:]}, index=X.index))
        return pd.concat(parts, axis=1)[self.columns_]

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Names of the design columns."""
        return np.asarray(self.columns_, dtype=object)


@dataclass(frozen=True)
class FilterOptions:
    """Options of the radiomics feature filters and harmonisation."""

    harmonise: bool = True
    robustness_tables: tuple[pd.DataFrame, ...] = ()
    icc_threshold: float = 0.75
    redundancy_threshold: float = 0.9


def _classifier(learner: str, seed: int) -> Any:
    if learner == "logistic_l1":
        return LogisticRegression(l1_ratio=1.0, solver="liblinear", C=0.1, max_iter=2000,
                                  random_state=seed)
    if learner == "logistic_l2":
        return LogisticRegression(l1_ratio=0.0, solver="lbfgs", C=0.1, max_iter=2000)
    if learner == "random_forest":
        return RandomForestClassifier(n_estimators=200, min_samples_leaf=5, max_features="sqrt",
                                      n_jobs=1, random_state=seed)
    if learner == "gradient_boosting":
        return GradientBoostingClassifier(learning_rate=0.05, n_estimators=150, max_depth=3,
                                          subsample=0.8, random_state=seed)
    raise InputError(f"unknown learner {learner!r}; use one of {', '.join(LEARNERS)}")


def build_pipeline(
    spec: TableSpec,
    kind: str,
    learner: str,
    *,
    options: FilterOptions | None = None,
    seed: int = 0,
) -> Pipeline:
    """The unfitted pipeline of one model (``kind`` x ``learner``)."""
    opts = options or FilterOptions()
    predictors = spec.predictors(kind)
    if not predictors:
        raise InputError(f"the {kind} model has no predictor columns in this table")
    uses_rad = kind in ("radiomics", "combined") and bool(spec.radiomics)
    rad = list(spec.radiomics) if uses_rad else []
    cat = [c for c in spec.clinical_categorical if c in predictors]
    numeric = [c for c in predictors if c not in cat]
    steps: list[tuple[str, Any]] = [("impute", FrameImputer(numeric))]
    if uses_rad and opts.harmonise:
        steps.append(("harmonise", ComBat(
            spec.site, features=rad, categorical_covariates=list(spec.protect_categorical),
            continuous_covariates=list(spec.protect_continuous))))
    else:
        steps.append(("harmonise", "passthrough"))
    if uses_rad and opts.robustness_tables:
        steps.append(("robust", RobustnessFilter(list(opts.robustness_tables), rad,
                                                 threshold=opts.icc_threshold)))
    else:
        steps.append(("robust", "passthrough"))
    steps.append(("prune", RedundancyFilter(rad, threshold=opts.redundancy_threshold)
                  if uses_rad else "passthrough"))
    steps += [
        ("design", DesignMatrix(numeric, cat)),
        ("select", KBest(None)),
        ("scale", StandardScaler()),
        ("clf", _classifier(learner, seed)),
    ]
    return Pipeline(steps)


def param_grid(kind: str, learner: str) -> dict[str, list[Any]]:
    """Hyper-parameter grid searched by the inner cross-validation (kept small: 2 CPUs)."""
    grid: dict[str, list[Any]] = {}
    if learner == "logistic_l1":
        grid["clf__C"] = [0.01, 0.03, 0.1, 0.3, 1.0]
    elif learner == "logistic_l2":
        grid["clf__C"] = [0.001, 0.01, 0.1, 1.0]
    elif learner == "random_forest":
        grid["clf__max_depth"] = [3, None]
    elif learner == "gradient_boosting":
        grid["clf__max_depth"] = [2, 3]
    if kind != "clinical" and learner in ("random_forest", "gradient_boosting"):
        grid["select__k"] = [10, None]
    return grid
