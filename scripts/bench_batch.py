"""Benchmark: cohort batch throughput with 1 and 2 Dask workers (issue: 2 workers >= 1.7x).

Usage: python scripts/bench_batch.py [--studies 8] [--job analyze] [--work DIR]
Writes phantom DICOM studies (different seeds), then runs the whole per-study job on a
LocalCluster with 1 worker and with 2 workers (fresh output folders) and prints studies per
minute and the ratio as JSON. Needs the shipped models for the analyze job.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

from spinepath.cohort.batch import JOBS, run_batch
from spinepath.phantom import generate_study
from spinepath.phantom.write import write_study


def make_cohort(root: Path, n: int) -> None:
    """``n`` phantom studies as DICOM folders under ``root``."""
    for seed in range(n):
        tmp = root.parent / f"_phantom{seed}"
        write_study(generate_study(100 + seed), tmp, nifti=False)
        shutil.move(str(tmp / "dicom"), str(root / f"study{seed:02d}"))
        shutil.rmtree(tmp)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--studies", type=int, default=8)
    parser.add_argument("--job", default="analyze", choices=sorted(JOBS))
    parser.add_argument("--work", type=Path, default=None)
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="spinepath-bench-"))
    inputs = work / "inputs"
    if not inputs.is_dir():
        inputs.mkdir(parents=True)
        make_cohort(inputs, args.studies)
    result = {"studies": args.studies, "job": args.job}
    for workers in (1, 2):
        out = work / f"out{workers}"
        shutil.rmtree(out, ignore_errors=True)
        t0 = time.perf_counter()
        summary = run_batch(inputs, out, n_workers=workers, processor=JOBS[args.job],
                            progress=False)
        seconds = time.perf_counter() - t0
        assert summary.n_failed == 0, f"{summary.n_failed} studies failed"
        result[f"seconds_{workers}_workers"] = round(seconds, 1)
        result[f"studies_per_min_{workers}_workers"] = round(60 * args.studies / seconds, 2)
    result["speedup_2_vs_1"] = round(result["seconds_1_workers"] / result["seconds_2_workers"], 2)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
