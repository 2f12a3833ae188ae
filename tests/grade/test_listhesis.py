"""The spondylolisthesis combiner: grader probability + measured slip."""

from __future__ import annotations

import numpy as np

from spinepath.grade.listhesis import ListhesisCombiner, load_combiner


def _fitted() -> ListhesisCombiner:
    rng = np.random.default_rng(0)
    n = 400
    y = (rng.random(n) < 0.1).astype(int)
    p = np.clip(0.3 + 0.3 * y + rng.normal(0, 0.15, n), 0, 1)
    slip = np.abs(3 + 12 * y + rng.normal(0, 4, n))
    slip[::17] = np.nan  # some levels without a measurement
    return ListhesisCombiner.fit(p, slip, y)


def test_probability_rises_with_either_source():
    comb = _fitted()
    assert comb.probability(0.2, [2.0]) < comb.probability(0.8, [2.0])
    assert comb.probability(0.5, [1.0]) < comb.probability(0.5, [20.0])
    assert comb.probability(0.9, [25.0]) > 0.5 > comb.probability(0.1, [1.0])


def test_sign_and_largest_slip_are_used_and_missing_is_neutral():
    comb = _fitted()
    assert comb.score(0.5, [-20.0]) == comb.score(0.5, [20.0])
    assert comb.score(0.5, [2.0, 20.0]) == comb.score(0.5, [20.0])
    assert comb.score(0.5, []) == comb.score(0.5, [float("nan")])
    assert abs(comb.score(0.5, []) - (0.5 * np.interp(0.5, comb.cnn_quantiles,
               np.linspace(0, 1, 101)) + 0.25)) < 1e-9  # fmt: skip


def test_round_trip_and_absent_file(tmp_path):
    comb = _fitted()
    path = comb.save(tmp_path / "c.json")
    again = load_combiner(str(path))
    assert again is not None and again.probability(0.7, [9.0]) == comb.probability(0.7, [9.0])
    assert load_combiner(str(tmp_path / "missing.json")) is None
