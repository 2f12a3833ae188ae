"""Axial measurements: muscles on hand-made arrays and real Dixon MRI; canal on phantoms.

The canal measurements (dural sac area, ligamentum flavum thickness) are checked on phantoms
only: the shared data hold no real axial canal or ligamentum flavum labels.
"""

from __future__ import annotations

import numpy as np
import pytest

from spinepath.errors import InputError
from spinepath.grade.rules import rule_grades_for_level
from spinepath.measure.axial import (
    canal_measurements,
    dural_sac_area,
    ligamentum_flavum_thickness,
    muscle_measurements,
)
from spinepath.model.volume import Volume

SP = (0.5, 0.8, 4.0)


def _vol(arr: np.ndarray, spacing=SP) -> Volume:
    return Volume(arr, np.diag([*spacing, 1.0]))


def _by_name(ms):
    return {m.name: m.value for m in ms}


def _toy():
    """Two muscles, 3 slices; left one 10 x 10 px in slices 0-1, 10 x 20 px in slice 2."""
    shape = (60, 40, 3)
    lab = np.zeros(shape, np.int16)
    water = np.zeros(shape)
    fat = np.zeros(shape)
    lab[5:15, 5:15, :2] = 1  # toward patient left (low x)
    lab[5:15, 5:25, 2] = 1
    lab[40:50, 5:15, :] = 2  # toward patient right
    water[:] = 80.0
    fat[:] = 20.0  # 20 % everywhere ...
    ring1 = (lab == 1) & ~np.pad(np.ones((8, 8, 3), bool), ((6, 46), (6, 26), (0, 0)))
    ring1[:, :, 2] = False
    fat[lab == 2] = 40.0
    water[lab == 2] = 60.0  # 40 % in the right muscle
    fat[ring1] = 100.0  # bright boundary ring (partial volume with fat) in the left muscle
    water[ring1] = 0.0
    return water, fat, lab


def test_muscle_exact_areas_and_fractions():
    water, fat, lab = _toy()
    names = {1: "erector_spinae", 2: "erector_spinae"}
    px = SP[0] * SP[1]
    ms = muscle_measurements(_vol(water), _vol(fat), _vol(lab), names, "L4-L5", erode_px=0)
    v = _by_name(ms)
    assert all(m.level == "L4-L5" for m in ms)
    assert v["erector_spinae_left_csa_mean_mm2"] == pytest.approx((100 + 100 + 200) / 3 * px)
    assert v["erector_spinae_left_csa_mid_mm2"] == pytest.approx(100 * px)
    assert v["erector_spinae_right_csa_mean_mm2"] == pytest.approx(100 * px)
    assert v["erector_spinae_right_fat_fraction_pct"] == pytest.approx(40.0)
    n_ring = 2 * (100 - 64)
    expect_left = 100 * (n_ring * 1.0 + (400 - n_ring) * 0.2) / 400
    assert v["erector_spinae_left_fat_fraction_pct"] == pytest.approx(expect_left)
    # erosion by one pixel removes the bright ring of slices 0-1 (and the rim of slice 2)
    v1 = _by_name(muscle_measurements(_vol(water), _vol(fat), _vol(lab), names, erode_px=1))
    assert v1["erector_spinae_left_fat_fraction_pct"] == pytest.approx(20.0)
    assert v1["erector_spinae_left_csa_mean_mm2"] == v["erector_spinae_left_csa_mean_mm2"]
    assert v1["muscle_fat_fraction_right_pct"] == pytest.approx(40.0)
    assert v1["muscle_fat_fraction_pct"] == pytest.approx(40.0)  # worse side


def test_muscle_sides_from_names_and_grid_check():
    water, fat, lab = _toy()
    names = {1: "multifidus.right", 2: "multifidus left"}  # names override geometry
    v = _by_name(muscle_measurements(_vol(water), _vol(fat), _vol(lab), names, erode_px=0))
    assert v["multifidus_left_fat_fraction_pct"] == pytest.approx(40.0)
    with pytest.raises(InputError):
        muscle_measurements(_vol(water), _vol(fat), _vol(lab, (0.6, 0.8, 4.0)), names)


def test_goutallier_rule_reads_muscle_fat_fraction():
    water, fat, lab = _toy()
    ms = muscle_measurements(_vol(water), _vol(fat), _vol(lab), {1: "es", 2: "es"}, "L4-L5")
    grades = rule_grades_for_level("L4-L5", ms)
    # worse side 40 %; criteria.yaml bounds [5, 25, 45, 55] -> grades [0, 1, 2, 3, 4]: grade 2
    assert grades["goutallier"].value == 2


