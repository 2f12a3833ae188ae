"""Each rule on both sides of its threshold."""

from __future__ import annotations

import pytest

from spinepath.knowledge import load_optional
from tests.reasoning.helpers import (
    ACUTE,
    FACET,
    FRACTURE,
    RADICULAR,
    SIJ,
    STENOSIS,
    VERTEBROGENIC,
    run,
    with_,
)

# ---- triage ---------------------------------------------------------------------------------

@pytest.mark.parametrize("flag", ["saddle_anesthesia", "bladder_dysfunction",
                                  "bowel_dysfunction"])
def test_cauda_equina_flags_make_it_urgent(flag: str) -> None:
    r = run(with_(RADICULAR, **{"clinical.red_flags": [flag]}))
    assert (r.triage, r.phenotype_primary) == ("urgent", "cauda_equina")
    assert "urgent_referral" in r.procedures()
    assert "conservative_care" not in r.procedures()
    assert "transforaminal_esi" not in r.procedures()


def test_no_red_flag_is_routine() -> None:
    r = run(RADICULAR)
    assert (r.triage, r.phenotype_primary) == ("routine", "radicular")


def test_perineal_sensory_loss_is_cauda_equina() -> None:
    r = run(with_(RADICULAR, **{"clinical.neuro": {"sensory_loss": [
        {"region": "perineum", "side": "bilateral"}]}}))
    assert r.phenotype_primary == "cauda_equina"


def test_progressive_deficit_urgent_but_radicular() -> None:
    r = run(with_(RADICULAR, **{"clinical.red_flags": ["progressive_neurologic_deficit"]}))
    assert r.triage == "urgent" and r.phenotype_primary == "radicular"
    assert r.procedures()[0] == "urgent_referral"


def test_infection_needs_risk_plus_imaging_sign() -> None:
    sign = {"imaging.levels.L4-L5.endplates": {"erosion": True}}
    r = run(with_(RADICULAR, **{"clinical.red_flags": ["iv_drug_use"]}, **sign))
    assert r.phenotype_primary == "infection_red_flag" and r.triage == "urgent"
    r = run(with_(RADICULAR, **{"clinical.red_flags": ["iv_drug_use"]}))
    assert r.phenotype_primary != "infection_red_flag"
    r = run(with_(RADICULAR, **sign))
    assert r.phenotype_primary != "infection_red_flag"


def test_marrow_replacement_is_malignancy() -> None:
    r = run(with_(FACET, **{"imaging.vertebrae": {"L3": {"marrow_replacement": True}}}))
    assert (r.triage, r.phenotype_primary) == ("urgent", "malignancy_red_flag")
    assert r.pain_generator_top["level"] == "L3"
    assert "medial_branch_block" not in r.procedures()


def test_fracture_needs_oedema_to_be_active() -> None:
    r = run(FRACTURE)
    assert (r.triage, r.phenotype_primary) == ("urgent", "osseous_red_flag")
    assert "vertebral_augmentation" in r.procedures()
    healed = with_(FRACTURE, **{"imaging.vertebrae.L1.marrow_edema": False,
                                "clinical.red_flags": []})
    r = run(healed)
    assert r.phenotype_primary != "osseous_red_flag"
    assert "vertebral_augmentation" not in r.procedures()


def test_vertebral_augmentation_not_while_improving() -> None:
    r = run(with_(FRACTURE, **{"clinical.improving": True}))
    assert "vertebral_augmentation" not in r.procedures()
    assert any(d.procedure == "vertebral_augmentation" for d in r.deferred)


def test_vertebral_augmentation_contraindicated_by_coagulopathy() -> None:
    r = run(with_(FRACTURE, **{"clinical.coagulopathy": True}))
    assert "vertebral_augmentation" not in r.procedures()


# ---- imaging appropriateness (ACR) ------------------------------------------------------------

@pytest.mark.parametrize(("weeks", "care", "indicated"), [(5, 1, False), (8, 4, False),
                                                          (8, 6, True)])
def test_imaging_indication_thresholds(weeks: float, care: float, indicated: bool) -> None:
    r = run(with_(ACUTE, **{"clinical.duration_weeks": weeks,
                            "clinical.conservative_care_weeks": care}))
    assert r.imaging_indication.indicated is indicated
    assert ("imaging_not_indicated" in r.flags) is (not indicated)


