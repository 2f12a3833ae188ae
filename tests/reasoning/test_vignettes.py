"""The vignette suite: shared/vignettes (skipped when absent) and our own synthetic cases."""

from __future__ import annotations

from pathlib import Path

import pytest

from spinepath.model.clinical import load_case
from spinepath.reasoning.engine import reason_case
from spinepath.reasoning.evaluate import compare, evaluate_dir
from spinepath.reasoning.result import IncidentalFinding, NextStep
from tests.conftest import shared_data_dir

VIGNETTES = shared_data_dir().parent / "vignettes"
OWN_CASES = Path(__file__).parent / "cases"


def _files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.yaml")) if folder.is_dir() else []


@pytest.mark.parametrize("path", _files(VIGNETTES), ids=lambda p: p.stem)
def test_shared_vignette(path: Path) -> None:
    case = load_case(path)
    failed = [c for c in compare(case.expected or {}, reason_case(case)) if not c.passed]
    assert not failed, [(c.key, c.expected, c.actual) for c in failed]


@pytest.mark.parametrize("path", _files(OWN_CASES), ids=lambda p: p.stem)
def test_own_case(path: Path) -> None:
    case = load_case(path)
    failed = [c for c in compare(case.expected or {}, reason_case(case)) if not c.passed]
    assert not failed, [(c.key, c.expected, c.actual) for c in failed]


def test_shared_vignettes_present_or_skip() -> None:
    if not VIGNETTES.is_dir():
        pytest.skip(f"vignettes not found at {VIGNETTES}")
    report = evaluate_dir(VIGNETTES)
    assert report.n_cases == len(_files(VIGNETTES)) >= 8


def _result():
    case = load_case(OWN_CASES / "s01_foraminal_l4.yaml")
    return reason_case(case)


def test_compare_semantics_fail_when_they_should() -> None:
    r = _result()
    r.next_steps = [NextStep(procedure="transforaminal_esi", root="L4", side="right")]
    r.incidental = [IncidentalFinding(level="L5-S1", finding="modic_2")]
    exp = {
        "triage": "urgent",
        "pain_generator_top": {"level": "L4-L5", "side": "left"},
        "next_step_includes": ["transforaminal_esi", "emg"],
        "next_step_excludes": ["transforaminal_esi"],
        "next_step_includes_any": ["emg", "ct"],
        "next_step_targets": [{"procedure": "transforaminal_esi", "root": "L5"},
                              {"procedure": "transforaminal_esi", "root": "L4"}],
        "flags_include": ["pregnancy"],
        "incidental": ["L5-S1 Modic 2", "L4-L5 modic 2"],
    }
    got = [(c.key, c.passed) for c in compare(exp, r)]
    assert got == [
        ("triage", False),
        ("pain_generator_top.level", True), ("pain_generator_top.side", False),
        ("next_step_includes", True), ("next_step_includes", False),
        ("next_step_excludes", False),
        ("next_step_includes_any", False),
        ("next_step_targets", False), ("next_step_targets", True),
        ("flags_include", False),
        ("incidental", True), ("incidental", False),
    ]


def test_unknown_expectation_key_fails() -> None:
    assert not compare({"phenotype": "radicular"}, _result())[0].passed


def test_evaluate_dir_counts(tmp_path: Path) -> None:
    src = (OWN_CASES / "s01_foraminal_l4.yaml").read_text()
    (tmp_path / "a.yaml").write_text(src)
    (tmp_path / "b.yaml").write_text(src.replace("phenotype_primary: radicular",
                                                 "phenotype_primary: facetogenic"))
    (tmp_path / "c.yaml").write_text("patient: {sex: F}\n")
    rep = evaluate_dir(tmp_path)
    assert (rep.n_cases, rep.n_cases_passed) == (3, 1)
    assert rep.n_checks_passed == rep.n_checks - 1
    assert rep.cases[2].error and "age" in rep.cases[2].error
