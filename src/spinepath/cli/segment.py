"""``spinepath segment STUDY -o OUT``: label maps (NIfTI), QC picture and level names."""

from __future__ import annotations

from pathlib import Path

import typer

from spinepath.cli.common import console, handle_errors


def register(app: typer.Typer) -> None:
    """Add the ``segment`` command to ``app``."""

    @app.command("segment")
    @handle_errors
    def segment(
        study: Path = typer.Argument(..., help="DICOM folder/zip, NIfTI file or PNG slice."),
        out: Path = typer.Option(..., "-o", "--out", help="Output folder (created)."),
        series: str = typer.Option(None, "--series", help="Series uid, number or description."),
        pixel_spacing: float = typer.Option(
            None, "--pixel-spacing", help="PNG pixel size in mm (square pixels)."
        ),
        flip_vertical: bool = typer.Option(
            False, "--flip-vertical", help="Flip a PNG upside-down first (SPIDER PNGs)."
        ),
        patient: str = typer.Option(None, "--patient", help="Patient in a SPIDER-style folder."),
        model: Path = typer.Option(None, "--model", help="ONNX model (default: shipped one)."),
        segmentation: Path = typer.Option(
            None, "--segmentation", help="Import this label map instead of running the model."
        ),
        convention: str = typer.Option(
            None,
            "--convention",
            help="Label-map convention: spineps, spineps-subreg, totalseg, total_mr, spider "
            "(guessed when omitted).",
        ),
    ) -> None:
        """Segment vertebrae, discs and canal of a sagittal series; name the levels."""
        import json

        from spinepath.io import load_study
        from spinepath.segment.run import segment_study

        ps = (pixel_spacing, pixel_spacing) if pixel_spacing else None
        st = load_study(study, pixel_spacing=ps, flip_vertical=flip_vertical, patient=patient)
        summary = segment_study(
            st, out, series=series, model=model, labelmap=segmentation, convention=convention
        )
        lv = summary["levels"]
        console.print(f"discs: {', '.join(d['name'] for d in lv['discs'])}")
        if lv["uncertain"]:
            console.print("[yellow]level numbering uncertain:[/] " + "; ".join(lv["reasons"]))
        console.print(f"wrote {out}: " + json.dumps(summary["outputs"]))
