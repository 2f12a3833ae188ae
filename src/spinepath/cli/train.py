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
        data: Path = typer.Option(
            None, "--data", help="The shared data folder (../shared/data): slices are packed first."
        ),
        pack: Path = typer.Option(
            None, "--pack", help="A slice pack (train.npz.xz) written by an earlier run."
        ),
        out: Path = typer.Option(Path("segmenter-run"), "-o", "--out", help="Output folder."),
        minutes: float = typer.Option(30.0, "--minutes", help="Training time budget."),
        fold: int = typer.Option(0, "--fold", help="Held-out fold (0..n-1); -1 trains on all."),
        n_folds: int = typer.Option(4, "--n-folds", help="Subject-wise folds."),
        seed: int = typer.Option(0, "--seed"),
        lr: float = typer.Option(2e-3, "--lr", help="Peak learning rate (cosine decay)."),
        batch: int = typer.Option(8, "--batch", help="Crops per step."),
        crop: int = typer.Option(192, "--crop", help="Crop side (pixels of 0.8 mm)."),
        widths: str = typer.Option(
            "24,48,64,96,128,192", "--widths", help="U-Net channel widths per resolution."
        ),
        device: str = typer.Option("cpu", "--device", help="torch device: cpu or cuda."),
        threads: int = typer.Option(2, "--threads", help="torch CPU threads."),
        init: Path = typer.Option(
            None, "--init", help="model.pt of an earlier run to continue from (same fold)."
        ),
    ) -> None:
        """Train the 2-D U-Net on fcs-dev, spider-seg-dev and vesal; export ONNX to OUT."""
        from spinepath.errors import InputError

        try:
            from spinepath.segment.train.batched import BatchedConfig, train_on_pack
            from spinepath.segment.train.data import write_training_packs
        except ImportError as exc:
            raise InputError(
                f"training needs torch ({exc}); pip install 'spinepath[train]'"
            ) from None
        if pack is None:
            if data is None or not data.is_dir():
                raise InputError(f"{data} is not a folder; point --data at ../shared/data")
            pack, val = write_training_packs(
                data, out / "slices", n_folds=n_folds, fold=fold, log=console.print
            )
        else:
            val = None
            if not pack.is_file():
                raise InputError(f"{pack} is not a slice pack file")
        cfg = BatchedConfig(
            minutes=minutes,
            batch_size=batch,
            crop=crop,
            lr=lr,
            widths=tuple(int(w) for w in widths.split(",")),
            seed=seed,
            device=device,
            threads=threads,
            init=str(init) if init else None,
        )
        info = train_on_pack(pack, out, cfg, val_pack=val, log=console.print)
        console.print(f"model written to {out / 'model.onnx'} ({info['iterations']} iterations)")

    @tr.command("ensemble-segmenter")
    @handle_errors
    def ensemble_segmenter(
        runs: list[Path] = typer.Argument(..., help="Training run folders (model.pt inside)."),
        out: Path = typer.Option(..., "-o", "--out", help="Output folder."),
    ) -> None:
        """Average the logits of several trained segmenters into one ONNX model (same split)."""
        import json

        from spinepath.errors import InputError

        try:
            from spinepath.segment.train.export import export_onnx
            from spinepath.segment.train.net import MeanOfModels, load_unet
        except ImportError as exc:
            raise InputError(f"needs torch ({exc}); pip install 'spinepath[train]'") from None
        splits = []
        for run in runs:
            if not (run / "model.pt").is_file():
                raise InputError(f"{run} has no model.pt")
            split_file = run / "split.json"
            splits.append(json.loads(split_file.read_text()) if split_file.is_file() else None)
        if any(s != splits[0] for s in splits):
            raise InputError("the runs were trained on different subject splits")
        out.mkdir(parents=True, exist_ok=True)
        model = MeanOfModels([load_unet(str(run / "model.pt")) for run in runs])
        diff = export_onnx(model, out / "model.onnx")
        if splits[0] is not None:
            (out / "split.json").write_text(json.dumps(splits[0], indent=1))
        logs = [
            json.loads((run / "train_log.json").read_text())
            if (run / "train_log.json").is_file()
            else {}
            for run in runs
        ]
        (out / "train_log.json").write_text(
            json.dumps({"ensemble_of": [str(r) for r in runs], "members": logs}, indent=1)
        )
        console.print(f"{len(runs)} models -> {out / 'model.onnx'} (onnxruntime diff {diff:.1e})")
