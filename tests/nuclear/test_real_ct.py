"""Uptake per level on a real CT (TotalSegmentator example, T11-S1, 3 mm) with its vertebra
labels and a synthetic PET of known uptake on a coarser, shifted grid."""

from __future__ import annotations

from pathlib import Path

import nibabel as nib
import numpy as np
import pytest

from spinepath.model.volume import Volume
from spinepath.nuclear import analyze_uptake, resample_to

from .pet_factory import pet_dataset, uniform_concentration

pytestmark = pytest.mark.shared_data


@pytest.fixture(scope="module")
def real_ct(shared_data: Path) -> tuple[Volume, Volume]:
    folder = shared_data / "totalseg-examples"
    ct_path, lab_path = folder / "example_ct.nii.gz", folder / "spine_report" / "totalseg.nii.gz"
    if not (ct_path.is_file() and lab_path.is_file()):
        pytest.skip("totalseg-examples CT or labels missing")
    ct, lab = nib.load(ct_path), nib.load(lab_path)
    return (
        Volume(np.asarray(ct.dataobj, dtype=np.float32), ct.affine),
        Volume(np.asarray(lab.dataobj, dtype=np.int16), lab.affine),
    )


def test_real_ct_uptake_per_level(real_ct: tuple[Volume, Volume]) -> None:
    ct, labels = real_ct
    # PET grid: 4 mm voxels, origin shifted by a non-integer number of CT voxels
    pet_aff = np.diag([4.0, 4.0, 4.0, 1.0])
    pet_aff[:3, 3] = ct.affine[:3, 3] + np.array([-1.3, 2.1, 0.7])
    shape = tuple(int(np.ceil(s * 3.0 / 4.0)) for s in ct.shape)
    pet_labels = resample_to(labels, Volume(np.zeros(shape), pet_aff), order=0).array
    suv = np.where(pet_labels > 0, 2.0, 0.8)
    suv[pet_labels == 29] = 9.0  # L3 (TotalSegmentator 29)
    conc = uniform_concentration(350e6, 75.0, 3900.0)
    pet = Volume(suv * conc, pet_aff)
    ds = pet_dataset(
        np.full((4, 4), conc),
        dose_bq=350e6,
        weight_kg=75.0,
        series_time="110500",
        start_time="100000",
    )
    res = analyze_uptake(pet, ct, modality="PT", pet_dataset=ds, labels=labels)
    names = [r["name"] for r in res["vertebrae"]]
    assert names == ["T11", "T12", "L1", "L2", "L3", "L4", "L5", "S1"]
    v = {r["name"]: r for r in res["vertebrae"]}
    assert v["L3"]["suv_max"] == pytest.approx(9.0, abs=0.05)
    assert max(res["vertebrae"], key=lambda r: r["tbr"])["name"] == "L3"
    for name in ("L1", "L5"):
        assert v[name]["suv_max"] == pytest.approx(2.0, abs=0.05)
        assert 1.0 < v[name]["suv_mean"] <= 2.0
    assert [r["name"] for r in res["disc_levels"]][-1] == "L5-S1"
    # this patient's only metal (11.6 mL, low on the left: a hip implant) is not spinal hardware
    comps = res["hardware"]["components"]
    assert comps and all(not c["spinal"] and c["distance_to_labelled_bone_mm"] > 30 for c in comps)
    assert not [r for r in res["hardware"]["regions"] if r["kind"] == "hardware_level"]
