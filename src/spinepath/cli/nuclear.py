"""``spinepath nuclear STUDY``: uptake per vertebra, level and hardware on PET/CT or SPECT/CT."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from spinepath.cli.common import console, handle_errors


def register(app: typer.Typer) -> None:
    """Add the ``nuclear`` verb."""

    @app.command()
    @handle_errors
    def nuclear(
        study_path: Path = typer.Argument(..., help="DICOM folder or .zip with PET or SPECT + CT."),
        labels: Path | None = typer.Option(None, help="Vertebra label map (NIfTI) on the CT."),
        convention: str = typer.Option("totalseg", help="Label convention: totalseg or verse."),
        reference_level: str | None = typer.Option(None, help="Background vertebra, e.g. L1."),
        weight_kg: float | None = typer.Option(None, help="Patient weight if the tag is wrong."),
        out: Path | None = typer.Option(None, "-o", "--out", help="Write the JSON here."),
        as_json: bool = typer.Option(False, "--json", help="Print the JSON result."),
    ) -> None:
        """SUVmax/SUVmean/TBR (PET) or count ratios (SPECT) per vertebra, level and implant."""
        from spinepath.io import load_study
        from spinepath.io.nifti import load_nifti_volume
        from spinepath.nuclear.study import analyze_nuclear_study

        study = load_study(study_path)
        label_volume = load_nifti_volume(labels) if labels else None
        result = analyze_nuclear_study(
            study,
            labels=label_volume,
            convention=convention,
            reference_level=reference_level,
            patient_weight_kg=weight_kg,
        )
        text = json.dumps(result, indent=2, default=str)
        if out:
            out.write_text(text)
        if as_json:
            typer.echo(text)
            return
        console.print(
            f"{result['modality']} uptake ({result['units']}), levels from {result['label_source']}"
        )
        for row in result["vertebrae"]:
            tbr = row["tbr"] if row["tbr"] is not None else float("nan")
            console.print(
                f"  {row['name']}: max {row['suv_max']:.2f} mean "
                f"{row['suv_mean']:.2f} TBR {tbr:.2f}"
            )
        for row in result["hardware"]["regions"]:
            console.print(f"  {row['name']}: max {row['suv_max']:.2f}")
