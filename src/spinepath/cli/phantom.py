"""``spinepath phantom``: write a synthetic lumbar study with exact ground truth."""

from __future__ import annotations

from pathlib import Path

import typer

from spinepath.cli.common import handle_errors


def register(app: typer.Typer) -> None:
    """Add the ``phantom`` command to ``app``."""

    @app.command("phantom")
    @handle_errors
    def phantom(
        out: Path = typer.Argument(..., help="Output folder (created)."),
        seed: int = typer.Option(0, "--seed", help="Random seed; same seed gives the same study."),
        pathology: list[str] = typer.Option(  # noqa: B006
            [], "--pathology", help='Pathology spec, e.g. "pfirrmann:L4-L5=4" (repeatable).'
        ),
    ) -> None:
        """Write a synthetic lumbar study (DICOM + NIfTI + ground truth) to OUT."""
        from spinepath.errors import InputError

        raise InputError("the phantom generator is not built yet")
