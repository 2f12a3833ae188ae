"""The shipped learned disc grader (ONNX, run with onnxruntime; trained on SPIDER gradings).

Input: disc-aligned crops of the T2 and T1 mid-sagittal slices (:mod:`spinepath.grade.crops`).
Output per disc: probabilities of Pfirrmann 1-5, Modic 0-3, and of upper/lower endplate defect,
spondylolisthesis, herniation, narrowing and bulging (:mod:`spinepath.grade.heads`).
See ``docs/model_cards/disc_grader.md`` for the model card.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np

from spinepath.errors import AnalysisError
from spinepath.grade.heads import split_logits
from spinepath.model.report import sha256_file

MODEL_PATH = Path(__file__).resolve().parents[1] / "models" / "disc_grader.onnx"


@cache
def _session(path: str, threads: int = 2):  # type: ignore[no-untyped-def]
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    return ort.InferenceSession(path, sess_options=opts, providers=["CPUExecutionProvider"])


class DiscGraderModel:
    """The learned grader; ``predict`` maps level -> head -> class probabilities."""

    def __init__(self, path: Path | None = None, *, threads: int = 2) -> None:
        self.path = Path(path) if path else MODEL_PATH
        self.threads = threads
        if not self.path.is_file():
            raise AnalysisError(
                f"the disc grading model {self.path} is missing; reinstall spinepath or train "
                "one with scripts/train_disc_grader.sh"
            )
        self.sha256 = sha256_file(self.path)
        shape = _session(str(self.path), threads).get_inputs()[0].shape
        self.crop_shape: tuple[int, int] = (int(shape[2]), int(shape[3]))
        """(rows, columns) of the crops the model was trained on."""

    def predict(
        self, t2_crops: dict[str, np.ndarray], t1_crops: dict[str, np.ndarray]
    ) -> dict[str, dict[str, list[float]]]:
        """Probabilities per level for every level with a T2 crop (T1 used where present)."""
        levels = sorted(t2_crops)
        if not levels:
            return {}
        x = np.zeros((len(levels), 2, *self.crop_shape), np.float32)
        has_t1 = np.zeros((len(levels), 1), np.float32)
        for i, level in enumerate(levels):
            x[i, 0] = t2_crops[level]
            if level in t1_crops:
                x[i, 1] = t1_crops[level]
                has_t1[i, 0] = 1.0
        out = _session(str(self.path), self.threads).run(None, {"crops": x, "has_t1": has_t1})[0]
        return {
            level: split_logits(tuple(float(v) for v in row))
            for level, row in zip(levels, out, strict=True)
        }
