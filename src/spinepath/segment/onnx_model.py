"""The built-in segmenter: a compact 2-D U-Net run slice by slice with onnxruntime (no torch).

Input: a stack of sagittal slices in display orientation (rows superior->inferior, columns
anterior->posterior) with its in-plane pixel spacing in mm. Output: per-channel probabilities
(:data:`spinepath.segment.labels.CHANNELS`) on the same grid.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np

from spinepath.errors import AnalysisError
from spinepath.model.report import sha256_file
from spinepath.segment.labels import CHANNELS
from spinepath.segment.preprocess import (
    WORK_SPACING_MM,
    normalise_intensity,
    pad_to_multiple,
    resample_slice,
    resize_to,
)

MODELS_DIR = Path(__file__).resolve().parents[1] / "models"
DEFAULT_MODEL = MODELS_DIR / "spine_sag_unet2d.onnx"


file_sha256 = sha256_file
"""Hex SHA-256 of a file (the project's one helper, :func:`spinepath.model.report.sha256_file`)."""


@lru_cache(maxsize=4)
def _session(path: str, threads: int):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    return ort.InferenceSession(path, sess_options=opts, providers=["CPUExecutionProvider"])


class OnnxSegmenter:
    """Run the shipped (or a given) ONNX segmenter.

    Args:
        model_path: ONNX file; the shipped model when None.
        threads: onnxruntime intra-op threads.
    """

    def __init__(self, model_path: Path | None = None, *, threads: int = 2) -> None:
        self.model_path = Path(model_path) if model_path else DEFAULT_MODEL
        if not self.model_path.is_file():
            raise AnalysisError(
                f"segmentation model not found at {self.model_path}; reinstall spinepath or "
                "train one with `spinepath train segmenter`"
            )
        self.threads = threads
        self._sha: str | None = None

    @property
    def sha256(self) -> str:
        """SHA-256 of the model file (for provenance)."""
        if self._sha is None:
            self._sha = file_sha256(self.model_path)
        return self._sha

    @property
    def card(self) -> dict:
        """The model card's machine-readable part (``<model>.json``), or for a training run's
        folder its ``split.json`` as ``{"split": ...}``; empty when neither exists."""
        p = self.model_path.with_suffix(".json")
        if p.is_file():
            return json.loads(p.read_text())
        split = self.model_path.parent / "split.json"
        return {"split": json.loads(split.read_text())} if split.is_file() else {}

    def predict(
        self, slices: np.ndarray, spacing_mm: tuple[float, float], *, batch: int = 4
    ) -> np.ndarray:
        """Probabilities ``(n, n_channels, rows, cols)`` (float32 in [0, 1]) for a display-
        orientation stack ``(n, rows, cols)`` with pixel size ``spacing_mm`` (row, col) in mm."""
        slices = np.asarray(slices, dtype=np.float32)
        if slices.ndim == 2:
            slices = slices[None]
        n, h, w = slices.shape
        norm = normalise_intensity(slices)
        work = np.stack([resample_slice(s, spacing_mm, order=1) for s in norm]).astype(np.float32)
        padded, (wh, ww) = pad_to_multiple(work)
        sess = _session(str(self.model_path), self.threads)
        out = np.empty((n, len(CHANNELS), h, w), np.float32)
        for b0 in range(0, n, batch):
            x = padded[b0 : b0 + batch, None]
            logits = sess.run(None, {"image": x})[0][:, :, :wh, :ww]
            prob = 1.0 / (1.0 + np.exp(-logits))
            for k in range(prob.shape[0]):
                for c in range(prob.shape[1]):
                    out[b0 + k, c] = resize_to(prob[k, c], (h, w), order=1)
        for k in range(n):  # nothing lies in zero-filled padding (never seen in training)
            pad = padding_mask(slices[k])
            if pad.any():
                out[k][:, pad] = 0.0
        return out


def padding_mask(slice2d: np.ndarray) -> np.ndarray:
    """Pixels of exactly zero (or less) forming regions wider than a few pixels: padding or
    empty air outside the body, where no spine structure can be."""
    from scipy import ndimage as ndi

    z = np.asarray(slice2d) <= 0
    if not z.any():
        return z
    return ndi.binary_opening(z, structure=np.ones((3, 3), bool), iterations=2)


WORK_SPACING = WORK_SPACING_MM
