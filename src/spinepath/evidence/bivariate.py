"""Bivariate random-effects model of Reitsma et al. (2005) with meta-regression.

Model (Reitsma JB et al., J Clin Epidemiol 2005;58:982-990): for study ``i`` the pair
``y_i = (logit sens_i, logit fpr_i)`` is bivariate normal,

    y_i ~ N(X_i beta, Sigma + S_i),

with ``S_i = diag(1/TP + 1/FN, 1/FP + 1/TN)`` the within-study (delta-method) variances of the
logits, ``Sigma = [[tau_sens^2, rho tau_sens tau_fpr], [., tau_fpr^2]]`` the between-study
covariance, and ``X_i = I_2 (x) z_i^T`` so that sensitivity and false-positive rate each get their
own coefficient for every covariate in ``z_i`` (intercept first).

``beta`` is profiled out by generalised least squares; ``Sigma`` is found by maximising the
restricted (REML, default) or full (ML) log-likelihood with scipy.optimize over an unconstrained
Cholesky factor of ``Sigma`` (so the boundary cases tau = 0 and |rho| = 1 stay reachable).

The reported log-likelihood follows the convention of the R package mada (whose published
outputs the tests reproduce): the Gaussian (RE)ML log-likelihood of the logits **plus the
log-Jacobian of the logit transforms**, ``sum_i -log(sens_i (1 - sens_i)) - log(fpr_i (1 -
fpr_i))``, i.e. the density of the observed proportions. AIC and BIC count ``2q + 3`` parameters
and ``2k`` observations.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import optimize, stats
from scipy.special import expit

from spinepath.errors import AnalysisError, InputError
from spinepath.evidence.data import CorrectionControl, StudyTable, require_studies
from spinepath.evidence.design import design_matrix

Method = Literal["reml", "ml"]


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its confidence interval (same units as the estimate)."""

    estimate: float
    ci_low: float
    ci_high: float

    def as_dict(self) -> dict[str, float]:
        """``{estimate, ci_low, ci_high}``."""
        return {"estimate": self.estimate, "ci_low": self.ci_low, "ci_high": self.ci_high}


@dataclass(frozen=True)
class Coefficient:
    """One fixed-effect coefficient on the logit scale."""

    outcome: str  # "sensitivity" or "false_positive_rate"
    term: str  # "(Intercept)" or a covariate column
    estimate: float
    se: float
    z: float
    p_value: float
    ci_low: float
    ci_high: float


