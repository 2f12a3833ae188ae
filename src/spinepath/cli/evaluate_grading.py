"""``spinepath evaluate grading DIR``: added to the ``evaluate`` group of :mod:`.evaluate`."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from spinepath.cli.common import console, err_console, handle_errors


def _evaluate_group(app: typer.Typer) -> typer.Typer:
    for info in app.registered_groups:
        if info.name == "evaluate" and info.typer_instance is not None:
            return info.typer_instance
    raise RuntimeError("the evaluate group must be registered before evaluate_grading")


def register(app: typer.Typer) -> None:
    """Add ``evaluate grading``."""
    ev = _evaluate_group(app)

    @ev.command("grading")
    @handle_errors
    def grading(
        data: Path = typer.Argument(..., help="Folder in the spider-dev layout."),
        as_json: bool = typer.Option(False, "--json", help="Print JSON."),
        out: Path | None = typer.Option(None, "-o", "--out", help="Write the full JSON here."),
        verbose: bool = typer.Option(False, "-v", "--verbose", help="Progress per patient."),
    ) -> None:
        """Pfirrmann, Modic, herniation, ... agreement with radiologists (misses = errors)."""
        from spinepath.grade.evaluate_dir import evaluate_grading

        res = evaluate_grading(data, log=err_console.print if verbose else None)
        text = json.dumps(res, indent=2)
        if out:
            out.write_text(text)
        if as_json:
            typer.echo(text)
            return
        pf = res["pfirrmann"]
        console.print(f"{res['n_found']}/{res['n_discs']} graded discs found "
                      f"({res['n_patients']} patients)")
        console.print(f"Pfirrmann: balanced accuracy {pf['balanced_accuracy']:.3f}, "
                      f"QWK {pf['qwk']:.3f}, within one {pf['within_one']:.3f}")
        for key in ("modic_any", "herniation", "bulging", "narrowing", "spondylolisthesis",
                    "endplate_defect"):
            b = res[key]
            console.print(f"{key}: AUC {b['auc']:.3f}, balanced accuracy "
                          f"{b['balanced_accuracy']:.3f}")
