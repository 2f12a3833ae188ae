"""``spinepath train segmenter``: reproduce the built-in segmenter (needs the train extra)."""

from __future__ import annotations

from pathlib import Path

import typer

from spinepath.cli.common import console, handle_errors


def register(app: typer.Typer) -> None:
    """Add the ``train`` command group to ``app``."""
    tr = typer.Typer(help="Train models (needs the train extra: torch).", no_args_is_help=True)
    app.add_typer(tr, name="train")

    @tr.command("segmenter")
    @handle_errors
    def segmenter(
        data: Path = typer.Option(..., "--data", help="The shared data folder (../shared/data)."),
        out: Path = typer.Option(Path("segmenter-run"), "-o", "--out", help="Output folder."),
        minutes: float = typer.Option(30.0, "--minutes", help="Training time budget."),
        fold: int = typer.Option(0, "--fold", help="Held-out fold (0..n-1); -1 trains on all."),
        n_folds: int = typer.Option(4, "--n-folds", help="Subject-wise folds."),
        seed: int = typer.Option(0, "--seed"),
        lr: float = typer.Option(2e-3, "--lr", help="Peak learning rate (cosine decay)."),
        threads: int = typer.Option(2, "--threads", help="torch CPU threads."),
        init: Path = typer.Option(
            None, "--init", help="model.pt of an earlier run to continue from (same fold)."
        ),
    ) -> None:
        """Train the 2-D U-Net on fcs-dev, spider-seg-dev and vesal; export ONNX to OUT."""
        from spinepath.errors import InputError

        try:
            from spinepath.segment.train.trainer import TrainConfig, train_segmenter
        except ImportError as exc:
            raise InputError(
                f"training needs torch ({exc}); pip install 'spinepath[train]'"
            ) from None
        if not data.is_dir():
            raise InputError(f"{data} is not a folder; point --data at ../shared/data")
        cfg = TrainConfig(
            minutes=minutes,
            fold=fold,
            n_folds=n_folds,
            seed=seed,
            lr=lr,
            threads=threads,
            init=str(init) if init else None,
        )
        info = train_segmenter(data, out, cfg, log=console.print)
        console.print(f"model written to {out / 'model.onnx'} ({info['iterations']} iterations)")
