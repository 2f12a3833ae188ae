"""Performance measures of a binary risk model: discrimination, calibration, clinical utility.

All functions take the observed outcome ``y`` (0/1) and the predicted probability ``p`` of the
event (in [0, 1]); the AUC is a probability (0.5 = chance). ``groups`` (e.g. patient ids) make
the bootstrap resample whole patients, since several discs of one patient are not independent.

References
- DeLong ER, DeLong DM, Clarke-Pearson DL. Biometrics 1988;44:837-845 (variance of correlated
  AUCs from placement values).
- Sun X, Xu W. IEEE Signal Processing Letters 2014;21:1389-1393 (fast DeLong via midranks).
- Cox DR. Biometrika 1958;45:562-565; Van Calster B et al. J Clin Epidemiol 2016;74:167-176
  (calibration slope and intercept, "weak calibration").
- Vickers AJ, Elkin EB. Med Decis Making 2006;26:565-574 (decision curve, net benefit).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from spinepath.errors import InputError

__all__ = [
    "AUCResult",
    "CalibrationResult",
    "DeLongResult",
    "auc",
    "auc_bootstrap_ci",
    "brier_score",
    "calibration",
    "delong_test",
    "delong_variance",
    "net_benefit",
    "paired_bootstrap_auc_difference",
]


def _check_binary(y: np.ndarray) -> np.ndarray:
    y = np.asarray(y).astype(float).ravel()
    if not np.isin(y, (0.0, 1.0)).all():
        raise InputError(f"the outcome must be coded 0/1; got values {sorted(set(y))[:5]}")
    if y.min() == y.max():
        raise InputError(
            "the outcome has only one class in these rows; an AUC needs both events and "
            "non-events"
        )
    return y


def _midrank(x: np.ndarray) -> np.ndarray:
    """Midranks (1-based, ties averaged), as in Sun & Xu 2014."""
    return stats.rankdata(x, method="average")


def auc(y: np.ndarray, p: np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney statistic; ties count one half)."""
    y = _check_binary(y)
    p = np.asarray(p, dtype=float).ravel()
    pos = y == 1
    m, n = int(pos.sum()), int((~pos).sum())
    r = _midrank(p)
    return float((r[pos].sum() - m * (m + 1) / 2.0) / (m * n))


