"""Proportional hazards (Lehmann) model of Holling, Böhning & Böhning (2012).

Each study's ROC curve is assumed to be ``sens = fpr ** theta`` (Lehmann family), so that
``log sens_i = theta_i log fpr_i`` and the area under the SROC curve is ``1 / (1 + theta)``.
(Holling H, Böhning W, Böhning D. Meta-analysis of diagnostic studies based upon SROC-curves: a
mixed model approach using the Lehmann family. Stat Modelling 2012;12:347-375.)

With ``z_i = log sens_i``, ``w_i = log fpr_i`` and their delta-method variances
``s2_i = 1/TP - 1/(TP+FN)`` and ``t2_i = 1/FP - 1/(FP+TN)`` the errors-in-variables normal model
used for the adjusted profile likelihood is

* homogeneity:   ``z_i ~ N(theta w_i, s2_i + theta^2 t2_i)``;
* heterogeneity: ``z_i / w_i ~ N(theta, (s2_i + theta^2 t2_i) / w_i^2 + tau^2)``.

This module maximises these log-likelihoods numerically (scipy.optimize) and reports the
standard error from the outer product of the per-study score vectors (the information estimate
used by the published implementation, mada's ``phm``), with a normal confidence interval.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, stats

from spinepath.errors import AnalysisError


@dataclass(frozen=True)
class PHMResult:
    """Lehmann-model meta-analysis result (theta dimensionless; smaller = more accurate)."""

    theta: float
    theta_se: float
    theta_ci: tuple[float, float]
    tau2: float
    hetero: bool
    loglik: float

    @property
    def auc(self) -> float:
        """Area under the SROC curve ``1/(1+theta)``."""
        return 1.0 / (1.0 + self.theta)

    def as_dict(self) -> dict[str, object]:
        """JSON-ready dict."""
        return {
            "theta": {
                "estimate": self.theta,
                "ci_low": self.theta_ci[0],
                "ci_high": self.theta_ci[1],
            },
            "theta_se": self.theta_se,
            "tau2": self.tau2,
            "heterogeneous": self.hetero,
            "auc": self.auc,
            "loglik": self.loglik,
        }


def _moments(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    tp, fn, fp, tn = np.asarray(counts, dtype=float).T
    z = np.log(tp / (tp + fn))
    w = np.log(fp / (fp + tn))
    s2 = 1.0 / tp - 1.0 / (tp + fn)
    t2 = 1.0 / fp - 1.0 / (fp + tn)
    if np.any(w == 0):
        raise AnalysisError("a study has a false-positive rate of 1; theta is undefined")
    return z, w, s2, t2


def _homogeneous(z: np.ndarray, w: np.ndarray, s2: np.ndarray, t2: np.ndarray) -> PHMResult:
    def loglik(theta: float) -> float:
        var = s2 + theta**2 * t2
        return float(-0.5 * np.sum(np.log(var) + (z - theta * w) ** 2 / var))

    start = float(np.sum(z * w) / np.sum(w**2))
    res = optimize.minimize_scalar(lambda t: -loglik(t), bracket=(0.5 * start, start), tol=1e-12)
    theta = float(res.x)
    var = s2 + theta**2 * t2
    r = z - theta * w
    score = r * w / var + r**2 * theta * t2 / var**2 - theta * t2 / var
    se = float(np.sqrt(1.0 / np.sum(score**2)))
    return PHMResult(theta, se, (np.nan, np.nan), 0.0, False, loglik(theta))


def _heterogeneous(z: np.ndarray, w: np.ndarray, s2: np.ndarray, t2: np.ndarray) -> PHMResult:
    theta_i = z / w

    def within(theta: float) -> np.ndarray:
        return (s2 + theta**2 * t2) / w**2

    def loglik(par: np.ndarray) -> float:
        theta, tau2 = par
        var = within(theta) + tau2
        if np.any(var <= 0):
            return -np.inf
        return float(-0.5 * np.sum(np.log(var) + (theta_i - theta) ** 2 / var))

    def scores(par: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        theta, tau2 = par
        v = 1.0 / (within(theta) + tau2)
        d = theta_i - theta
        dvar = theta * t2 / w**2  # half the derivative of the variance wrt theta
        a = d * v + d**2 * v**2 * dvar - v * dvar
        c = 0.5 * d**2 * v**2 - 0.5 * v
        return a, c

    start = np.array([float(np.median(theta_i)), float(np.var(theta_i))])
    res = optimize.minimize(
        lambda p: -loglik(p),
        start,
        method="L-BFGS-B",
        bounds=[(1e-9, None), (0.0, None)],
        options={"ftol": 1e-15, "gtol": 1e-12},
    )
    par = res.x
    if par[1] > 0:  # interior: polish on the score equations
        root = optimize.root(lambda p: [s.sum() for s in scores(p)], par, tol=1e-14)
        if root.success and root.x[1] > 0 and loglik(root.x) >= loglik(par) - 1e-9:
            par = root.x
    a, c = scores(par)
    info = np.array([[np.sum(a * a), np.sum(a * c)], [np.sum(a * c), np.sum(c * c)]])
    # tau^2 on the boundary: the information of theta alone
    var_theta = float(np.linalg.inv(info)[0, 0]) if par[1] > 0 else float(1.0 / info[0, 0])
    return PHMResult(
        float(par[0]), float(np.sqrt(var_theta)), (np.nan, np.nan), float(par[1]), True, loglik(par)
    )


def fit_phm(counts: np.ndarray, *, hetero: bool = True, level: float = 0.95) -> PHMResult:
    """Fit the Lehmann-family proportional hazards model to corrected 2x2 ``counts`` (k, 4)."""
    z, w, s2, t2 = _moments(counts)
    out = _heterogeneous(z, w, s2, t2) if hetero else _homogeneous(z, w, s2, t2)
    zc = float(stats.norm.ppf(0.5 + level / 2))
    ci = (out.theta - zc * out.theta_se, out.theta + zc * out.theta_se)
    return PHMResult(out.theta, out.theta_se, ci, out.tau2, out.hetero, out.loglik)
