"""Univariate pooling of the diagnostic odds ratio (DOR).

* DerSimonian & Laird (Control Clin Trials 1986;7:177-188) random-effects pooling of the log DOR
  ``log(TP TN / (FN FP))`` with within-study variance ``1/TP + 1/FN + 1/FP + 1/TN``; moment
  estimate of tau^2 from Cochran's Q; Higgins & Thompson (Stat Med 2002;21:1539-1558)
  ``I^2 = (Q - df) / Q``, truncated at 0.
  Two Q statistics are reported: the classical Cochran Q with fixed-effect (inverse within-study
  variance) weights, which drives the DerSimonian-Laird tau^2, and ``q_random``, the same sum with
  the random-effects weights ``1/(v_i + tau^2)`` around the pooled estimate, which is what the R
  package mada's ``madauni`` prints as "Cochran's Q" (and its I^2). Both are chi^2 on k-1 df.
* Mantel-Haenszel fixed-effect DOR ``sum(TP TN / n) / sum(FN FP / n)`` (Mantel & Haenszel 1959).

Counts are the continuity-corrected ones (see :mod:`spinepath.evidence.data`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats


@dataclass(frozen=True)
class DORResult:
    """DerSimonian-Laird pooled diagnostic odds ratio (dimensionless)."""

    log_dor: float
    log_dor_ci: tuple[float, float]
    dor: float
    dor_ci: tuple[float, float]
    tau2: float
    q: float
    df: int
    q_p_value: float
    i2: float  # fraction in [0, 1], from q
    q_random: float
    q_random_p_value: float
    i2_random: float  # fraction in [0, 1], from q_random
    mantel_haenszel_dor: float

    def as_dict(self) -> dict[str, object]:
        """JSON-ready dict (I^2 also given in percent)."""
        return {
            "dor": {"estimate": self.dor, "ci_low": self.dor_ci[0], "ci_high": self.dor_ci[1]},
            "log_dor": {
                "estimate": self.log_dor,
                "ci_low": self.log_dor_ci[0],
                "ci_high": self.log_dor_ci[1],
            },
            "tau2": self.tau2,
            "cochran_q": self.q,
            "df": self.df,
            "q_p_value": self.q_p_value,
            "i2_percent": 100.0 * self.i2,
            "cochran_q_random_weights": self.q_random,
            "q_random_weights_p_value": self.q_random_p_value,
            "i2_random_weights_percent": 100.0 * self.i2_random,
            "mantel_haenszel_dor": self.mantel_haenszel_dor,
        }


def pooled_dor(counts: np.ndarray, *, level: float = 0.95) -> DORResult:
    """DerSimonian-Laird log-DOR pooling and the Mantel-Haenszel DOR of corrected ``counts``."""
    tp, fn, fp, tn = np.asarray(counts, dtype=float).T
    y = np.log(tp * tn / (fn * fp))
    v = 1 / tp + 1 / fn + 1 / fp + 1 / tn
    w = 1 / v
    fixed = float(np.sum(w * y) / np.sum(w))
    q = float(np.sum(w * (y - fixed) ** 2))
    df = len(y) - 1
    denom = float(np.sum(w) - np.sum(w**2) / np.sum(w))
    tau2 = max(0.0, (q - df) / denom) if denom > 0 else 0.0
    wr = 1 / (v + tau2)
    mu = float(np.sum(wr * y) / np.sum(wr))
    se = float(np.sqrt(1 / np.sum(wr)))
    zc = float(stats.norm.ppf(0.5 + level / 2))
    lo, hi = mu - zc * se, mu + zc * se
    q_re = float(np.sum(wr * (y - mu) ** 2))
    n = tp + fn + fp + tn
    mh = float(np.sum(tp * tn / n) / np.sum(fn * fp / n))
    return DORResult(
        log_dor=mu,
        log_dor_ci=(lo, hi),
        dor=float(np.exp(mu)),
        dor_ci=(float(np.exp(lo)), float(np.exp(hi))),
        tau2=tau2,
        q=q,
        df=df,
        q_p_value=float(stats.chi2.sf(q, df)),
        i2=max(0.0, (q - df) / q) if q > 0 else 0.0,
        q_random=q_re,
        q_random_p_value=float(stats.chi2.sf(q_re, df)),
        i2_random=max(0.0, (q_re - df) / q_re) if q_re > 0 else 0.0,
        mantel_haenszel_dor=mh,
    )
