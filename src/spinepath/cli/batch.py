"""``spinepath batch INPUT_DIR -o OUT``: the per-study pipeline over a cohort on Dask."""

from __future__ import annotations

from pathlib import Path

import typer

from spinepath.cli.common import console, handle_errors


def register(app: typer.Typer) -> None:
    """Add the ``batch`` verb."""

    @app.command()
    @handle_errors
    def batch(
        input_dir: Path = typer.Argument(..., help="Folder of studies (sub-folders, .zip, NIfTI)."),
        out: Path = typer.Option(..., "-o", "--out", help="Output folder (reuse it to resume)."),
        scheduler: str | None = typer.Option(
            None, help="Existing Dask scheduler, e.g. tcp://127.0.0.1:8786 (default: local)."
        ),
        workers: int = typer.Option(2, min=1, help="Worker processes of the local cluster."),
        job: str = typer.Option(
            "analyze", help="Per-study job: analyze, analyze+radiomics or inventory."
        ),
    ) -> None:
        """Run the pipeline on every study; resumable; failures are recorded, not fatal."""
        from spinepath.cohort.batch import JOBS, run_batch
        from spinepath.errors import InputError

        if job not in JOBS:
            raise InputError(f"unknown job {job!r}; choose one of {sorted(JOBS)}")
        summary = run_batch(
            input_dir, out, scheduler=scheduler, n_workers=workers, processor=JOBS[job]
        )
        console.print(
            f"{summary.n_studies} studies: {summary.n_done} done, {summary.n_skipped} already "
            f"done, {summary.n_failed} failed ({summary.seconds:.1f} s)"
        )
        for name, path in summary.tables.items():
            console.print(f"  {name}: {path}")
