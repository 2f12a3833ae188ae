"""Cohort batch: the per-study pipeline over many studies on Dask, resumable, failure-tolerant.

Layout of an output folder::

    OUT/studies/<study_id>/report.json   the study's Report
    OUT/studies/<study_id>/rows.json     its rows for the cohort tables
    OUT/studies/<study_id>/DONE          written last (atomically): the study is finished
    OUT/studies/<study_id>/failure.json  why a study failed (the batch goes on)
    OUT/tables/{findings,measurements,radiomics,failures}.parquet
    OUT/provenance.json

A study is one entry of the input folder: a sub-folder (DICOM), a .zip, or a NIfTI file.
A finished study (DONE present, same input fingerprint) is skipped on the next run, so a killed
run resumes where it stopped. Failed studies are retried on the next run.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from spinepath import __version__
from spinepath.errors import InputError, SpinepathError
from spinepath.pipeline import THREADS_ENV

TABLES = ("findings", "measurements", "radiomics", "series", "failures")
StudyProcessor = Callable[[Path, Path], dict[str, list[dict[str, Any]]]]


@dataclass
class BatchSummary:
    """Counts of one batch run and where its tables are."""

    n_studies: int
    n_done: int
    n_skipped: int
    n_failed: int
    seconds: float
    tables: dict[str, Path] = field(default_factory=dict)


def discover_studies(input_dir: Path) -> dict[str, Path]:
    """Study id -> path for every sub-folder, .zip or NIfTI file directly under ``input_dir``."""
    if not input_dir.is_dir():
        raise InputError(f"{input_dir} is not a folder of studies.")
    out: dict[str, Path] = {}
    for entry in sorted(input_dir.iterdir()):
        if entry.name.startswith("."):
            continue
        if (
            entry.is_dir()
            or entry.suffix.lower() == ".zip"
            or entry.name.endswith((".nii", ".nii.gz"))
        ):
            study_id = entry.name.removesuffix(".gz").removesuffix(".nii").removesuffix(".zip")
            out[study_id] = entry
    if not out:
        raise InputError(f"{input_dir} holds no studies (sub-folders, .zip or .nii(.gz) files).")
    return out


def fingerprint(path: Path) -> str:
    """Cheap identity of an input: names, sizes and modification times of its files."""
    h = hashlib.sha256()
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    for f in files:
        st = f.stat()
        h.update(f"{f.relative_to(path.parent)}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def report_rows(study_id: str, report: Any) -> dict[str, list[dict[str, Any]]]:
    """Rows for the cohort tables from one Report."""
    findings, measurements = [], []
    for f in report.findings:
        findings.append(
            {
                "study_id": study_id,
                "level": f.level,
                "structure": f.structure,
                "kind": f.kind,
                "side": f.side,
                "grade_system": f.grade.system if f.grade else None,
                "grade": f.grade.value if f.grade else None,
                "grade_confidence": f.grade.confidence if f.grade else None,
                "low_confidence": f.grade.low_confidence if f.grade else None,
            }
        )
        for m in f.measurements:
            measurements.append(
                {
                    "study_id": study_id,
                    "level": m.level,
                    "name": m.name,
                    "value": m.value,
                    "unit": m.unit,
                }
            )
    for m in getattr(report, "measurements", []) or []:
        measurements.append(
            {
                "study_id": study_id,
                "level": m.level,
                "name": m.name,
                "value": m.value,
                "unit": m.unit,
            }
        )
    return {"findings": findings, "measurements": measurements, "radiomics": []}


def analyze_for_batch(
    path: Path, out_dir: Path, *, radiomics: bool = False
) -> dict[str, list[dict[str, Any]]]:
    """The default per-study job: analyse, write report.json, return the table rows.

    Args:
        radiomics: also extract per-structure IBSI radiomics (disc, vertebral body, endplate
            zones per level; :mod:`spinepath.radiomics.structures`) of the sagittal T2 from the
            pipeline's own segmentation (no second segmentation) into the ``radiomics`` rows:
            study_id, series_role, level, structure, feature, ibsi_code, value, n_voxels, reason.
            About 1 s more per study; off by default to keep the batch fast.
    """
    from spinepath.io import load_study
    from spinepath.pipeline import analyze_study_full

    report, imaging = analyze_study_full(load_study(path))
    (out_dir / "report.json").write_text(report.model_dump_json(indent=2))
    rows = report_rows(out_dir.name, report)
    if radiomics:
        from spinepath.radiomics.structures import imaging_radiomics_rows

        rows["radiomics"] = imaging_radiomics_rows(out_dir.name, imaging)
    return rows


def inventory_for_batch(path: Path, out_dir: Path) -> dict[str, list[dict[str, Any]]]:
    """A light per-study job: ingest only, one ``series`` row per series (cohort inventory)."""
    from spinepath.io import load_study

    study = load_study(path)
    series = [
        {
            "study_id": out_dir.name,
            "series_uid": s.uid,
            "description": s.description,
            "modality": s.modality,
            "plane": s.plane.value,
            "kind": s.kind.value,
            "kind_confidence": s.kind_confidence,
            "n_instances": s.n_instances,
            "manufacturer": str(s.tags.get("Manufacturer", "")),
        }
        for s in study.series
    ]
    return {"series": series}


def analyze_with_radiomics(path: Path, out_dir: Path) -> dict[str, list[dict[str, Any]]]:
    """The analyze job plus per-structure radiomics of the sagittal T2."""
    return analyze_for_batch(path, out_dir, radiomics=True)


JOBS: dict[str, StudyProcessor] = {
    "analyze": analyze_for_batch,
    "analyze+radiomics": analyze_with_radiomics,
    "inventory": inventory_for_batch,
}
"""Per-study jobs the CLI can name."""


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    tmp.write_text(text)
    os.replace(tmp, path)


def run_one(study_id: str, path: Path, out_root: Path, processor: StudyProcessor) -> dict[str, Any]:
    """Process one study inside a worker; never raises (failures are returned and written)."""
    out_dir = out_root / "studies" / study_id
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "failure.json").unlink(missing_ok=True)
    t0 = time.perf_counter()
    try:
        rows = processor(path, out_dir)
    except Exception as exc:  # one bad study must not stop the cohort
        failure = {
            "study_id": study_id,
            "path": str(path),
            "error": type(exc).__name__,
            "message": str(exc),
            "expected": isinstance(exc, SpinepathError),
            "traceback": "" if isinstance(exc, SpinepathError) else traceback.format_exc(),
        }
        _atomic_write(out_dir / "failure.json", json.dumps(failure, indent=2))
        return {"study_id": study_id, "status": "failed", **failure}
    _atomic_write(out_dir / "rows.json", json.dumps(rows))
    _atomic_write(
        out_dir / "DONE",
        json.dumps(
            {
                "fingerprint": fingerprint(path),
                "seconds": time.perf_counter() - t0,
                "finished_at": datetime.now(UTC).isoformat(),
            }
        ),
    )
    return {"study_id": study_id, "status": "done"}


def is_done(study_id: str, path: Path, out_root: Path) -> bool:
    """True when the study finished earlier from the same input."""
    marker = out_root / "studies" / study_id / "DONE"
    if not marker.is_file():
        return False
    try:
        return json.loads(marker.read_text()).get("fingerprint") == fingerprint(path)
    except (OSError, ValueError):
        return False


def collect_tables(out_root: Path, studies: dict[str, Path]) -> dict[str, Path]:
    """Merge every study's rows (and failures) into Parquet tables."""
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name in TABLES}
    for study_id in studies:
        d = out_root / "studies" / study_id
        if (d / "DONE").is_file() and (d / "rows.json").is_file():
            for name, items in json.loads((d / "rows.json").read_text()).items():
                rows.setdefault(name, []).extend(items)
        elif (d / "failure.json").is_file():
            failure = json.loads((d / "failure.json").read_text())
            rows["failures"].append(
                {k: failure.get(k) for k in ("study_id", "path", "error", "message", "expected")}
            )
    tables_dir = out_root / "tables"
    tables_dir.mkdir(parents=True, exist_ok=True)
    written = {}
    for name in TABLES:
        frame = pd.DataFrame(rows.get(name, []))
        if frame.empty:
            frame = pd.DataFrame({"study_id": pd.Series(dtype="string")})
        path = tables_dir / f"{name}.parquet"
        frame.to_parquet(path, index=False)
        written[name] = path
    return written


