"""Reproduce every published figure of ../shared/data/mada/REFERENCE.md to 3 decimals.

The expected numbers below are the published outputs (R package mada 0.5.12 vignette), quoted
from REFERENCE.md; the code computes them from the raw AuditC / smoking tables.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from spinepath.evidence import fit_bivariate, fit_phm, pooled_dor, read_studies, sroc_auc
from spinepath.evidence.descriptive import correlation_sens_fpr, study_accuracy

pytestmark = pytest.mark.shared_data


def close3(value: float, published: float) -> None:
    """Equal when rounded to the 3 decimals the reference prints."""
    assert round(value, 3) == pytest.approx(published, abs=1e-9), (value, published)


@pytest.fixture(scope="module")
def audit_path(shared_data: Path) -> Path:
    path = shared_data / "mada" / "AuditC.csv"
    if not path.is_file():
        pytest.skip(f"{path} missing")
    return path


@pytest.fixture(scope="module")
def audit(audit_path: Path):
    return read_studies(audit_path)


@pytest.fixture(scope="module")
def audit_fit(audit):
    return fit_bivariate(audit)  # REML, correction 0.5 to all cells (mada default)


def test_auditc_logit_coefficients(audit_fit) -> None:
    sens = audit_fit.logit_summary("sensitivity")
    fpr = audit_fit.logit_summary("false_positive_rate")
    se = np.sqrt(np.diag(audit_fit.vcov))
    close3(sens.estimate, 2.100)
    close3(se[0], 0.338)
    close3(sens.ci_low, 1.438)
    close3(sens.ci_high, 2.762)
    close3(fpr.estimate, -1.264)
    close3(se[1], 0.174)
    close3(fpr.ci_low, -1.605)
    close3(fpr.ci_high, -0.922)


def test_auditc_summary_proportions(audit_fit) -> None:
    s = audit_fit.summary("sensitivity")
    f = audit_fit.summary("false_positive_rate")
    for got, want in zip((s.estimate, s.ci_low, s.ci_high), (0.891, 0.808, 0.941), strict=True):
        close3(got, want)
    for got, want in zip((f.estimate, f.ci_low, f.ci_high), (0.220, 0.167, 0.285), strict=True):
        close3(got, want)


def test_auditc_variance_components_and_fit(audit_fit) -> None:
    close3(audit_fit.tau_sens, 1.175)
    close3(audit_fit.tau_fpr, 0.638)
    close3(audit_fit.rho, 0.854)
    close3(audit_fit.loglik, 31.564)
    close3(audit_fit.aic, -53.128)
    close3(audit_fit.bic, -46.467)


def test_auditc_sroc_auc(audit, audit_fit) -> None:
    auc = sroc_auc(audit_fit, audit.false_positive_rate())
    close3(auc.auc, 0.887)
    close3(auc.partial_auc, 0.861)


def test_auditc_dersimonian_laird_dor(audit) -> None:
    d = pooled_dor(audit.corrected())
    close3(d.dor, 26.337)
    close3(d.dor_ci[0], 17.971)
    close3(d.dor_ci[1], 38.596)
    close3(d.log_dor, 3.271)
    close3(d.log_dor_ci[0], 2.889)
    close3(d.log_dor_ci[1], 3.653)
    close3(d.tau2, 0.311)
    assert d.df == 13
    close3(d.q_random, 19.683)
    close3(d.q_random_p_value, 0.103)
    close3(100 * d.i2_random, 33.955)


@pytest.mark.xfail(
    reason="published MH DOR 17.93335 not reproduced; the textbook MH "
    "estimator on the corrected AuditC counts gives 28.473 (see docs/design/evidence.md)",
    strict=True,
)
def test_auditc_mantel_haenszel_dor(audit) -> None:
    close3(pooled_dor(audit.corrected()).mantel_haenszel_dor, 17.933)


def test_auditc_proportional_hazards_model(audit) -> None:
    homo = fit_phm(audit.corrected(), hetero=False)
    assert homo.theta == pytest.approx(0.004586893, abs=5e-9)
    het = fit_phm(audit.corrected(), hetero=True)
    assert het.theta == pytest.approx(0.084631351, abs=5e-7)
    close3(het.theta_ci[0], 0.047)
    assert het.theta_ci[0] == pytest.approx(0.04745, abs=5e-6)
    assert het.theta_ci[1] == pytest.approx(0.12181, abs=5e-6)
    assert het.tau2 == pytest.approx(0.003706143, abs=5e-8)
    close3(het.auc, 0.922)


def test_auditc_correlation_and_study_one(audit) -> None:
    r, lo, hi = correlation_sens_fpr(audit.corrected())
    close3(r, 0.677)
    close3(lo, 0.228)
    close3(hi, 0.888)
    acc = study_accuracy(audit.corrected())
    close3(acc.sensitivity[0], 0.833)
    close3(acc.sensitivity_ci[0][0], 0.716)
    close3(acc.sensitivity_ci[1][0], 0.908)


def test_smoking_meta_regression(shared_data: Path) -> None:
    path = shared_data / "mada" / "smoking.csv"
    if not path.is_file():
        pytest.skip(f"{path} missing")
    table = read_studies(path, subset=["result_id=1"])
    assert table.k == 26
    fit = fit_bivariate(table, covariates=["type"])
    assert fit.terms == ("(Intercept)", "typeSAQ")
    coefs = fit.coefficients()
    for c, est, se in zip(
        coefs, (2.813, -1.166, -3.337, 0.882), (0.491, 0.634, 0.311, 0.389), strict=True
    ):
        close3(c.estimate, est)
        close3(c.se, se)
    close3(fit.tau_sens, 1.508)
    close3(fit.tau_fpr, 0.875)
    close3(fit.rho, 0.551)
    close3(fit.loglik, 70.721)
    close3(fit.aic, -127.441)
    close3(fit.bic, -113.783)
