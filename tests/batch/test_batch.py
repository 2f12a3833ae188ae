"""Cohort batch on a real Dask LocalCluster: tables, failures, resume."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from spinepath.cohort.batch import discover_studies, inventory_for_batch, run_batch
from spinepath.errors import InputError
from tests.io.dicom_factory import write_series


def _cohort(root: Path) -> Path:
    inputs = root / "in"
    for i in range(3):
        write_series(inputs / f"study{i}", n=3, patient_id=f"P{i}")
    (inputs / "broken").mkdir()
    (inputs / "broken" / "x.txt").write_text("not an image")
    return inputs


def test_batch_tables_failures_and_resume(tmp_path: Path) -> None:
    inputs = _cohort(tmp_path)
    out = tmp_path / "out"
    first = run_batch(inputs, out, n_workers=2, processor=inventory_for_batch, progress=False)
    assert (first.n_studies, first.n_done, first.n_failed, first.n_skipped) == (4, 3, 1, 0)
    series = pd.read_parquet(first.tables["series"])
    assert sorted(series.study_id) == ["study0", "study1", "study2"]
    assert set(series.kind) == {"T2"}
    failures = pd.read_parquet(first.tables["failures"])
    assert failures.study_id.tolist() == ["broken"]
    assert "no readable DICOM" in failures.message.iloc[0]
    provenance = json.loads((out / "provenance.json").read_text())
    assert provenance["summary"]["n_failed"] == 1

    # a killed run: one study's DONE marker missing -> only it (and the failure) run again
    (out / "studies" / "study1" / "DONE").unlink()
    second = run_batch(inputs, out, n_workers=1, processor=inventory_for_batch, progress=False)
    assert (second.n_done, second.n_skipped, second.n_failed) == (1, 2, 1)
    assert len(pd.read_parquet(second.tables["series"])) == 3

    # a changed input is processed again
    shutil.rmtree(inputs / "study2")
    write_series(inputs / "study2", n=4, patient_id="P2")
    third = run_batch(inputs, out, n_workers=1, processor=inventory_for_batch, progress=False)
    assert third.n_done == 1 and third.n_skipped == 2


def test_discover_rejects_empty(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="holds no studies"):
        discover_studies(tmp_path)
    with pytest.raises(InputError, match="not a folder"):
        discover_studies(tmp_path / "missing")
