"""Bad input (no sagittal T2, not a lumbar spine, NIfTI without DICOM) and the report CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pydicom
from typer.testing import CliRunner

from spinepath.cli.main import app
from spinepath.model.report import Report
from spinepath.model.volume import Volume
from spinepath.report import write_report_bundle
from tests.report.conftest import Bundle, make_analysed


def test_study_without_sagittal_t2_says_what_was_not_assessed(tmp_path: Path) -> None:
    a = make_analysed(tmp_path / "study", with_t2=False, with_axial=False)
    paths = write_report_bundle(a.report, tmp_path / "out", study=a.study, label_map=a.levels,
                                semantic_map=a.semantic)
    assert "sagittal T2" in a.report.not_assessed
    why = a.report.not_assessed["sagittal T2"]
    assert "no sagittal T2-weighted series" in why and "sagittal T1" in why
    assert any(w.startswith("seg.dcm not written: no sagittal T2") for w in a.report.warnings)
    assert "seg" not in paths and "sr" not in paths
    assert {"json", "html", "pdf", "fhir"} <= set(paths)
    html = paths["html"].read_text(encoding="utf-8")
    assert 'id="scope-warning"' in html and "no sagittal T2-weighted series" in html
    data = json.loads(paths["json"].read_text(encoding="utf-8"))
    assert "sagittal T2" in data["not_assessed"]
    assert [k["file"] for k in data["key_images"]] == ["images/sagittal_t1.png"]
    fhir = json.loads(paths["fhir"].read_text(encoding="utf-8"))
    diag = next(e["resource"] for e in fhir["entry"]
                if e["resource"]["resourceType"] == "DiagnosticReport")
    assert "Not assessed: sagittal T2" in diag["conclusion"]


def test_study_that_is_not_a_lumbar_spine_says_so(tmp_path: Path) -> None:
    a = make_analysed(tmp_path / "study", with_axial=False)
    for s in a.study.series:
        s.tags["BodyPartExamined"] = "HEAD"
    no_spine = Volume(np.zeros_like(a.levels.array), a.levels.affine)
    report = Report(study_uid=a.study.study_uid)
    paths = write_report_bundle(report, tmp_path / "out", study=a.study, label_map=no_spine,
                                outputs=("json", "html", "seg", "sr"))
    assert "BodyPartExamined=HEAD" in report.not_assessed["lumbar spine"]
    assert "no lumbar vertebra" in report.not_assessed["lumbar levels"]
    assert any("seg.dcm not written" in w and "no labelled structure" in w
               for w in report.warnings)
    assert any("sr.dcm not written" in w for w in report.warnings)
    html = paths["html"].read_text(encoding="utf-8")
    assert "not a lumbar spine" in html


def test_nifti_study_writes_documents_and_explains_missing_dicom(tmp_path: Path) -> None:
    from spinepath.io import load_study

    a = make_analysed(tmp_path / "study", with_axial=False)
    nii = tmp_path / "sag_t2.nii.gz"
    t2 = next(s for s in a.study.series if s.description == "SAG T2 TSE")
    t2.volume.to_nifti().to_filename(nii)
    study = load_study(nii)
    report = Report(study_uid=study.study_uid, findings=a.report.findings)
    paths = write_report_bundle(report, tmp_path / "out", study=study, label_map=a.levels)
    assert "seg" not in paths
    assert any("input was not DICOM" in w for w in report.warnings)
    assert report.provenance.inputs == {str(nii): report.provenance.inputs[str(nii)]}


def test_cli_render_from_saved_report(bundle: Bundle, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "again"
    res = runner.invoke(app, ["report", "render", str(bundle.paths["json"]), "-o", str(out),
                              "--formats", "html,fhir"])
    assert res.exit_code == 0, res.output
    html = (out / "report.html").read_text(encoding="utf-8")
    assert html.count("data:image/png;base64,") == len(bundle.analysed.report.key_images)
    assert bundle.analysed.report.report_id in html
    fhir = json.loads((out / "fhir.json").read_text(encoding="utf-8"))
    assert fhir["identifier"]["value"] == bundle.analysed.report.report_id
    assert not (out / "report.pdf").exists()


def test_cli_errors(bundle: Bundle, tmp_path: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(app, ["report", "render", str(tmp_path / "missing.json"), "-o",
                              str(tmp_path)])
    assert res.exit_code == 3 and "does not exist" in " ".join(res.output.split())
    res = runner.invoke(app, ["report", "render", str(bundle.paths["json"]), "-o",
                              str(tmp_path), "--formats", "docx"])
    assert res.exit_code == 3 and "docx" in " ".join(res.output.split())
    res = runner.invoke(app, ["report", "render"])
    assert res.exit_code == 2
    res = runner.invoke(app, ["report", "schema"])
    assert res.exit_code == 0 and json.loads(res.output)["title"] == "spinepath report"


def test_seg_source_must_be_single_frame(bundle: Bundle, tmp_path: Path) -> None:
    """A source file that is not DICOM is refused with a reason, not a crash."""
    import pytest

    from spinepath.errors import InputError
    from spinepath.report.sources import read_source_frames

    t2 = next(s for s in bundle.analysed.study.series if s.description == "SAG T2 TSE")
    fake = tmp_path / "x.dcm"
    fake.write_bytes(b"not dicom")
    clone = type(t2)(uid=t2.uid, description=t2.description, modality="MR", files=[fake])
    with pytest.raises(InputError, match="not a readable DICOM"):
        read_source_frames(clone)
    ds = pydicom.dcmread(t2.files[0])
    assert "FrameOfReferenceUID" in ds
