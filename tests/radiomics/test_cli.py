"""``spinepath radiomics`` commands."""

from __future__ import annotations

import json
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
from typer.testing import CliRunner

from spinepath.cli.main import app

runner = CliRunner()


@pytest.mark.shared_data
def test_ibsi_check_json(shared_data: Path) -> None:
    res = runner.invoke(
        app,
        [
            "radiomics",
            "ibsi-check",
            "--data",
            str(shared_data / "ibsi"),
            "-d",
            "digital_phantom",
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    (r,) = out["results"]
    assert r["dataset"] == "digital_phantom" and r["matched"] == r["total"] > 450


def test_ibsi_check_missing_data_folder(tmp_path: Path) -> None:
    res = runner.invoke(app, ["radiomics", "ibsi-check", "--data", str(tmp_path / "nope")])
    assert res.exit_code == 3
    assert "not found" in res.output


def test_extract_writes_features_with_codes(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    arr = rng.normal(50, 10, (20, 20, 10)).astype(np.float32)
    lab = np.zeros(arr.shape, np.uint8)
    lab[5:15, 4:16, 2:8] = 2
    aff = np.diag([1.0, 1.0, 2.0, 1.0])
    nib.save(nib.Nifti1Image(arr, aff), tmp_path / "img.nii.gz")
    nib.save(nib.Nifti1Image(lab, aff), tmp_path / "lab.nii.gz")
    out = tmp_path / "f.json"
    res = runner.invoke(
        app,
        [
            "radiomics",
            "extract",
            str(tmp_path / "img.nii.gz"),
            str(tmp_path / "lab.nii.gz"),
            "--label",
            "2",
            "-o",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    rows = {r["feature"]: r for r in json.loads(out.read_text())}
    assert rows["morph_vol_approx"]["value"] == pytest.approx(10 * 12 * 6 * 2.0)
    assert rows["morph_volume"]["ibsi_code"] == "RNU0"


def test_radiomics_without_arguments_prints_usage() -> None:
    res = runner.invoke(app, ["radiomics"])
    assert "ibsi-check" in res.output
