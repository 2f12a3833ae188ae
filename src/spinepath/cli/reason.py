"""``spinepath reason``: clinical reasoning on one case file, or evaluation over a folder.

    spinepath reason CASE.yaml [--json]          triage, phenotype, pain generator, next steps
    spinepath reason evaluate DIR [--json]       compare every case's ``expected`` block
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from spinepath.cli.common import console, handle_errors


def _print_result(result) -> None:  # type: ignore[no-untyped-def]
    console.print(f"[bold]triage[/]: {result.triage}")
    console.print(f"[bold]phenotype[/]: {result.phenotype_primary} "
                  f"(confidence {result.phenotype_confidence:.2f})"
                  + (f"; secondary: {', '.join(result.phenotypes_secondary)}"
                     if result.phenotypes_secondary else ""))
    top = result.pain_generator_top
    if top:
        where = " ".join(str(top[k]) for k in ("level", "side", "structure", "root") if top.get(k))
        console.print(f"[bold]pain generator[/]: {where} (p = {top['probability']:.2f})")
    else:
        console.print("[bold]pain generator[/]: none named")
    console.print("[bold]ranked findings[/]:")
    for s in result.pain_generators[:8]:
        tag = " [dim](likely incidental)[/]" if s.incidental else ""
        console.print(f"  {s.probability:.2f}  {s.level or ''} {s.side or ''} "
                      f"{s.finding.replace('_', ' ')}{tag}")
    console.print("[bold]next steps[/]:")
    for s in result.next_steps:
        tgt = " ".join(str(x) for x in (s.level, s.root, s.side) if x)
        console.print(f"  {s.line}. {s.procedure} {tgt} - {s.condition}")
    if result.flags:
        console.print(f"[bold]flags[/]: {', '.join(result.flags)}")
    for w in result.warnings:
        console.print(f"[yellow]warning[/]: {w}")


def register(app: typer.Typer) -> None:
    """Add the ``reason`` command to ``app``."""

    @app.command("reason")
    @handle_errors
    def reason_cmd(
        case: str = typer.Argument(
            ..., help="Case file (YAML/JSON with patient, clinical, imaging), or the word "
                      "'evaluate' followed by a folder of vignettes."),
        folder: Path | None = typer.Argument(
            None, help="With 'evaluate': folder of vignette files."),
        as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
    ) -> None:
        """Triage, phenotype, pain generator and next steps for CASE (or evaluate a folder)."""
        from spinepath.errors import InputError

        if case == "evaluate" and folder is not None:
            from spinepath.reasoning.evaluate import evaluate_dir

            report = evaluate_dir(folder)
            if as_json:
                typer.echo(json.dumps(report.model_dump(mode="json"), indent=2))
            else:
                for c in report.cases:
                    mark = "pass" if c.passed else "FAIL"
                    console.print(f"{mark}  {c.id}  {c.n_passed}/{c.n_checks}"
                                  + (f"  error: {c.error}" if c.error else ""))
                    for ch in c.checks:
                        if not ch.passed:
                            console.print(f"      {ch.key}: expected {ch.expected!r}, "
                                          f"got {ch.actual!r}")
                console.print(f"vignettes {report.n_cases_passed}/{report.n_cases}, checks "
                              f"{report.n_checks_passed}/{report.n_checks}")
            return
        if folder is not None:
            raise InputError(f"unexpected second argument {folder}; use 'spinepath reason "
                             "evaluate DIR' to evaluate a folder")
        from spinepath.model.clinical import load_case
        from spinepath.reasoning.engine import reason_case

        result = reason_case(load_case(Path(case)))
        if as_json:
            typer.echo(json.dumps(result.model_dump(mode="json"), indent=2))
        else:
            _print_result(result)
