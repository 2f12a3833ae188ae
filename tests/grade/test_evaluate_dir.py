"""`spinepath evaluate grading` on a small folder in the spider-dev layout (3 real patients)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from spinepath.cli.main import app
from spinepath.errors import InputError
from spinepath.grade.evaluate_dir import evaluate_grading


@pytest.fixture(scope="module")
def small_spider(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    src = shared_data / "spider-dev"
    out = tmp_path_factory.mktemp("spider3")
    grades = pd.read_csv(src / "radiological_gradings.csv")
    patients = sorted(grades.Patient.unique())[:3]
    grades[grades.Patient.isin(patients)].to_csv(out / "radiological_gradings.csv", index=False)
    overview = pd.read_csv(src / "overview.csv")
    names = [f"{p}_{s}" for p in patients for s in ("t1", "t2")]
    overview[overview.new_file_name.isin(names)].to_csv(out / "overview.csv", index=False)
    for seq in ("t1", "t2"):
        (out / seq).mkdir()
        for p in patients:
            shutil.copy(src / seq / f"{p}_{seq}.png", out / seq / f"{p}_{seq}.png")
    return out


def test_evaluate_grading_json(small_spider: Path) -> None:
    res = CliRunner().invoke(app, ["evaluate", "grading", str(small_spider), "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["n_patients"] == 3 and data["n_discs"] >= 15
    for key in (
        "pfirrmann",
        "modic_any",
        "herniation",
        "bulging",
        "narrowing",
        "spondylolisthesis",
        "endplate_defect",
    ):
        assert key in data
    pf = data["pfirrmann"]
    assert 0.0 <= pf["balanced_accuracy"] <= 1.0 and len(pf["confusion_matrix"]["rows"]) == 5
    assert sum(map(sum, pf["confusion_matrix"]["rows"])) == data["n_discs"]


def test_evaluate_grading_wrong_layout(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="spider-dev layout"):
        evaluate_grading(tmp_path)
