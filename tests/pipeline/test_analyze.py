"""The whole pipeline (`spinepath analyze`) on a phantom DICOM study and on real data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from spinepath.cli.main import app
from spinepath.io import load_study
from spinepath.model.levels import LUMBAR_DISCS
from spinepath.phantom import generate_study
from spinepath.phantom.write import write_study
from spinepath.pipeline import analyze_study

runner = CliRunner()


@pytest.fixture(scope="module")
def phantom_dicom(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("phantom")
    write_study(generate_study(5, ["pfirrmann:L4-L5=4", "listhesis:L4-L5=20"]), out, nifti=False)
    return out / "dicom"


def test_analyze_cli_writes_every_output(phantom_dicom: Path, tmp_path: Path,
                                         shared_data: Path) -> None:
    vignette = shared_data.parent / "vignettes" / "v01_radicular_l5.yaml"
    res = runner.invoke(app, ["analyze", str(phantom_dicom), "-o", str(tmp_path / "out"),
                              "--clinical", str(vignette), "--formats", "json,html,fhir"])
    assert res.exit_code == 0, res.output
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    levels = {f["level"] for f in report["findings"]}
    assert set(LUMBAR_DISCS) <= levels
    kinds = {f["kind"] for f in report["findings"] if f["level"] == "L4-L5"}
    assert {"pfirrmann", "modic", "herniation", "spondylolisthesis"} <= kinds
    assert report["impression"]["triage"] == "routine"
    assert report["provenance"]["models"]  # model hashes recorded
    assert any(k.startswith("dural sac") for k in report["not_assessed"])
    assert (tmp_path / "out" / "report.html").stat().st_size > 10_000


def test_listhesis_measured_at_the_slipped_level(phantom_dicom: Path) -> None:
    report = analyze_study(load_study(phantom_dicom))
    pct = {m.level: m.value for f in report.findings for m in f.measurements
           if m.name == "listhesis_pct"}
    assert pct["L4-L5"] == pytest.approx(20.0, abs=8.0)


def test_study_without_sagittal_says_what_is_missing(phantom_dicom: Path) -> None:
    study = load_study(phantom_dicom)
    study.series = [s for s in study.series if s.plane.value != "sagittal"]
    report = analyze_study(study)
    assert report.findings == []
    assert "no sagittal T2 or T1" in report.not_assessed["per-level findings"]


def test_non_spine_image_is_reported(tmp_path: Path) -> None:
    import nibabel as nib
    import numpy as np

    rng = np.random.default_rng(0)
    brain = rng.normal(100, 10, (20, 128, 128)).astype(np.float32)
    nib.save(nib.Nifti1Image(brain, np.diag([4.0, 1.0, 1.0, 1.0])), tmp_path / "head_t2.nii.gz")
    report = analyze_study(load_study(tmp_path / "head_t2.nii.gz"))
    assert report.findings == []
    assert any("lumbar spine" in w for w in report.warnings)


def test_real_t2_demo_volume() -> None:
    from spinepath.demo_data import SCT_T2_LUMBAR

    report = analyze_study(load_study(SCT_T2_LUMBAR))
    discs = {f.level for f in report.findings if f.kind == "pfirrmann"}
    assert {"L3-L4", "L4-L5"} <= discs
