"""Written phantom files: DICOM tags, classification, determinism, NIfTI, reader round trip."""

from __future__ import annotations

import json

import nibabel as nib
import numpy as np
import pydicom
import pytest
from pydicom.uid import UID, ExplicitVRLittleEndian, MRImageStorage

from spinepath.io.classify import SequenceTags, as_upper_list, classify_kind, plane_from_orientation
from spinepath.model.study import Plane, SeriesKind
from spinepath.phantom import generate_study
from spinepath.phantom import labels as L
from spinepath.phantom.write import write_study

EXPECTED = {  # folder: (plane, kind, number of instances)
    "01_sag_t1": (Plane.SAGITTAL, SeriesKind.T1, 15),
    "02_sag_t2": (Plane.SAGITTAL, SeriesKind.T2, 15),
    "03_sag_stir": (Plane.SAGITTAL, SeriesKind.STIR, 15),
    "04_ax_t2": (Plane.AXIAL, SeriesKind.T2, None),
}
REQUIRED = ["PatientID", "StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID",
            "SOPClassUID", "ImageOrientationPatient", "ImagePositionPatient", "PixelSpacing",
            "SliceThickness", "Modality", "ScanningSequence", "SequenceVariant", "ScanOptions",
            "RepetitionTime", "EchoTime", "SeriesDescription", "ImageType", "SeriesNumber",
            "InstanceNumber", "RescaleSlope", "RescaleIntercept", "FrameOfReferenceUID",
            "Rows", "Columns", "PixelData"]


def _series_files(root):
    return {d.name: sorted(d.glob("*.dcm")) for d in sorted((root / "dicom").iterdir())}


def test_dicom_tags_and_classification(written):
    files = _series_files(written)
    assert set(files) == set(EXPECTED)
    sop_uids, series_uids, study_uids = set(), set(), set()
    for folder, paths in files.items():
        plane, kind, n = EXPECTED[folder]
        if n is not None:
            assert len(paths) == n
        ds0 = pydicom.dcmread(paths[0])
        for p in paths:
            ds = pydicom.dcmread(p)
            assert ds.file_meta.TransferSyntaxUID == ExplicitVRLittleEndian
            assert ds.file_meta.MediaStorageSOPClassUID == MRImageStorage == ds.SOPClassUID
            assert ds.file_meta.MediaStorageSOPInstanceUID == ds.SOPInstanceUID
            for tag in REQUIRED:
                assert tag in ds, (p, tag)
            for uid in (ds.SOPInstanceUID, ds.SeriesInstanceUID, ds.StudyInstanceUID):
                assert UID(uid).is_valid
            assert ds.Modality == "MR" and ds.PatientID == "PHANTOM-000007"
            assert ds.pixel_array.shape == (ds.Rows, ds.Columns)
            sop_uids.add(ds.SOPInstanceUID)
            series_uids.add(ds.SeriesInstanceUID)
            study_uids.add(ds.StudyInstanceUID)
        assert plane_from_orientation([float(v) for v in ds0.ImageOrientationPatient]) == plane
        tags = SequenceTags(
            modality=ds0.Modality, description=ds0.SeriesDescription,
            scanning_sequence=as_upper_list(ds0.ScanningSequence),
            sequence_variant=as_upper_list(ds0.SequenceVariant),
            scan_options=as_upper_list(ds0.ScanOptions),
            image_type=as_upper_list(ds0.ImageType),
            repetition_time=float(ds0.RepetitionTime), echo_time=float(ds0.EchoTime),
            inversion_time=float(ds0.InversionTime) if "InversionTime" in ds0 else None,
        )
        res = classify_kind(tags)
        assert res.kind == kind and res.confidence >= 0.9, (folder, res)
    assert len(study_uids) == 1 and len(series_uids) == 4
    assert len(sop_uids) == sum(len(p) for p in files.values())


