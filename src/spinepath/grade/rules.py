"""Rule-based grades from measurements, with thresholds read from ``criteria.yaml``."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml

from spinepath.grade.ordinal import ordinal_grade
from spinepath.model.findings import Grade, Measurement


@cache
def criteria() -> dict[str, Any]:
    """The grading criteria file (thresholds with their sources)."""
    text = resources.files("spinepath.grade").joinpath("criteria.yaml").read_text()
    return yaml.safe_load(text)


SYSTEM_NAMES = {
    "meyerding": "Meyerding",
    "genant": "Genant",
    "central_stenosis_ap": "central canal stenosis (AP diameter)",
    "central_stenosis_dsca": "central canal stenosis (dural sac area)",
    "goutallier": "Goutallier",
    "herniation_displacement": "posterior disc displacement",
    "hiz": "high-intensity zone (HIZ)",
    "stir_oedema": "endplate marrow oedema (STIR)",
}


def grade_from_rule(rule: str, value: float, *, measurement_name: str | None = None) -> Grade:
    """Apply one criteria.yaml rule to a measured value."""
    entry = criteria()[rule]
    return ordinal_grade(
        SYSTEM_NAMES.get(rule, rule),
        value,
        entry["bounds"],
        entry["grades"],
        entry["measurement_sd"],
        based_on=[measurement_name or entry["measurement"]],
        method=f"rule {rule}: bounds {entry['bounds']} {entry['unit']} ({entry['source']})",
    )


def vertebral_height_loss_pct(
    measurements: dict[str, float], neighbour_posterior_mm: float | None = None
) -> float | None:
    """Largest height reduction of a body in % (Genant): anterior or middle against posterior,
    or posterior against the mean posterior height of the neighbouring bodies."""
    post = measurements.get("vertebral_height_posterior_mm")
    if not post:
        return None
    losses = []
    for key in ("vertebral_height_anterior_mm", "vertebral_height_middle_mm"):
        if key in measurements:
            losses.append(100.0 * (1.0 - measurements[key] / post))
    if neighbour_posterior_mm:
        losses.append(100.0 * (1.0 - post / neighbour_posterior_mm))
    return max(0.0, max(losses)) if losses else None


def rule_grades_for_level(level: str, ms: list[Measurement]) -> dict[str, Grade]:
    """Every rule grade that the measurements of one level allow (keyed by rule name)."""
    values = {m.name: m.value for m in ms if m.level == level}
    out: dict[str, Grade] = {}
    for rule in (
        "meyerding",
        "central_stenosis_ap",
        "central_stenosis_dsca",
        "goutallier",
        "herniation_displacement",
    ):
        name = criteria()[rule]["measurement"]
        if name in values:
            value = abs(values[name]) if rule == "meyerding" else values[name]
            out[rule] = grade_from_rule(rule, value, measurement_name=name)
    return out
