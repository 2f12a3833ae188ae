"""PET/CT written as DICOM, read by the ingest, analysed per level via the `nuclear` verb."""

from __future__ import annotations

import json
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
from pydicom.dataset import FileDataset
from pydicom.uid import generate_uid
from typer.testing import CliRunner

from spinepath.cli.main import app
from spinepath.errors import InputError
from spinepath.io import load_study
from spinepath.model import SeriesKind
from spinepath.nuclear.study import analyze_nuclear_study
from tests.io.dicom_factory import write_volume_series

from .pet_factory import pet_dataset, uniform_concentration
from .phantom import make_ct, make_pet


def _pet_tags(ds: FileDataset, _k: int) -> None:
    template = pet_dataset(np.ones((2, 2)))
    for tag in (
        "SeriesDate",
        "SeriesTime",
        "AcquisitionDate",
        "AcquisitionTime",
        "PatientWeight",
        "Units",
        "DecayCorrection",
        "RadiopharmaceuticalInformationSequence",
    ):
        setattr(ds, tag, getattr(template, tag))


@pytest.fixture(scope="module")
def pet_ct_study(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("petct")
    study_uid = generate_uid()
    ct, labels = make_ct()
    conc = uniform_concentration(370e6, 70.0, 3600.0)
    pet = make_pet(suv_to_bqml=conc)
    write_volume_series(
        root / "study" / "ct",
        ct.array,
        ct.affine,
        modality="CT",
        study_uid=study_uid,
        series_number=2,
        description="CT spine",
        rescale=(1.0, -1024.0),
    )
    write_volume_series(
        root / "study" / "pet",
        pet.array,
        pet.affine,
        modality="PT",
        study_uid=study_uid,
        series_number=3,
        description="PET AC",
        rescale=(float(pet.array.max()) / 30000.0, 0.0),
        extra=_pet_tags,
    )
    label_path = root / "labels.nii.gz"
    nib.save(nib.Nifti1Image(labels.array.astype(np.int16), labels.affine), label_path)
    return root / "study", label_path


def test_ingest_classifies_pet_and_ct(pet_ct_study: tuple[Path, Path]) -> None:
    study = load_study(pet_ct_study[0])
    kinds = sorted(s.kind.value for s in study.series)
    assert kinds == [SeriesKind.CT.value, SeriesKind.PET.value]
    ct = next(s for s in study.series if s.kind == SeriesKind.CT)
    assert ct.volume is not None and float(ct.volume.array.max()) == pytest.approx(3071.0)


def test_uptake_per_level_through_ingest(pet_ct_study: tuple[Path, Path]) -> None:
    study_dir, label_path = pet_ct_study
    from spinepath.io.nifti import load_nifti_volume

    result = analyze_nuclear_study(load_study(study_dir), labels=load_nifti_volume(label_path))
    v = {r["name"]: r for r in result["vertebrae"]}
    assert v["L2"]["suv_max"] == pytest.approx(8.0, abs=0.1)
    assert v["L1"]["suv_max"] == pytest.approx(2.0, abs=0.1)
    hw = [r for r in result["hardware"]["regions"] if r["kind"] == "hardware_level"]
    assert max(hw, key=lambda r: r["suv_max"])["name"].endswith("@ L5")


def test_cli_json_and_missing_ct(pet_ct_study: tuple[Path, Path], tmp_path: Path) -> None:
    study_dir, label_path = pet_ct_study
    runner = CliRunner()
    res = runner.invoke(app, ["nuclear", str(study_dir), "--labels", str(label_path), "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["modality"] == "PT" and data["units"].startswith("SUV")
    only_pet = load_study(study_dir / "pet")
    with pytest.raises(InputError, match="no CT series"):
        analyze_nuclear_study(only_pet)
