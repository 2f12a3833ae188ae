"""Feature computations checked against direct (brute-force) evaluations of the definitions."""

from __future__ import annotations

import numpy as np
import pytest

from spinepath.errors import InputError
from spinepath.model.volume import Volume
from spinepath.radiomics import FEATURE_CODES, extract_features, ibsi_code
from spinepath.radiomics.morphology import (
    _spatial_autocorrelation,
    local_intensity_features,
    mesh,
    mesh_volume_area,
)
from spinepath.radiomics.preprocess import LOCAL_PEAK_RADIUS_MM, RoiData
from spinepath.radiomics.statistics import intensity_volume_histogram
from spinepath.radiomics.texture.glcm import glcm_counts
from spinepath.radiomics.texture.glrlm import runs
from spinepath.radiomics.texture.zones import distance_map, zones


def _roi(image: np.ndarray, mask: np.ndarray, spacing=(1.0, 1.0, 1.0)) -> RoiData:
    return RoiData(image, np.ones(image.shape, bool), mask, mask, spacing, (None, None))


def test_moran_and_geary_equal_the_pairwise_definition() -> None:
    rng = np.random.default_rng(1)
    img = rng.integers(0, 10, (6, 5, 4)).astype(float)
    mask = rng.random(img.shape) > 0.3
    spacing = (1.0, 1.5, 3.0)
    moran, geary = _spatial_autocorrelation(_roi(img, mask, spacing))
    pos = np.argwhere(mask) * np.array(spacing)
    x = img[mask]
    d = np.sqrt(((pos[:, None] - pos[None]) ** 2).sum(-1))
    w = np.where(d > 0, 1.0 / np.where(d > 0, d, 1), 0.0)
    dev = x - x.mean()
    n = x.size
    moran_ref = n / w.sum() * (w * np.outer(dev, dev)).sum() / (dev**2).sum()
    geary_ref = (n - 1) / (2 * w.sum()) * (w * (x[:, None] - x[None]) ** 2).sum() / (dev**2).sum()
    assert moran == pytest.approx(moran_ref, rel=1e-5, abs=1e-7)
    assert geary == pytest.approx(geary_ref, rel=1e-5)


def test_local_intensity_peak_is_the_sphere_mean() -> None:
    rng = np.random.default_rng(2)
    img = rng.normal(0, 10, (16, 16, 8))
    mask = np.zeros(img.shape, bool)
    mask[5:11, 5:11, 3:5] = True
    spacing = (1.0, 1.0, 2.5)
    f = local_intensity_features(_roi(img, mask, spacing))
    pos = np.argwhere(np.ones(img.shape, bool)) * np.array(spacing)
    vals = img.ravel()

    def sphere_mean(idx):
        c = np.array(idx) * np.array(spacing)
        return vals[np.sqrt(((pos - c) ** 2).sum(1)) <= LOCAL_PEAK_RADIUS_MM].mean()

    top = np.unravel_index(np.argmax(np.where(mask, img, -np.inf)), img.shape)
    assert f["loc_peak_loc"] == pytest.approx(sphere_mean(top))
    glob = max(sphere_mean(tuple(i)) for i in np.argwhere(mask))
    assert f["loc_peak_glob"] == pytest.approx(glob)


def test_mesh_volume_of_a_sphere() -> None:
    r = 12.0
    g = np.mgrid[-15:16, -15:16, -15:16]
    mask = (g**2).sum(0) <= r**2
    v, a = mesh_volume_area(*mesh(mask, (1.0, 1.0, 1.0)))
    assert v == pytest.approx(4 / 3 * np.pi * r**3, rel=0.02)
    assert a == pytest.approx(4 * np.pi * r**2, rel=0.1)


def test_glcm_counts_of_a_small_slice() -> None:
    q = np.array([[1, 2], [2, 2]]).reshape(2, 2, 1)
    c = glcm_counts(q, 2, [(1, 0, 0)])  # vertical neighbours: (1,2) and (2,2), symmetric
    assert c[0].tolist() == [[0, 1], [1, 2]]


def test_runs_along_a_line() -> None:
    q = np.array([1, 1, 2, 2, 2, 0, 1]).reshape(7, 1, 1)
    lv, ln, _z = runs(q, (1, 0, 0))
    assert sorted(zip(lv.tolist(), ln.tolist(), strict=True)) == [(1, 1), (1, 2), (2, 3)]
    lv, ln, _ = runs(np.eye(3, dtype=int).reshape(3, 3, 1), (1, 1, 0))  # the diagonal
    assert (lv.tolist(), ln.tolist()) == ([1], [3])


