"""Honest validation of cohort models: patient-wise nested cross-validation and leave-site-out.

Nested cross-validation: the outer folds (stratified, grouped by patient) estimate performance;
inside each outer training part, a grid search over hyper-parameters runs its own grouped
cross-validation. Every data-dependent step (imputation, ComBat, robustness and redundancy
filters, selection, scaling, model) is a pipeline step, so it is refitted on training rows only;
the outer test rows are only passed to ``predict_proba``.

Leave-site-out: each site in turn is held out; the model is tuned and fitted on the other sites
and tested on the held-out one. ComBat cannot place a site it has never seen, so these models are
fitted WITHOUT harmonisation (the report says so): this measures transport to a new scanner.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import GridSearchCV, StratifiedGroupKFold

from spinepath.cohort.modelling.pipeline import FilterOptions, build_pipeline, param_grid
from spinepath.cohort.modelling.table import TableSpec
from spinepath.errors import InputError

__all__ = ["CVResult", "fit_tuned", "leave_site_out", "nested_cv", "selected_features"]


@dataclass
class CVResult:
    """Out-of-sample predictions of one model under one validation scheme.

    ``predictions`` is indexed by row key with columns ``y``, ``p`` (predicted probability of
    the event), ``fold``, ``group`` and ``site``.
    """

    model: str
    kind: str
    learner: str
    scheme: str
    predictions: pd.DataFrame
    fold_params: list[dict[str, Any]] = field(default_factory=list)
    fold_features: list[list[str]] = field(default_factory=list)
    fold_dropped: list[dict[str, int]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def fit_tuned(
    X: pd.DataFrame,
    spec: TableSpec,
    kind: str,
    learner: str,
    *,
    options: FilterOptions | None = None,
    inner_splits: int = 3,
    seed: int = 0,
) -> GridSearchCV:
    """Tune the pipeline's hyper-parameters by grouped, stratified CV on ``X`` and refit on
    all of ``X``. Returns the fitted search (``best_estimator_`` is the model)."""
    y = X[spec.outcome].to_numpy()
    groups = X[spec.group].astype(str).to_numpy()
    n_groups = len(np.unique(groups))
    if n_groups < inner_splits:
        raise InputError(f"only {n_groups} patients: too few for {inner_splits}-fold tuning")
    pipe = build_pipeline(spec, kind, learner, options=options, seed=seed)
    cv = StratifiedGroupKFold(n_splits=inner_splits, shuffle=True, random_state=seed)
    search = GridSearchCV(pipe, param_grid(kind, learner), scoring="roc_auc", cv=cv,
                          refit=True, n_jobs=1, error_score="raise")
    search.fit(X, y, groups=groups)
    return search


def selected_features(pipe: Any) -> list[str]:
    """Names of the model's input columns after all filters and selection."""
    return list(pipe.named_steps["select"].kept_)


def _dropped_counts(pipe: Any) -> dict[str, int]:
    out: dict[str, int] = {}
    for step in ("robust", "prune"):
        est = pipe.named_steps[step]
        if est != "passthrough":
            out[step] = len(est.dropped_)
    out["model_inputs"] = len(selected_features(pipe))
    return out


def _check_sizes(X: pd.DataFrame, spec: TableSpec, splits: int) -> None:
    n_groups = X[spec.group].nunique()
    if n_groups < splits:
        raise InputError(f"{n_groups} patients cannot be split into {splits} folds")


def nested_cv(
    X: pd.DataFrame,
    spec: TableSpec,
    kind: str,
    learner: str,
    *,
    options: FilterOptions | None = None,
    outer_splits: int = 5,
    inner_splits: int = 3,
    seed: int = 0,
) -> CVResult:
    """Patient-wise nested cross-validation; returns the outer-fold predictions."""
    _check_sizes(X, spec, outer_splits)
    y = X[spec.outcome].to_numpy()
    groups = X[spec.group].astype(str).to_numpy()
    outer = StratifiedGroupKFold(n_splits=outer_splits, shuffle=True, random_state=seed)
    preds = []
    res = CVResult(f"{kind}/{learner}", kind, learner, "nested_cv", pd.DataFrame())
    for fold, (tr, te) in enumerate(outer.split(X, y, groups)):
        search = fit_tuned(X.iloc[tr], spec, kind, learner, options=options,
                           inner_splits=inner_splits, seed=seed + fold)
        p = search.predict_proba(X.iloc[te])[:, 1]
        preds.append(pd.DataFrame({"y": y[te], "p": p, "fold": fold, "group": groups[te],
                                   "site": X[spec.site].iloc[te].astype(str).to_numpy()},
                                  index=X.index[te]))
        res.fold_params.append(dict(search.best_params_))
        res.fold_features.append(selected_features(search.best_estimator_))
        res.fold_dropped.append(_dropped_counts(search.best_estimator_))
    res.predictions = pd.concat(preds).loc[X.index]
    return res


def leave_site_out(
    X: pd.DataFrame,
    spec: TableSpec,
    kind: str,
    learner: str,
    *,
    options: FilterOptions | None = None,
    inner_splits: int = 3,
    seed: int = 0,
) -> CVResult:
    """Hold out each site in turn; models fitted on the other sites without harmonisation."""
    opts = options or FilterOptions()
    opts = FilterOptions(harmonise=False, robustness_tables=opts.robustness_tables,
                         icc_threshold=opts.icc_threshold,
                         redundancy_threshold=opts.redundancy_threshold)
    sites = X[spec.site].astype(str)
    if sites.nunique() < 2:
        raise InputError("leave-site-out validation needs at least two sites")
    y = X[spec.outcome].to_numpy()
    res = CVResult(f"{kind}/{learner}", kind, learner, "leave_site_out", pd.DataFrame(),
                   notes=["models fitted without ComBat: a held-out site is unseen"])
    preds = []
    for fold, site in enumerate(sorted(sites.unique())):
        te = (sites == site).to_numpy()
        if len(np.unique(y[~te])) < 2:
            res.notes.append(f"site {site}: training sites hold one class only; skipped")
            continue
        search = fit_tuned(X[~te], spec, kind, learner, options=opts,
                           inner_splits=inner_splits, seed=seed + fold)
        p = search.predict_proba(X[te])[:, 1]
        preds.append(pd.DataFrame({"y": y[te], "p": p, "fold": fold,
                                   "group": X[spec.group][te].astype(str).to_numpy(),
                                   "site": site}, index=X.index[te]))
        res.fold_params.append({"held_out_site": site, **search.best_params_})
        res.fold_features.append(selected_features(search.best_estimator_))
        res.fold_dropped.append(_dropped_counts(search.best_estimator_))
    res.predictions = pd.concat(preds)
    return res
