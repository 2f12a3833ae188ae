"""Endplate marrow oedema on the sagittal STIR (provisional bound) and its support of Modic 1.

The phantom renders Modic 1 as oedema-like marrow (bright on STIR) next to the L5-S1 endplates;
this checks the measurement, the rule grade and the pipeline wiring, not accuracy on real scans.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from spinepath.grade.disc_inputs import disc_inputs
from spinepath.grade.findings import disc_level_findings
from spinepath.grade.heads import BINARY_HEADS
from spinepath.grade.rules import criteria
from spinepath.io import load_study
from spinepath.model.findings import Measurement
from spinepath.phantom import generate_study
from spinepath.phantom.labels import level_and_semantic_maps
from spinepath.phantom.write import write_study
from spinepath.pipeline import analyze_study
from spinepath.segment.api import to_display

KIND = "marrow oedema (STIR)"
BOUND = criteria()["stir_oedema"]["bounds"][0]


@pytest.fixture(scope="module")
def phantom(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    return generate_study(7, ["modic:L5-S1=1"])


def _exact_measurements(phantom, key: str) -> list[Measurement]:  # type: ignore[no-untyped-def]
    s = phantom.series[key]
    can = s.image.to_canonical()
    level, semantic = level_and_semantic_maps(s.labels.to_canonical().array)
    _sx, sy, sz = can.spacing
    return disc_inputs(
        to_display(can.array), to_display(level), to_display(semantic), (float(sz), float(sy))
    ).measurements


def _stir(ms: list[Measurement]) -> list[Measurement]:
    return [m.model_copy(update={"name": f"{m.name}_stir"}) for m in ms]


def test_modic1_endplate_zone_is_bright_on_stir_only(phantom) -> None:  # type: ignore[no-untyped-def]
    ratio = {
        (key, m.level, m.name): m.value
        for key in ("sag_stir", "sag_t2")
        for m in _exact_measurements(phantom, key)
        if m.name.startswith("endplate_signal_ratio_")
    }
    stir_l5 = ratio[("sag_stir", "L5", "endplate_signal_ratio_inferior")]
    stir_s1 = ratio[("sag_stir", "S1", "endplate_signal_ratio_superior")]
    normal = ratio[("sag_stir", "L3", "endplate_signal_ratio_inferior")]
    assert stir_l5 > BOUND and stir_s1 > BOUND, (stir_l5, stir_s1)
    assert normal < BOUND - 0.2, normal
    assert ratio[("sag_t2", "L5", "endplate_signal_ratio_inferior")] < stir_l5 - 0.3


def test_stir_finding_from_exact_labels(phantom) -> None:  # type: ignore[no-untyped-def]
    ms = _stir(_exact_measurements(phantom, "sag_stir"))
    by_level = {
        level: [f for f in disc_level_findings(level, None, ms, has_t1=False) if f.kind == KIND]
        for level in ("L2-L3", "L5-S1")
    }
    (sick,) = by_level["L5-S1"]
    (normal,) = by_level["L2-L3"]
    assert sick.structure == "endplate" and sick.grade is not None and normal.grade is not None
    assert sick.grade.value == 1 and not sick.grade.low_confidence
    assert normal.grade.value == 0 and not normal.grade.low_confidence
    assert {m.name for m in sick.measurements} == {
        "endplate_signal_ratio_inferior_stir",
        "endplate_signal_ratio_superior_stir",
    }


def _probs(modic: int) -> dict[str, list[float]]:
    p = [0.05] * 4
    p[modic] = 0.85
    return {"pfirrmann": [0.1, 0.6, 0.2, 0.05, 0.05], "modic": p} | {h: [0.1] for h in BINARY_HEADS}


def _ratio(level: str, side: str, value: float) -> Measurement:
    return Measurement(
        name=f"endplate_signal_ratio_{side}_stir", value=value, unit="ratio", level=level
    )


@pytest.mark.parametrize(
    ("ratio", "modic", "supports", "flagged"),
    [(2.0, 2, True, True), (2.0, 1, True, False), (0.8, 1, False, False), (0.8, 2, False, False)],
)
def test_stir_supports_modic1(ratio: float, modic: int, supports: bool, flagged: bool) -> None:
    ms = [_ratio("L5", "inferior", ratio), _ratio("S1", "superior", 0.8)]
    findings = disc_level_findings("L5-S1", _probs(modic), ms, has_t1=True)
    (m,) = [f for f in findings if f.kind == "modic"]
    (stir,) = [f for f in findings if f.kind == KIND]
    assert m.grade is not None and stir.grade is not None
    assert m.grade.value == modic and stir.grade.value == int(supports)
    assert ("STIR: endplate oedema, supports type 1" in m.description) == supports
    assert ("does not support type 1" in m.description) != supports
    assert "endplate_signal_ratio_inferior_stir" in m.grade.based_on
    assert m.grade.low_confidence == flagged


def test_ratio_near_the_bound_is_low_confidence() -> None:
    (stir,) = [
        f
        for f in disc_level_findings(
            "L4-L5", None, [_ratio("L5", "superior", BOUND + 0.02)], has_t1=False
        )
        if f.kind == KIND
    ]
    assert stir.grade is not None and stir.grade.low_confidence


def test_no_stir_measurements_no_finding() -> None:
    ms = [Measurement(name="endplate_signal_ratio_inferior", value=2.0, unit="ratio", level="L5")]
    assert not [
        f for f in disc_level_findings("L5-S1", _probs(1), ms, has_t1=True) if f.kind == KIND
    ]


@pytest.fixture(scope="module")
def phantom_dicom(phantom, tmp_path_factory: pytest.TempPathFactory) -> Path:  # type: ignore[no-untyped-def]
    out = tmp_path_factory.mktemp("stir")
    write_study(phantom, out, nifti=False)
    return out / "dicom"


def test_pipeline_measures_stir_and_grades_oedema(phantom_dicom: Path) -> None:
    report = analyze_study(load_study(phantom_dicom))
    assert "marrow oedema (STIR)" not in report.not_assessed
    oedema = {f.level: f for f in report.findings if f.kind == KIND}
    assert oedema["L5-S1"].grade is not None and oedema["L5-S1"].grade.value == 1
    assert oedema["L2-L3"].grade is not None and oedema["L2-L3"].grade.value == 0
    stir_names = {m.name for f in oedema.values() for m in f.measurements}
    assert stir_names and all(n.endswith("_stir") for n in stir_names)
    modic = next(f for f in report.findings if f.kind == "modic" and f.level == "L5-S1")
    assert "STIR: endplate oedema, supports type 1" in modic.description


def test_study_without_stir_reports_not_assessed(phantom_dicom: Path) -> None:
    study = load_study(phantom_dicom)
    study.series = [s for s in study.series if s.kind.value not in ("STIR", "T1", "T2_FS")]
    report = analyze_study(study)
    assert report.not_assessed["marrow oedema (STIR)"] == "no sagittal STIR or fat-saturated T2"
    assert report.findings and not [f for f in report.findings if f.kind == KIND]
    assert not any(m.name.endswith("_stir") for f in report.findings for m in f.measurements)
