"""Ordinal grades from a continuous measurement with known measurement error.

A grade is a band of a measurement between published bounds. With a Gaussian measurement error of
standard deviation ``sd`` the probability of each band is the mass of N(x, sd) inside it, so a
value near a bound gets split probabilities (and is flagged low-confidence) instead of a hard,
falsely certain grade.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from spinepath.model.findings import Grade

LOW_CONFIDENCE_BELOW = 0.7
"""A grade whose most probable class has less probability than this is flagged for review."""


def _phi(z: float) -> float:
    return 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))


def band_probabilities(value: float, bounds: Sequence[float], sd: float) -> list[float]:
    """Probability of each of ``len(bounds) + 1`` bands (ascending bounds) for N(value, sd)."""
    if sd <= 0:
        raise ValueError(f"measurement sd must be positive, got {sd}")
    if list(bounds) != sorted(bounds):
        raise ValueError(f"bounds must ascend, got {list(bounds)}")
    cdf = [0.0, *(_phi((b - value) / sd) for b in bounds), 1.0]
    return [max(cdf[i + 1] - cdf[i], 0.0) for i in range(len(bounds) + 1)]


def ordinal_grade(
    system: str,
    value: float,
    bounds: Sequence[float],
    grades: Sequence[int],
    sd: float,
    *,
    based_on: list[str],
    method: str,
) -> Grade:
    """A Grade whose classes are ``grades`` for the bands cut by ``bounds``.

    ``grades`` lists the grade of each band from the lowest value up (so a descending scale such
    as canal diameter -> stenosis lists ``[2, 1, 0]``).
    """
    if len(grades) != len(bounds) + 1:
        raise ValueError(f"{system}: {len(bounds)} bounds need {len(bounds) + 1} grades")
    probs = band_probabilities(value, bounds, sd)
    merged: dict[str, float] = {}
    for g, p in zip(grades, probs, strict=True):
        merged[str(g)] = merged.get(str(g), 0.0) + p
    return grade_from_probabilities(system, merged, based_on=based_on, method=method)


def grade_from_probabilities(
    system: str,
    probabilities: dict[str, float],
    *,
    based_on: list[str],
    method: str,
    value: int | None = None,
) -> Grade:
    """A Grade from class probabilities (normalised to sum to one): the most probable class
    unless ``value`` is given, flagged low-confidence below :data:`LOW_CONFIDENCE_BELOW`."""
    total = sum(probabilities.values())
    p = {k: float(v / total) for k, v in probabilities.items()}
    best = str(value) if value is not None else max(p, key=lambda k: p[k])
    return Grade(
        system=system,
        value=int(best),
        probabilities=p,
        based_on=based_on,
        method=method,
        low_confidence=p[best] < LOW_CONFIDENCE_BELOW,
    )
