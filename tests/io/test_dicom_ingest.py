"""DICOM ingest: grouping, classification, geometry and bad input."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pydicom
import pytest

from spinepath.errors import (
    EmptyInputError,
    InconsistentSeriesError,
    MissingSlicesError,
    MixedStudyError,
)
from spinepath.io import load_study
from spinepath.model import Plane, SeriesKind
from tests.io.dicom_factory import write_series


def _study_with_four_series(root: Path) -> str:
    _, study, _ = write_series(
        root / "t2", description="SAG T2 TSE", tr=3500, te=100, series_number=2
    )
    write_series(
        root / "t1", study_uid=study, description="SAG T1 TSE", tr=550, te=10, series_number=3
    )
    write_series(
        root / "stir",
        study_uid=study,
        description="SAG STIR",
        tr=4000,
        te=60,
        ti=160,
        scanning_sequence="IR",
        series_number=4,
    )
    write_series(
        root / "ax",
        study_uid=study,
        plane="axial",
        description="AX T2",
        tr=4000,
        te=110,
        series_number=5,
        n=4,
    )
    return study


def test_groups_and_classifies_series(tmp_path: Path) -> None:
    study_uid = _study_with_four_series(tmp_path)
    study = load_study(tmp_path)
    assert study.study_uid == study_uid
    got = [(s.plane, s.kind) for s in study.series]
    assert got == [
        (Plane.SAGITTAL, SeriesKind.T2),
        (Plane.SAGITTAL, SeriesKind.T1),
        (Plane.SAGITTAL, SeriesKind.STIR),
        (Plane.AXIAL, SeriesKind.T2),
    ]
    assert all(s.kind_confidence >= 0.8 for s in study.series)
    assert study.patient_age_years == 45


def test_slice_order_from_positions_not_file_names(tmp_path: Path) -> None:
    write_series(tmp_path, n=6, plane="sagittal", step_mm=4.0, origin=(-10.0, 40.0, 60.0))
    study = load_study(tmp_path)
    vol = study.series[0].volume
    assert vol is not None and vol.orientation == "RAS"
    # The sagittal IOP rows run posterior (+y LPS), columns inferior (-z): the slice normal
    # row x col is -x LPS (toward the patient's right), so slice k lies at x_LPS = -10 - 4k,
    # i.e. x_RAS = 10 + 4k, and holds the value 100 + k.
    for i in range(vol.shape[0]):
        k = int(round(float(np.median(vol.array[i]))) - 100)
        assert vol.world(np.array([i, 0.0, 0.0]))[0] == pytest.approx(10.0 + 4.0 * k)
    assert vol.spacing == pytest.approx((4.0, 0.7, 0.8))


def test_affine_maps_voxels_to_dicom_positions(tmp_path: Path) -> None:
    paths, _, _ = write_series(tmp_path, n=5, plane="axial", origin=(5.0, -3.0, 100.0))
    study = load_study(tmp_path)
    vol = study.series[0].volume
    assert vol is not None
    for path in paths:
        ds = pydicom.dcmread(path)
        ipp_lps = np.array(ds.ImagePositionPatient, float)
        ras = ipp_lps * [-1, -1, 1]
        ijk = np.round(vol.voxel(ras)).astype(int)
        assert np.allclose(vol.world(ijk), ras, atol=1e-6)
        # The first stored pixel (row 0, col 0) of the slice lies at IPP: its value is 100+k + 0.
        k = int(ds.InstanceNumber) - 1
        assert vol.array[tuple(ijk)] == 100 + k


def test_rescale_slope_intercept_applied(tmp_path: Path) -> None:
    write_series(tmp_path, n=3, slope=2.0, intercept=-50.0)
    vol = load_study(tmp_path).series[0].volume
    assert vol is not None
    assert vol.array.dtype == np.float32
    assert float(vol.array.min()) == 2.0 * 100 - 50


def test_zip_archive(tmp_path: Path) -> None:
    paths, _, _ = write_series(tmp_path / "src", n=4)
    archive = tmp_path / "study.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for p in paths:
            zf.write(p, arcname=f"DICOM/{p.name}")
        zf.writestr("README.txt", "not dicom")
    study = load_study(archive)
    assert study.series[0].n_instances == 4
    assert any("README" in k for k in study.skipped_files)


def test_non_dicom_skipped_and_truncated_listed(tmp_path: Path) -> None:
    paths, _, _ = write_series(tmp_path, n=5)
    (tmp_path / "notes.txt").write_text("hello")
    data = paths[2].read_bytes()
    (tmp_path / "broken_header.dcm").write_bytes(data[:300])
    (tmp_path / "broken_pixels.dcm").write_bytes(data[: len(data) - 200])
    study = load_study(tmp_path)
    assert str(tmp_path / "notes.txt") in study.skipped_files
    warning = next(w for w in study.warnings if "could not be read" in w)
    assert "broken_header.dcm" in warning and "broken_pixels.dcm" in warning
    assert "pixel data truncated" in warning
    assert study.series[0].n_instances == 5


def test_two_patients_is_a_clear_error(tmp_path: Path) -> None:
    write_series(tmp_path / "a", patient_id="ALICE")
    write_series(tmp_path / "b", patient_id="BOB")
    with pytest.raises(MixedStudyError, match=r"2 patients.*ALICE.*BOB"):
        load_study(tmp_path)


def test_two_studies_is_a_clear_error(tmp_path: Path) -> None:
    write_series(tmp_path / "a")
    write_series(tmp_path / "b")
    with pytest.raises(MixedStudyError, match="2 studies"):
        load_study(tmp_path)


def test_missing_slice_warns_and_keeps_geometry(tmp_path: Path) -> None:
    write_series(tmp_path, n=8, skip=(3,))
    study = load_study(tmp_path)
    assert any("missing slice" in w for w in study.warnings)
    vol = study.series[0].volume
    assert vol is not None and vol.shape[0] == 8
    assert np.count_nonzero([vol.array[i].max() == 0 for i in range(8)]) == 1


def test_many_missing_slices_is_an_error(tmp_path: Path) -> None:
    write_series(tmp_path, n=10, skip=(2, 3, 4, 5))
    with pytest.raises(MissingSlicesError, match="misses about 4 of 10"):
        load_study(tmp_path)


def test_inconsistent_orientation_names_the_series(tmp_path: Path) -> None:
    _, study, series = write_series(tmp_path / "a", n=3, description="SAG T2 MIXED")
    write_series(
        tmp_path / "b",
        n=2,
        plane="coronal",
        study_uid=study,
        series_uid=series,
        description="SAG T2 MIXED",
        origin=(0, 0, -200),
    )
    with pytest.raises(InconsistentSeriesError, match=r"SAG T2 MIXED.*orientations"):
        load_study(tmp_path)
    lenient = load_study(tmp_path, strict=False)
    assert lenient.series == [] and any("SAG T2 MIXED" in w for w in lenient.warnings)


def test_inconsistent_spacing_names_the_series(tmp_path: Path) -> None:
    _, study, series = write_series(tmp_path / "a", n=3, description="SAG T1 ODD")
    write_series(
        tmp_path / "b",
        n=2,
        study_uid=study,
        series_uid=series,
        spacing=(0.5, 0.5),
        description="SAG T1 ODD",
        origin=(-30, 40, 60),
    )
    with pytest.raises(InconsistentSeriesError, match=r"SAG T1 ODD.*pixel spacings"):
        load_study(tmp_path)


def test_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(EmptyInputError, match="empty"):
        load_study(tmp_path)


def test_folder_without_dicom(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("x")
    with pytest.raises(EmptyInputError, match="no readable DICOM"):
        load_study(tmp_path)


@pytest.mark.parametrize(
    "name",
    [
        "MR_small.dcm",
        "MR_small_RLE.dcm",
        "MR_small_jp2klossless.dcm",
        "MR_small_jpeg_ls_lossless.dcm",
        "MR_small_implicit.dcm",
        "MR_small_bigendian.dcm",
    ],
)
def test_transfer_syntaxes_decode_to_the_same_pixels(name: str) -> None:
    from pydicom.data import get_testdata_file

    reference = load_study(Path(get_testdata_file("MR_small.dcm"))).series[0].volume
    study = load_study(Path(get_testdata_file(name)))
    vol = study.series[0].volume
    assert vol is not None and reference is not None
    assert np.array_equal(vol.array, reference.array)
    assert study.series[0].kind == SeriesKind.T2  # TR 4000 ms, TE 240 ms


def test_jpeg_lossy_decodes() -> None:
    from pydicom.data import get_testdata_file

    study = load_study(Path(get_testdata_file("JPGExtended.dcm")))
    vol = study.series[0].volume
    assert vol is not None and vol.array.size > 0 and float(vol.array.std()) > 0
    assert study.series[0].kind == SeriesKind.NM
    assert any("geometry is unknown" in w for w in study.series[0].warnings)