def _load_tum(shared_data, subject: str):
    nib = pytest.importorskip("nibabel")
    root = shared_data / "myosegmentum-axial"
    if not root.is_dir():
        pytest.skip(f"{root} absent")
    lab = nib.load(root / "seg" / f"{subject}_fat_manual_label_segmentation_L2-L5.nii.gz")
    fat = nib.load(root / "img" / f"{subject}_fat_img_img_L2-L5.nii.gz")
    water = nib.load(root / "img" / f"{subject}_water_img_img_L2-L5.nii.gz")
    # The water files carry a zero origin while fat and labels carry the scanner origin; the
    # three share one 400 x 400 x 29 grid and voxel size, so the labels' affine is used for all.
    aff = lab.affine
    return (Volume(np.asarray(water.dataobj, dtype=np.float32), aff),
            Volume(np.asarray(fat.dataobj, dtype=np.float32), aff),
            Volume(np.asarray(lab.dataobj), aff))


# Labels 1 and 4 are the large lateral muscles, 2 and 3 the small medial ones (centroids checked
# in test_real_label_layout), so 1/4 are erector spinae and 2/3 multifidus.
TUM_NAMES = {1: "erector_spinae", 2: "multifidus", 3: "multifidus", 4: "erector_spinae"}


@pytest.mark.parametrize("subject", ["TUM01", "TUM02"])
def test_real_dixon_muscles(shared_data, subject):
    water, fat, lab = _load_tum(shared_data, subject)
    v = _by_name(muscle_measurements(water, fat, lab, TUM_NAMES))
    for side in ("left", "right"):
        es, mf = v[f"erector_spinae_{side}_csa_mean_mm2"], v[f"multifidus_{side}_csa_mean_mm2"]
        assert 800 <= es <= 3000
        assert 300 <= mf <= 1500
        for muscle in ("erector_spinae", "multifidus"):
            assert 2 <= v[f"{muscle}_{side}_fat_fraction_pct"] <= 40
    for key in ("erector_spinae_{}_csa_mean_mm2", "multifidus_{}_csa_mean_mm2",
                "muscle_fat_fraction_{}_pct"):
        a, b = v[key.format("left")], v[key.format("right")]
        assert abs(a - b) / max(a, b) <= 0.30


def test_real_label_layout(shared_data):
    _, _, lab = _load_tum(shared_data, "TUM01")
    arr = lab.array
    x = {k: np.argwhere(arr == k)[:, 0].mean() for k in (1, 2, 3, 4)}
    mid = np.mean(list(x.values()))
    assert abs(x[1] - mid) > abs(x[2] - mid) and abs(x[4] - mid) > abs(x[3] - mid)


def test_dural_sac_area_and_lf_thickness_exact():
    sl = np.zeros((40, 30), np.int16)
    sl[10:20, 5:12] = 10  # 70 px
    sl[5:10, 20:26] = 423  # low x = patient left; 5 px thick along x
    sl[30:34, 20:26] = 423  # 4 px thick along x, high x = patient right
    assert dural_sac_area(sl, (0.7, 0.6), 10) == pytest.approx(70 * 0.42)
    t = ligamentum_flavum_thickness(sl, (0.7, 0.7), 423)
    assert t["left"] == pytest.approx(5 * 0.7, abs=0.35 + 1e-9)
    assert t["right"] == pytest.approx(4 * 0.7, abs=0.35 + 1e-9)
    assert ligamentum_flavum_thickness(sl, (0.7, 0.7), 999) == {"left": 0.0, "right": 0.0}
    with pytest.raises(InputError):
        dural_sac_area(sl[None], (0.7, 0.7), 10)


@pytest.fixture(scope="module")
def phantoms():
    from spinepath.phantom import generate_study

    return [generate_study(3, ["stenosis:L4-L5=80", "lf:L4-L5=6"]),
            generate_study(4, ["lf:L3-L4=5", "stenosis:L5-S1=60"])]


def test_phantom_canal_against_truth(phantoms):
    from spinepath.phantom.labels import DURAL_SAC, LIGAMENTUM_FLAVUM_OFFSET, disc_key

    for study in phantoms:
        labels = study.series["ax_t2"].labels
        pixel = labels.spacing[0]
        for disc in ("L3-L4", "L4-L5", "L5-S1"):
            truth = study.truth["levels"][disc]
            ms = canal_measurements(labels, disc, truth["dural_sac_plane_z_mm"], DURAL_SAC,
                                    LIGAMENTUM_FLAVUM_OFFSET + disc_key(disc))
            v = _by_name(ms)
            assert v["dural_sac_area_mm2"] == pytest.approx(truth["dural_sac_area_mm2"], rel=0.05)
            for side in ("left", "right"):
                assert abs(v[f"lf_thickness_{side}_mm"] - truth["lf_thickness_mm"][side]) <= pixel
    # the pathologies reach the grades: 80 mm2 at L4-L5 -> relative/absolute stenosis band
    st = phantoms[0]
    truth = st.truth["levels"]["L4-L5"]
    ms = canal_measurements(st.series["ax_t2"].labels, "L4-L5", truth["dural_sac_plane_z_mm"],
                            10, 423)
    assert rule_grades_for_level("L4-L5", ms)["central_stenosis_dsca"].value == 1
    assert _by_name(ms)["lf_thickness_mm"] > 5.0
