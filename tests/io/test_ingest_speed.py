"""Ingest speed: a 4-series study of ~100 slices of 512x512 in under 2 s (issue target)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from spinepath.io import load_study

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))


def test_four_series_hundred_slices_under_two_seconds(tmp_path: Path) -> None:
    from bench_ingest import write_study

    write_study(tmp_path, 25)
    t0 = time.perf_counter()
    study = load_study(tmp_path)
    elapsed = time.perf_counter() - t0
    assert [s.n_instances for s in study.series] == [25, 25, 25, 25]
    assert elapsed < 2.0, f"ingest took {elapsed:.2f} s"
