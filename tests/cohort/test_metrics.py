"""AUC, DeLong, bootstrap, calibration and decision-curve checks against hand computations."""

from __future__ import annotations

import numpy as np
import pytest

from spinepath.cohort.modelling import metrics as M
from spinepath.errors import InputError

# Hand-worked example (3 events, 3 non-events), see the comments in test_delong_hand_example.
Y = np.array([1, 1, 1, 0, 0, 0])
A = np.array([0.9, 0.8, 0.4, 0.7, 0.3, 0.2])
B = np.array([0.5, 0.9, 0.6, 0.8, 0.1, 0.4])


def test_auc_hand_example_and_ties():
    assert M.auc(Y, A) == pytest.approx(8 / 9)
    assert M.auc(Y, B) == pytest.approx(7 / 9)
    # a tie between an event and a non-event counts one half
    assert M.auc([1, 0], [0.5, 0.5]) == pytest.approx(0.5)
    assert M.auc([1, 1, 0], [0.2, 0.9, 0.2]) == pytest.approx(0.75)


def test_delong_hand_example():
    # Placement values (DeLong 1988): model A, events V10 = [1, 1, 2/3], non-events
    # V01 = [2/3, 1, 1]; model B, V10 = [2/3, 1, 2/3], V01 = [1/3, 1, 1].
    # S10: var_A = 1/27, var_B = 1/27, cov = 1/54.  S01: var_A = 1/27, var_B = 4/27,
    # cov = 2/27.  Var(AUC_A) = 1/27/3 + 1/27/3 = 2/81.
    # Var(A - B) = (1/27 + 1/27 - 2/54)/3 + (1/27 + 4/27 - 4/27)/3 = 2/81,
    # z = (1/9) / sqrt(2/81) = 1/sqrt(2), p = 2 * (1 - Phi(0.7071)) = 0.4795.
    aucs, cov = M.delong_variance(Y, np.vstack([A, B]))
    np.testing.assert_allclose(aucs, [8 / 9, 7 / 9])
    np.testing.assert_allclose(cov, [[2 / 81, 1 / 162 + 2 / 81], [1 / 162 + 2 / 81, 5 / 81]])
    res = M.delong_test(Y, A, B)
    assert res.difference == pytest.approx(1 / 9)
    assert res.se == pytest.approx(np.sqrt(2 / 81))
    assert res.z == pytest.approx(1 / np.sqrt(2))
    assert res.p_value == pytest.approx(0.4795, abs=1e-4)


def _delong_bruteforce(y, scores):
    """DeLong 1988 directly from the definition psi(x, z), O(m n)."""
    pos = y == 1
    out_v10, out_v01 = [], []
    for s in scores:
        x, z = s[pos], s[~pos]
        psi = (x[:, None] > z[None, :]) + 0.5 * (x[:, None] == z[None, :])
        out_v10.append(psi.mean(axis=1))
        out_v01.append(psi.mean(axis=0))
    v10, v01 = np.array(out_v10), np.array(out_v01)
    return v10.mean(axis=1), np.cov(v10) / pos.sum() + np.cov(v01) / (~pos).sum()


def test_fast_delong_equals_definition_with_ties():
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 80)
    s = np.vstack([np.round(y + rng.normal(0, 1, 80), 1), np.round(rng.normal(0, 1, 80), 1),
                   y * 0.5 + rng.normal(0, 1, 80)])
    aucs, cov = M.delong_variance(y, s)
    a_ref, c_ref = _delong_bruteforce(y, s)
    np.testing.assert_allclose(aucs, a_ref)
    np.testing.assert_allclose(cov, c_ref)


def test_delong_detects_a_real_difference():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 400)
    good = y + rng.normal(0, 0.7, 400)
    poor = y + rng.normal(0, 3.0, 400)
    assert M.delong_test(y, good, poor).p_value < 0.001
    assert M.delong_test(y, good, good + rng.normal(0, 1e-3, 400)).p_value > 0.05


def test_bootstrap_ci_covers_and_resamples_groups():
    rng = np.random.default_rng(1)
    groups = np.repeat(np.arange(60), 5)
    y = rng.integers(0, 2, 300)
    p = 1 / (1 + np.exp(-(2 * y - 1 + rng.normal(0, 1.5, 300))))
    res = M.auc_bootstrap_ci(y, p, groups=groups, n_boot=300, seed=2)
    assert res.ci_low < res.auc < res.ci_high
    assert res.n_groups == 60 and res.n_rows == 300
    # the clustered CI is at least roughly comparable to the DeLong-based one
    _, cov = M.delong_variance(y, p)
    width = res.ci_high - res.ci_low
    assert 0.5 * 3.92 * np.sqrt(cov[0, 0]) < width < 3 * 3.92 * np.sqrt(cov[0, 0])


def test_calibration_slope_and_intercept():
    rng = np.random.default_rng(5)
    lp = rng.normal(0, 1.5, 20000)
    p_true = 1 / (1 + np.exp(-lp))
    y = (rng.random(lp.size) < p_true).astype(int)
    good = M.calibration(y, p_true)
    assert good.slope == pytest.approx(1.0, abs=0.05)
    assert good.intercept == pytest.approx(0.0, abs=0.05)
    assert good.slope_ci[0] < 1.0 < good.slope_ci[1]
    over = M.calibration(y, 1 / (1 + np.exp(-2 * lp)))  # overconfident predictions
    assert over.slope == pytest.approx(0.5, abs=0.05)
    high = M.calibration(y, 1 / (1 + np.exp(-(lp + 1))))  # risks too high everywhere
    assert high.intercept == pytest.approx(-1.0, abs=0.1)
    assert high.observed_expected < 1


def test_net_benefit_hand_example():
    # 10 rows, 4 events. Threshold 0.5: treat p >= 0.5 -> rows with p 0.9, 0.8, 0.6, 0.5:
    # TP = 3, FP = 1 -> NB = 3/10 - 1/10 * 1 = 0.2.  Threshold 0: everyone treated:
    # NB = 4/10 - 6/10 * 0 = 0.4 (prevalence).
    y = np.array([1, 1, 1, 0, 1, 0, 0, 0, 0, 0])
    p = np.array([0.9, 0.8, 0.6, 0.5, 0.3, 0.2, 0.2, 0.1, 0.1, 0.0])
    nb = M.net_benefit(y, p, np.array([0.0, 0.5]))
    np.testing.assert_allclose(nb, [0.4, 0.2])
    with pytest.raises(InputError):
        M.net_benefit(y, p, np.array([1.0]))


def test_one_class_is_refused():
    with pytest.raises(InputError, match="one class"):
        M.auc([1, 1], [0.2, 0.3])


def test_paired_bootstrap_difference_sign():
    rng = np.random.default_rng(4)
    y = rng.integers(0, 2, 300)
    d, lo, hi, p = M.paired_bootstrap_auc_difference(
        y, y + rng.normal(0, 0.7, 300), y + rng.normal(0, 3, 300), n_boot=300)
    assert lo < d < hi and lo > 0 and p < 0.01
