"""Shared fixtures. Real data is read from ``$SPINEPATH_SHARED_DATA`` (default ../shared/data)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def shared_data_dir() -> Path:
    """Where the shared real data lives (env SPINEPATH_SHARED_DATA, else ../shared/data)."""
    env = os.environ.get("SPINEPATH_SHARED_DATA")
    return Path(env) if env else (REPO_ROOT.parent / "shared" / "data")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The shared data folder; the test is skipped (with the reason) when it is absent."""
    path = shared_data_dir()
    if not path.is_dir():
        pytest.skip(f"shared data not found at {path}; set SPINEPATH_SHARED_DATA")
    return path
