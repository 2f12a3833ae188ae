"""Pipeline Finding objects -> structured ImagingFindings -> reasoning."""

from __future__ import annotations

import pytest

from spinepath.errors import AnalysisError
from spinepath.model.clinical import ClinicalIntake
from spinepath.model.findings import Finding, Grade, Measurement
from spinepath.reasoning import findings_from_pipeline, reason
from spinepath.reasoning.convert import convert_findings


def _g(system: str, value: int, n: int) -> Grade:
    probs = {str(i): (0.9 if i == value else 0.1 / (n - 1)) for i in range(n)}
    return Grade(system=system, value=value, probabilities=probs)


FINDINGS = [
    Finding(level="L4-L5", structure="disc", kind="pfirrmann", grade=Grade(system="Pfirrmann",
                                                                           value=3)),
    Finding(level="L4-L5", structure="disc", kind="herniation extrusion subarticular",
            side="left", measurements=[Measurement(name="displacement", value=7, unit="mm")]),
    Finding(level="L5-S1", structure="disc", kind="bulging", grade=_g("bulging", 1, 2)),
    Finding(level="L5-S1", structure="endplate", kind="modic", grade=_g("Modic", 2, 4)),
    Finding(level="L4-L5", structure="canal", kind="central stenosis",
            grade=_g("central canal stenosis (dural sac area)", 1, 4),
            measurements=[Measurement(name="dural_sac_area", value=95, unit="mm2")]),
    Finding(level="L4-L5", structure="foramen", kind="foraminal stenosis", side="left",
            grade=Grade(system="Lee", value=2)),
    Finding(level="L4-L5", structure="alignment", kind="listhesis",
            measurements=[Measurement(name="slip", value=8, unit="percent")]),
    Finding(level="L1", structure="vertebral_body", kind="fracture",
            grade=Grade(system="Genant", value=1)),
    Finding(level="L4-L5", structure="paraspinal", kind="mystery"),
]


def test_convert_maps_each_kind() -> None:
    im, unmapped = convert_findings(FINDINGS)
    lv = im.levels["L4-L5"]
    assert lv.disc.pfirrmann == 3
    assert lv.disc.herniation is not None
    assert (lv.disc.herniation.type, lv.disc.herniation.zone) == ("extrusion",
                                                                  "left_subarticular")
    assert lv.disc.herniation.size_mm == 7
    assert (lv.canal.stenosis, lv.canal.dural_sac_area_mm2) == ("mild", 95)
    assert lv.foramina.left == 2 and lv.listhesis_pct == 8
    assert im.levels["L5-S1"].disc.bulge is True
    assert im.levels["L5-S1"].endplates.modic == 2
    assert im.vertebrae["L1"].genant == 1
    assert unmapped == ["L4-L5 paraspinal mystery"]


def test_strict_conversion_names_unmapped() -> None:
    with pytest.raises(AnalysisError, match="paraspinal mystery"):
        findings_from_pipeline(FINDINGS, strict=True)


def test_pipeline_findings_feed_reason() -> None:
    im = findings_from_pipeline(FINDINGS[:3])
    intake = ClinicalIntake.model_validate({
        "patient": {"age": 45},
        "clinical": {"duration_weeks": 8, "conservative_care_weeks": 6,
                     "leg_pain": {"side": "left", "below_knee": True,
                                  "distribution": ["lateral calf", "great toe"]}}})
    r = reason(intake, im)
    assert r.phenotype_primary == "radicular"
    assert r.pain_generator_top["root"] == "L5"
