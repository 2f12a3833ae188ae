"""``spinepath evaluate grading DIR``: the whole imaging path (segment, label, measure, grade)
on every slice of a spider-dev-layout folder, compared with the radiologists' gradings.

Disc k counted from the bottom is the graded "IVD label" k (:mod:`spinepath.grade.dataset`);
discs the pipeline misses count as errors (:mod:`spinepath.grade.evaluation`).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from spinepath.errors import InputError
from spinepath.grade.dataset import build
from spinepath.grade.evaluation import grading_agreement
from spinepath.grade.heads import binary_column, output_size
from spinepath.grade.learned import DiscGraderModel
from spinepath.grade.listhesis import load_combiner
from spinepath.segment.onnx_model import OnnxSegmenter


def evaluate_grading(
    root: Path,
    *,
    segmenter: OnnxSegmenter | None = None,
    grader: DiscGraderModel | None = None,
    log=None,  # type: ignore[no-untyped-def]
) -> dict[str, Any]:
    """Agreement figures of the shipped pipeline on a spider-dev-layout folder."""
    root = Path(root)
    for need in ("radiological_gradings.csv", "overview.csv"):
        if not (root / need).is_file():
            raise InputError(f"{root} is not in the spider-dev layout: {need} is missing")
    t0 = time.perf_counter()
    grader = grader or DiscGraderModel()
    data = build(
        root, segmenter=segmenter, crop_shape=grader.crop_shape, log=log or (lambda *_: None)
    )
    found = np.array(data.found)
    probs = np.full((len(found), output_size()), np.nan, dtype=np.float32)
    crops = np.stack(data.crops) if data.crops else np.zeros((0, 2, 1, 1))
    has_t1 = np.array(data.has_t1)
    idx = np.nonzero(found)[0]
    for start in range(0, len(idx), 64):
        part = idx[start : start + 64]
        t2 = {str(i): crops[i, 0] for i in part}
        t1 = {str(i): crops[i, 1] for i in part if has_t1[i]}
        out = grader.predict(t2, t1)
        for i in part:
            row = out[str(i)]
            probs[i] = [v for values in row.values() for v in values]
    combiner = load_combiner()
    if combiner is not None:  # as the pipeline's findings do (spinepath.grade.findings)
        col = binary_column("spondylolisthesis")
        for i in idx:
            slips = [data.features[i].get(f"{s}_listhesis_pct", np.nan) for s in ("t2", "t1")]
            probs[i, col] = combiner.probability(float(probs[i, col]), slips)
    labels = {k: np.array(v) for k, v in data.labels.items()}
    result = grading_agreement(probs, found, labels, np.array(data.patient))
    result["n_patients"] = len(set(data.patient))
    result["seconds"] = round(time.perf_counter() - t0, 1)
    result["model_sha256"] = grader.sha256
    result["note"] = (
        "the shipped grader was trained on the SPIDER development split (the patients of "
        "../shared/data/spider-dev): on that folder these figures are optimistic; its "
        "cross-validated figures are in src/spinepath/models/disc_grader.json"
    )
    return result
