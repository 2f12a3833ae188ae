"""The report bundle on the phantom's DICOM study (spinepath.phantom), with its label maps."""

from __future__ import annotations

import time

import numpy as np
import pytest

from spinepath.model.report import Impression, Report
from spinepath.model.study import Plane, SeriesKind
from spinepath.model.volume import Volume
from tests.report.synthetic import sample_findings, sample_reasoning

phantom = pytest.importorskip("spinepath.phantom.generate")
plabels = pytest.importorskip("spinepath.phantom.labels")


def phantom_to_level_maps(labels: Volume) -> tuple[Volume, Volume]:
    """Phantom anatomy labels -> level map (VerSe ids, discs 100 + id, canal 61) + semantic map."""
    a = labels.array.astype(np.int32)
    level = np.zeros(a.shape, np.int16)
    sem = np.zeros(a.shape, np.int16)
    for name, vid in plabels.VERSE_ID.items():
        body = a == vid
        post = a == plabels.POSTERIOR_OFFSET + vid
        level[body | post] = vid
        sem[body] = 5 if name == "S1" else 1
        sem[post] = 5 if name == "S1" else 2
        disc = (a == plabels.ANNULUS_OFFSET + vid) | (a == plabels.NUCLEUS_OFFSET + vid)
        level[disc] = 100 + vid
        sem[disc] = 3
    canal = a == plabels.DURAL_SAC
    level[canal] = 61
    sem[canal] = 4
    return Volume(level, labels.affine), Volume(sem, labels.affine)


@pytest.fixture(scope="module")
def phantom_bundle(tmp_path_factory: pytest.TempPathFactory):
    from spinepath.io import load_study
    from spinepath.phantom.write import write_study
    from spinepath.report import write_report_bundle

    ps = phantom.generate_study(seed=3, pathologies=["pfirrmann:L4-L5=4"])
    root = tmp_path_factory.mktemp("phantom")
    write_study(ps, root, nifti=False)
    study = load_study(root / "dicom")
    levels, sem = phantom_to_level_maps(ps.series["sag_t2"].labels)
    report = Report(study_uid=study.study_uid, findings=sample_findings(),
                    impression=Impression.from_reasoning(sample_reasoning()))
    t0 = time.perf_counter()
    paths = write_report_bundle(report, root / "out", study=study, label_map=levels,
                                semantic_map=sem)
    return study, levels, report, paths, time.perf_counter() - t0


def test_phantom_bundle_is_complete_and_valid(phantom_bundle) -> None:
    from tests.report.test_dicom import dciodvfy_errors

    _study, _, report, paths, seconds = phantom_bundle
    assert {"json", "html", "pdf", "seg", "sr", "fhir"} <= set(paths)
    assert seconds < 5.0
    assert dciodvfy_errors(paths["seg"]) == []
    assert dciodvfy_errors(paths["sr"]) == []
    roles = {s.role for s in report.study.series}
    assert {"sagittal_t2", "sagittal_t1", "axial_t2"} <= roles
    axial = [k for k in report.key_images if k.kind == "axial"]
    assert axial and not any(k.reformatted for k in axial)
    assert "sagittal T2" not in report.not_assessed


def test_phantom_seg_round_trip(phantom_bundle) -> None:
    import highdicom as hd

    from spinepath.report.sources import read_source_frames, sample_on_frames

    study, levels, _, paths, _ = phantom_bundle
    t2 = study.best(SeriesKind.T2, Plane.SAGITTAL)
    frames = read_source_frames(t2)
    expected = sample_on_frames(levels, frames)
    seg = hd.seg.segread(paths["seg"])
    labels = {seg.get_segment_description(n).segment_label: n for n in seg.segment_numbers}
    uids = [str(d.SOPInstanceUID) for d in frames.datasets]
    for name, value in (("L4-L5 disc", 123), ("L5-S1 disc", 124), ("spinal canal", 61)):
        got = seg.get_pixels_by_source_instance(
            source_sop_instance_uids=uids, segment_numbers=[labels[name]])[..., 0]
        assert np.array_equal(got.astype(bool), expected == value), name
        assert got.sum() > 100
