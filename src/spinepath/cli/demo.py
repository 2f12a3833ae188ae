"""``spinepath demo``: run the main job on the bundled demo studies."""

from __future__ import annotations

from pathlib import Path

import typer

from spinepath.cli.common import console, handle_errors


def register(app: typer.Typer) -> None:
    """Add the ``demo`` verb."""

    @app.command()
    @handle_errors
    def demo(
        out: Path = typer.Option(Path("demo-output"), "-o", "--out", help="Output folder."),
        seed: int = typer.Option(7, help="Seed of the generated phantom study."),
    ) -> None:
        """Analyse the bundled real T2 and a phantom study; write every report output."""
        from spinepath.demo import run_demo

        outputs = run_demo(out, seed=seed)
        for name, path in outputs.items():
            console.print(f"{name}: {path}")
        console.print(f"[bold green]demo outputs are in {out.resolve()}[/]")