def test_red_flag_makes_imaging_indicated_when_acute() -> None:
    r = run(with_(FRACTURE, **{"clinical.duration_weeks": 1}))
    assert r.imaging_indication.indicated is True


# ---- radicular ------------------------------------------------------------------------------

def test_tf_esi_four_week_threshold() -> None:
    assert "transforaminal_esi" in run(with_(RADICULAR, **{"clinical.duration_weeks": 4}))\
        .procedures()
    r = run(with_(RADICULAR, **{"clinical.duration_weeks": 3}))
    assert "transforaminal_esi" not in r.procedures()
    assert r.phenotype_primary == "radicular"


def test_tf_esi_targets_traversing_and_exiting_root() -> None:
    step = next(s for s in run(RADICULAR).next_steps if s.procedure == "transforaminal_esi")
    assert (step.root, step.side, step.level) == ("L5", "left", "L4-L5")
    foraminal = with_(RADICULAR, **{
        "clinical.leg_pain.distribution": ["anterior knee", "medial calf", "medial malleolus"],
        "imaging.levels.L4-L5.disc.herniation.zone": "left_foraminal"})
    step = next(s for s in run(foraminal).next_steps if s.procedure == "transforaminal_esi")
    assert (step.root, step.side) == ("L4", "left")


def test_no_radicular_without_below_knee_pain() -> None:
    r = run(with_(RADICULAR, **{"clinical.leg_pain.below_knee": False,
                                "clinical.leg_pain.distribution": ["buttock"],
                                "clinical.slr": {}}))
    assert r.phenotype_primary != "radicular"


def test_wrong_side_imaging_is_discordant() -> None:
    r = run(with_(RADICULAR, **{"imaging.levels.L4-L5.disc.herniation.zone":
                                "right_subarticular"}))
    assert r.phenotype_primary == "radicular"
    assert "discordant_imaging" in r.flags
    assert "discordant_imaging" not in run(RADICULAR).flags


# ---- facet ----------------------------------------------------------------------------------

def test_facet_needs_extension_rotation_pain() -> None:
    assert run(FACET).phenotype_primary == "facetogenic"
    r = run(with_(FACET, **{"clinical.provocation.extension_rotation_pain": False}))
    assert r.phenotype_primary != "facetogenic"


def test_medial_branch_block_three_month_threshold() -> None:
    assert "medial_branch_block" in run(with_(FACET, **{"clinical.duration_weeks": 12}))\
        .procedures()
    assert "medial_branch_block" not in run(with_(FACET, **{"clinical.duration_weeks": 11}))\
        .procedures()


# ---- sacroiliac -----------------------------------------------------------------------------

@pytest.mark.parametrize(("tests", "expected"), [(3, "sacroiliac"), (2, "nonspecific")])
def test_sij_three_positive_tests(tests: int, expected: str) -> None:
    r = run(with_(SIJ, **{"clinical.provocation.sij_positive_tests": tests}))
    assert r.phenotype_primary == expected
    assert ("sij_intraarticular_block" in r.procedures()) is (tests >= 3)


def test_sij_block_ultrasound_when_contrast_allergy() -> None:
    r = run(with_(SIJ, **{"clinical.contrast_allergy": True}))
    step = next(s for s in r.next_steps if s.procedure == "sij_intraarticular_block")
    assert "ultrasound" in step.guidance and "contrast_allergy" in r.flags


# ---- vertebrogenic / BVNA -------------------------------------------------------------------

def test_bvna_eligible_base_case() -> None:
    r = run(VERTEBROGENIC)
    assert r.phenotype_primary == "vertebrogenic"
    assert "basivertebral_nerve_ablation" in r.procedures()
    assert "bvna_ineligible" not in r.flags
    step = next(s for s in r.next_steps if s.procedure == "basivertebral_nerve_ablation")
    assert step.levels == ["L5", "S1"]


