"""Disc-aligned crops on hand-made pictures."""

from __future__ import annotations

import numpy as np
import pytest

from spinepath.grade.crops import CROP_SHAPE, disc_frame, normalise_picture, sample_crop


def _tilted_disc(angle_deg: float, spacing: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    h, w = 200, 200
    rr, cc = np.mgrid[0:h, 0:w].astype(float)
    y, x = rr * spacing[0], cc * spacing[1]
    cy, cx = 100 * spacing[0], 100 * spacing[1]
    a = np.deg2rad(angle_deg)
    along = (x - cx) * np.cos(a) + (y - cy) * np.sin(a)
    across = -(x - cx) * np.sin(a) + (y - cy) * np.cos(a)
    mask = (np.abs(along) <= 20) & (np.abs(across) <= 5)
    image = (
        np.where(mask, 100.0, 10.0) + np.where(along > 0, 50.0, 0.0) * mask
    )  # posterior half brighter
    return image, mask


@pytest.mark.parametrize("angle", [0.0, 20.0, -25.0])
@pytest.mark.parametrize("spacing", [(0.5, 0.5), (0.8, 0.4)])
def test_crop_is_rotation_and_spacing_invariant(angle: float, spacing: tuple[float, float]) -> None:
    image, mask = _tilted_disc(angle, spacing)
    frame = disc_frame(mask, spacing)
    assert frame is not None and frame.ap_length_mm == pytest.approx(40.0, abs=1.5)
    crop, mm_per_px = sample_crop(image, spacing, frame)
    assert crop.shape == CROP_SHAPE
    assert mm_per_px == pytest.approx(1.6 * frame.ap_length_mm / CROP_SHAPE[1])
    mid = CROP_SHAPE[0] // 2
    # disc centre row: anterior part 100, posterior part 150 (posterior on the right)
    assert crop[mid, CROP_SHAPE[1] // 2 - 8] == pytest.approx(100.0, abs=5)
    assert crop[mid, CROP_SHAPE[1] // 2 + 8] == pytest.approx(150.0, abs=5)
    # 10 mm thick disc at ~1.05 mm/px: rows 12 px away from the centre are outside
    assert crop[mid - 12, CROP_SHAPE[1] // 2] == pytest.approx(10.0, abs=5)


def test_small_mask_and_normalise() -> None:
    assert disc_frame(np.zeros((5, 5), bool), (1.0, 1.0)) is None
    pic = normalise_picture(np.arange(100.0).reshape(10, 10))
    assert pic.min() == 0.0 and pic.max() == 1.0
