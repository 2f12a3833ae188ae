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
        backend: str = typer.Option(
            "builtin",
            "--backend",
            help="Segmenter to run: builtin (shipped model) or totalsegmentator (optional: needs "
            "TotalSegmentator installed and its weights already downloaded; spinepath downloads "
            "nothing). Not with --segmentation.",
        ),
        totalseg_task: str = typer.Option(
            "total_mr",
            "--totalseg-task",
            help="TotalSegmentator task: total_mr (MR) or total (CT).",
        ),
        totalseg_device: str = typer.Option(
            "cpu", "--totalseg-device", help="TotalSegmentator device: cpu, gpu, gpu:N or mps."
        ),
        totalseg_fast: bool = typer.Option(
            True,
            "--totalseg-fast/--totalseg-full",
            help="TotalSegmentator 3 mm fast model or full.",
        ),
        totalseg_timeout: float = typer.Option(
            3600.0, "--totalseg-timeout", help="Stop TotalSegmentator after this many seconds."
        ),
    ) -> None:
        """Segment vertebrae, discs and canal of a sagittal series; name the levels."""
        import json

        from spinepath.io import load_study
        from spinepath.segment.run import BACKENDS, segment_study

        if backend not in BACKENDS:
            raise typer.BadParameter(
                f"{backend!r} is not one of {', '.join(BACKENDS)}", param_hint="--backend"
            )
        options = None
        if backend == "totalsegmentator":
            if segmentation is not None:
                raise typer.BadParameter(
                    "--backend totalsegmentator and --segmentation are mutually exclusive: "
                    "run a backend or import a label map, not both",
                    param_hint="--backend",
                )
            if model is not None or convention is not None:
                raise typer.BadParameter(
                    "--model and --convention apply to the built-in segmenter and --segmentation "
                    "only; the TotalSegmentator convention follows --totalseg-task",
                    param_hint="--backend",
                )
            options = {
                "task": totalseg_task,
                "fast": totalseg_fast,
                "device": totalseg_device,
                "timeout_s": totalseg_timeout,
            }
        ps = (pixel_spacing, pixel_spacing) if pixel_spacing else None
        st = load_study(study, pixel_spacing=ps, flip_vertical=flip_vertical, patient=patient)
        summary = segment_study(
            st,
            out,
            series=series,
            model=model,
            labelmap=segmentation,
            convention=convention,
            backend=backend,
            backend_options=options,
        )
        lv = summary["levels"]
        console.print(f"discs: {', '.join(d['name'] for d in lv['discs'])}")
        if lv["uncertain"]:
            console.print("[yellow]level numbering uncertain:[/] " + "; ".join(lv["reasons"]))
        console.print(f"wrote {out}: " + json.dumps(summary["outputs"]))