@pytest.mark.parametrize(("change", "eligible"), [
    ({"clinical.duration_weeks": 26}, True), ({"clinical.duration_weeks": 25}, False),
    ({"clinical.odi": 30}, True), ({"clinical.odi": 29}, False),
    ({"clinical.nrs": 4}, True), ({"clinical.nrs": 3}, False),
    ({"imaging.levels.L5-S1.listhesis_pct": 5}, True),
    ({"imaging.levels.L5-S1.listhesis_pct": 7}, False),
    ({"imaging.levels.L5-S1.disc.herniation": {"type": "protrusion", "size_mm": 5}}, True),
    ({"imaging.levels.L5-S1.disc.herniation": {"type": "protrusion", "size_mm": 6}}, False),
    ({"imaging.levels.L5-S1.spondylolysis": True}, False),
    ({"patient.bmi_kg_m2": 40}, True), ({"patient.bmi_kg_m2": 41}, False),
])
def test_bvna_thresholds(change: dict, eligible: bool) -> None:
    r = run(with_(VERTEBROGENIC, **change))
    assert ("basivertebral_nerve_ablation" in r.procedures()) is eligible
    assert ("bvna_ineligible" in r.flags) is (not eligible)


def test_modic_outside_l3_s1_is_not_vertebrogenic() -> None:
    case = with_(VERTEBROGENIC, **{"imaging.levels": {"L1-L2": {"endplates": {"modic": 1}}}})
    r = run(case)
    assert r.phenotype_primary != "vertebrogenic"
    assert "basivertebral_nerve_ablation" not in r.procedures()


# ---- LF stenosis / mild ---------------------------------------------------------------------

def test_lf_stenosis_and_mild() -> None:
    r = run(STENOSIS)
    assert r.phenotype_primary == "lf_stenosis"
    assert r.pain_generator_top["structure"] == "ligamentum_flavum"
    assert "mild_decompression" in r.procedures()


@pytest.mark.parametrize(("change", "mild"), [
    ({"imaging.levels.L4-L5.listhesis_pct": 25}, True),
    ({"imaging.levels.L4-L5.listhesis_pct": 26}, False),
    ({"imaging.dynamic_instability": True}, False),
    ({"imaging.levels.L4-L5.foramina": {"left": 3}}, False),
    ({"clinical.conservative_care_weeks": 12}, True),
    ({"clinical.conservative_care_weeks": 11}, False),
])
def test_mild_exclusions(change: dict, mild: bool) -> None:
    assert ("mild_decompression" in run(with_(STENOSIS, **change)).procedures()) is mild


def test_claudication_needs_stenosis() -> None:
    r = run(with_(STENOSIS, **{"imaging.levels.L4-L5.canal.stenosis": "mild"}))
    assert r.phenotype_primary != "lf_stenosis"
    assert "discordant_imaging" in r.flags


# ---- safety flags ---------------------------------------------------------------------------

@pytest.mark.parametrize(("drug", "flag"), [("apixaban", True), ("clopidogrel", True),
                                            ("aspirin", True), ("ibuprofen", False)])
def test_antithrombotic_flag(drug: str, flag: bool) -> None:
    r = run(with_(RADICULAR, **{"clinical.medications": [drug]}))
    assert ("anticoagulant_management" in r.flags) is flag


def test_pregnancy_flag() -> None:
    assert "pregnancy" in run(with_(FACET, **{"clinical.pregnancy": True})).flags
    assert "pregnancy" not in run(FACET).flags


# ---- post-surgical ----------------------------------------------------------------------------

def test_psps2_with_hardware_recommends_molecular_imaging() -> None:
    case = with_(FACET, **{"clinical.prior_surgery": [{"level": "L4-L5",
                                                      "procedure": "fusion"}],
                           "imaging.hardware_artifact": True})
    r = run(case)
    assert r.phenotype_primary == "persistent_spinal_pain_syndrome_2"
    assert {"molecular_imaging", "ct"} <= set(r.procedures())
    assert "contrast_mri" not in r.procedures()
    assert "hardware_artifact" in r.flags
    mi = next(s for s in r.next_steps if s.procedure == "molecular_imaging")
    if load_optional("molecular_imaging") is not None:
        assert "sensitivity 90.3%" in mi.evidence
    r = run(with_(case, **{"imaging.hardware_artifact": False}))
    assert "contrast_mri" in r.procedures() and "molecular_imaging" not in r.procedures()


# ---- nonspecific ----------------------------------------------------------------------------

def test_acute_nonspecific() -> None:
    r = run(ACUTE)
    assert r.phenotype_primary == "nonspecific" and r.pain_generator_top is None
    assert r.procedures() == ["conservative_care"]
    assert {(i.level, i.finding) for i in r.incidental} >= {("L4-L5", "bulge")}
