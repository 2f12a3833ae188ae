"""Nested CV and leave-site-out: patient-wise splits, no leakage into the fits, and proof that
a step fitted outside the folds would change (inflate) the results."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.pipeline import Pipeline

from spinepath.cohort import validation as V
from spinepath.cohort.modelling import metrics as M
from spinepath.cohort.modelling.pipeline import FilterOptions, build_pipeline
from spinepath.cohort.modelling.synthetic import make_cohort
from spinepath.cohort.modelling.table import TableSpec, align_to, resolve_spec


@pytest.fixture(scope="module")
def cohort() -> tuple[pd.DataFrame, TableSpec, tuple[pd.DataFrame, ...]]:
    df, pert = make_cohort(36, seed=1)
    X, spec = resolve_spec(df, keys="patient,disc", clinical="age,sex,disc",
                           radiomics_prefix="rad_", protect="disc")
    return X, spec, tuple(align_to(X, t, spec) for t in pert)


class Spy(TransformerMixin, BaseEstimator):
    """Records the row labels every fit sees (class-level log survives sklearn's cloning)."""

    log: ClassVar[list[tuple[str, frozenset[str]]]] = []

    def fit(self, X: pd.DataFrame, y: Any = None) -> Spy:
        Spy.log.append(("fit", frozenset(X.index)))
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        return X


def test_fits_never_see_the_outer_test_rows(cohort, monkeypatch):
    X, spec, tabs = cohort
    Spy.log.clear()
    real_build, real_fit_tuned = V.build_pipeline, V.fit_tuned

    def spied_build(*a: Any, **k: Any) -> Pipeline:
        pipe = real_build(*a, **k)
        return Pipeline([("spy", Spy()), *pipe.steps])

    def logged_fit_tuned(Xtr: pd.DataFrame, *a: Any, **k: Any) -> Any:
        Spy.log.append(("outer", frozenset(Xtr.index)))
        return real_fit_tuned(Xtr, *a, **k)

    monkeypatch.setattr(V, "build_pipeline", spied_build)
    monkeypatch.setattr(V, "fit_tuned", logged_fit_tuned)
    res = V.nested_cv(X, spec, "combined", "logistic_l1",
                      options=FilterOptions(robustness_tables=tabs), outer_splits=3,
                      inner_splits=2)
    pred = res.predictions
    # every row predicted exactly once, and every patient sits in one outer fold only
    assert sorted(pred.index) == sorted(X.index)
    assert (pred.groupby("group")["fold"].nunique() == 1).all()
    outer_sets = [s for kind, s in Spy.log if kind == "outer"]
    assert len(outer_sets) == 3
    fold = -1
    n_fits = 0
    for kind, rows in Spy.log:
        if kind == "outer":
            fold += 1
            train_rows = rows
            test_rows = set(pred.index[pred["fold"] == fold])
            assert not (train_rows & test_rows)
            continue
        n_fits += 1
        assert rows <= train_rows, "a pipeline fit saw rows outside its outer training part"
    assert n_fits >= 3 * (2 * 5 + 1)  # inner folds x grid + refit, per outer fold


def test_selection_outside_the_folds_would_inflate_auc():
    """Pure-noise features, random outcome: the in-fold pipeline stays near chance, whereas
    choosing the best features on all rows first (leakage) looks predictive."""
    rng = np.random.default_rng(7)
    n_pat, per = 60, 5
    df = pd.DataFrame({"patient": np.repeat([f"P{i}" for i in range(n_pat)], per),
                       "disc": np.tile(range(per), n_pat), "site": "s1"})
    df["label"] = rng.integers(0, 2, len(df))
    noise = pd.DataFrame(rng.normal(size=(len(df), 150)),
                         columns=[f"rad_{i}" for i in range(150)])
    df = pd.concat([df, noise], axis=1)
    X, spec = resolve_spec(df, keys="patient,disc", radiomics_prefix="rad_")
    opts = FilterOptions(harmonise=False, redundancy_threshold=0.99)
    honest = V.nested_cv(X, spec, "radiomics", "logistic_l2", options=opts, outer_splits=3,
                         inner_splits=2)
    auc_honest = M.auc(honest.predictions.y, honest.predictions.p)
    # leaky: pick the 10 features most associated with the outcome using ALL rows
    from sklearn.feature_selection import f_classif

    f, _ = f_classif(X[list(spec.radiomics)].to_numpy(), X["label"].to_numpy())
    top = [spec.radiomics[i] for i in np.argsort(-f)[:10]]
    leaky_spec = TableSpec(outcome="label", group="patient", site="site",
                           keys=("patient", "disc"), radiomics=tuple(top))
    leaky = V.nested_cv(X, leaky_spec, "radiomics", "logistic_l2", options=opts,
                        outer_splits=3, inner_splits=2)
    auc_leaky = M.auc(leaky.predictions.y, leaky.predictions.p)
    print(f"honest AUC {auc_honest:.3f}, leaky AUC {auc_leaky:.3f}")
    assert abs(auc_honest - 0.5) < 0.08
    assert auc_leaky > auc_honest + 0.08


def test_harmonisation_is_fitted_inside_the_folds(cohort):
    """ComBat fitted on all rows (test rows included) gives different test predictions than
    the in-fold pipeline: the in-fold fit really excludes the test rows."""
    X, spec, _ = cohort
    y = X["label"].to_numpy()
    test = X["patient"].isin(X["patient"].unique()[:9]).to_numpy()
    pipe = build_pipeline(spec, "radiomics", "logistic_l2")
    p_in = pipe.fit(X[~test], y[~test]).predict_proba(X[test])[:, 1]
    from spinepath.cohort.harmonise import ComBat

    leaky_cb = ComBat(spec.site, features=list(spec.radiomics),
                      categorical_covariates=list(spec.protect_categorical)).fit(X)
    pipe2 = build_pipeline(spec, "radiomics", "logistic_l2")
    pipe2.steps[1] = ("harmonise", "passthrough")
    Xh = leaky_cb.transform(X)
    p_leak = pipe2.fit(Xh[~test], y[~test]).predict_proba(Xh[test])[:, 1]
    assert np.abs(p_in - p_leak).max() > 1e-3


def test_leave_site_out_predicts_each_site_from_the_others(cohort):
    X, spec, _ = cohort
    res = V.leave_site_out(X, spec, "radiomics", "logistic_l1", inner_splits=2)
    assert set(res.predictions["site"]) == set(X["site"])
    held = [fp["held_out_site"] for fp in res.fold_params]
    assert sorted(held) == sorted(X["site"].unique())
    assert any("without ComBat" in n for n in res.notes)
    assert M.auc(res.predictions.y, res.predictions.p) > 0.6
