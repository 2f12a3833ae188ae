"""Benchmark: time to write every report output for one analysed study.

Run: ``.venv/bin/python -m tests.report.bench_report [--pixel-mm 0.2] [--slices 15]``.
Prints the seconds per stage (imports excluded: they happen once per process).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pixel-mm", type=float, default=0.2)
    parser.add_argument("--slices", type=int, default=15)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    import highdicom  # noqa: F401
    import weasyprint  # noqa: F401

    from spinepath.io import load_study
    from spinepath.model.report import Impression, Report
    from spinepath.model.study import Plane, SeriesKind
    from spinepath.report import write_report_bundle
    from tests.report.synthetic import (
        label_maps_on,
        sample_findings,
        sample_reasoning,
        write_study,
    )

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_study(root / "study", pixel_mm=args.pixel_mm, n_sagittal=args.slices)
        study = load_study(root / "study")
        t2 = study.best(SeriesKind.T2, Plane.SAGITTAL)
        levels, semantic = label_maps_on(t2.volume)
        print(f"sagittal T2 {t2.volume.shape}, {len(study.series)} series")
        times = []
        for i in range(args.repeat):
            report = Report(study_uid=study.study_uid, findings=sample_findings(),
                            impression=Impression.from_reasoning(sample_reasoning()))
            t0 = time.perf_counter()
            write_report_bundle(report, root / f"out{i}", study=study, label_map=levels,
                                semantic_map=semantic)
            times.append(time.perf_counter() - t0)
        print("all outputs, s per run:", ", ".join(f"{t:.2f}" for t in times))


if __name__ == "__main__":
    main()