def test_zones_and_distances() -> None:
    q = np.zeros((5, 5, 1), int)
    q[:, :, 0] = [
        [1, 1, 2, 2, 2],
        [1, 1, 2, 2, 2],
        [3, 3, 3, 2, 2],
        [3, 3, 3, 3, 3],
        [3, 3, 3, 3, 3],
    ]
    dist = distance_map(q > 0, two_d=True)
    assert dist[2, 2, 0] == 3 and dist[0, 0, 0] == 1
    lv, size, dz, _ = zones(q, True, dist)
    assert sorted(zip(lv.tolist(), size.tolist(), dz.tolist(), strict=True)) == [
        (1, 4, 1),
        (2, 8, 1),
        (3, 13, 1),
    ]


def test_ivh_on_a_hand_example() -> None:
    vals = np.array([1, 1, 1, 1, 2, 2, 3, 4, 4, 5], float)
    f = intensity_volume_histogram(vals, 1.0, 1.0, 5.0)
    assert f["ivh_v10"] == pytest.approx(0.6)  # gamma >= 0.1 -> i >= 1.4
    assert f["ivh_v90"] == pytest.approx(0.1)  # i >= 4.6
    assert f["ivh_i10"] == 5.0 and f["ivh_i90"] == 2.0


def test_extract_features_api_and_codes() -> None:
    rng = np.random.default_rng(3)
    img = Volume(rng.normal(100, 20, (24, 24, 12)), np.diag([0.8, 0.8, 3.0, 1.0]))
    mask = np.zeros(img.shape, bool)
    mask[6:18, 5:19, 3:9] = True
    feats = extract_features(img, mask, "default_mr")
    families = {k.split("_")[0] for k in feats}
    assert families == {
        "morph",
        "loc",
        "stat",
        "ih",
        "ivh",
        "cm",
        "rlm",
        "szm",
        "dzm",
        "ngt",
        "ngl",
    }
    assert feats["morph_vol_approx"] == pytest.approx(mask.sum() * 0.8 * 0.8 * 3.0)
    assert feats["stat_mean"] == pytest.approx(img.array[mask].mean(), abs=2.0)  # 3 SD filter
    for tag in feats:
        assert len(ibsi_code(tag)) in (4, 9), tag
    assert ibsi_code("morph_volume") == "RNU0"
    assert ibsi_code("cm_contrast_3D_avg") == "ACUI/ITBB"
    assert len(set(FEATURE_CODES.values())) == len(FEATURE_CODES) - 2  # IVH V/I pairs share
    with pytest.raises(InputError):
        extract_features(img, mask[:-1], "default_mr")


@pytest.mark.parametrize("n_voxels", [1, 2, 8])
def test_tiny_rois_give_every_tag_without_errors(n_voxels: int) -> None:
    rng = np.random.default_rng(4)
    img = Volume(rng.normal(100, 20, (10, 10, 10)), np.eye(4))
    mask = np.zeros(img.shape, bool)
    mask.flat[555 : 555 + n_voxels] = True
    feats = extract_features(img, mask)  # defaults: FBN 32, 3D texture
    assert len(feats) == 211
    assert feats["morph_vol_approx"] == pytest.approx(n_voxels)
    assert np.isfinite(feats["morph_volume"]) and np.isfinite(feats["stat_mean"])


def test_large_roi_memory_is_bounded() -> None:
    """A ~240k-voxel muscle-sized ROI: all families within a few hundred MB of allocations."""
    import tracemalloc

    rng = np.random.default_rng(5)
    g = np.mgrid[0:120, 0:120, 0:48].astype(np.float32)
    arr = rng.normal(0, 30, g.shape[1:]) + np.sin(g[0] / 7) * 200
    img = Volume(arr.astype(np.float32), np.diag([0.8, 0.8, 3.0, 1.0]))
    mask = ((g[0] - 60) / 55) ** 2 + ((g[1] - 60) / 50) ** 2 + ((g[2] - 24) / 21) ** 2 <= 1
    assert mask.sum() > 200_000
    tracemalloc.start()
    try:
        feats = extract_features(img, mask)
        peak_mb = tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()
    assert len(feats) == 211
    assert peak_mb < 400, f"peak allocations {peak_mb:.0f} MB"
