"""``spinepath analyze STUDY -o OUT``: the whole pipeline on one study, every output written."""

from __future__ import annotations

from pathlib import Path

import typer

from spinepath.cli.common import console, handle_errors


def register(app: typer.Typer) -> None:
    """Add the ``analyze`` verb."""

    @app.command()
    @handle_errors
    def analyze(
        study_path: Path = typer.Argument(..., help="DICOM folder or .zip, NIfTI, or PNG slice."),
        out: Path = typer.Option(..., "-o", "--out", help="Output folder."),
        clinical: Path | None = typer.Option(
            None, help="Clinical intake (YAML/JSON, vignette fields accepted) for the reasoning."
        ),
        segmentation: Path | None = typer.Option(
            None, help="External label map for the sagittal T2 (SPIDER, TotalSegmentator, SPINEPS)."
        ),
        convention: str | None = typer.Option(None, help="Convention of --segmentation."),
        formats: str = typer.Option(
            "json,html,pdf,seg,sr,fhir", help="Outputs to write, comma-separated."
        ),
        lenient: bool = typer.Option(False, help="Leave out inconsistent series, do not fail."),
    ) -> None:
        """Segment, label, measure, grade (and reason, with --clinical); write the report."""
        from spinepath.analysis_job import analyze_to_folder
        from spinepath.pipeline import AnalysisOptions

        result = analyze_to_folder(
            study_path,
            out,
            clinical=clinical,
            options=AnalysisOptions(segmentation=segmentation, convention=convention),
            formats=tuple(f.strip() for f in formats.split(",") if f.strip()),
            strict=not lenient,
            command=f"spinepath analyze {study_path}",
        )
        report = result.report
        n_levels = len({f.level for f in report.findings})
        console.print(
            f"{len(report.findings)} findings at {n_levels} levels; "
            f"{len(report.not_assessed)} items not assessed (see the report)"
        )
        for name, path in result.files.items():
            console.print(f"  {name}: {path}")
