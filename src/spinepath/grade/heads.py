"""The outputs of the learned disc grader: one head per radiological grading of SPIDER.

Shared by training (torch) and inference (onnxruntime) so both agree on the output layout.
"""

from __future__ import annotations

MULTICLASS_HEADS: dict[str, tuple[int, ...]] = {
    "pfirrmann": (1, 2, 3, 4, 5),
    "modic": (0, 1, 2, 3),
}
"""Head name -> the grade values of its classes, in output order."""

BINARY_HEADS: tuple[str, ...] = (
    "up_endplate",
    "low_endplate",
    "spondylolisthesis",
    "herniation",
    "narrowing",
    "bulging",
)
"""Heads with one logit each (probability of the finding)."""


def output_size() -> int:
    """Total number of logits of the grader network."""
    return sum(len(v) for v in MULTICLASS_HEADS.values()) + len(BINARY_HEADS)


def binary_column(name: str) -> int:
    """Column of a binary head in the flat output row (after every multiclass head)."""
    return sum(len(v) for v in MULTICLASS_HEADS.values()) + BINARY_HEADS.index(name)


def split_logits(row: list[float] | tuple[float, ...]) -> dict[str, list[float]]:
    """Cut one flat logit/probability row into its heads (multiclass lists, binary singletons)."""
    out: dict[str, list[float]] = {}
    i = 0
    for name, classes in MULTICLASS_HEADS.items():
        out[name] = list(row[i : i + len(classes)])
        i += len(classes)
    for name in BINARY_HEADS:
        out[name] = [row[i]]
        i += 1
    return out
