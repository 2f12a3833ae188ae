"""Priors, shrinkage, root rules and the incidental label."""

from __future__ import annotations

import math

import pytest

from spinepath.model.clinical import ClinicalHistory
from spinepath.reasoning.concordance import (
    prevalence,
    probability_of_causation,
    shrunk_odds_ratio,
)
from spinepath.reasoning.roots import roots_for_zone, symptom_roots
from tests.reasoning.helpers import ACUTE, RADICULAR, run, with_


def test_prevalence_interpolates_brinjikji_by_age() -> None:
    assert prevalence("bulge", 40)[0] == pytest.approx(0.50)
    assert prevalence("bulge", 45)[0] == pytest.approx(0.55)
    assert prevalence("bulge", 15)[0] == pytest.approx(0.30)  # clamped at 20
    assert prevalence("extrusion", 60)[0] == pytest.approx(0.01)
    assert prevalence("facet_degeneration", 80)[0] > prevalence("facet_degeneration", 30)[0]


def test_probability_of_causation_sides_of_or_one() -> None:
    assert probability_of_causation(0.3, 1.0) == 0.0
    assert probability_of_causation(0.3, 0.8) == 0.0
    p = probability_of_causation(0.3, 3.0)
    o1 = 3.0 * 0.3 / 0.7
    assert p == pytest.approx(1 - 0.3 / (o1 / (1 + o1)))
    # common findings are weaker evidence than rare ones at the same odds ratio
    assert probability_of_causation(0.8, 3.0) < probability_of_causation(0.05, 3.0)


def test_shrinkage_pulls_wide_intervals_harder() -> None:
    narrow = shrunk_odds_ratio(2.65, (1.52, 4.62))
    wide = shrunk_odds_ratio(7.54, (1.28, 44.56))
    assert 1 < narrow < 2.65 and 1 < wide < 7.54
    assert math.log(wide) / math.log(7.54) < math.log(narrow) / math.log(2.65)


@pytest.mark.parametrize(("level", "zone", "expected"), [
    ("L4-L5", "left_subarticular", [("L5", "left")]),
    ("L4-L5", "right_paracentral", [("L5", "right")]),
    ("L4-L5", "left_foraminal", [("L4", "left")]),
    ("L5-S1", "right_extraforaminal", [("L5", "right")]),
    ("L5-S1", "central", [("S1", "left"), ("S1", "right")]),
    ("L3-L4", "left_subarticular", [("L4", "left")]),
])
def test_zone_root_rule(level: str, zone: str, expected: list) -> None:
    assert roots_for_zone(level, zone) == expected


def test_symptom_roots_from_regions_muscles_reflexes() -> None:
    c = ClinicalHistory.model_validate({
        "leg_pain": {"side": "left", "distribution": ["posterolateral thigh", "great toe"]},
        "neuro": {"weakness": [{"muscle": "plantar flexors", "side": "right"}],
                  "reflexes": {"patellar_left": "reduced", "achilles_right": "normal"}},
    })
    roots = symptom_roots(c)
    assert roots.region_score[("L5", "left")] == 2.0
    assert ("S1", "right") in roots.deficit
    assert ("L4", "left") in roots.deficit
    assert ("S1", "left") not in roots.deficit


def test_concordant_herniation_outranks_common_bulge() -> None:
    case = with_(RADICULAR, **{"imaging.levels.L5-S1": {"disc": {"bulge": True}}})
    r = run(case)
    top, *rest = r.pain_generators
    assert (top.level, top.finding) == ("L4-L5", "extrusion")
    bulge = next(s for s in rest if s.finding == "bulge")
    assert bulge.incidental and bulge.probability < top.probability
    assert "root_same_side" in top.likelihood_ratios


def test_incidental_needs_discordance() -> None:
    # acute axial pain: a bulge is discordant and common -> incidental
    assert any(i.finding == "bulge" for i in run(ACUTE).incidental)
    # chronic axial pain without facet/SIJ signs: the same bulge concords -> not incidental
    chronic = with_(ACUTE, **{"clinical.duration_weeks": 30,
                              "clinical.conservative_care_weeks": 20})
    assert not any(i.finding == "bulge" for i in run(chronic).incidental)


def test_rare_finding_not_incidental() -> None:
    case = with_(ACUTE, **{"imaging.levels.L4-L5.disc": {"herniation": {
        "type": "extrusion", "zone": "central"}}})
    assert not any(i.finding == "extrusion" for i in run(case).incidental)


def test_every_conclusion_has_reasons() -> None:
    r = run(RADICULAR)
    assert r.triage_reasons and r.phenotypes[0].reasons
    assert all(s.reasons for s in r.pain_generators)
    assert all(any(x.source for x in s.reasons) for s in r.next_steps)