def test_same_seed_same_bytes_other_seed_other_uids(written, tmp_path):
    study = generate_study(7, ["pfirrmann:L4-L5=4", "modic:L5-S1=1"])
    write_study(study, tmp_path / "again")
    first = sorted(p.relative_to(written) for p in written.rglob("*") if p.is_file())
    second = sorted(p.relative_to(tmp_path / "again") for p in (tmp_path / "again").rglob("*")
                    if p.is_file())
    assert first == second
    for rel in first:
        assert (written / rel).read_bytes() == (tmp_path / "again" / rel).read_bytes(), rel
    other = generate_study(8, ["pfirrmann:L4-L5=4", "modic:L5-S1=1"], subslices=1)
    write_study(other, tmp_path / "other", nifti=False)
    a = pydicom.dcmread(written / "dicom/02_sag_t2/IM0001.dcm")
    b = pydicom.dcmread(tmp_path / "other/dicom/02_sag_t2/IM0001.dcm")
    assert a.StudyInstanceUID != b.StudyInstanceUID
    assert a.SOPInstanceUID != b.SOPInstanceUID


def test_nifti_and_truth_files(written):
    truth = json.loads((written / "truth.json").read_text())
    assert truth["seed"] == 7
    assert truth["levels"]["L4-L5"]["pfirrmann"] == 4
    assert truth["levels"]["L5-S1"]["modic"]["cranial_endplate"]["modic_type"] == 1
    assert truth["label_table"][str(L.NUCLEUS_OFFSET + L.disc_key("L4-L5"))] == "L4-L5 nucleus"
    for key, rel in truth["files"]["nifti"].items():
        img = nib.load(str(written / rel))
        assert nib.aff2axcodes(img.affine) == ("R", "A", "S")
        assert np.allclose(img.affine, np.array(truth["series"][key]["affine"]), atol=1e-5)
    lab = nib.load(str(written / truth["files"]["labels"]["sag"]))
    arr = np.asarray(lab.dataobj)
    assert arr.dtype == np.uint16
    assert {L.DURAL_SAC, L.VERSE_ID["L3"], L.NUCLEUS_OFFSET + L.disc_key("L3-L4")} <= set(
        np.unique(arr).tolist())
    les = np.asarray(nib.load(str(written / truth["files"]["labels"]["sag_lesions"])).dataobj)
    assert (les == L.MODIC_INFERIOR_OFFSET + L.VERSE_ID["L5"]).any()


def test_reader_round_trip(written):
    io = pytest.importorskip("spinepath.io")
    study = io.load_study(written / "dicom")
    truth = json.loads((written / "truth.json").read_text())
    by_number = {s.number: s for s in study.series}
    assert study.patient_id == "PHANTOM-000007"
    lab_sag = nib.load(str(written / truth["files"]["labels"]["sag"]))
    for folder, (plane, kind, _) in EXPECTED.items():
        number = int(folder[:2])
        key = folder[3:]
        s = by_number[number]
        assert (s.plane, s.kind) == (plane, kind), folder
        vol = s.volume.to_canonical()
        nii = nib.load(str(written / truth["files"]["nifti"][key]))
        # Same voxels (rescale slope applied) and the same RAS affine as the NIfTI written.
        assert np.allclose(vol.affine, nii.affine, atol=1e-3), folder
        assert np.allclose(vol.array, np.asarray(nii.dataobj), atol=1e-3), folder
        if plane is Plane.SAGITTAL:
            # Landmarks: world -> voxel through the reader's affine lands on the structure.
            labels = np.asarray(lab_sag.dataobj)
            for disc, p in truth["landmarks"]["disc_centres"].items():
                ijk = np.rint(vol.voxel(np.array(p))).astype(int)
                assert labels[tuple(ijk)] == L.NUCLEUS_OFFSET + L.disc_key(disc), (folder, disc)
            for name, p in truth["landmarks"]["vertebral_body_centres"].items():
                ijk = np.rint(vol.voxel(np.array(p))).astype(int)
                if 0 <= ijk[2] < labels.shape[2]:
                    assert labels[tuple(ijk)] == L.VERSE_ID[name], (folder, name)


def test_cli_bad_pathology_exits_with_input_error(tmp_path):
    from typer.testing import CliRunner

    from spinepath.cli.main import app

    res = CliRunner().invoke(app, ["phantom", str(tmp_path / "x"), "--pathology",
                                   "pfirrmann:L4-L5=9"])
    assert res.exit_code == 3
    assert not (tmp_path / "x").exists()
