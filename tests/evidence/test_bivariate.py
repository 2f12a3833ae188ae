"""Unit tests of the bivariate model, SROC and DOR pooling on hand-made and simulated tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit, logit

from spinepath.errors import InputError
from spinepath.evidence import fit_bivariate, from_frame, hsroc_parameters, pooled_dor, sroc_auc
from spinepath.evidence.data import StudyTable


def simulate(
    k: int,
    mu: tuple[float, float],
    tau: tuple[float, float],
    rho: float,
    n: int,
    seed: int,
    shift: float = 0.0,
) -> pd.DataFrame:
    """Studies from the bivariate model; half get covariate x=1 which shifts logit sens."""
    rng = np.random.default_rng(seed)
    cov = np.array([[tau[0] ** 2, rho * tau[0] * tau[1]], [rho * tau[0] * tau[1], tau[1] ** 2]])
    x = np.arange(k) % 2
    theta = rng.multivariate_normal(mu, cov, size=k)
    theta[:, 0] += shift * x
    tp = rng.binomial(n, expit(theta[:, 0]))
    fp = rng.binomial(n, expit(theta[:, 1]))
    return pd.DataFrame({"TP": tp, "FN": n - tp, "FP": fp, "TN": n - fp, "x": x})


def test_recovers_simulated_parameters() -> None:
    frame = simulate(60, (1.5, -2.0), (0.8, 0.5), 0.6, n=2000, seed=1)
    fit = fit_bivariate(from_frame(frame.drop(columns="x")))
    assert fit.beta[0] == pytest.approx(1.5, abs=0.25)
    assert fit.beta[1] == pytest.approx(-2.0, abs=0.15)
    assert fit.tau_sens == pytest.approx(0.8, abs=0.2)
    assert fit.tau_fpr == pytest.approx(0.5, abs=0.12)
    assert fit.rho == pytest.approx(0.6, abs=0.3)
    assert fit.converged


def test_meta_regression_recovers_shift_and_reml_exceeds_ml() -> None:
    frame = simulate(60, (1.0, -2.0), (0.5, 0.5), 0.0, n=2000, seed=2, shift=1.0)
    table = from_frame(frame)
    reml = fit_bivariate(table, covariates=["x"])
    ml = fit_bivariate(table, covariates=["x"], method="ml")
    assert reml.terms == ("(Intercept)", "x")
    shift = {(c.outcome, c.term): c for c in reml.coefficients()}
    assert shift[("sensitivity", "x")].estimate == pytest.approx(1.0, abs=0.35)
    assert abs(shift[("false_positive_rate", "x")].estimate) < 0.4
    # ML between-study variances are biased down relative to REML
    assert ml.tau_sens < reml.tau_sens
    assert ml.n_params == reml.n_params == 7


def test_sroc_passes_through_summary_point_with_sd_ratio_slope() -> None:
    frame = simulate(30, (1.2, -1.5), (0.9, 0.6), 0.3, n=500, seed=3)
    table = from_frame(frame.drop(columns="x"))
    fit = fit_bivariate(table)
    curve = hsroc_parameters(fit)
    mu_fpr = fit.beta[1]
    assert curve.sensitivity(expit(mu_fpr)) == pytest.approx(expit(fit.beta[0]), abs=1e-10)
    slope = (logit(curve.sensitivity(0.3)) - logit(curve.sensitivity(0.1))) / (
        logit(0.3) - logit(0.1)
    )
    assert slope == pytest.approx(fit.tau_sens / fit.tau_fpr, rel=1e-9)
    auc = sroc_auc(fit, table.false_positive_rate())
    assert 0.5 < auc.auc < 1 and 0.5 < auc.partial_auc < 1


def test_fewer_than_three_studies_is_an_input_error() -> None:
    table = StudyTable(np.array([[10, 2, 3, 30], [12, 3, 4, 40]]), ("a", "b"))
    with pytest.raises(InputError, match="at least 3"):
        fit_bivariate(table)


def test_zero_cells_corrected_as_documented() -> None:
    counts = np.array([[10, 0, 3, 30], [12, 3, 4, 40], [20, 5, 6, 50]])
    table = StudyTable(counts, ("a", "b", "c"))
    assert np.all(table.corrected(0.5, "all") == counts + 0.5)
    single = table.corrected(0.5, "single")
    assert np.all(single[0] == counts[0] + 0.5) and np.all(single[1:] == counts[1:])
    with pytest.raises(InputError, match="zero cells remain"):
        table.corrected(0.5, "none")
    fit = fit_bivariate(table)
    assert np.all(fit.counts == counts + 0.5)


def test_input_errors_name_the_problem() -> None:
    with pytest.raises(InputError, match="TN"):
        from_frame(pd.DataFrame({"TP": [1], "FN": [1], "FP": [1]}))
    with pytest.raises(InputError, match="whole numbers"):
        from_frame(pd.DataFrame({"TP": [1.5], "FN": [1], "FP": [1], "TN": [1]}))
    table = from_frame(simulate(6, (1, -1), (0.3, 0.3), 0, 100, seed=4))
    with pytest.raises(InputError, match="not a column"):
        fit_bivariate(table, covariates=["nope"])


def test_dor_homogeneous_studies_have_no_heterogeneity() -> None:
    counts = np.array([[40, 10, 10, 40]] * 5, dtype=float)
    d = pooled_dor(counts)
    assert d.tau2 == 0.0 and d.q == pytest.approx(0.0) and d.i2 == 0.0
    assert d.dor == pytest.approx(16.0)
    assert d.mantel_haenszel_dor == pytest.approx(16.0)
