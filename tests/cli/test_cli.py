"""The command line: usage on bad arguments, clear errors on bad input, info output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from spinepath.cli.main import app
from tests.io.dicom_factory import write_series

runner = CliRunner()


def _leaf_commands(group: typer.Typer, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    import typer.main

    click_group = typer.main.get_command(group)
    out: list[tuple[str, ...]] = []

    def walk(cmd: object, path: tuple[str, ...]) -> None:
        sub = getattr(cmd, "commands", None)
        if sub:
            for name, child in sub.items():
                walk(child, (*path, name))
        else:
            out.append(path)

    walk(click_group, prefix)
    return out


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and "spinepath" in result.output


@pytest.mark.parametrize("command", _leaf_commands(app))
def test_every_command_rejects_unknown_options_with_usage(command: tuple[str, ...]) -> None:
    result = runner.invoke(app, [*command, "--no-such-option"])
    assert result.exit_code == 2, result.output
    assert "Usage" in result.output or "No such option" in result.output


def test_info_json(tmp_path: Path) -> None:
    write_series(tmp_path, n=4, description="SAG T2 TSE")
    result = runner.invoke(app, ["info", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["series"][0]["kind"] == "T2" and data["series"][0]["plane"] == "sagittal"


def test_info_table_and_bad_input(tmp_path: Path) -> None:
    write_series(tmp_path / "s", n=3)
    ok = runner.invoke(app, ["info", str(tmp_path / "s")])
    assert ok.exit_code == 0 and "sagittal" in ok.output
    empty = tmp_path / "empty"
    empty.mkdir()
    bad = runner.invoke(app, ["info", str(empty)])
    assert bad.exit_code == 3
    assert "empty" in bad.output
