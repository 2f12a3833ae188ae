"""Shared CLI helpers: error reporting and exit codes."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import typer
from rich.console import Console

from spinepath.errors import SpinepathError

P = ParamSpec("P")
R = TypeVar("R")

err_console = Console(stderr=True)
console = Console()


def handle_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn a :class:`SpinepathError` into a readable message and its exit code."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except SpinepathError as exc:
            err_console.print(f"[bold red]error:[/] {exc}")
            raise typer.Exit(code=exc.exit_code) from None

    return wrapper
