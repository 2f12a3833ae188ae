"""NIfTI and PNG ingest, on real files from ../shared/data and on small made-up images."""

from __future__ import annotations

from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
from PIL import Image

from spinepath.errors import InputError, UnsupportedInputError
from spinepath.io import load_study
from spinepath.model import Plane, SeriesKind


def test_real_nifti_sagittal_t2(shared_data: Path) -> None:
    path = shared_data / "sct-t2-lumbar" / "t2_lumbar.nii.gz"
    study = load_study(path)
    series = study.series[0]
    assert series.plane == Plane.SAGITTAL
    vol = series.volume
    assert vol is not None and vol.shape == (38, 257, 201) and vol.orientation == "RAS"
    assert np.allclose(vol.affine, nib.load(path).affine)


def test_real_ct_nifti_is_reoriented_without_moving_voxels(shared_data: Path) -> None:
    path = shared_data / "tptbox" / "sub-ct_label-22_ct.nii.gz"
    img = nib.load(path)
    vol = load_study(path, kind=SeriesKind.CT).series[0].volume
    assert vol is not None and vol.orientation == "RAS"
    data = np.asanyarray(img.dataobj)
    # the world position of the brightest voxel is the same before and after reorientation
    src = np.unravel_index(np.argmax(data), data.shape)
    dst = np.unravel_index(np.argmax(vol.array), vol.shape)
    world_src = img.affine[:3, :3] @ np.array(src) + img.affine[:3, 3]
    assert np.allclose(vol.world(np.array(dst, float)), world_src)


def test_nifti_lps_affine_round_trip(tmp_path: Path) -> None:
    data = np.arange(4 * 5 * 6, dtype=np.int16).reshape(4, 5, 6)
    affine = np.array([[-0.5, 0, 0, 10], [0, -0.6, 0, 20], [0, 0, 3.0, -5], [0, 0, 0, 1]])
    nib.save(nib.Nifti1Image(data, affine), tmp_path / "x_t2.nii.gz")
    study = load_study(tmp_path / "x_t2.nii.gz")
    vol = study.series[0].volume
    assert vol is not None and vol.orientation == "RAS"
    assert study.series[0].kind == SeriesKind.T2
    for ijk in [(0, 0, 0), (3, 4, 5), (1, 2, 3)]:
        world = affine[:3, :3] @ np.array(ijk) + affine[:3, 3]
        new_ijk = np.round(vol.voxel(world)).astype(int)
        assert vol.array[tuple(new_ijk)] == data[ijk]
    assert study.series[0].plane == Plane.AXIAL  # 3 mm slices along z


def test_spider_png_uses_overview_spacing_and_flip(shared_data: Path) -> None:
    png = shared_data / "spider-dev" / "t2" / "10_t2.png"
    study = load_study(png)
    series = study.series[0]
    assert series.kind == SeriesKind.T2 and series.plane == Plane.SAGITTAL
    vol = series.volume
    assert vol is not None
    raw = np.asarray(Image.open(png).convert("L"))
    assert vol.spacing[1] == pytest.approx(0.36458334326744)
    # display picture = flipud(raw): head up
    assert np.array_equal(vol.sagittal_display(0), np.flipud(raw))


def test_spider_patient_folder(shared_data: Path) -> None:
    study = load_study(shared_data / "spider-dev", patient="10")
    assert [s.kind for s in study.series] == [SeriesKind.T1, SeriesKind.T2]
    with pytest.raises(InputError, match="--patient"):
        load_study(shared_data / "spider-dev")


def test_png_needs_spacing(tmp_path: Path) -> None:
    Image.fromarray(np.zeros((10, 8), np.uint8)).save(tmp_path / "slice.png")
    with pytest.raises(InputError, match="pixel spacing"):
        load_study(tmp_path / "slice.png")
    study = load_study(tmp_path / "slice.png", pixel_spacing=(0.5, 0.4))
    vol = study.series[0].volume
    assert vol is not None and vol.spacing[1:] == (0.4, 0.5)


def test_unsupported_and_missing(tmp_path: Path) -> None:
    (tmp_path / "a.xyz").write_text("?")
    with pytest.raises(UnsupportedInputError):
        load_study(tmp_path / "a.xyz")
    with pytest.raises(InputError, match="does not exist"):
        load_study(tmp_path / "nope")
