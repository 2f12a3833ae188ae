"""ComBat: agreement with neuroCombat / neuroHarmonize outputs, fit/transform contract, errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from spinepath.cohort.harmonise import ComBat, UnseenSiteError
from spinepath.errors import InputError

FIX = Path(__file__).parent / "fixtures"
FEATS = [f"f{i}" for i in range(1, 9)]


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return pd.read_csv(FIX / "combat_input.csv")


def _split(table: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    train = table[table.split == "train"].reset_index(drop=True)
    test = table[table.split == "test"].reset_index(drop=True)
    return train, test


@pytest.mark.parametrize(
    ("ref", "kwargs"),
    [
        ("combat_ref_neurocombat_cov.csv",
         {"categorical_covariates": ["sex"], "continuous_covariates": ["age"]}),
        ("combat_ref_neurocombat_nocov.csv", {}),
        ("combat_ref_neurocombat_cov_noeb.csv",
         {"categorical_covariates": ["sex"], "continuous_covariates": ["age"],
          "empirical_bayes": False}),
    ],
)
def test_matches_neurocombat_on_training_rows(table, ref, kwargs):
    train, _ = _split(table)
    expected = pd.read_csv(FIX / ref)
    assert list(expected["sample"]) == list(train["sample"])
    out = ComBat("site", features=FEATS, **kwargs).fit_transform(train)
    np.testing.assert_allclose(out[FEATS].to_numpy(), expected[FEATS].to_numpy(), atol=1e-6)
    # the harmonisation must have changed the data (the fixture has real site effects)
    assert np.abs(out[FEATS].to_numpy() - train[FEATS].to_numpy()).max() > 0.1


def test_matches_neuroharmonize_on_new_rows(table):
    train, test = _split(table)
    expected = pd.read_csv(FIX / "combat_ref_neuroharmonize_apply.csv")
    assert list(expected["sample"]) == list(test["sample"])
    model = ComBat("site", features=FEATS, continuous_covariates=["age", "sex"]).fit(train)
    out = model.transform(test)
    np.testing.assert_allclose(out[FEATS].to_numpy(), expected[FEATS].to_numpy(), atol=1e-6)


def test_transform_of_new_rows_does_not_depend_on_other_new_rows(table):
    train, test = _split(table)
    model = ComBat("site", features=FEATS, categorical_covariates=["sex"]).fit(train)
    whole = model.transform(test)
    one = model.transform(test.iloc[[4]])
    np.testing.assert_allclose(one[FEATS].to_numpy(), whole[FEATS].to_numpy()[[4]])


def test_other_columns_pass_through_and_features_default_to_numeric(table):
    train, _ = _split(table)
    out = ComBat("site", categorical_covariates=["sex"], continuous_covariates=["age"]).fit(
        train.drop(columns=["split"])
    )
    assert out.features_ == FEATS
    res = out.transform(train.drop(columns=["split"]))
    assert (res["sample"] == train["sample"]).all()
    assert (res["age"] == train["age"]).all()


def test_site_means_are_brought_together(table):
    train, _ = _split(table)
    out = ComBat("site", features=FEATS).fit_transform(train)
    before = train.groupby("site")[FEATS].mean().std().mean()
    after = out.groupby("site")[FEATS].mean().std().mean()
    assert after < 0.25 * before


def test_unseen_site_is_named(table):
    train, test = _split(table)
    model = ComBat("site", features=FEATS).fit(train[train.site != "siteC"])
    with pytest.raises(UnseenSiteError, match="siteC"):
        model.transform(test)


def test_bad_inputs_are_explained(table):
    train, _ = _split(table)
    with pytest.raises(InputError, match="one site"):
        ComBat("site", features=FEATS).fit(train[train.site == "siteA"])
    bad = train.copy()
    bad.loc[0, "f3"] = np.nan
    with pytest.raises(InputError, match="impute"):
        ComBat("site", features=FEATS).fit(bad)
    with pytest.raises(InputError, match="missing"):
        ComBat("scanner", features=FEATS).fit(train)
    lonely = pd.concat([train[train.site != "siteC"], train[train.site == "siteC"].iloc[:1]])
    with pytest.raises(InputError, match="fewer than 2"):
        ComBat("site", features=FEATS).fit(lonely)
