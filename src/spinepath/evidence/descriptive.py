"""Per-study descriptive statistics: proportions with Wilson intervals and the correlation of
sensitivities with false-positive rates.

* Wilson score interval (Wilson EB, J Am Stat Assoc 1927;22:209-212), applied to the
  (continuity-corrected) counts, which may be non-integer.
* Pearson correlation of sensitivities and false-positive rates with a Fisher-z interval
  ``tanh(atanh(r) +- z / sqrt(k - 3))``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats


def wilson_interval(
    successes: np.ndarray | float, trials: np.ndarray | float, level: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval ``(low, high)`` of ``successes / trials`` (arrays broadcast)."""
    x = np.asarray(successes, dtype=float)
    n = np.asarray(trials, dtype=float)
    zc = float(stats.norm.ppf(0.5 + level / 2))
    p = x / n
    centre = (x + zc**2 / 2) / (n + zc**2)
    half = zc * np.sqrt(n) / (n + zc**2) * np.sqrt(p * (1 - p) + zc**2 / (4 * n))
    return np.clip(centre - half, 0.0, 1.0), np.clip(centre + half, 0.0, 1.0)


@dataclass(frozen=True)
class StudyAccuracy:
    """Per-study sensitivity, specificity and false-positive rate with Wilson intervals."""

    sensitivity: np.ndarray
    sensitivity_ci: tuple[np.ndarray, np.ndarray]
    specificity: np.ndarray
    specificity_ci: tuple[np.ndarray, np.ndarray]
    false_positive_rate: np.ndarray
    false_positive_rate_ci: tuple[np.ndarray, np.ndarray]


def study_accuracy(counts: np.ndarray, level: float = 0.95) -> StudyAccuracy:
    """Per-study accuracy of (corrected) counts ``(k, 4)``."""
    tp, fn, fp, tn = np.asarray(counts, dtype=float).T
    sens_ci = wilson_interval(tp, tp + fn, level)
    spec_ci = wilson_interval(tn, fp + tn, level)
    fpr_ci = wilson_interval(fp, fp + tn, level)
    return StudyAccuracy(
        sensitivity=tp / (tp + fn),
        sensitivity_ci=sens_ci,
        specificity=tn / (fp + tn),
        specificity_ci=spec_ci,
        false_positive_rate=fp / (fp + tn),
        false_positive_rate_ci=fpr_ci,
    )


def correlation_sens_fpr(counts: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Pearson correlation of study sensitivities and FPRs with its Fisher-z interval."""
    acc = study_accuracy(counts, level)
    k = len(acc.sensitivity)
    r = float(np.corrcoef(acc.sensitivity, acc.false_positive_rate)[0, 1])
    if k <= 3 or not np.isfinite(r) or abs(r) >= 1:
        return r, float("nan"), float("nan")
    zc = float(stats.norm.ppf(0.5 + level / 2))
    half = zc / np.sqrt(k - 3)
    return r, float(np.tanh(np.arctanh(r) - half)), float(np.tanh(np.arctanh(r) + half))
