"""Spondylolisthesis from two sources: the learned grader's probability and the measured slip.

The CNN sees one disc crop and the slip measurement (posterior-wall offset as a percentage of the
lower endplate, :mod:`spinepath.measure.sagittal`) sees the geometry; neither alone separates
SPIDER's listhesis grades well (out-of-fold AUC 0.76 and 0.78). Both are mapped to a common scale
by their distribution over the development discs (empirical CDFs, stored as 101 quantiles) and
averaged with equal, fixed weights; a logistic map of that score gives a class-balanced
probability (present from 0.5 up, like the grader's other binary heads). The slip is the larger
absolute value of the T2 and T1 measurements; a level without one gets the middle of the slip
scale (0.5). The tables are fitted by ``scripts/fit_listhesis_combiner.py`` on out-of-fold grader
probabilities, so they never see a disc's own training fit.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path

import numpy as np

MODEL_PATH = Path(__file__).resolve().parents[1] / "models" / "listhesis_combiner.json"
N_QUANTILES = 101


def _cdf(quantiles: Sequence[float], x: float) -> float:
    """Empirical CDF at ``x`` from equally spaced quantiles (linear between them)."""
    q = np.asarray(quantiles, float)
    levels = np.linspace(0.0, 1.0, len(q))
    return float(np.interp(x, q, levels, left=0.0, right=1.0))


@dataclass
class ListhesisCombiner:
    """Quantile tables of the two sources and the logistic map of their mean CDF."""

    cnn_quantiles: list[float]
    slip_quantiles: list[float]
    intercept: float
    slope: float
    source: dict = field(default_factory=dict)

    def score(self, p_cnn: float, slips_pct: Sequence[float]) -> float:
        """Mean of the two empirical CDFs, in [0, 1]."""
        finite = [abs(s) for s in slips_pct if s is not None and math.isfinite(s)]
        f_slip = _cdf(self.slip_quantiles, max(finite)) if finite else 0.5
        return 0.5 * _cdf(self.cnn_quantiles, p_cnn) + 0.5 * f_slip

    def probability(self, p_cnn: float, slips_pct: Sequence[float]) -> float:
        """Class-balanced probability of spondylolisthesis."""
        z = self.intercept + self.slope * self.score(p_cnn, slips_pct)
        return 1.0 / (1.0 + math.exp(-z))

    @classmethod
    def fit(
        cls, p_cnn: np.ndarray, slip_pct: np.ndarray, y: np.ndarray, source: dict | None = None
    ) -> ListhesisCombiner:
        """Tables from the development discs (``slip_pct`` NaN where not measured)."""
        from sklearn.linear_model import LogisticRegression

        grid = np.linspace(0, 100, N_QUANTILES)
        slips = np.abs(slip_pct[np.isfinite(slip_pct)])
        tables = cls(
            cnn_quantiles=np.percentile(p_cnn, grid).tolist(),
            slip_quantiles=np.percentile(slips, grid).tolist(),
            intercept=0.0,
            slope=1.0,
            source=source or {},
        )
        s = np.array([tables.score(p, [v]) for p, v in zip(p_cnn, slip_pct, strict=True)])
        lr = LogisticRegression(class_weight="balanced", C=1e4, max_iter=1000)
        lr.fit(s[:, None], y.astype(int))
        tables.intercept = float(lr.intercept_[0])
        tables.slope = float(lr.coef_[0, 0])
        return tables

    def save(self, path: Path = MODEL_PATH) -> Path:
        """Write the tables as JSON."""
        Path(path).write_text(json.dumps(asdict(self), indent=1))
        return Path(path)


@cache
def load_combiner(path: str = str(MODEL_PATH)) -> ListhesisCombiner | None:
    """The shipped tables, or None when the file is absent (the CNN alone is used then)."""
    p = Path(path)
    if not p.is_file():
        return None
    return ListhesisCombiner(**json.loads(p.read_text()))
