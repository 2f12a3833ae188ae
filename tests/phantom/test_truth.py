"""The ground truth matches what was rendered: measured on the label maps and images."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import ndimage

from spinepath.phantom import generate_study
from spinepath.phantom import labels as L


def _world_grid(vol):
    """World RAS coordinates (mm) of every voxel centre of a diagonal-affine volume."""
    a = vol.affine
    nx, ny, nz = vol.shape
    return (a[0, 3] + a[0, 0] * np.arange(nx), a[1, 3] + a[1, 1] * np.arange(ny),
            a[2, 3] + a[2, 2] * np.arange(nz))


def _mid_slice(study):
    lab = study.series["sag_t2"].labels
    xs, ys, zs = _world_grid(lab)
    i = int(np.argmin(np.abs(xs)))
    assert abs(xs[i]) < 1e-6
    return lab.array[i], ys[:, None], zs[None, :]


def _disc_mean_height(study, disc):
    """Mean disc height (mm) over a 10 mm wide strip at the disc centre, from label counts."""
    sl, y, z = _mid_slice(study)
    seg = study.anatomy.discs[disc]
    c, u, v = seg.centre, seg.u, seg.v
    t = (y - c[0]) * v[0] + (z - c[1]) * v[1]
    s = (y - c[0]) * u[0] + (z - c[1]) * u[1]
    rect = (np.abs(t) <= 5) & (np.abs(s) <= 15)
    k = L.disc_key(disc)
    in_disc = np.isin(sl, [L.ANNULUS_OFFSET + k, L.NUCLEUS_OFFSET + k])
    area = (rect & in_disc).sum() * (10 * 30) / rect.sum()
    return area / 10.0


@pytest.mark.parametrize("disc", ["T12-L1", "L1-L2", "L2-L3", "L3-L4", "L4-L5", "L5-S1"])
def test_disc_height_from_labels_matches_truth(healthy, disc):
    truth = healthy.truth["levels"][disc]["disc_height"]["middle_mm"]
    half_voxel = 0.875 / 2
    assert abs(_disc_mean_height(healthy, disc) - truth) <= half_voxel


def test_pfirrmann_height_and_signal(sick):
    levels = sick.truth["levels"]
    discs = ["L1-L2", "L2-L3", "L3-L4", "L4-L5", "L5-S1"]
    assert [levels[d]["pfirrmann"] for d in discs] == [1, 2, 3, 4, 5]
    loss = [levels[d]["disc_height_loss_pct"] for d in discs]
    assert loss[0] == loss[1] == 0
    assert 0 < loss[2] < loss[3] < loss[4]
    for d in discs[2:]:  # the rendered height follows the (reduced) truth
        assert abs(_disc_mean_height(sick, d) - levels[d]["disc_height"]["middle_mm"]) <= 0.45
    # Nucleus T2 signal relative to CSF falls with grade (grade I isointense to CSF).
    t2 = sick.series["sag_t2"]
    i = t2.image.shape[0] // 2
    img, lab = t2.image.array[i], t2.labels.array[i]
    csf = img[lab == L.DURAL_SAC].mean()
    ratios = []
    for d in discs:
        nuc = lab == L.NUCLEUS_OFFSET + L.disc_key(d)
        ratios.append(np.percentile(img[nuc], 90) / csf)
    assert ratios[0] > 0.85
    assert all(a > b for a, b in itertools.pairwise(ratios)), ratios
    assert ratios[-1] < 0.3


EXPECTED_MODIC = {  # type: (T1, T2, STIR) vs normal marrow; +1 brighter, -1 darker
    1: (-1, 1, 1),
    2: (1, 1, -1),
    3: (-1, -1, -1),
}


@pytest.mark.parametrize("vertebra,mtype", [("L3", 1), ("L4", 2), ("L5", 3)])
def test_modic_signal_per_sequence(sick, vertebra, mtype):
    assert sick.truth["levels"][f"{vertebra}-{ {'L3': 'L4', 'L4': 'L5', 'L5': 'S1'}[vertebra]}"][
        "modic"]["cranial_endplate"]["modic_type"] == mtype
    vid = L.VERSE_ID[vertebra]
    signs = []
    for key in ("sag_t1", "sag_t2", "sag_stir"):
        s = sick.series[key]
        i = s.image.shape[0] // 2
        img, lab, les = s.image.array[i], s.labels.array[i], s.lesions.array[i]
        zone = les == L.MODIC_INFERIOR_OFFSET + vid
        assert zone.sum() > 20
        marrow = ndimage.binary_erosion(lab == vid, iterations=3) & (les == 0)
        zone = ndimage.binary_erosion(zone, iterations=1)
        ratio = img[zone].mean() / img[marrow].mean()
        signs.append(1 if ratio > 1.05 else (-1 if ratio < 0.95 else 0))
    assert tuple(signs) == EXPECTED_MODIC[mtype]


def test_fracture_truth_and_oedema(sick):
    f = sick.truth["vertebrae"]["L1"]["fracture"]
    assert f["shape"] == "wedge" and f["acute"]
    assert abs(f["height_loss_pct"] - 30.0) < 1.5
    assert f["genant_grade"] == 2
    h, hi = sick.truth["vertebrae"]["L1"]["heights"], sick.truth["vertebrae"]["L1"][
        "heights_intact"]
    assert h["anterior_mm"] < 0.75 * hi["anterior_mm"]
    assert abs(h["posterior_mm"] - hi["posterior_mm"]) < 0.5
    vid = L.VERSE_ID["L1"]
    res = {}
    for key in ("sag_t1", "sag_stir"):
        s = sick.series[key]
        i = s.image.shape[0] // 2
        img, lab, les = s.image.array[i], s.labels.array[i], s.lesions.array[i]
        oedema = ndimage.binary_erosion(les == L.OEDEMA_OFFSET + vid, iterations=1)
        normal = ndimage.binary_erosion(lab == L.VERSE_ID["L2"], iterations=3) & (les == 0)
        res[key] = img[oedema].mean() / img[normal].mean()
    assert res["sag_stir"] > 1.5  # oedema bright on STIR
    assert res["sag_t1"] < 0.9  # and dark on T1


def test_listhesis(sick):
    lv = sick.truth["levels"]
    assert abs(lv["L4-L5"]["listhesis_pct"] - 15.0) < 1e-6
    assert abs(lv["L3-L4"]["listhesis_pct"]) < 1e-6
    # The rendered L4 posterior wall sits 15 % of the L5 endplate forward of L5's.
    sl, y, z = _mid_slice(sick)
    e = sick.anatomy.vertebrae["L5"].upper
    t = (y - e.posterior[0]) * e.v[0] + (z - e.posterior[1]) * e.v[1]
    n = (y - e.posterior[0]) * e.u[0] + (z - e.posterior[1]) * e.u[1]
    l4 = sick.anatomy.vertebrae["L4"].lower
    n4 = (y - l4.posterior[0]) * l4.u[0] + (z - l4.posterior[1]) * l4.u[1]
    wall5 = t[(sl == L.VERSE_ID["L5"]) & (n > -4) & (n < -1)].min()
    wall4 = t[(sl == L.VERSE_ID["L4"]) & (n4 > 1) & (n4 < 4)].min()
    assert abs((wall4 - wall5) - 0.15 * e.depth) < 0.875 * 1.5


def _axial_slice_at(study, z):
    ax = study.series["ax_t2"]
    xs, ys, zs = _world_grid(ax.labels)
    k = int(np.argmin(np.abs(zs - z)))
    return ax, k, abs(zs[k] - z), xs, ys


def test_dural_sac_area_on_axial_labels(sick):
    for disc, target in (("L3-L4", 70.0), ("L4-L5", None)):
        truth = sick.truth["levels"][disc]["dural_sac_area_mm2"]
        if target is not None:
            assert abs(truth - target) < 0.5  # stenosis spec is met exactly
        ax, k, dz, _, _ = _axial_slice_at(sick, sick.truth["levels"][disc]["dural_sac_plane_z_mm"])
        assert dz <= 2.0
        measured = (ax.labels.array[:, :, k] == L.DURAL_SAC).sum() * 0.7 * 0.7
        assert abs(measured - truth) <= 0.05 * truth, (disc, measured, truth)
    # Thickened ligamentum flavum (6 mm) narrows the L4-L5 sac below the healthy area.
    assert sick.truth["levels"]["L4-L5"]["dural_sac_area_mm2"] < 150


def test_ligamentum_flavum_thickness_on_axial_labels(sick):
    lv = sick.truth["levels"]["L4-L5"]
    assert lv["lf_thickness_mm"] == {"left": 6.0, "right": 6.0}
    ax, k, dz, xs, ys = _axial_slice_at(sick, lv["dural_sac_plane_z_mm"])
    assert dz < 1e-3  # the axial stack has a slice on the L4-L5 canal plane
    lab = ax.labels.array[:, :, k]
    yc = lv["canal_centre_at_disc"][1]
    r = np.arange(0.0, 14.0, 0.02)
    for sgn in (-1, 1):
        ang = np.deg2rad(45.0)
        px, py = sgn * r * np.sin(ang), yc - r * np.cos(ang)
        i = np.rint((px - xs[0]) / 0.7).astype(int)
        j = np.rint((py - ys[0]) / 0.7).astype(int)
        hits = lab[i, j] == L.LIGAMENTUM_FLAVUM_OFFSET + L.disc_key("L4-L5")
        assert abs(hits.sum() * 0.02 - 6.0) <= 0.7 * 1.2


def test_herniations(sick):
    lv = sick.truth["levels"]
    h = lv["L5-S1"]["herniation"]
    assert (h["type"], h["zone"], h["side"], h["size_mm"]) == ("extrusion", "central", "central",
                                                               6.0)
    assert h["max_width_mm"] > h["base_width_mm"]  # extrusion: wider than its base
    p = lv["L2-L3"]["herniation"]
    assert p["type"] == "protrusion" and p["base_width_mm"] > p["size_mm"]
    # Central extrusion: greatest displacement beyond the posterior disc margin on the
    # mid-sagittal labels equals size_mm to within one voxel.
    sl, y, z = _mid_slice(sick)
    seg = sick.anatomy.discs["L5-S1"]
    c, v = seg.centre, seg.v
    t = (y - c[0]) * v[0] + (z - c[1]) * v[1]
    hern = sl == L.HERNIATION_OFFSET + L.disc_key("L5-S1")
    assert hern.sum() > 10
    disp = (-t[hern] - seg.depth / 2).max()
    assert 6.0 - 0.875 <= disp <= 6.0 + 0.1
    # Right foraminal protrusion lies right of the midline (RAS x > 0), lateral to the canal.
    lab = sick.series["sag_t2"].labels
    xs, _, _ = _world_grid(lab)
    where = np.nonzero(lab.array == L.HERNIATION_OFFSET + L.disc_key("L2-L3"))
    assert where[0].size > 0
    assert xs[where[0]].min() > 11.0


def test_fat_fraction(sick):
    ff = sick.truth["muscle_fat_fraction"]
    assert ff["multifidus.left"] == 0.4 and ff["multifidus.right"] < 0.1
    ax = sick.series["ax_t2"]
    s1 = sick.series["sag_t1"]
    # Fatty left multifidus is brighter on T1 than the right one (same level, sagittal slices
    # symmetric about the midline).
    left = s1.image.array[s1.labels.array == L.MULTIFIDUS["left"]].mean()
    right = s1.image.array[s1.labels.array == L.MULTIFIDUS["right"]].mean()
    assert left > 1.3 * right
    assert (ax.labels.array == L.MULTIFIDUS["left"]).any()


def test_landmarks_lie_on_their_structures(healthy):
    lab = healthy.series["sag_t2"].labels
    lm = healthy.truth["landmarks"]
    for disc, p in lm["disc_centres"].items():
        ijk = np.rint(lab.voxel(np.array(p))).astype(int)
        assert lab.array[tuple(ijk)] == L.NUCLEUS_OFFSET + L.disc_key(disc)
    for v, p in lm["vertebral_body_centres"].items():
        ijk = np.rint(lab.voxel(np.array(p))).astype(int)
        if 0 <= ijk[2] < lab.shape[2]:
            assert lab.array[tuple(ijk)] == L.VERSE_ID[v]


def test_same_seed_same_arrays_and_truth():
    a = generate_study(5, ["pfirrmann:L4-L5=3"], subslices=1)
    b = generate_study(5, ["pfirrmann:L4-L5=3"], subslices=1)
    c = generate_study(6, ["pfirrmann:L4-L5=3"], subslices=1)
    for key in a.series:
        assert np.array_equal(a.series[key].image.array, b.series[key].image.array)
        assert np.array_equal(a.series[key].labels.array, b.series[key].labels.array)
    assert a.truth == b.truth
    assert not np.array_equal(a.series["sag_t2"].image.array, c.series["sag_t2"].image.array)
    assert a.truth["levels"]["L4-L5"]["disc_centre"] != c.truth["levels"]["L4-L5"]["disc_centre"]
