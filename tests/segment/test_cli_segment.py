"""``spinepath segment`` end to end on a real NIfTI volume, and its refusals."""

from __future__ import annotations

import json

import nibabel as nib
import numpy as np
import pytest
from typer.testing import CliRunner

from spinepath.cli.main import app


@pytest.mark.shared_data
def test_segment_cli_writes_label_maps_and_qc(shared_data, tmp_path):
    src = shared_data / "sct-t2-lumbar" / "t2_lumbar.nii.gz"
    r = CliRunner().invoke(app, ["segment", str(src), "-o", str(tmp_path)])
    assert r.exit_code == 0, r.output
    summary = json.loads(next(tmp_path.glob("*_segmentation.json")).read_text())
    seg = nib.load(tmp_path / summary["outputs"]["semantic"])
    lev = nib.load(tmp_path / summary["outputs"]["levels"])
    assert seg.shape == nib.load(src).shape  # already RAS: same grid
    assert np.allclose(seg.affine, nib.load(src).affine)
    assert set(np.unique(np.asarray(seg.dataobj))) >= {0, 1, 3, 4}
    assert 124 in np.unique(np.asarray(lev.dataobj))
    assert (tmp_path / summary["outputs"]["qc"]).stat().st_size > 10_000
    assert summary["levels"]["discs"][-1]["name"] == "L5-S1"


@pytest.mark.shared_data
def test_segment_cli_refuses_axial_series(shared_data, tmp_path):
    src = shared_data / "totalseg-examples" / "example_mr_sm.nii.gz"
    r = CliRunner().invoke(app, ["segment", str(src), "-o", str(tmp_path)])
    assert r.exit_code == 3
    assert "sagittal" in r.output
