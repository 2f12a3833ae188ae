"""ICC(3,1) against the Shrout & Fleiss (1979) worked example."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from spinepath.cohort.modelling.icc import feature_icc, icc_3_1
from spinepath.errors import InputError

# Shrout & Fleiss 1979, Table 2: 6 targets rated by 4 judges; their Table 4 gives
# ICC(1,1) = .17, ICC(2,1) = .29, ICC(3,1) = .71.
SF = np.array([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]])


def test_shrout_fleiss_worked_example():
    assert icc_3_1(SF) == pytest.approx(0.715, abs=0.005)


def test_perfect_and_noisy_agreement():
    rng = np.random.default_rng(0)
    truth = rng.normal(0, 1, 50)
    assert icc_3_1(np.column_stack([truth, truth + 3.0])) == pytest.approx(1.0)  # consistency
    noisy = np.column_stack([truth, truth + rng.normal(0, 3, 50)])
    assert icc_3_1(noisy) < 0.3


def test_feature_icc_over_tables_and_rows():
    rng = np.random.default_rng(1)
    idx = pd.Index([f"r{i}" for i in range(40)])
    base = pd.DataFrame({"stable": rng.normal(0, 1, 40), "fragile": rng.normal(0, 1, 40)},
                        index=idx)
    eroded = base + pd.DataFrame({"stable": rng.normal(0, 0.05, 40),
                                  "fragile": rng.normal(0, 2, 40)}, index=idx)
    dilated = base + pd.DataFrame({"stable": rng.normal(0, 0.05, 40),
                                   "fragile": rng.normal(0, 2, 40)}, index=idx)
    icc = feature_icc([base, eroded, dilated], ["stable", "fragile"])
    assert icc["stable"] > 0.95 and icc["fragile"] < 0.5
    sub = feature_icc([base, eroded, dilated], ["stable"], rows=idx[:10])
    assert sub.index.tolist() == ["stable"]
    with pytest.raises(InputError, match="lacks"):
        feature_icc([base, eroded.iloc[:5]], ["stable"])
