"""Benchmark: ingest a 4-series DICOM study of 512x512 slices (issue: < 2 s on this machine).

Usage: python scripts/bench_ingest.py [--slices-per-series 100] [--repeats 3]
Writes the study to a temporary folder with the test factory's geometry, then times load_study
(file discovery, parsing, grouping, classification, volume building) cold and warm.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pydicom
from pydicom.uid import generate_uid

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.io.dicom_factory import ORIENTATIONS, make_slice

from spinepath.io import load_study

SERIES = [
    ("SAG T2 TSE", "sagittal", 3500.0, 100.0, None, "SE"),
    ("SAG T1 TSE", "sagittal", 550.0, 10.0, None, "SE"),
    ("SAG STIR", "sagittal", 4000.0, 60.0, 160.0, "IR"),
    ("AX T2 TSE", "axial", 4000.0, 110.0, None, "SE"),
]


def write_study(root: Path, n: int) -> None:
    """Write 4 series of ``n`` 512x512 slices."""
    study = generate_uid()
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 4000, size=(512, 512), dtype=np.uint16)
    for number, (desc, plane, tr, te, ti, seq) in enumerate(SERIES, start=1):
        series_uid = generate_uid()
        iop = ORIENTATIONS[plane]
        normal = np.cross(iop[:3], iop[3:])
        folder = root / f"s{number}"
        folder.mkdir(parents=True)
        for k in range(n):
            ds = make_slice(pixels=pixels, ipp=list(k * 1.0 * normal), iop=iop, study_uid=study,
                            series_uid=series_uid, description=desc, tr=tr, te=te, ti=ti,
                            scanning_sequence=seq, instance=k + 1, series_number=number)
            pydicom.dcmwrite(folder / f"{k:04d}.dcm", ds, enforce_file_format=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--slices-per-series", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_study(root, args.slices_per_series)
        times = []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            study = load_study(root)
            times.append(time.perf_counter() - t0)
        assert len(study.series) == 4
        print(json.dumps({
            "series": len(study.series),
            "slices_total": sum(s.n_instances for s in study.series),
            "matrix": "512x512",
            "seconds_first": round(times[0], 3),
            "seconds_best": round(min(times), 3),
        }))


if __name__ == "__main__":
    main()
