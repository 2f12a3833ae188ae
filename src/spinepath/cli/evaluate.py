"""``spinepath evaluate segmentation|levels DIR``: figures of the built-in segmenter."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from spinepath.cli.common import console, err_console, handle_errors


def _training_subjects(model: Path | None) -> list[str]:
    from spinepath.segment.onnx_model import OnnxSegmenter

    return list(OnnxSegmenter(model).card.get("split", {}).get("train", []))


def register(app: typer.Typer) -> None:
    """Add the ``evaluate`` command group to ``app``."""
    ev = typer.Typer(help="Evaluate the imaging core on a labelled folder.", no_args_is_help=True)
    app.add_typer(ev, name="evaluate")

    @ev.command("segmentation")
    @handle_errors
    def segmentation(
        data: Path = typer.Argument(..., help="Folder in the fcs, spider-seg or vesal layout."),
        as_json: bool = typer.Option(False, "--json", help="Print JSON."),
        held_out_only: bool = typer.Option(
            False, "--held-out-only", help="Skip the subjects the model was trained on."
        ),
        model: Path = typer.Option(None, "--model", help="ONNX model (default: shipped one)."),
        verbose: bool = typer.Option(False, "-v", "--verbose", help="Per-subject progress."),
    ) -> None:
        """Dice of the segmenter against the reference masks in DATA."""
        from spinepath.errors import InputError
        from spinepath.evaluate.segmentation import evaluate_segmentation
        from spinepath.segment.onnx_model import OnnxSegmenter

        if not data.is_dir():
            raise InputError(f"{data} is not a folder")
        from spinepath.segment.datasets import detect_layout

        try:
            detect_layout(data)
        except ValueError as exc:
            raise InputError(str(exc)) from None
        excl = _training_subjects(model) if held_out_only else []
        try:
            res = evaluate_segmentation(
                data,
                segmenter=OnnxSegmenter(model),
                exclude_subjects=excl,
                log=err_console.print if verbose else None,
            )
        except ValueError as exc:
            raise InputError(str(exc)) from None
        _emit(res, as_json, ("vertebral_body", "disc", "vertebra", "canal"))

    @ev.command("levels")
    @handle_errors
    def levels(
        data: Path = typer.Argument(..., help="Folder in the spider-dev layout."),
        as_json: bool = typer.Option(False, "--json", help="Print JSON."),
        sequences: str = typer.Option("t2", "--sequences", help="Comma list: t2,t1."),
        held_out_only: bool = typer.Option(
            False, "--held-out-only", help="Skip patients the model was trained on."
        ),
        model: Path = typer.Option(None, "--model", help="ONNX model (default: shipped one)."),
        verbose: bool = typer.Option(False, "-v", "--verbose", help="Per-slice progress."),
    ) -> None:
        """Disc detection and numbering from the bottom against radiological_gradings.csv."""
        from spinepath.errors import InputError
        from spinepath.evaluate.levels import evaluate_levels
        from spinepath.segment.onnx_model import OnnxSegmenter

        if not (data / "radiological_gradings.csv").is_file():
            raise InputError(f"{data} has no radiological_gradings.csv (spider-dev layout)")
        excl = (
            [s.split("/", 1)[1] for s in _training_subjects(model) if s.startswith("spider-seg/")]
            if held_out_only
            else []
        )
        res = evaluate_levels(
            data,
            sequences=tuple(x.strip() for x in sequences.split(",")),
            segmenter=OnnxSegmenter(model),
            exclude_patients=excl,
            log=err_console.print if verbose else None,
        )
        if held_out_only:
            res["excluded_patients"] = sorted(excl)
        _emit(res, as_json, ("disc_detection_rate", "numbering_accuracy", "n_slices"))


def _emit(res: dict, as_json: bool, keys: tuple[str, ...]) -> None:
    if as_json:
        typer.echo(json.dumps(res, indent=1))
        return
    for k in keys:
        if k in res:
            console.print(f"{k}: {res[k]}")
