"""The optional TotalSegmentator backend, with a fake ``TotalSegmentator`` command on PATH
(TotalSegmentator itself is not installed in the test environment)."""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
from typer.testing import CliRunner

from spinepath.cli.main import app
from spinepath.errors import AnalysisError
from spinepath.io.nifti import load_nifti_study
from spinepath.segment import labels as L
from spinepath.segment import totalseg

runner = CliRunner()

# A stand-in for the TotalSegmentator CLI: reads -i/-o/--task/--ml, checks them, and writes a
# total_mr multi-label map (18 sacrum, 19 vertebrae, 20 discs, 21 spinal cord) on the input grid.
# The input is a RAS sagittal stack (axis 0 R-L slices, axis 1 A, axis 2 S), so from the bottom
# up: sacrum, then six (disc, vertebra) pairs - discs L5-S1 .. T12-L1, vertebrae L5 .. T12.
FAKE_TOTALSEG = """#!{python}
import argparse, os, sys, time
import nibabel as nib
import numpy as np

p = argparse.ArgumentParser()
p.add_argument("-i", required=True)
p.add_argument("-o", required=True)
p.add_argument("--ml", action="store_true")
p.add_argument("--task", "-ta", default="total")
p.add_argument("--fast", action="store_true")
p.add_argument("--device", default="gpu")
a = p.parse_args()
mode = os.environ.get("FAKE_TOTALSEG_MODE", "ok")
with open(os.path.join(os.path.dirname(a.o), "argv.txt"), "w") as f:
    f.write(" ".join(sys.argv[1:]))
if mode == "fail":
    print("nnUNet: loading model", file=sys.stderr)
    print("RuntimeError: CUDA out of memory (fake)", file=sys.stderr)
    sys.exit(3)
if mode == "sleep":
    print("predicting...", file=sys.stderr, flush=True)
    time.sleep(30)
if mode == "nothing":
    sys.exit(0)
assert a.ml and a.task == "total_mr", sys.argv
img = nib.load(a.i)
lab = np.zeros(img.shape, np.uint8)
z = 10
lab[:, 30:75, z : z + 60] = 18
z += 60
for _ in range(6):
    lab[:, 32:68, z : z + 10] = 20
    lab[:, 30:70, z + 10 : z + 35] = 19
    z += 35
lab[:, 20:30, 5:290] = 21
nib.save(nib.Nifti1Image(lab, img.affine), a.o)
"""


@pytest.fixture
def sagittal_t2(tmp_path: Path) -> Path:
    """A synthetic sagittal T2 NIfTI (RAS, 4 mm slices, 1 mm in-plane)."""
    rng = np.random.default_rng(0)
    arr = (100 + 20 * rng.standard_normal((5, 120, 300))).astype(np.float32)
    path = tmp_path / "sag_t2.nii.gz"
    nib.save(nib.Nifti1Image(arr, np.diag([4.0, 1.0, 1.0, 1.0])), path)
    return path


@pytest.fixture
def no_totalseg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """TotalSegmentator absent: an empty PATH entry and no importable package."""
    empty = tmp_path / "emptybin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.setattr(totalseg, "_python_package_available", lambda: False)