def _structural_components(
    y: np.ndarray, scores: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fast DeLong (Sun & Xu 2014): AUCs, V10 (per positive) and V01 (per negative)
    placement values for each of ``k`` score rows. ``scores`` is k x N."""
    pos = y == 1
    x, z = scores[:, pos], scores[:, ~pos]
    m, n = x.shape[1], z.shape[1]
    k = scores.shape[0]
    tx = np.vstack([_midrank(x[r]) for r in range(k)])
    tz = np.vstack([_midrank(z[r]) for r in range(k)])
    tall = np.vstack([_midrank(scores[r]) for r in range(k)])
    tall_x, tall_z = tall[:, pos], tall[:, ~pos]
    aucs = (tall_x.sum(axis=1) / m - (m + 1) / 2.0) / n
    v10 = (tall_x - tx) / n
    v01 = 1.0 - (tall_z - tz) / m
    return aucs, v10, v01


def delong_variance(y: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """AUCs of ``k`` models on the same rows and their DeLong covariance matrix (k x k).

    ``scores``: array of shape (k, N) or (N,). Rows are assumed independent.
    """
    y = _check_binary(y)
    s = np.atleast_2d(np.asarray(scores, dtype=float))
    if s.shape[1] != y.size:
        raise InputError(f"scores have {s.shape[1]} rows, outcome has {y.size}")
    aucs, v10, v01 = _structural_components(y, s)
    m, n = v10.shape[1], v01.shape[1]
    s10 = np.atleast_2d(np.cov(v10, ddof=1))
    s01 = np.atleast_2d(np.cov(v01, ddof=1))
    return aucs, s10 / m + s01 / n


@dataclass(frozen=True)
class DeLongResult:
    """DeLong comparison of two correlated AUCs (same rows)."""

    auc_a: float
    auc_b: float
    difference: float  # auc_a - auc_b
    se: float
    z: float
    p_value: float  # two-sided
    ci_low: float  # 95% CI of the difference
    ci_high: float


def delong_test(y: np.ndarray, p_a: np.ndarray, p_b: np.ndarray) -> DeLongResult:
    """Two-sided DeLong test of AUC(a) = AUC(b) for two models scored on the same rows."""
    aucs, cov = delong_variance(y, np.vstack([np.ravel(p_a), np.ravel(p_b)]))
    diff = float(aucs[0] - aucs[1])
    var = float(cov[0, 0] + cov[1, 1] - 2.0 * cov[0, 1])
    se = float(np.sqrt(max(var, 0.0)))
    z = diff / se if se > 0.0 else (0.0 if diff == 0 else float(np.sign(diff) * np.inf))
    p = float(2.0 * stats.norm.sf(abs(z)))
    q = stats.norm.ppf(0.975)
    return DeLongResult(float(aucs[0]), float(aucs[1]), diff, se, z, p, diff - q * se,
                        diff + q * se)


@dataclass(frozen=True)
class AUCResult:
    """An AUC with its percentile bootstrap confidence interval."""

    auc: float
    ci_low: float
    ci_high: float
    level: float
    n_boot: int
    n_rows: int
    n_groups: int
    n_events: int


def _cluster_indices(groups: np.ndarray | None, n: int) -> list[np.ndarray]:
    if groups is None:
        return [np.array([i]) for i in range(n)]
    _, inv = np.unique(np.asarray(groups).astype(str), return_inverse=True)
    return [np.flatnonzero(inv == g) for g in range(inv.max() + 1)]


def _bootstrap_rows(clusters: list[np.ndarray], rng: np.random.Generator) -> np.ndarray:
    pick = rng.integers(0, len(clusters), size=len(clusters))
    return np.concatenate([clusters[i] for i in pick])


def auc_bootstrap_ci(
    y: np.ndarray,
    p: np.ndarray,
    *,
    groups: np.ndarray | None = None,
    n_boot: int = 2000,
    level: float = 0.95,
    seed: int = 0,
) -> AUCResult:
    """AUC with a percentile bootstrap CI; with ``groups`` whole groups (patients) are
    resampled. Resamples holding one class only are skipped (redrawn)."""
    y = _check_binary(y)
    p = np.asarray(p, dtype=float).ravel()
    clusters = _cluster_indices(groups, y.size)
    rng = np.random.default_rng(seed)
    boots: list[float] = []
    tries = 0
    while len(boots) < n_boot and tries < 20 * n_boot:
        tries += 1
        idx = _bootstrap_rows(clusters, rng)
        yy = y[idx]
        if yy.min() == yy.max():
            continue
        boots.append(auc(yy, p[idx]))
    alpha = (1.0 - level) / 2.0
    lo, hi = np.quantile(boots, [alpha, 1.0 - alpha])
    return AUCResult(auc(y, p), float(lo), float(hi), level, len(boots), int(y.size),
                     len(clusters), int(y.sum()))


def paired_bootstrap_auc_difference(
    y: np.ndarray,
    p_a: np.ndarray,
    p_b: np.ndarray,
    *,
    groups: np.ndarray | None = None,
    n_boot: int = 2000,
    seed: int = 0,
) -> tuple[float, float, float, float]:
    """AUC(a) - AUC(b) with a 95% cluster-bootstrap CI and a two-sided bootstrap p-value
    (share of resampled differences on the other side of zero, doubled). Complements DeLong
    when rows are clustered within patients. Returns (difference, low, high, p)."""
    y = _check_binary(y)
    pa, pb = np.ravel(p_a).astype(float), np.ravel(p_b).astype(float)
    clusters = _cluster_indices(groups, y.size)
    rng = np.random.default_rng(seed)
    diffs: list[float] = []
    while len(diffs) < n_boot:
        idx = _bootstrap_rows(clusters, rng)
        if y[idx].min() == y[idx].max():
            continue
        diffs.append(auc(y[idx], pa[idx]) - auc(y[idx], pb[idx]))
    d = np.asarray(diffs)
    est = auc(y, pa) - auc(y, pb)
    p = float(min(1.0, 2.0 * min((d <= 0).mean(), (d >= 0).mean())))
    lo, hi = np.quantile(d, [0.025, 0.975])
    return float(est), float(lo), float(hi), p


def brier_score(y: np.ndarray, p: np.ndarray) -> float:
    """Mean squared difference between outcome (0/1) and predicted probability."""
    y = np.asarray(y, dtype=float).ravel()
    p = np.asarray(p, dtype=float).ravel()
    return float(np.mean((p - y) ** 2))


@dataclass(frozen=True)
class CalibrationResult:
    """Logistic recalibration of predictions: ideal slope 1, ideal intercept 0.

    ``intercept`` is calibration-in-the-large (intercept with logit(p) as an offset);
    ``slope`` is the coefficient of logit(p) when it is the only predictor. Observed/expected
    is the ratio of event rate to mean predicted risk.
    """

    slope: float
    slope_ci: tuple[float, float]
    intercept: float
    intercept_ci: tuple[float, float]
    observed_expected: float


def _logit(p: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    p = np.clip(p, eps, 1.0 - eps)
    return np.log(p / (1.0 - p))


def _fit_logistic(
    X: np.ndarray, y: np.ndarray, offset: np.ndarray, max_iter: int = 100
) -> tuple[np.ndarray, np.ndarray]:
    """Unpenalised logistic regression by Newton-Raphson; returns (beta, covariance)."""
    beta = np.zeros(X.shape[1])
    for _ in range(max_iter):
        eta = X @ beta + offset
        mu = 1.0 / (1.0 + np.exp(-eta))
        w = mu * (1.0 - mu)
        grad = X.T @ (y - mu)
        hess = X.T @ (X * w[:, None])
        step = np.linalg.solve(hess, grad)
        beta = beta + step
        if np.max(np.abs(step)) < 1e-10:
            break
    mu = 1.0 / (1.0 + np.exp(-(X @ beta + offset)))
    hess = X.T @ (X * (mu * (1.0 - mu))[:, None])
    return beta, np.linalg.inv(hess)


def calibration(y: np.ndarray, p: np.ndarray) -> CalibrationResult:
    """Calibration slope and intercept (with Wald 95% CIs) of predicted probabilities."""
    y = _check_binary(y)
    lp = _logit(np.asarray(p, dtype=float).ravel())
    ones = np.ones((y.size, 1))
    q = stats.norm.ppf(0.975)
    b, cov = _fit_logistic(np.hstack([ones, lp[:, None]]), y, np.zeros(y.size))
    slope, se_s = float(b[1]), float(np.sqrt(cov[1, 1]))
    b0, cov0 = _fit_logistic(ones, y, lp)
    icpt, se_i = float(b0[0]), float(np.sqrt(cov0[0, 0]))
    oe = float(y.mean() / np.mean(p))
    return CalibrationResult(slope, (slope - q * se_s, slope + q * se_s), icpt,
                             (icpt - q * se_i, icpt + q * se_i), oe)


def net_benefit(y: np.ndarray, p: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """Net benefit of treating when ``p >= t`` for each threshold probability ``t``:
    TP/N - FP/N * t / (1 - t) (Vickers & Elkin 2006). Thresholds must lie in [0, 1)."""
    y = np.asarray(y, dtype=float).ravel()
    p = np.asarray(p, dtype=float).ravel()
    t = np.asarray(thresholds, dtype=float)
    if (t < 0).any() or (t >= 1).any():
        raise InputError("decision-curve thresholds must lie in [0, 1)")
    n = y.size
    treat = p[None, :] >= t[:, None]
    tp = (treat & (y[None, :] == 1)).sum(axis=1)
    fp = (treat & (y[None, :] == 0)).sum(axis=1)
    return tp / n - fp / n * t / (1.0 - t)
