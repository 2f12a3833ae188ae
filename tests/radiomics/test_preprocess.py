"""Image processing steps on small arrays with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from spinepath.errors import AnalysisError, InputError
from spinepath.radiomics.preprocess import _aligned_grid, discretise, preprocess, resegment
from spinepath.radiomics.settings import (
    DiscretisationSettings,
    RadiomicsSettings,
    ResegmentationSettings,
    load_settings,
)


def test_aligned_grid_matches_ibsi_ct_phantom_dimensions() -> None:
    # IBSI CT phantom: 204 x 201 x 60 voxels of 0.977 x 0.977 x 3 mm -> 100 x 99 x 90 at 2 mm
    assert _aligned_grid(204, 0.977, 2.0)[0] == 100
    assert _aligned_grid(201, 0.977, 2.0)[0] == 99
    assert _aligned_grid(60, 3.0, 2.0)[0] == 90
    n, first = _aligned_grid(4, 1.0, 2.0)  # centres coincide: (4-1)/2 == first + (2-1)/2 * 2
    assert n == 2 and first == pytest.approx(0.5)


def test_fixed_bin_number() -> None:
    img = np.array([0.0, 1.0, 2.0, 3.0, 4.0]).reshape(5, 1, 1)
    d = discretise(img, np.ones_like(img, bool), DiscretisationSettings(bin_number=2))
    assert d.levels.ravel().tolist() == [1, 1, 2, 2, 2]
    assert d.n_levels == 2


def test_fixed_bin_size_starts_at_range_bound() -> None:
    img = np.array([-500.0, -476.0, -475.0, 0.0, 399.0]).reshape(5, 1, 1)
    s = DiscretisationSettings(method="fixed_bin_size", bin_width=25, bin_number=None)
    d = discretise(img, np.ones_like(img, bool), s, (-500.0, 400.0))
    assert d.levels.ravel().tolist() == [1, 1, 2, 21, 36]


def test_resegmentation_range_and_outliers() -> None:
    rng = np.random.default_rng(0)
    img = rng.normal(0.0, 1.0, (20, 20, 20))
    img[0, 0, 0] = 50.0
    img[0, 0, 1] = -2000.0
    mask = np.ones(img.shape, bool)
    out, rng_ = resegment(img, mask, ResegmentationSettings(range=(-1000, None), outlier_sigma=3))
    assert rng_ == (-1000, None)
    assert not out[0, 0, 0] and not out[0, 0, 1]
    kept = img[out]
    assert kept.min() >= -4.0 and kept.size > 7900
    with pytest.raises(AnalysisError):
        resegment(img, mask, ResegmentationSettings(range=(100, 200)))


def test_interpolation_keeps_a_constant_image_and_the_roi_volume() -> None:
    img = np.full((40, 40, 20), 7.0)
    mask = np.zeros(img.shape, bool)
    mask[10:30, 10:30, 5:15] = True  # 20 x 20 x 10 voxels of 1 x 1 x 3 mm = 12000 mm^3
    s = RadiomicsSettings.model_validate(
        {"interpolation": {"spacing_mm": [2, 2, 2], "image_method": "cubic_spline"}}
    )
    roi = preprocess(img, mask, (1.0, 1.0, 3.0), s)
    assert roi.spacing == (2.0, 2.0, 2.0)
    assert np.allclose(roi.image[roi.valid], 7.0)
    assert roi.morph_mask.sum() * 8.0 == pytest.approx(12000, rel=0.1)


def test_empty_mask_is_an_error() -> None:
    with pytest.raises(AnalysisError):
        preprocess(np.zeros((4, 4, 4)), np.zeros((4, 4, 4)), (1, 1, 1), RadiomicsSettings())


def test_shipped_settings_load_and_bad_ones_are_refused(tmp_path) -> None:
    for name in ("ibsi_ct_a", "ibsi_ct_b", "ibsi_ct_c", "ibsi_ct_d", "ibsi_ct_e", "default_mr"):
        assert load_settings(name).name == name
    e = load_settings("ibsi_ct_e")
    assert e.interpolation.image_method == "cubic_spline"
    assert e.resegmentation.range == (-1000, 400) and e.resegmentation.outlier_sigma == 3
    bad = tmp_path / "bad.yaml"
    bad.write_text("discretisation: {method: fixed_bin_size, bin_number: null}\n")
    with pytest.raises(InputError, match="bin_width"):
        load_settings(bad)
    typo = tmp_path / "typo.yaml"
    typo.write_text("discretization: {}\n")
    with pytest.raises(InputError):
        load_settings(typo)
    with pytest.raises(InputError, match="ibsi_ct_a"):
        load_settings("no_such_config")
