"""Evaluate clinical, radiomics and combined models on a feature table: validation runs,
performance with confidence intervals, model comparisons and explanations, gathered in one
:class:`Evaluation` that the HTML report and the JSON summary are written from."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from spinepath.cohort.modelling import metrics as M
from spinepath.cohort.modelling.pipeline import FilterOptions, param_grid
from spinepath.cohort.modelling.table import TableSpec, outcome_summary
from spinepath.cohort.validation import (
    CVResult,
    fit_tuned,
    leave_site_out,
    nested_cv,
    selected_features,
)
from spinepath.errors import InputError

__all__ = ["Evaluation", "evaluate_models", "performance", "to_jsonable"]


@dataclass
class Evaluation:
    """Everything the validation report shows."""

    spec: TableSpec
    summary: dict[str, Any]
    options: dict[str, Any]
    results: list[CVResult]
    performance: pd.DataFrame
    per_site: pd.DataFrame
    comparisons: pd.DataFrame
    explanations: dict[str, Any] = field(default_factory=dict)
    final_models: dict[str, Any] = field(default_factory=dict)
    context: dict[str, Any] = field(default_factory=dict)


def performance(res: CVResult, *, n_boot: int = 2000, seed: int = 0) -> dict[str, Any]:
    """AUC (patient-cluster bootstrap 95% CI), calibration and Brier score of one result."""
    pr = res.predictions
    y, p, g = pr["y"].to_numpy(), pr["p"].to_numpy(), pr["group"].to_numpy()
    a = M.auc_bootstrap_ci(y, p, groups=g, n_boot=n_boot, seed=seed)
    cal = M.calibration(y, p)
    site_aucs = [M.auc(sub["y"], sub["p"]) for _, sub in pr.groupby("site")
                 if sub["y"].nunique() == 2]
    return {
        "model": res.model, "kind": res.kind, "learner": res.learner, "scheme": res.scheme,
        "n_rows": a.n_rows, "n_patients": a.n_groups, "n_events": a.n_events,
        "auc": a.auc, "auc_ci_low": a.ci_low, "auc_ci_high": a.ci_high,
        "calibration_slope": cal.slope, "calibration_slope_ci_low": cal.slope_ci[0],
        "calibration_slope_ci_high": cal.slope_ci[1], "calibration_intercept": cal.intercept,
        "calibration_intercept_ci_low": cal.intercept_ci[0],
        "calibration_intercept_ci_high": cal.intercept_ci[1],
        "observed_expected": cal.observed_expected, "brier": M.brier_score(y, p),
        # leave-site-out pools predictions of different models (one per held-out site): read
        # the per-site AUCs; this is their unweighted mean
        "auc_mean_of_sites": float(np.mean(site_aucs)) if site_aucs else float("nan"),
    }


def _per_site(res: CVResult, n_boot: int, seed: int) -> list[dict[str, Any]]:
    rows = []
    for site, sub in res.predictions.groupby("site"):
        row: dict[str, Any] = {"model": res.model, "scheme": res.scheme, "site": site,
                               "n_rows": len(sub), "n_events": int(sub["y"].sum())}
        if sub["y"].nunique() == 2:
            a = M.auc_bootstrap_ci(sub["y"].to_numpy(), sub["p"].to_numpy(),
                                   groups=sub["group"].to_numpy(), n_boot=n_boot, seed=seed)
            row.update(auc=a.auc, auc_ci_low=a.ci_low, auc_ci_high=a.ci_high)
        rows.append(row)
    return rows


def _compare(a: CVResult, b: CVResult, n_boot: int, seed: int) -> dict[str, Any]:
    pa, pb = a.predictions, b.predictions.loc[a.predictions.index]
    y = pa["y"].to_numpy()
    d = M.delong_test(y, pa["p"].to_numpy(), pb["p"].to_numpy())
    _, blo, bhi, bp = M.paired_bootstrap_auc_difference(
        y, pa["p"].to_numpy(), pb["p"].to_numpy(), groups=pa["group"].to_numpy(),
        n_boot=n_boot, seed=seed)
    return {"scheme": a.scheme, "model_a": a.model, "model_b": b.model, "auc_a": d.auc_a,
            "auc_b": d.auc_b, "difference": d.difference, "delong_ci_low": d.ci_low,
            "delong_ci_high": d.ci_high, "delong_z": d.z, "delong_p": d.p_value,
            "bootstrap_ci_low": blo, "bootstrap_ci_high": bhi, "bootstrap_p": bp}


def evaluate_models(
    X: pd.DataFrame,
    spec: TableSpec,
    *,
    kinds: tuple[str, ...] = ("clinical", "radiomics", "combined"),
    learners: tuple[str, ...] = ("logistic_l1",),
    options: FilterOptions | None = None,
    outer_splits: int = 5,
    inner_splits: int = 3,
    leave_sites_out: bool = True,
    explain: bool = True,
    n_boot: int = 2000,
    seed: int = 0,
    context: dict[str, Any] | None = None,
) -> Evaluation:
    """Run nested CV (and leave-site-out) for every kind x learner, then measure, compare
    (DeLong and paired cluster bootstrap on the same rows) and explain the final models."""
    opts = options or FilterOptions()
    kinds = tuple(k for k in kinds if spec.predictors(k))
    if not kinds:
        raise InputError("no model kind has predictors; give --clinical and/or radiomics columns")
    results: list[CVResult] = []
    for kind, learner in itertools.product(kinds, learners):
        results.append(nested_cv(X, spec, kind, learner, options=opts,
                                 outer_splits=outer_splits, inner_splits=inner_splits,
                                 seed=seed))
        if leave_sites_out and X[spec.site].nunique() >= 2:
            results.append(leave_site_out(X, spec, kind, learner, options=opts,
                                          inner_splits=inner_splits, seed=seed))
    perf = pd.DataFrame([performance(r, n_boot=n_boot, seed=seed) for r in results])
    per_site = pd.DataFrame([row for r in results for row in _per_site(r, n_boot // 4, seed)])
    comps = []
    for scheme in ("nested_cv", "leave_site_out"):
        rs = [r for r in results if r.scheme == scheme]
        for a, b in itertools.combinations(rs, 2):
            related = a.kind == b.kind or a.learner == b.learner
            if related and set(a.predictions.index) == set(b.predictions.index):
                comps.append(_compare(a, b, n_boot, seed))
    ev = Evaluation(
        spec=spec, summary=outcome_summary(X, spec),
        options={"outer_splits": outer_splits, "inner_splits": inner_splits, "seed": seed,
                 "harmonise": opts.harmonise, "robustness": bool(opts.robustness_tables),
                 "n_perturbations": max(len(opts.robustness_tables) - 1, 0),
                 "icc_threshold": opts.icc_threshold,
                 "redundancy_threshold": opts.redundancy_threshold, "n_boot": n_boot,
                 "grids": {f"{k}/{lr}": param_grid(k, lr)
                           for k, lr in itertools.product(kinds, learners)}},
        results=results, performance=perf, per_site=per_site, comparisons=pd.DataFrame(comps),
        context=dict(context or {}),
    )
    for kind, learner in itertools.product(kinds, learners):
        search = fit_tuned(X, spec, kind, learner, options=opts, inner_splits=inner_splits,
                           seed=seed)
        model = search.best_estimator_
        name = f"{kind}/{learner}"
        ev.final_models[name] = {"params": dict(search.best_params_),
                                 "inner_cv_auc": float(search.best_score_),
                                 "inputs": selected_features(model), "pipeline": model}
        if explain:
            from spinepath.cohort.modelling.explain import explain_pipeline

            ev.explanations[name] = explain_pipeline(model, X, seed=seed)
    return ev


def to_jsonable(ev: Evaluation) -> dict[str, Any]:
    """A JSON-ready summary (no fitted objects)."""

    def clean(df: pd.DataFrame) -> list[dict[str, Any]]:
        return [{k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in r.items()}
                for r in df.to_dict(orient="records")]

    return {
        "summary": ev.summary,
        "options": ev.options,
        "context": ev.context,
        "spec": {k: v for k, v in ev.spec.__dict__.items()},
        "performance": clean(ev.performance),
        "per_site": clean(ev.per_site),
        "comparisons": clean(ev.comparisons),
        "final_models": {k: {kk: vv for kk, vv in v.items() if kk != "pipeline"}
                         for k, v in ev.final_models.items()},
        "fold_params": {f"{r.model}|{r.scheme}": r.fold_params for r in ev.results},
        "fold_dropped": {f"{r.model}|{r.scheme}": r.fold_dropped for r in ev.results},
        "shap_importance": {k: e.importance().head(20).to_dict()
                            for k, e in ev.explanations.items()},
        "notes": {f"{r.model}|{r.scheme}": r.notes for r in ev.results if r.notes},
    }
