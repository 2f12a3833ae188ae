"""The ``spinepath`` command. Each verb lives in a module of this package with a
``register(app)`` function; this file only assembles them."""

from __future__ import annotations

import importlib

import typer

from spinepath import __version__

app = typer.Typer(
    name="spinepath",
    help="Lumbar spine imaging in low-back pain: findings per level, pain generators, reports.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Modules under spinepath.cli that define ``register(app: typer.Typer) -> None``.
_COMMAND_MODULES: tuple[str, ...] = (
    "info",
    "analyze",
    "demo",
    "phantom",
    "meta",
    "batch",
    "nuclear",
    "radiomics",
    "segment",
    "evaluate",
    "evaluate_grading",
    "train",
    "reason",
    "report",
    "model",
)


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"spinepath {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version_callback, is_eager=True, help="Print the version."
    ),
) -> None:
    """spinepath command line."""


for _name in _COMMAND_MODULES:
    importlib.import_module(f"spinepath.cli.{_name}").register(app)
