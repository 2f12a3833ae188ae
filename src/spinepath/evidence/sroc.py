"""SROC curve from a bivariate fit: Rutter-Gatsonis (HSROC) parameters, AUC and partial AUC.

The HSROC parameters follow Harbord et al. (Biostatistics 2007;8:239-251, "A unification of models
for meta-analysis of diagnostic accuracy studies"), who show the bivariate and the HSROC model of
Rutter & Gatsonis (Stat Med 2001;20:2865-2884) are the same model. With mean logits ``mu_sens``,
``mu_fpr``, SDs ``tau_sens``, ``tau_fpr`` and covariance ``c`` of (logit sens, logit fpr)
(specificity enters with the opposite sign of the false-positive rate):

    beta        = log(tau_fpr / tau_sens)                 (shape)
    Lambda      = sqrt(tau_fpr/tau_sens) mu_sens - sqrt(tau_sens/tau_fpr) mu_fpr   (accuracy)
    Theta       = (sqrt(tau_fpr/tau_sens) mu_sens + sqrt(tau_sens/tau_fpr) mu_fpr) / 2 (threshold)
    sigma2alpha = 2 (tau_sens tau_fpr - c),  sigma2theta = (tau_sens tau_fpr + c) / 2

and the SROC curve is ``logit sens = Lambda exp(-beta/2) + exp(-beta) logit fpr``, i.e. the line
through the summary point with slope ``tau_sens / tau_fpr`` on the logit scale.

AUC convention (as the R package mada reports it, so that published figures are reproduced): the
curve is evaluated on a grid of ``n`` FPR values and the area is ``(s_1/2 + s_2 + ... + s_{n-1}
+ s_n/2) / n``. With the default grid 0.01, 0.02, ..., 0.99 this is the trapezoid area over
[0.01, 0.99] divided by 0.99. The partial AUC uses 99 points spread over the observed range of
(uncorrected) study FPRs, clipped to [0.01, 0.99], which makes it the normalised partial area
(times 98/99). The exact integral over [0, 1] is reported as well (``auc_integral``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import integrate
from scipy.special import expit, logit

from spinepath.errors import AnalysisError
from spinepath.evidence.bivariate import BivariateFit

DEFAULT_FPR_GRID = np.arange(1, 100) / 100.0


@dataclass(frozen=True)
class HSROC:
    """Rutter-Gatsonis parameters derived from a bivariate fit (logit scale)."""

    theta: float
    lambda_: float
    beta: float
    sigma2_theta: float
    sigma2_alpha: float

    def sensitivity(self, fpr: np.ndarray | float) -> np.ndarray:
        """SROC sensitivity at false-positive rate(s) ``fpr`` in (0, 1)."""
        f = np.asarray(fpr, dtype=float)
        return expit(self.lambda_ * np.exp(-self.beta / 2) + np.exp(-self.beta) * logit(f))

    def as_dict(self) -> dict[str, float]:
        """Plain dict with mada/Harbord names."""
        return {
            "Theta": self.theta,
            "Lambda": self.lambda_,
            "beta": self.beta,
            "sigma2theta": self.sigma2_theta,
            "sigma2alpha": self.sigma2_alpha,
        }


def hsroc_parameters(fit: BivariateFit) -> HSROC:
    """HSROC parameters of an intercept-only bivariate fit (Harbord et al. 2007)."""
    if fit.q != 1:
        raise AnalysisError("an SROC curve is defined for a fit without covariates")
    t1, t2 = fit.tau_sens, fit.tau_fpr
    if t1 <= 1e-8 or t2 <= 1e-8:
        raise AnalysisError(
            "a between-study SD is zero, so the Rutter-Gatsonis SROC slope is undefined"
        )
    mu1, mu2 = float(fit.beta[0]), float(fit.beta[1])
    cov = float(fit.sigma[0, 1])
    r = np.sqrt(t2 / t1)
    return HSROC(
        theta=0.5 * (r * mu1 + mu2 / r),
        lambda_=r * mu1 - mu2 / r,
        beta=float(np.log(t2 / t1)),
        sigma2_theta=0.5 * (t1 * t2 + cov),
        sigma2_alpha=2.0 * (t1 * t2 - cov),
    )


def grid_auc(curve: HSROC, fpr: np.ndarray) -> float:
    """Area under the curve on a grid, mada's convention ``(s1/2 + ... + sn/2) / n``."""
    fpr = np.asarray(fpr, dtype=float)
    if fpr.size < 10:
        raise AnalysisError("give at least 10 FPR grid points for an AUC")
    s = curve.sensitivity(fpr)
    return float((s[0] / 2 + s[1:-1].sum() + s[-1] / 2) / s.size)


@dataclass(frozen=True)
class AUCResult:
    """AUC figures of an SROC curve."""

    auc: float
    partial_auc: float
    fpr_range: tuple[float, float]
    auc_integral: float


def sroc_auc(fit: BivariateFit, observed_fpr: np.ndarray) -> AUCResult:
    """AUC (grid 0.01..0.99), partial AUC over ``observed_fpr``'s range, and exact integral.

    Args:
        fit: intercept-only bivariate fit.
        observed_fpr: the studies' raw (uncorrected) false-positive rates.
    """
    curve = hsroc_parameters(fit)
    lo = max(0.01, float(np.min(observed_fpr)))
    hi = min(0.99, float(np.max(observed_fpr)))
    if hi <= lo:
        raise AnalysisError("all studies share one false-positive rate; no partial AUC")
    auc = grid_auc(curve, DEFAULT_FPR_GRID)
    pauc = grid_auc(curve, np.linspace(lo, hi, 99))
    exact = integrate.quad(lambda f: float(curve.sensitivity(f)), 0.0, 1.0, limit=200)[0]
    return AUCResult(auc=auc, partial_auc=pauc, fpr_range=(lo, hi), auc_integral=float(exact))
