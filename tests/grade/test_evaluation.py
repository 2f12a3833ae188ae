"""Grading agreement figures on small hand-made cases."""

from __future__ import annotations

import numpy as np
import pytest

from spinepath.grade.evaluation import (
    auc,
    balanced_accuracy,
    grading_agreement,
    quadratic_weighted_kappa,
)
from spinepath.grade.heads import BINARY_HEADS, output_size


def test_metrics_known_values() -> None:
    y = np.array([1, 1, 2, 2, 3, 3])
    assert balanced_accuracy(y, np.array([1, 1, 2, 3, 3, 3]), [1, 2, 3]) == pytest.approx(5 / 6)
    assert quadratic_weighted_kappa(y, y, [1, 2, 3]) == pytest.approx(1.0)
    # Cohen's weighted kappa of a worked example: reversed ratings -> -1
    assert quadratic_weighted_kappa(np.array([1, 3]), np.array([3, 1]), [1, 2, 3]) == pytest.approx(
        -1.0
    )
    assert auc(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8])) == pytest.approx(0.75)
    assert auc(np.array([0, 1]), np.array([0.5, 0.5])) == pytest.approx(0.5)


def test_missed_discs_count_as_errors() -> None:
    n = 10
    rng = np.random.default_rng(0)
    labels = {
        "pfirrmann": np.array([1, 2, 3, 4, 5] * 2),
        "modic": np.array([0, 2] * 5),
        **{k: rng.integers(0, 2, n) for k in BINARY_HEADS},
    }
    probs = np.zeros((n, output_size()))
    for i, g in enumerate(labels["pfirrmann"]):
        probs[i, g - 1] = 1.0  # perfect Pfirrmann
        probs[i, 5 + labels["modic"][i]] = 1.0
    found = np.ones(n, bool)
    patients = np.repeat(np.arange(5), 2)
    perfect = grading_agreement(probs, found, labels, patients)
    assert perfect["pfirrmann"]["balanced_accuracy"] == pytest.approx(1.0)
    assert perfect["modic_any"]["auc"] == pytest.approx(1.0)
    found[0] = False
    missed = grading_agreement(probs, found, labels, patients)
    assert missed["pfirrmann"]["balanced_accuracy"] == pytest.approx(0.9)
    assert missed["pfirrmann"]["within_one"] == pytest.approx(0.9)
    assert missed["pfirrmann"]["confusion_matrix"]["rows"][0][-1] == 1
    assert missed["n_found"] == 9
    lo, hi = missed["pfirrmann"]["balanced_accuracy_ci95"]
    assert lo <= missed["pfirrmann"]["balanced_accuracy"] <= hi
