"""Rule-based grades: each threshold from both sides, probabilities and review flags."""

from __future__ import annotations

import pytest

from spinepath.grade.ordinal import band_probabilities, ordinal_grade
from spinepath.grade.rules import criteria, grade_from_rule, vertebral_height_loss_pct


def test_every_criterion_has_a_source() -> None:
    for name, entry in criteria().items():
        if name == "version":
            continue
        assert entry.get("source"), f"{name} lacks a source"
        assert len(entry["grades"]) == len(entry["bounds"]) + 1


@pytest.mark.parametrize(
    ("rule", "value", "grade"),
    [
        ("meyerding", 2.0, 0),
        ("meyerding", 10.0, 1),
        ("meyerding", 30.0, 2),
        ("meyerding", 60.0, 3),
        ("meyerding", 90.0, 4),
        ("meyerding", 120.0, 5),
        ("genant", 10.0, 0),
        ("genant", 22.5, 1),
        ("genant", 32.0, 2),
        ("genant", 55.0, 3),
        ("central_stenosis_ap", 14.0, 0),
        ("central_stenosis_ap", 11.0, 1),
        ("central_stenosis_ap", 7.0, 2),
        ("central_stenosis_dsca", 130.0, 0),
        ("central_stenosis_dsca", 88.0, 1),
        ("central_stenosis_dsca", 50.0, 2),
        ("goutallier", 2.0, 0),
        ("goutallier", 15.0, 1),
        ("goutallier", 35.0, 2),
        ("goutallier", 50.0, 3),
        ("goutallier", 70.0, 4),
    ],
)
def test_rule_grades(rule: str, value: float, grade: int) -> None:
    assert grade_from_rule(rule, value).value == grade


def test_value_on_a_bound_is_split_and_flagged() -> None:
    g = grade_from_rule("meyerding", 25.0)
    assert g.probabilities["1"] == pytest.approx(0.5, abs=0.01)
    assert g.probabilities["2"] == pytest.approx(0.5, abs=0.01)
    assert g.low_confidence
    far = grade_from_rule("meyerding", 37.5)
    assert far.value == 2 and not far.low_confidence


def test_band_probabilities_sum_to_one_and_reject_bad_input() -> None:
    assert sum(band_probabilities(3.0, [1, 2, 5], 1.0)) == pytest.approx(1.0)
    with pytest.raises(ValueError):
        band_probabilities(1.0, [2, 1], 1.0)
    with pytest.raises(ValueError):
        band_probabilities(1.0, [1], 0.0)
    with pytest.raises(ValueError, match="need 3 grades"):
        ordinal_grade("x", 1.0, [1, 2], [0, 1], 1.0, based_on=[], method="")


def test_height_loss() -> None:
    ms = {
        "vertebral_height_anterior_mm": 15.0,
        "vertebral_height_middle_mm": 22.0,
        "vertebral_height_posterior_mm": 25.0,
    }
    assert vertebral_height_loss_pct(ms) == pytest.approx(40.0)
    assert vertebral_height_loss_pct(ms, neighbour_posterior_mm=50.0) == pytest.approx(50.0)
    assert vertebral_height_loss_pct({}) is None
