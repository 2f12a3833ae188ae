"""``spinepath model evaluate|train`` and ``spinepath harmonise`` end to end on a small
synthetic cohort."""

from __future__ import annotations

import json
import re
from pathlib import Path

import joblib
import pandas as pd
import pytest
from typer.testing import CliRunner

from spinepath.cli.main import app
from spinepath.cohort.modelling.synthetic import make_cohort

runner = CliRunner()
ROLES = ["--keys", "patient,disc", "--clinical", "age,sex,disc", "--radiomics-prefix", "rad_",
         "--protect", "disc"]


@pytest.fixture(scope="module")
def tables(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("cohort")
    df, pert = make_cohort(30, seed=3)
    paths = {"main": d / "features.csv", "erode": d / "erode.parquet", "dilate": d / "dil.csv"}
    df.to_csv(paths["main"], index=False)
    pert[1].to_parquet(paths["erode"])
    pert[2].to_csv(paths["dilate"], index=False)
    return paths


def test_evaluate_writes_a_self_contained_report(tables, tmp_path):
    out = tmp_path / "eval"
    res = runner.invoke(app, ["model", "evaluate", str(tables["main"]), "-o", str(out), *ROLES,
                              "--perturbed", str(tables["erode"]), "--perturbed",
                              str(tables["dilate"]), "--outer", "3", "--inner", "2",
                              "--n-boot", "100", "--kinds", "clinical,combined"])
    assert res.exit_code == 0, res.output
    html = (out / "report.html").read_text()
    assert html.count("data:image/png;base64,") >= 7  # ROC, calibration, DCA x2, SHAP x2
    assert not re.search(r"(src|href)=\"https?://", html)  # nothing fetched from outside
    for item in ("TRIPOD+AI", "Calibration", "decision curve", "leave site out", "SHAP",
                 "ICC(3,1)", "ComBat"):
        assert item in html
    metrics = json.loads((out / "metrics.json").read_text())
    models = {(r["model"], r["scheme"]) for r in metrics["performance"]}
    assert ("combined/logistic_l1", "nested_cv") in models
    assert ("clinical/logistic_l1", "leave_site_out") in models
    comb = next(r for r in metrics["performance"]
                if r["model"] == "combined/logistic_l1" and r["scheme"] == "nested_cv")
    assert comb["auc_ci_low"] < comb["auc"] < comb["auc_ci_high"]
    assert metrics["comparisons"] and "delong_p" in metrics["comparisons"][0]
    assert all(d.get("robust") == 1 for d in
               metrics["fold_dropped"]["combined/logistic_l1|nested_cv"])
    pred = pd.read_csv(out / "predictions.csv")
    assert {"y", "p", "fold", "group", "site", "model", "scheme"} <= set(pred.columns)


def test_train_saves_a_model_and_card(tables, tmp_path):
    out = tmp_path / "m" / "model.joblib"
    res = runner.invoke(app, ["model", "train", str(tables["main"]), "-o", str(out), *ROLES,
                              "--kind", "radiomics", "--inner", "2"])
    assert res.exit_code == 0, res.output
    bundle = joblib.load(out)
    card = json.loads(out.with_suffix(".json").read_text())
    assert card["model"] == "radiomics/logistic_l1"
    assert set(card["harmonisation_sites"]) == {"siteA", "siteB", "siteC"}
    df = pd.read_csv(tables["main"])
    p = bundle["pipeline"].predict_proba(df)[:, 1]
    assert p.shape == (len(df),) and ((p >= 0) & (p <= 1)).all()


def test_harmonise_command(tables, tmp_path):
    out = tmp_path / "h.csv"
    res = runner.invoke(app, ["harmonise", str(tables["main"]), "-o", str(out),
                              "--features-prefix", "rad_", "--protect", "disc"])
    assert res.exit_code == 0, res.output
    before, after = pd.read_csv(tables["main"]), pd.read_csv(out)
    assert (before["age"] == after["age"]).all()
    spread_before = before.groupby("site")["rad_noise0"].mean().std()
    spread_after = after.groupby("site")["rad_noise0"].mean().std()
    assert spread_after < 0.5 * spread_before


def test_bad_arguments_and_inputs(tables, tmp_path):
    assert runner.invoke(app, ["model", "evaluate"]).exit_code == 2
    assert runner.invoke(app, ["model", "train"]).exit_code == 2
    res = runner.invoke(app, ["model", "evaluate", str(tables["main"]), "-o", str(tmp_path),
                              "--outcome", "nope"])
    assert res.exit_code == 3 and "nope" in res.output
    res = runner.invoke(app, ["model", "evaluate", str(tables["main"]), "-o", str(tmp_path),
                              *ROLES, "--learners", "svm"])
    assert res.exit_code == 3 and "svm" in res.output