def run_batch(
    input_dir: Path,
    out_dir: Path,
    *,
    scheduler: str | None = None,
    n_workers: int = 2,
    processor: StudyProcessor = analyze_for_batch,
    progress: bool = True,
) -> BatchSummary:
    """Run ``processor`` on every study of ``input_dir`` on Dask and write the cohort tables.

    Args:
        input_dir: folder of studies (sub-folders, .zip or NIfTI files).
        out_dir: output folder (created; reused to resume).
        scheduler: address of an existing Dask scheduler (``tcp://host:port``); a LocalCluster
            with ``n_workers`` single-threaded worker processes on 127.0.0.1 when None.
        processor: the per-study job (a top-level function, so workers can unpickle it).
    """
    from dask.distributed import Client, LocalCluster, as_completed
    from rich.progress import Progress

    studies = discover_studies(input_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    todo = {k: p for k, p in studies.items() if not is_done(k, p, out_dir)}
    started = datetime.now(UTC).isoformat()
    t0 = time.perf_counter()
    results: list[dict[str, Any]] = []
    if todo:
        cluster = None
        if scheduler is None:
            # one core per worker: single-threaded worker processes whose models run on one
            # thread each (set SPINEPATH_THREADS to give each worker more)
            previous = os.environ.get(THREADS_ENV)
            os.environ[THREADS_ENV] = previous or "1"
            try:
                cluster = LocalCluster(
                    n_workers=n_workers,
                    threads_per_worker=1,
                    processes=True,
                    host="127.0.0.1",
                    dashboard_address=None,
                )
            finally:
                if previous is None:
                    del os.environ[THREADS_ENV]
            client = Client(cluster)
        else:
            client = Client(scheduler)
        try:
            futures = {
                client.submit(run_one, k, p, out_dir, processor, key=f"study-{k}", pure=False): k
                for k, p in todo.items()
            }
            with Progress(disable=not progress, transient=True) as bar:
                task = bar.add_task("studies", total=len(futures))
                for future in as_completed(futures):
                    study_id = futures[future]
                    try:
                        results.append(future.result())
                    except Exception as exc:  # worker died or could not run the task
                        failure = {
                            "study_id": study_id,
                            "path": str(todo[study_id]),
                            "error": type(exc).__name__,
                            "message": str(exc),
                            "expected": False,
                        }
                        d = out_dir / "studies" / study_id
                        d.mkdir(parents=True, exist_ok=True)
                        _atomic_write(d / "failure.json", json.dumps(failure))
                        results.append({"status": "failed", **failure})
                    bar.advance(task)
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
    tables = collect_tables(out_dir, studies)
    seconds = time.perf_counter() - t0
    summary = BatchSummary(
        n_studies=len(studies),
        n_done=sum(r["status"] == "done" for r in results),
        n_skipped=len(studies) - len(todo),
        n_failed=sum(r["status"] == "failed" for r in results),
        seconds=seconds,
        tables=tables,
    )
    provenance = {
        "software": "spinepath",
        "version": __version__,
        "started_at": started,
        "finished_at": datetime.now(UTC).isoformat(),
        "input_dir": str(input_dir),
        "scheduler": scheduler or f"LocalCluster({n_workers} workers x 1 thread)",
        "processor": f"{processor.__module__}.{processor.__qualname__}",
        "studies": {k: str(p) for k, p in studies.items()},
        "summary": {k: v for k, v in summary.__dict__.items() if k != "tables"},
    }
    _atomic_write(out_dir / "provenance.json", json.dumps(provenance, indent=2))
    return summary