@dataclass(frozen=True)
class BivariateFit:
    """Result of :func:`fit_bivariate`.

    Attributes:
        beta: fixed effects, sensitivity terms first then false-positive-rate terms (logit scale).
        vcov: their covariance matrix.
        terms: names of the ``q`` design columns (intercept first).
        sigma: between-study covariance matrix ``Sigma`` of (logit sens, logit fpr).
        loglik: (RE)ML log-likelihood including the logit Jacobian (mada convention).
        loglik_logit: the same without the Jacobian (likelihood of the logits).
        n_params: ``2q + 3``.
        n_obs: ``2k``.
        method: "reml" or "ml".
        k: number of studies.
        converged: optimiser status.
        counts: the corrected counts the model was fitted on.
        level: confidence level of all intervals.
    """

    beta: np.ndarray
    vcov: np.ndarray
    terms: tuple[str, ...]
    sigma: np.ndarray
    loglik: float
    loglik_logit: float
    n_params: int
    n_obs: int
    method: str
    k: int
    converged: bool
    counts: np.ndarray
    level: float = 0.95

    @property
    def q(self) -> int:
        """Number of design columns per outcome."""
        return len(self.terms)

    @property
    def tau_sens(self) -> float:
        """Between-study SD of logit sensitivity."""
        return float(np.sqrt(self.sigma[0, 0]))

    @property
    def tau_fpr(self) -> float:
        """Between-study SD of logit false-positive rate."""
        return float(np.sqrt(self.sigma[1, 1]))

    @property
    def rho(self) -> float:
        """Between-study correlation of logit sensitivity and logit false-positive rate."""
        denom = self.tau_sens * self.tau_fpr
        return float(self.sigma[0, 1] / denom) if denom > 0 else 0.0

    @property
    def aic(self) -> float:
        """Akaike information criterion, ``-2 loglik + 2 n_params``."""
        return -2.0 * self.loglik + 2.0 * self.n_params

    @property
    def bic(self) -> float:
        """Bayesian information criterion, ``-2 loglik + n_params log(n_obs)``."""
        return -2.0 * self.loglik + self.n_params * float(np.log(self.n_obs))

    @property
    def z_crit(self) -> float:
        """Normal quantile for the confidence level."""
        return float(stats.norm.ppf(0.5 + self.level / 2.0))

    def coefficients(self) -> list[Coefficient]:
        """The fixed-effect table (logit scale), Wald z tests and intervals."""
        se = np.sqrt(np.diag(self.vcov))
        out = []
        for idx, (b, s) in enumerate(zip(self.beta, se, strict=True)):
            outcome = "sensitivity" if idx < self.q else "false_positive_rate"
            z = b / s if s > 0 else float("nan")
            out.append(
                Coefficient(
                    outcome=outcome,
                    term=self.terms[idx % self.q],
                    estimate=float(b),
                    se=float(s),
                    z=float(z),
                    p_value=float(2.0 * stats.norm.sf(abs(z))),
                    ci_low=float(b - self.z_crit * s),
                    ci_high=float(b + self.z_crit * s),
                )
            )
        return out

    def logit_summary(self, outcome: str) -> Estimate:
        """Intercept (covariates at zero / reference level) of one outcome on the logit scale."""
        idx = 0 if outcome == "sensitivity" else self.q
        b, s = float(self.beta[idx]), float(np.sqrt(self.vcov[idx, idx]))
        return Estimate(b, b - self.z_crit * s, b + self.z_crit * s)

    def summary(self, outcome: str) -> Estimate:
        """Summary sensitivity or false-positive rate (proportion) with its interval."""
        e = self.logit_summary(outcome)
        return Estimate(float(expit(e.estimate)), float(expit(e.ci_low)), float(expit(e.ci_high)))


