"""Install a trained run as the shipped model: copy the ONNX file and write its model card
(``<name>.json``: hash, split, training log, evaluation figures)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from spinepath.segment.onnx_model import MODELS_DIR, file_sha256


def install_model(
    run_dir: Path,
    *,
    name: str = "spine_sag_unet2d",
    evaluation: dict | None = None,
    models_dir: Path = MODELS_DIR,
) -> Path:
    """Copy ``run_dir/model.onnx`` to ``models_dir/<name>.onnx`` and write the JSON card."""
    run_dir = Path(run_dir)
    dst = Path(models_dir) / f"{name}.onnx"
    shutil.copy(run_dir / "model.onnx", dst)
    log = json.loads((run_dir / "train_log.json").read_text())
    split = json.loads((run_dir / "split.json").read_text())
    card = {
        "name": name,
        "file": dst.name,
        "sha256": file_sha256(dst),
        "size_bytes": dst.stat().st_size,
        "task": "sagittal lumbar MRI: whole vertebra, vertebral body, disc, spinal canal",
        "channels": ["vertebra", "body", "disc", "canal"],
        "input": "1 x H x W slice, display orientation (rows S->I, cols A->P), 0.8 mm pixels, "
        "intensity percentile-normalised; H, W multiples of 32",
        "output": "logits per channel (sigmoid)",
        "training": log,
        "split": split,
        "evaluation": evaluation or {},
    }
    dst.with_suffix(".json").write_text(json.dumps(card, indent=1))
    return dst
