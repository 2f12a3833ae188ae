"""``spinepath report render REPORT.json -o OUT`` and ``spinepath report schema``."""

from __future__ import annotations

from pathlib import Path

import typer

from spinepath.cli.common import console, handle_errors

report_app = typer.Typer(
    name="report",
    help="Re-render a saved report (HTML, PDF, FHIR) or print its JSON Schema.",
    no_args_is_help=True,
)


@report_app.command("render")
@handle_errors
def render(
    report_json: Path = typer.Argument(..., help="report.json written by an analysis."),
    out: Path = typer.Option(..., "-o", "--out", help="Output folder."),
    formats: str = typer.Option(
        "html,pdf,fhir", help="Comma-separated outputs: json, html, pdf, fhir."
    ),
) -> None:
    """Re-render report.html / report.pdf / fhir.json from a saved report.json.

    Key images are read from the images/ folder next to REPORT_JSON.
    """
    from spinepath.errors import InputError
    from spinepath.report import read_report_json, write_documents

    wanted = tuple(f.strip() for f in formats.split(",") if f.strip())
    bad = sorted(set(wanted) - {"json", "html", "pdf", "fhir"})
    if bad:
        raise InputError(f"unknown format(s) {bad}; choose from json, html, pdf, fhir")
    report = read_report_json(report_json)
    written = write_documents(report, out, outputs=wanted, image_dir=report_json.parent)
    for name, path in written.items():
        console.print(f"{name}: {path}")


@report_app.command("schema")
@handle_errors
def schema(
    out: Path | None = typer.Option(None, "-o", "--out", help="Write to this file."),
) -> None:
    """Print (or write) the JSON Schema of report.json."""
    from spinepath.report.schema import schema_text

    text = schema_text()
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        console.print(f"schema: {out}")


def register(app: typer.Typer) -> None:
    """Add the ``report`` command group."""
    app.add_typer(report_app)
