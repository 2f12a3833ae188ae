"""Phantom studies shared by the phantom tests (generated once per session)."""

from __future__ import annotations

from pathlib import Path

import pytest

from spinepath.phantom import PhantomStudy, generate_study

PATHOLOGIES = [
    "pfirrmann:L1-L2=1", "pfirrmann:L2-L3=2", "pfirrmann:L3-L4=3", "pfirrmann:L4-L5=4",
    "pfirrmann:L5-S1=5",
    "modic:L3.inferior=1", "modic:L4.inferior=2", "modic:L5.inferior=3",
    "fracture:L1=30,wedge,acute",
    "stenosis:L3-L4=70",
    "lf:L4-L5=6",
    "herniation:L5-S1=extrusion,central,6",
    "herniation:L2-L3=protrusion,right_foraminal,4",
    "listhesis:L4-L5=15",
    "fat:multifidus.left=0.4",
]


@pytest.fixture(scope="session")
def sick() -> PhantomStudy:
    """Noise-free study with one of every pathology (seed 11)."""
    return generate_study(11, PATHOLOGIES, noise=False)


@pytest.fixture(scope="session")
def healthy() -> PhantomStudy:
    """Noise-free healthy study (seed 4)."""
    return generate_study(4, None, noise=False)


@pytest.fixture(scope="session")
def written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A study written by the CLI (seed 7, with noise and a few pathologies)."""
    from typer.testing import CliRunner

    from spinepath.cli.main import app

    out = tmp_path_factory.mktemp("phantom") / "study"
    res = CliRunner().invoke(app, ["phantom", str(out), "--seed", "7", "--pathology",
                                   "pfirrmann:L4-L5=4", "--pathology", "modic:L5-S1=1"])
    assert res.exit_code == 0, res.output
    return out
