"""Volume geometry and level names."""

from __future__ import annotations

import numpy as np
import pytest

from spinepath.model import Volume, disc_below, disc_from_bottom
from spinepath.model.findings import Grade, Measurement
from spinepath.model.levels import vertebrae_of_disc


def test_to_canonical_keeps_world_positions() -> None:
    rng = np.random.default_rng(0)
    arr = rng.random((3, 4, 5))
    # LPI-like axes with a permutation: axis0 -> -z, axis1 -> -x, axis2 -> +y
    affine = np.array([[0, -0.7, 0, 10], [0, 0, 0.9, -4], [-3, 0, 0, 50], [0, 0, 0, 1.0]])
    vol = Volume(arr, affine)
    can = vol.to_canonical()
    assert can.orientation == "RAS" and can.shape == (4, 5, 3)
    for ijk in np.ndindex(arr.shape):
        world = vol.world(np.array(ijk, float))
        new = np.round(can.voxel(world)).astype(int)
        assert can.array[tuple(new)] == arr[ijk]


def test_volume_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="3-D"):
        Volume(np.zeros((2, 2)), np.eye(4))
    with pytest.raises(ValueError, match="singular"):
        Volume(np.zeros((2, 2, 2)), np.diag([1, 0, 1, 1.0]))


def test_levels() -> None:
    assert disc_from_bottom(1) == "L5-S1"
    assert disc_from_bottom(5) == "L1-L2"
    assert disc_from_bottom(6) == "T12-L1"
    assert disc_below("L4") == "L4-L5"
    assert vertebrae_of_disc("L5-S1") == ("L5", "S1")
    with pytest.raises(ValueError):
        disc_from_bottom(0)


def test_grade_invariants() -> None:
    g = Grade(system="Pfirrmann", value=3, probabilities={"2": 0.2, "3": 0.7, "4": 0.1})
    assert g.confidence == pytest.approx(0.7)
    with pytest.raises(ValueError, match="sum to 1"):
        Grade(system="Pfirrmann", value=3, probabilities={"3": 0.5})
    with pytest.raises(ValueError, match="not one of its classes"):
        Grade(system="Modic", value=2, probabilities={"0": 0.5, "1": 0.5})
    with pytest.raises(ValueError, match="finite"):
        Measurement(name="disc_height_mm", value=float("nan"), unit="mm")
