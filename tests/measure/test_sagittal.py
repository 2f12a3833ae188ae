"""Measurements on hand-made level-labelled sagittal slices with known geometry."""

from __future__ import annotations

import numpy as np
import pytest

from spinepath.measure import SagittalSlice, measure_sagittal
from spinepath.measure.frame import VERTEBRA_IDS, disc_id

SP = 0.5  # mm per pixel


def _column(
    *,
    body_h: float = 25.0,
    disc_h: tuple[float, float] = (10.0, 10.0),
    depth: float = 35.0,
    shift_l4_mm: float = 0.0,
    wedge_l2: float = 0.0,
    disc_value: float = 300.0,
) -> SagittalSlice:
    """L1..L5 + S1 rectangles (AP depth ``depth`` mm), discs between them (anterior, posterior
    heights ``disc_h``), a canal band behind, image intensities per structure."""
    h, w = 700, 260
    labels = np.zeros((h, w), np.int16)
    image = np.full((h, w), 20.0)
    x0 = 60.0  # mm of the anterior body margin
    y = 10.0
    names = ["L1", "L2", "L3", "L4", "L5", "S1"]
    for i, name in enumerate(names):
        xs = x0 - (shift_l4_mm if name in ("L1", "L2", "L3", "L4") else 0.0)
        r0, r1 = int(y / SP), int((y + body_h) / SP)
        c0, c1 = int(xs / SP), int((xs + depth) / SP)
        labels[r0:r1, c0:c1] = VERTEBRA_IDS[name]
        image[r0:r1, c0:c1] = 200.0
        if name == "L2" and wedge_l2 > 0:  # remove a triangle anteriorly-superiorly
            for c in range(c0, c1):
                cut = int(wedge_l2 / SP * (1 - (c - c0) / (c1 - c0)))
                labels[r0 : r0 + cut, c] = 0
                image[r0 : r0 + cut, c] = 20.0
        y += body_h
        if i < len(names) - 1:
            a, p = disc_h
            level = f"{name}-{names[i + 1]}"
            for c in range(int(x0 / SP), int((x0 + depth) / SP)):
                frac = (c - x0 / SP) / (depth / SP)
                hh = a + (p - a) * frac
                labels[int(y / SP) : int((y + hh) / SP), c] = disc_id(level)
                image[int(y / SP) : int((y + hh) / SP), c] = disc_value
            y += max(a, p)
    canal = (slice(0, h), slice(int((x0 + depth + 3) / SP), int((x0 + depth + 18) / SP)))
    labels[canal] = 61
    image[canal] = 1000.0
    return SagittalSlice(image=image, labels=labels, spacing=(SP, SP))


def _get(ms: list, name: str, level: str) -> float:
    return next(m.value for m in ms if m.name == name and m.level == level)


def test_disc_heights_and_index() -> None:
    ms = measure_sagittal(_column(disc_h=(12.0, 6.0)))
    # fractions 0.1 / 0.5 / 0.9 of a linear wedge from 12 to 6 mm
    assert _get(ms, "disc_height_anterior_mm", "L4-L5") == pytest.approx(11.4, abs=0.6)
    assert _get(ms, "disc_height_middle_mm", "L4-L5") == pytest.approx(9.0, abs=0.6)
    assert _get(ms, "disc_height_posterior_mm", "L4-L5") == pytest.approx(6.6, abs=0.6)
    assert _get(ms, "disc_height_index", "L4-L5") == pytest.approx(9.0 / 25.0, abs=0.03)
    assert _get(ms, "disc_ap_length_mm", "L4-L5") == pytest.approx(35.0, abs=1.0)


def test_signal_ratios() -> None:
    ms = measure_sagittal(_column(disc_value=500.0))
    assert _get(ms, "disc_signal_ratio_csf", "L3-L4") == pytest.approx(0.5, abs=0.01)
    assert _get(ms, "disc_signal_ratio_body", "L3-L4") == pytest.approx(2.5, abs=0.01)
    assert _get(ms, "disc_signal_cv", "L3-L4") == pytest.approx(0.0, abs=1e-6)


def test_vertebral_heights_and_wedge() -> None:
    ms = measure_sagittal(_column(wedge_l2=10.0))
    assert _get(ms, "vertebral_height_posterior_mm", "L3") == pytest.approx(25.0, abs=0.6)
    assert _get(ms, "vertebral_ratio_anterior_posterior", "L3") == pytest.approx(1.0, abs=0.03)
    ratio = _get(ms, "vertebral_ratio_anterior_posterior", "L2")
    # heights at the margins (Genant): anterior 25 - 10 = 15 mm against posterior 25 mm
    assert ratio == pytest.approx(15.0 / 25.0, abs=0.05)


@pytest.mark.parametrize("shift", [0.0, 7.0])
def test_listhesis(shift: float) -> None:
    ms = measure_sagittal(_column(shift_l4_mm=shift))
    assert _get(ms, "listhesis_mm", "L4-L5") == pytest.approx(shift, abs=1.0)
    assert _get(ms, "listhesis_pct", "L4-L5") == pytest.approx(100 * shift / 35.0, abs=3.0)
    assert _get(ms, "listhesis_mm", "L2-L3") == pytest.approx(0.0, abs=1.0)


def test_canal_and_no_displacement() -> None:
    ms = measure_sagittal(_column())
    assert _get(ms, "canal_ap_diameter_mm", "L4-L5") == pytest.approx(15.0, abs=1.0)
    assert _get(ms, "disc_posterior_displacement_mm", "L4-L5") == pytest.approx(0.0, abs=1.0)


def test_shape_mismatch_is_an_error() -> None:
    with pytest.raises(ValueError, match="equal 2-D shapes"):
        SagittalSlice(image=np.zeros((3, 3)), labels=np.zeros((3, 4), int), spacing=(1, 1))