@pytest.fixture
def fake_totalseg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fake ``TotalSegmentator`` first on PATH and a non-empty weights folder."""
    bindir = tmp_path / "fakebin"
    bindir.mkdir()
    exe = bindir / "TotalSegmentator"
    exe.write_text(FAKE_TOTALSEG.format(python=sys.executable))
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    monkeypatch.setenv("PATH", str(bindir) + os.pathsep + os.environ.get("PATH", ""))
    weights = tmp_path / "weights"
    (weights / "Dataset852_TotalSegMRI_total_3mm_1088subj").mkdir(parents=True)
    monkeypatch.setenv("TOTALSEG_WEIGHTS_PATH", str(weights))
    monkeypatch.delenv("FAKE_TOTALSEG_MODE", raising=False)
    return exe


def test_not_installed_gives_install_hint(no_totalseg, sagittal_t2: Path, tmp_path: Path):
    assert not totalseg.totalsegmentator_available()
    out = tmp_path / "out"
    r = runner.invoke(
        app, ["segment", str(sagittal_t2), "-o", str(out), "--backend", "totalsegmentator"]
    )
    assert r.exit_code == AnalysisError.exit_code == 4, r.output
    text = " ".join(r.output.split())
    assert "not installed" in text and "pip install TotalSegmentator" in text
    assert "totalseg_download_weights" in text and "never downloads" in text
    assert not out.exists() or not list(out.glob("*_seg.nii.gz"))


def test_backend_and_segmentation_are_mutually_exclusive(sagittal_t2: Path, tmp_path: Path):
    r = runner.invoke(
        app,
        [
            "segment",
            str(sagittal_t2),
            "-o",
            str(tmp_path / "o"),
            "--backend",
            "totalsegmentator",
            "--segmentation",
            str(sagittal_t2),
        ],
    )
    assert r.exit_code == 2, r.output
    assert "mutually exclusive" in " ".join(r.output.split())
    bad = runner.invoke(app, ["segment", str(sagittal_t2), "-o", str(tmp_path), "--backend", "x"])
    assert bad.exit_code == 2, bad.output


def test_fake_totalsegmentator_end_to_end(fake_totalseg: Path, sagittal_t2: Path, tmp_path: Path):
    assert totalseg.totalsegmentator_available()
    out = tmp_path / "out"
    r = runner.invoke(
        app, ["segment", str(sagittal_t2), "-o", str(out), "--backend", "totalsegmentator"]
    )
    assert r.exit_code == 0, r.output
    summary = json.loads(next(out.glob("*_segmentation.json")).read_text())
    names = [d["name"] for d in summary["levels"]["discs"]]
    assert names == ["T12-L1", "L1-L2", "L2-L3", "L3-L4", "L4-L5", "L5-S1"], summary["levels"]
    assert summary["provenance"]["convention"] == "total_mr"
    assert summary["provenance"]["totalsegmentator"]["task"] == "total_mr"
    assert (out / summary["outputs"]["totalsegmentator"]).is_file()
    lev = np.asarray(nib.load(out / summary["outputs"]["levels"]).dataobj)
    sem = np.asarray(nib.load(out / summary["outputs"]["semantic"]).dataobj)
    assert {L.disc_id("L5-S1"), L.disc_id("T12-L1"), L.CANAL_ID} <= set(np.unique(lev))
    assert {L.VERTEBRA_IDS[v] for v in ("L1", "L3", "L5")} <= set(np.unique(lev))
    assert {L.SACRUM, L.DISC, L.CANAL} <= set(np.unique(sem))
    # the L5-S1 disc sits where the fake wrote the lowest disc (z 70..79)
    zs = np.nonzero((lev == L.disc_id("L5-S1")).any(axis=(0, 1)))[0]
    assert zs.min() == 70 and zs.max() == 79
    # the temporary work folder (NIfTI copy of the image, fake's argv.txt) stays out of OUT
    assert Path(summary["provenance"]["labelmap"]).parent == out
    assert not (out / "argv.txt").exists() and not list(out.glob("totalseg_input*"))


def test_command_line_flags(fake_totalseg: Path, sagittal_t2: Path, tmp_path: Path):
    series = load_nifti_study(sagittal_t2).series[0]
    work = tmp_path / "work"
    path = totalseg.run_totalsegmentator(series, work, task="total_mr", fast=True, device="cpu")
    assert path.is_file() and nib.load(path).shape == series.volume.shape
    argv = (work / "argv.txt").read_text().split()
    assert argv[argv.index("--task") + 1] == "total_mr" and "--ml" in argv and "--fast" in argv
    assert argv[argv.index("--device") + 1] == "cpu"


def test_failure_reports_stderr_tail(fake_totalseg, sagittal_t2, tmp_path, monkeypatch):
    series = load_nifti_study(sagittal_t2).series[0]
    monkeypatch.setenv("FAKE_TOTALSEG_MODE", "fail")
    with pytest.raises(AnalysisError, match="exit status 3") as info:
        totalseg.run_totalsegmentator(series, tmp_path / "w1")
    assert "CUDA out of memory (fake)" in str(info.value)
    monkeypatch.setenv("FAKE_TOTALSEG_MODE", "nothing")
    with pytest.raises(AnalysisError, match="wrote no label map"):
        totalseg.run_totalsegmentator(series, tmp_path / "w2")


def test_timeout_is_reported(fake_totalseg, sagittal_t2, tmp_path, monkeypatch):
    series = load_nifti_study(sagittal_t2).series[0]
    monkeypatch.setenv("FAKE_TOTALSEG_MODE", "sleep")
    with pytest.raises(AnalysisError, match="did not finish within 2 s"):
        totalseg.run_totalsegmentator(series, tmp_path / "w", timeout_s=2)


def test_missing_weights_refused_before_running(fake_totalseg, sagittal_t2, tmp_path, monkeypatch):
    series = load_nifti_study(sagittal_t2).series[0]
    monkeypatch.setenv("TOTALSEG_WEIGHTS_PATH", str(tmp_path / "no-weights"))
    with pytest.raises(AnalysisError, match="no TotalSegmentator weights"):
        totalseg.run_totalsegmentator(series, tmp_path / "w")
    assert not (tmp_path / "w" / "argv.txt").exists()


def test_unsupported_task_is_an_input_error(fake_totalseg, sagittal_t2, tmp_path):
    r = runner.invoke(
        app,
        [
            "segment",
            str(sagittal_t2),
            "-o",
            str(tmp_path / "o"),
            "--backend",
            "totalsegmentator",
            "--totalseg-task",
            "lung_vessels",
        ],
    )
    assert r.exit_code == 3, r.output
    assert "total_mr" in r.output
