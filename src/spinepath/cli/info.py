"""``spinepath info PATH``: list the series of a study."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from spinepath.cli.common import console, handle_errors


def study_summary(study: object) -> dict[str, object]:
    """A JSON-ready summary of a Study (series, planes, kinds, geometry, warnings)."""
    from spinepath.model.study import Study

    assert isinstance(study, Study)
    rows = []
    for s in study.series:
        vol = s.volume
        rows.append(
            {
                "number": s.number,
                "uid": s.uid,
                "description": s.description,
                "modality": s.modality,
                "plane": s.plane.value,
                "kind": s.kind.value,
                "kind_confidence": round(s.kind_confidence, 2),
                "kind_reasons": s.kind_reasons,
                "n_instances": s.n_instances,
                "shape": list(vol.shape) if vol is not None else None,
                "spacing_mm": [round(v, 4) for v in vol.spacing] if vol is not None else None,
                "orientation": vol.orientation if vol is not None else None,
                "warnings": s.warnings,
            }
        )
    return {
        "patient_id": study.patient_id,
        "study_uid": study.study_uid,
        "source": str(study.source) if study.source else None,
        "series": rows,
        "warnings": study.warnings,
        "skipped_files": len(study.skipped_files),
    }


def register(app: typer.Typer) -> None:
    """Add the ``info`` verb."""

    @app.command()
    @handle_errors
    def info(
        path: Path = typer.Argument(..., help="DICOM folder or .zip, NIfTI file, or PNG slice."),
        as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
        pixel_spacing: tuple[float, float] | None = typer.Option(
            None, help="Row and column spacing in mm for a PNG slice outside a known layout."
        ),
        flip_vertical: bool = typer.Option(False, help="Flip a PNG upside-down first."),
        patient: str | None = typer.Option(None, help="Patient id inside a SPIDER-style folder."),
        lenient: bool = typer.Option(
            False, help="Leave out series with inconsistent geometry instead of failing."
        ),
    ) -> None:
        """Print the series found in a study: plane, kind (with confidence), geometry."""
        from rich.table import Table

        from spinepath.io import load_study

        study = load_study(
            path,
            strict=not lenient,
            pixel_spacing=pixel_spacing,
            flip_vertical=flip_vertical,
            patient=patient,
        )
        summary = study_summary(study)
        if as_json:
            typer.echo(json.dumps(summary, indent=2))
            return
        table = Table(title=f"{path}  patient {study.patient_id or '-'}")
        for col in (
            "#",
            "description",
            "mod",
            "plane",
            "kind",
            "conf",
            "shape",
            "spacing mm",
            "orient",
        ):
            table.add_column(col)
        for row in summary["series"]:  # type: ignore[union-attr]
            table.add_row(
                str(row["number"] if row["number"] is not None else "-"),
                row["description"],
                row["modality"],
                row["plane"],
                row["kind"],
                f"{row['kind_confidence']:.2f}",
                "x".join(map(str, row["shape"])) if row["shape"] else "-",
                "x".join(f"{v:g}" for v in row["spacing_mm"]) if row["spacing_mm"] else "-",
                row["orientation"] or "-",
            )
        console.print(table)
        for w in study.warnings:
            console.print(f"[yellow]warning:[/] {w}")
        if study.skipped_files:
            console.print(f"{len(study.skipped_files)} file(s) skipped (not images of this study).")
