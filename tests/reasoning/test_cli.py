"""``spinepath reason`` on the command line."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from spinepath.cli.main import app

CASES = Path(__file__).parent / "cases"
runner = CliRunner()


def test_reason_json_has_vignette_vocabulary() -> None:
    res = runner.invoke(app, ["reason", str(CASES / "s01_foraminal_l4.yaml"), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    for key in ("triage", "phenotype_primary", "pain_generator_top", "next_steps", "flags",
                "incidental", "triage_reasons", "pain_generators", "imaging_indication"):
        assert key in out
    assert out["phenotype_primary"] == "radicular"
    assert all("procedure" in s and "reasons" in s for s in out["next_steps"])


def test_reason_text_output() -> None:
    res = runner.invoke(app, ["reason", str(CASES / "s08_discogenic.yaml")])
    assert res.exit_code == 0 and "phenotype" in res.output


def test_reason_evaluate_json() -> None:
    res = runner.invoke(app, ["reason", "evaluate", str(CASES), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["n_cases"] == len(list(CASES.glob("*.yaml")))
    assert out["n_cases_passed"] == out["n_cases"]


def test_usage_on_no_args() -> None:
    assert runner.invoke(app, ["reason"]).exit_code == 2


def test_bad_input_exit_code(tmp_path: Path) -> None:
    res = runner.invoke(app, ["reason", str(tmp_path / "missing.yaml")])
    assert res.exit_code == 3
    bad = tmp_path / "bad.yaml"
    bad.write_text("patient: {age: 40}\nclinical: {red_flags: [headache]}\n")
    res = runner.invoke(app, ["reason", str(bad)])
    assert res.exit_code == 3 and "red flag" in res.output
