"""The ``spinepath meta`` command: JSON contract, plots, and clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from spinepath.cli.main import app

runner = CliRunner()


def _table(path: Path, k: int = 8) -> Path:
    rng = np.random.default_rng(0)
    tp = rng.integers(30, 50, k)
    fp = rng.integers(5, 20, k)
    pd.DataFrame(
        {
            "study": [f"s{i}" for i in range(k)],
            "TP": tp,
            "FN": 60 - tp,
            "FP": fp,
            "TN": 80 - fp,
            "design": ["a", "b"] * (k // 2),
        }
    ).to_csv(path, index=False)
    return path


def test_meta_json_contract_and_plots(tmp_path: Path) -> None:
    csv = _table(tmp_path / "s.csv")
    res = runner.invoke(app, ["meta", str(csv), "--json", "--plots", str(tmp_path / "plots")])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    for key in ("sensitivity", "false_positive_rate"):
        assert set(out[key]) >= {"estimate", "ci_low", "ci_high"}
        assert out[key]["ci_low"] <= out[key]["estimate"] <= out[key]["ci_high"]
    for key in ("tau_sens", "tau_fpr", "rho", "loglik", "auc", "partial_auc"):
        assert isinstance(out[key], float), key
    names = {Path(p).name for p in out["plots"]}
    assert names == {"forest_sens_spec.png", "forest_sens_spec.svg", "sroc.png", "sroc.svg"}
    assert (tmp_path / "plots" / "sroc.png").stat().st_size > 1000


def test_meta_regression_and_text_output(tmp_path: Path) -> None:
    csv = _table(tmp_path / "s.csv", k=10)
    res = runner.invoke(app, ["meta", str(csv), "--covariate", "design", "--method", "ml"])
    assert res.exit_code == 0, res.output
    assert "designb" in res.stdout and "ML" in res.stdout


def test_meta_two_studies_exit_code_and_message(tmp_path: Path) -> None:
    csv = _table(tmp_path / "s.csv", k=2)
    res = runner.invoke(app, ["meta", str(csv)])
    assert res.exit_code == 3
    assert "at least 3" in res.output


def test_meta_missing_file(tmp_path: Path) -> None:
    res = runner.invoke(app, ["meta", str(tmp_path / "none.csv")])
    assert res.exit_code == 3 and "not found" in res.output
