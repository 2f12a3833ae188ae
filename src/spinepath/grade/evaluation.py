"""Agreement of predicted disc grades with radiologists' grades (SPIDER gradings).

Discs the pipeline missed count as errors, never as exclusions: a missed disc's class prediction
is wrong (class -1) for accuracy-type figures, its probability is uninformative (0.5) for AUC, and
for the quadratic-weighted kappa (which needs a class) it is given the middle Pfirrmann grade 3.
95 % confidence intervals: percentile bootstrap over patients (all discs of a resampled patient
move together), 1000 resamples, seed 0.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from spinepath.grade.heads import BINARY_HEADS, MULTICLASS_HEADS, split_logits

N_BOOT = 1000


def balanced_accuracy(y: np.ndarray, pred: np.ndarray, classes: list[int]) -> float:
    """Mean per-class recall over the classes present in ``y``."""
    recalls = [float(np.mean(pred[y == c] == c)) for c in classes if np.any(y == c)]
    return float(np.mean(recalls)) if recalls else float("nan")


def quadratic_weighted_kappa(y: np.ndarray, pred: np.ndarray, classes: list[int]) -> float:
    """Cohen's kappa with quadratic weights over ordered ``classes``."""
    k = len(classes)
    index = {c: i for i, c in enumerate(classes)}
    observed = np.zeros((k, k))
    for a, b in zip(y, pred, strict=True):
        observed[index[int(a)], index[int(b)]] += 1
    if observed.sum() == 0:
        return float("nan")
    weights = np.array([[(i - j) ** 2 for j in range(k)] for i in range(k)]) / (k - 1) ** 2
    expected = np.outer(observed.sum(1), observed.sum(0)) / observed.sum()
    denominator = (weights * expected).sum()
    return float(1 - (weights * observed).sum() / denominator) if denominator else float("nan")


def auc(y: np.ndarray, p: np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney, ties counted half)."""
    pos, neg = p[y == 1], p[y == 0]
    if len(pos) == 0 or len(neg) == 0:
        return float("nan")
    order = np.argsort(np.concatenate([pos, neg]), kind="mergesort")
    ranks = np.empty(len(order))
    values = np.concatenate([pos, neg])[order]
    i = 0
    while i < len(values):  # midranks for ties
        j = i
        while j + 1 < len(values) and values[j + 1] == values[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2 + 1
        i = j + 1
    return float((ranks[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


def confusion(y: np.ndarray, pred: np.ndarray, classes: list[int]) -> list[list[int]]:
    """Rows: reference class; columns: predicted class, then a last column for missed discs."""
    rows = []
    for a in classes:
        row = [int(np.sum((y == a) & (pred == b))) for b in classes]
        row.append(int(np.sum((y == a) & ~np.isin(pred, classes))))
        rows.append(row)
    return rows


def _bootstrap(
    metric: Callable[[np.ndarray], float], patients: np.ndarray, n_boot: int = N_BOOT
) -> tuple[float, float]:
    rng = np.random.default_rng(0)
    unique = np.unique(patients)
    rows_of = {p: np.nonzero(patients == p)[0] for p in unique}
    values = []
    for _ in range(n_boot):
        pick = rng.choice(unique, size=len(unique), replace=True)
        idx = np.concatenate([rows_of[p] for p in pick])
        v = metric(idx)
        if np.isfinite(v):
            values.append(v)
    if not values:
        return float("nan"), float("nan")
    lo, hi = np.percentile(values, [2.5, 97.5])
    return float(lo), float(hi)


def _with_ci(
    name: str, metric: Callable[[np.ndarray], float], patients: np.ndarray, out: dict[str, Any]
) -> None:
    out[name] = metric(np.arange(len(patients)))
    lo, hi = _bootstrap(metric, patients)
    out[f"{name}_ci95"] = [lo, hi]


def grading_agreement(
    probabilities: np.ndarray,
    found: np.ndarray,
    labels: dict[str, np.ndarray],
    patients: np.ndarray,
    *,
    threshold: float = 0.5,
) -> dict[str, Any]:
    """Figures per grading head (see module docstring for how misses count).

    Args:
        probabilities: (n, heads) grader outputs; rows of missed discs are ignored.
        found: (n,) whether the pipeline found each graded disc.
        labels: reference grade per head name (``pfirrmann`` 1-5, ``modic`` 0-3, binaries 0/1).
        patients: (n,) patient id per disc, for the bootstrap.
    """
    found = found.astype(bool)
    heads = [
        split_logits(tuple(row)) if f else None for row, f in zip(probabilities, found, strict=True)
    ]
    out: dict[str, Any] = {
        "n_discs": len(found),
        "n_found": int(found.sum()),
        "missed_count_as_errors": True,
    }
    classes = list(MULTICLASS_HEADS["pfirrmann"])
    y = labels["pfirrmann"].astype(int)
    pred = np.array([classes[int(np.argmax(h["pfirrmann"]))] if h else -1 for h in heads])
    pred_k = np.where(pred == -1, 3, pred)
    pf: dict[str, Any] = {"n": len(y)}
    _with_ci("balanced_accuracy", lambda i: balanced_accuracy(y[i], pred[i], classes), patients, pf)
    _with_ci("qwk", lambda i: quadratic_weighted_kappa(y[i], pred_k[i], classes), patients, pf)
    _with_ci("within_one", lambda i: float(np.mean(np.abs(pred[i] - y[i]) <= 1)), patients, pf)
    pf["confusion_matrix"] = {
        "classes": classes,
        "rows": confusion(y, pred, classes),
        "last_column": "missed",
    }
    out["pfirrmann"] = pf
    modic_classes = list(MULTICLASS_HEADS["modic"])
    y_any = (labels["modic"] > 0).astype(int)
    p_any = np.array([1 - h["modic"][modic_classes.index(0)] if h else 0.5 for h in heads])
    out["modic_any"] = _binary_block(y_any, p_any, found, patients, threshold)
    for name in BINARY_HEADS:
        p = np.array([h[name][0] if h else 0.5 for h in heads])
        out[name] = _binary_block(labels[name].astype(int), p, found, patients, threshold)
    up, low = labels["up_endplate"].astype(int), labels["low_endplate"].astype(int)
    p_def = np.array([max(h["up_endplate"][0], h["low_endplate"][0]) if h else 0.5 for h in heads])
    out["endplate_defect"] = _binary_block(np.maximum(up, low), p_def, found, patients, threshold)
    return out


def _binary_block(
    y: np.ndarray, p: np.ndarray, found: np.ndarray, patients: np.ndarray, threshold: float
) -> dict[str, Any]:
    pred = np.where(found, (p >= threshold).astype(int), -1)
    block: dict[str, Any] = {"n": len(y), "n_positive": int(y.sum())}
    _with_ci("auc", lambda i: auc(y[i], p[i]), patients, block)
    _with_ci(
        "balanced_accuracy", lambda i: balanced_accuracy(y[i], pred[i], [0, 1]), patients, block
    )
    block["confusion_matrix"] = {
        "classes": [0, 1],
        "rows": confusion(y, pred, [0, 1]),
        "last_column": "missed",
    }
    return block
