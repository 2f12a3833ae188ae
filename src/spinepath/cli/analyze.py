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
        from spinepath.errors import InputError
        from spinepath.io import load_study
        from spinepath.pipeline import AnalysisOptions, analyze_study_full
        from spinepath.report.bundle import ALL_OUTPUTS, write_report_bundle

        wanted = tuple(f.strip() for f in formats.split(",") if f.strip())
        unknown = sorted(set(wanted) - set(ALL_OUTPUTS))
        if unknown:
            raise InputError(f"unknown format(s) {unknown}; choose from {list(ALL_OUTPUTS)}")
        intake = None
        if clinical is not None:
            from spinepath.model.clinical import load_intake

            intake = load_intake(clinical)
        study = load_study(study_path, strict=not lenient)
        report, imaging = analyze_study_full(
            study, intake, AnalysisOptions(segmentation=segmentation, convention=convention)
        )
        report.provenance.command = "spinepath analyze " + str(study_path)
        main = imaging.segmentations.get("sagittal T2") or imaging.segmentations.get("sagittal T1")
        written = write_report_bundle(
            report,
            out,
            study=study,
            label_map=main.segmentation.levels if main else None,
            semantic_map=main.segmentation.semantic if main else None,
            outputs=wanted,
        )
        n_levels = len({f.level for f in report.findings})
        console.print(
            f"{len(report.findings)} findings at {n_levels} levels; "
            f"{len(report.not_assessed)} items not assessed (see the report)"
        )
        for name, path in written.items():
            console.print(f"  {name}: {path}")
