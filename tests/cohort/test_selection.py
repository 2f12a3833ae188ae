"""Robustness (ICC) and redundancy (Spearman) filters."""

from __future__ import annotations

import numpy as np
import pandas as pd

from spinepath.cohort.modelling.selection import KBest, RedundancyFilter, RobustnessFilter
from spinepath.cohort.modelling.synthetic import make_cohort
from spinepath.cohort.modelling.table import align_to, resolve_spec


def test_robustness_filter_drops_the_fragile_feature_using_training_rows_only():
    df, pert = make_cohort(30, seed=2)
    X, spec = resolve_spec(df, keys="patient,disc", radiomics_prefix="rad_")
    tabs = [align_to(X, t, spec) for t in pert]
    f = RobustnessFilter(tabs, list(spec.radiomics)).fit(X.iloc[:60])
    assert f.dropped_ == ["rad_fragile"]
    assert "rad_fragile" not in f.transform(X).columns
    assert "age" in f.transform(X).columns
    # computed from the given rows only: a subset gives (slightly) different ICCs
    f2 = RobustnessFilter(tabs, list(spec.radiomics)).fit(X.iloc[60:])
    assert not np.allclose(f.icc_.to_numpy(), f2.icc_.to_numpy())


def test_redundancy_filter_keeps_one_per_cluster():
    rng = np.random.default_rng(0)
    a = rng.normal(size=200)
    X = pd.DataFrame({"a": a, "a_mono": np.exp(a), "a_neg": -a + rng.normal(0, 0.01, 200),
                      "b": rng.normal(size=200), "const": 1.0, "other": "x"})
    f = RedundancyFilter(["a", "a_mono", "a_neg", "b", "const"]).fit(X)
    assert len(f.kept_) == 2 and "b" in f.kept_
    assert set(f.dropped_) | set(f.kept_) == {"a", "a_mono", "a_neg", "b", "const"}
    assert "const" in f.dropped_
    out = f.transform(X)
    assert set(out.columns) == {*f.kept_, "other"}


def test_kbest_keeps_informative_columns():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 300)
    X = pd.DataFrame({"noise1": rng.normal(size=300), "signal": y + rng.normal(0, 0.5, 300),
                      "noise2": rng.normal(size=300)})
    assert KBest(1).fit(X, y).kept_ == ["signal"]
    assert KBest(None).fit(X, y).kept_ == list(X.columns)
    assert KBest(10).fit(X, y).kept_ == list(X.columns)