def _logit_data(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    tp, fn, fp, tn = counts.T
    y = np.column_stack([np.log(tp / fn), np.log(fp / tn)])
    s = np.zeros((len(tp), 2, 2))
    s[:, 0, 0] = 1.0 / tp + 1.0 / fn
    s[:, 1, 1] = 1.0 / fp + 1.0 / tn
    return y, s


def _sigma_from(par: np.ndarray) -> np.ndarray:
    lower = np.array([[par[0], 0.0], [par[1], par[2]]])
    return lower @ lower.T


class _Likelihood:
    """Profile (RE)ML log-likelihood of Sigma with beta by GLS."""

    def __init__(self, y: np.ndarray, s: np.ndarray, z: np.ndarray, method: Method) -> None:
        self.y, self.s, self.method = y, s, method
        k, q = z.shape
        self.x = np.zeros((k, 2, 2 * q))
        self.x[:, 0, :q] = z
        self.x[:, 1, q:] = z
        self.n, self.p = 2 * k, 2 * q

    def parts(self, sigma: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        v = self.s + sigma
        sign, logdet = np.linalg.slogdet(v)
        if np.any(sign <= 0):
            return -np.inf, np.zeros(self.p), np.eye(self.p)
        vinv = np.linalg.inv(v)
        xtvx = np.einsum("kai,kab,kbj->ij", self.x, vinv, self.x)
        xtvy = np.einsum("kai,kab,kb->i", self.x, vinv, self.y)
        try:
            chol = np.linalg.cholesky(xtvx)
        except np.linalg.LinAlgError:
            return -np.inf, np.zeros(self.p), np.eye(self.p)
        beta = np.linalg.solve(xtvx, xtvy)
        res = self.y - np.einsum("kai,i->ka", self.x, beta)
        quad = float(np.einsum("ka,kab,kb->", res, vinv, res))
        ll = -0.5 * (float(logdet.sum()) + quad)
        if self.method == "reml":
            ll += -float(np.log(np.diag(chol)).sum()) - 0.5 * (self.n - self.p) * np.log(2 * np.pi)
        else:
            ll += -0.5 * self.n * np.log(2 * np.pi)
        return ll, beta, np.linalg.inv(xtvx)

    def negative(self, par: np.ndarray) -> float:
        ll = self.parts(_sigma_from(par))[0]
        return 1e300 if not np.isfinite(ll) else -ll


def _start(y: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Method-of-moments start: observed covariance minus mean within-study variance."""
    cov = np.cov(y.T) if len(y) > 1 else np.eye(2)
    cov = cov - np.diag(s.mean(axis=0).diagonal())
    cov[0, 0] = max(cov[0, 0], 0.05)
    cov[1, 1] = max(cov[1, 1], 0.05)
    lim = 0.9 * np.sqrt(cov[0, 0] * cov[1, 1])
    cov[0, 1] = cov[1, 0] = float(np.clip(cov[0, 1], -lim, lim))
    chol = np.linalg.cholesky(cov)
    return np.array([chol[0, 0], chol[1, 0], chol[1, 1]])


def fit_bivariate(
    table: StudyTable,
    *,
    covariates: Sequence[str] = (),
    method: Method = "reml",
    correction: float = 0.5,
    correction_control: CorrectionControl = "all",
    level: float = 0.95,
) -> BivariateFit:
    """Fit the Reitsma bivariate random-effects model (with optional meta-regression).

    Args:
        table: the studies (raw counts).
        covariates: study-table columns for meta-regression (numeric, or text = categorical).
        method: ``"reml"`` (default) or ``"ml"``.
        correction: continuity correction added to cells (see :mod:`spinepath.evidence.data`).
        correction_control: ``"all"``, ``"single"`` or ``"none"``.
        level: confidence level of the intervals.

    Raises:
        InputError: fewer than 3 studies, or too few studies for the regression.
        AnalysisError: the likelihood could not be maximised.
    """
    if method not in ("reml", "ml"):
        raise InputError(f"method must be 'reml' or 'ml', got {method!r}")
    if not 0.0 < level < 1.0:
        raise InputError(f"confidence level must lie in (0, 1), got {level}")
    require_studies(table)
    z, terms = design_matrix(table.covariates, covariates, table.k)
    q = z.shape[1]
    if 2 * table.k <= 2 * q + 3:
        raise InputError(
            f"{table.k} studies cannot support {q - 1} covariate term(s): the model has "
            f"{2 * q + 3} parameters from {2 * table.k} logits; drop covariates or add studies"
        )
    counts = table.corrected(correction, correction_control)
    y, s = _logit_data(counts)
    lik = _Likelihood(y, s, z, method)

    best: optimize.OptimizeResult | None = None
    starts = [_start(y, s), np.array([0.5, 0.0, 0.5]), np.array([1.0, 0.5, 0.5])]
    for x0 in starts:
        res = optimize.minimize(
            lik.negative,
            x0,
            method="Nelder-Mead",
            options={"xatol": 1e-9, "fatol": 1e-12, "maxiter": 20000, "maxfev": 40000},
        )
        res = optimize.minimize(lik.negative, res.x, method="BFGS", options={"gtol": 1e-9})
        if best is None or res.fun < best.fun:
            best = res
    assert best is not None
    if not np.isfinite(best.fun) or best.fun >= 1e299:
        raise AnalysisError("the bivariate likelihood could not be evaluated; check the counts")
    sigma = _sigma_from(best.x)
    ll, beta, vcov = lik.parts(sigma)

    sens = counts[:, 0] / (counts[:, 0] + counts[:, 1])
    fpr = counts[:, 2] / (counts[:, 2] + counts[:, 3])
    log_jacobian = float(-np.sum(np.log(sens * (1 - sens))) - np.sum(np.log(fpr * (1 - fpr))))
    return BivariateFit(
        beta=beta,
        vcov=vcov,
        terms=tuple(terms),
        sigma=sigma,
        loglik=ll + log_jacobian,
        loglik_logit=ll,
        n_params=2 * q + 3,
        n_obs=2 * table.k,
        method=method,
        k=table.k,
        converged=bool(best.success) or np.linalg.norm(getattr(best, "jac", [0.0])) < 1e-4,
        counts=counts,
        level=level,
    )
