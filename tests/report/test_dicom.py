"""DICOM SEG and SR: standard-conformant (dciodvfy), coded, referenced, and round-trip exact."""

from __future__ import annotations

import subprocess
from pathlib import Path

import highdicom as hd
import numpy as np
import pydicom
import pytest

from spinepath.model.study import Plane, SeriesKind
from spinepath.report.codes import DISC_CODES, VERTEBRA_CODES
from spinepath.report.sources import read_source_frames
from spinepath.report.sr import read_sr
from tests.report.conftest import Bundle, need_tool
from tests.report.synthetic import anatomy


def dciodvfy_errors(path: Path) -> list[str]:
    """The 'Error' lines dciodvfy prints for a file."""
    exe = need_tool("dciodvfy")
    res = subprocess.run([exe, str(path)], capture_output=True, text=True, timeout=60)
    lines = (res.stdout + res.stderr).splitlines()
    return [ln for ln in lines if ln.startswith("Error")]


def test_seg_and_sr_pass_dciodvfy(bundle: Bundle) -> None:
    assert dciodvfy_errors(bundle.paths["seg"]) == []
    assert dciodvfy_errors(bundle.paths["sr"]) == []


def test_dciodvfy_check_can_fail(bundle: Bundle, tmp_path: Path) -> None:
    """The check is real: a SEG without its required SegmentSequence is reported."""
    ds = pydicom.dcmread(bundle.paths["seg"])
    del ds.SegmentSequence
    del ds.SeriesInstanceUID
    broken = tmp_path / "broken.dcm"
    ds.save_as(broken, enforce_file_format=True)
    assert dciodvfy_errors(broken)


def test_seg_codes_and_references(bundle: Bundle) -> None:
    seg = hd.seg.segread(bundle.paths["seg"])
    t2 = bundle.analysed.study.best(SeriesKind.T2, Plane.SAGITTAL)
    assert t2 is not None
    assert seg.ReferencedSeriesSequence[0].SeriesInstanceUID == t2.uid
    assert seg.StudyInstanceUID == bundle.analysed.study.study_uid
    by_label = {
        seg.get_segment_description(n).segment_label: seg.get_segment_description(n)
        for n in seg.segment_numbers
    }
    disc = by_label["L4-L5 disc"]
    assert disc.segmented_property_type.value == DISC_CODES["L4-L5"].value == "84020006"
    assert disc.segmented_property_category.value == "91723000"
    body = by_label["L4 vertebral body"]
    assert body.segmented_property_type.value == "3572006"
    assert [r.value for r in body.anatomic_regions] == [VERTEBRA_CODES["L4"].value]
    assert by_label["spinal canal"].segmented_property_type.value == "61853006"
    assert by_label["sacrum"].segmented_property_type.value == "54735007"
    algo = body.algorithm_identification[0]
    assert algo.AlgorithmName == "spinepath"
    assert "inputs_sha256" in algo.AlgorithmParameters


def test_seg_round_trip_matches_truth(bundle: Bundle) -> None:
    """Every segment read back through highdicom equals the anatomy on the source frames."""
    seg = hd.seg.segread(bundle.paths["seg"])
    t2 = bundle.analysed.study.best(SeriesKind.T2, Plane.SAGITTAL)
    frames = read_source_frames(t2)
    uids = [str(d.SOPInstanceUID) for d in frames.datasets]
    rows, cols = frames.shape
    r, c = np.mgrid[0:rows, 0:cols].astype(float)
    truth_lv, truth_sem = [], []
    for k in range(len(uids)):
        lps = (frames.positions_lps[k] + c[..., None] * frames.spacing[1] * frames.row_cosine
               + r[..., None] * frames.spacing[0] * frames.col_cosine)
        lv, sem = anatomy(lps * np.array([-1.0, -1.0, 1.0]))
        truth_lv.append(lv)
        truth_sem.append(sem)
    lv, sem = np.stack(truth_lv), np.stack(truth_sem)
    expected = {
        "L4-L5 disc": lv == 123,
        "L4 vertebral body": (lv == 23) & (sem == 1),
        "L4 posterior elements": (lv == 23) & (sem == 2),
        "spinal canal": lv == 61,
        "sacrum": lv == 26,
    }
    pixels = seg.get_pixels_by_source_instance(
        source_sop_instance_uids=uids, segment_numbers=list(seg.segment_numbers)
    )  # (frames, rows, cols, segments)
    labels = [seg.get_segment_description(n).segment_label for n in seg.segment_numbers]
    assert len(labels) == 17
    for name, mask in expected.items():
        got = pixels[..., labels.index(name)].astype(bool)
        assert mask.any()
        assert np.array_equal(got, mask), name


def test_sr_round_trip(bundle: Bundle) -> None:
    ds, groups = read_sr(bundle.paths["sr"])
    report = bundle.analysed.report
    assert ds.PreliminaryFlag == "PRELIMINARY"
    assert ds.VerificationFlag == "UNVERIFIED"
    assert ds.CompletionFlag == "PARTIAL"
    by_level = {g.level: g for g in groups}
    assert set(by_level) == {f.level for f in report.findings}
    for f in report.findings:
        g = by_level[f.level]
        for m in f.measurements:
            unit = {"mm": "mm", "mm2": "mm2"}[m.unit]
            assert (m.name.replace("_", " "), m.value, unit) in g.measurements
        if f.grade is not None:
            assert (f"{f.grade.system} grade", f"{f.grade.system} grade {f.grade.value}") in (
                g.evaluations)
            name = f"probability of {f.grade.system} grade"
            probs = [(v, u) for n, v, u in g.measurements if n == name]
            assert probs == [(pytest.approx(f.grade.confidence), "1")]
    seg = pydicom.dcmread(bundle.paths["seg"])
    names = {s.SegmentNumber: s.SegmentLabel for s in seg.SegmentSequence}
    assert names[by_level["L4-L5"].segment_number] == "L4-L5 disc"
    assert by_level["L4-L5"].finding_site == "L4/L5 disc"
    assert report.dicom.sr_sop_instance_uid == ds.SOPInstanceUID
    evidence = {s.SeriesInstanceUID for i in ds.CurrentRequestedProcedureEvidenceSequence
                for s in i.ReferencedSeriesSequence}
    assert seg.SeriesInstanceUID in evidence


def test_signed_report_gives_final_sr(bundle: Bundle, tmp_path: Path) -> None:
    from spinepath.report.sources import read_source_frames
    from spinepath.report.sr import build_sr

    report = bundle.analysed.report.model_copy(deep=True)
    report.sign("Test^Doctor")
    t2 = bundle.analysed.study.best(SeriesKind.T2, Plane.SAGITTAL)
    sr = build_sr(report, source_images=read_source_frames(t2).datasets)
    assert sr.PreliminaryFlag == "FINAL"
    assert sr.VerificationFlag == "VERIFIED"
    path = tmp_path / "sr.dcm"
    sr.save_as(path, enforce_file_format=True)
    assert dciodvfy_errors(path) == []


def test_label_values_match_segment_module() -> None:
    """The SEG reads the label conventions of spinepath.segment.labels."""
    labels = pytest.importorskip("spinepath.segment.labels")
    from spinepath.report import seg

    assert labels.VERTEBRA_IDS == seg.VERTEBRA_IDS
    assert labels.CANAL_ID == seg.CANAL_ID
    assert labels.DISC_OFFSET == seg.DISC_OFFSET
    assert (labels.VERTEBRAL_BODY, labels.POSTERIOR_ELEMENTS) == (seg.SEM_BODY, seg.SEM_POSTERIOR)
