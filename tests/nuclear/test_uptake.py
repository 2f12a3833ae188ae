"""Resampling, uptake per level and around hardware on a synthetic instrumented PET/CT."""

from __future__ import annotations

import numpy as np
import pytest

from spinepath.model.volume import Volume
from spinepath.nuclear import analyze_uptake, find_hardware, resample_to, uptake_findings
from spinepath.nuclear.levels import bone_segments, disc_level_regions, level_names

from .pet_factory import pet_dataset, uniform_concentration
from .phantom import ORDER, make_ct, make_pet


def test_resample_is_exact_for_linear_fields_under_flips_and_offsets() -> None:
    target = Volume(np.zeros((20, 18, 16)), np.diag([1.5, 1.5, 2.0, 1.0]))
    a = np.array([[0, -3.0, 0, 40.0], [-3.0, 0, 0, 35.0], [0, 0, 2.5, -5.0], [0, 0, 0, 1]])
    moving_shape = (20, 20, 20)
    idx = np.indices(moving_shape).reshape(3, -1).T.astype(float)
    xyz = idx @ a[:3, :3].T + a[:3, 3]
    field = 2.0 + 0.3 * xyz[:, 0] - 0.1 * xyz[:, 1] + 0.05 * xyz[:, 2]
    moving = Volume(field.reshape(moving_shape), a)
    out = resample_to(moving, target)
    tidx = np.indices(target.shape).reshape(3, -1).T.astype(float)
    txyz = target.world(tidx)
    expected = 2.0 + 0.3 * txyz[:, 0] - 0.1 * txyz[:, 1] + 0.05 * txyz[:, 2]
    inside = np.all((moving.voxel(txyz) >= 0) & (moving.voxel(txyz) <= 19), axis=1)
    assert inside.sum() > 1000
    assert np.allclose(out.array.reshape(-1)[inside], expected[inside], atol=1e-4)
    assert np.all(out.array.reshape(-1)[~inside] == 0)


def test_hardware_found_by_density_as_two_constructs() -> None:
    ct, _ = make_ct()
    labels, comps = find_hardware(ct)
    assert len(comps) == 2  # left and right rod-screw constructs
    assert {c.kind for c in comps} == {"screw_rod_construct"}
    assert all(35.0 < c.length_mm < 60.0 for c in comps)
    assert sorted(round(c.centroid_ras[0]) for c in comps) == [-12, 12]
    assert int((labels > 0).sum()) == int((ct.array > 2500).sum())


@pytest.mark.parametrize("lps", [False, True])
def test_pet_uptake_per_level_and_around_hardware(lps: bool) -> None:
    ct, labels = make_ct()
    conc = uniform_concentration(370e6, 70.0, 3600.0)  # Bq/mL per SUV unit
    pet = make_pet(suv_to_bqml=conc, lps=lps)
    ds = pet_dataset(np.full((4, 4), conc))
    res = analyze_uptake(pet, ct, modality="PT", pet_dataset=ds, labels=labels)
    v = {r["name"]: r for r in res["vertebrae"]}
    assert [r["name"] for r in res["vertebrae"]] == ORDER
    assert v["L2"]["suv_max"] == pytest.approx(8.0, abs=0.05)
    assert v["L1"]["suv_max"] == pytest.approx(2.0, abs=0.05)
    assert v["L3"]["suv_mean"] < 2.05
    hottest = max(res["vertebrae"], key=lambda r: r["tbr"])
    assert hottest["name"] == "L2" and hottest["tbr"] > 3.0
    assert res["background"]["value"] == pytest.approx(
        np.median([r["suv_mean"] for r in res["vertebrae"]])
    )
    discs = [r["name"] for r in res["disc_levels"]]
    assert discs == ["L1-L2", "L2-L3", "L3-L4", "L4-L5", "L5-S1"]
    assert all(c["spinal"] for c in res["hardware"]["components"])
    hw = [r for r in res["hardware"]["regions"] if r["kind"] == "hardware_level"]
    assert {r["name"].split("@ ")[1] for r in hw} == {"L4", "L5"}
    top = max(hw, key=lambda r: r["suv_max"])
    assert top["name"].endswith("@ L5") and top["suv_max"] == pytest.approx(6.0, abs=0.1)
    l4 = [r for r in hw if r["name"].endswith("@ L4")]
    assert all(r["suv_max"] < 2.5 for r in l4)
    assert any("attenuation" in n for n in res["notes"])
    findings = uptake_findings(res)
    assert any(f.kind == "peri_hardware_uptake" and f.level == "L5" for f in findings)
    assert all(m.unit in ("g/mL", "ratio") for f in findings for m in f.measurements)


def test_spect_counts_normalised_to_reference_level() -> None:
    ct, labels = make_ct()
    # counts on the CT grid itself (no interpolation), so the ratios are exact
    counts = make_pet(
        spacing=2.0,
        origin=(-40.0, -60.0, -60.0),
        shape=ct.shape,
        suv_to_bqml=37.0,
        loosening_level=None,
    )
    res = analyze_uptake(counts, ct, modality="NM", labels=labels, reference_level="L1")
    v = {r["name"]: r for r in res["vertebrae"]}
    assert v["L1"]["suv_mean"] == pytest.approx(1.0, rel=1e-6)
    assert v["L2"]["suv_max"] == pytest.approx(4.0, abs=0.05)  # 8/2
    assert v["L2"]["tbr"] == pytest.approx(4.0, abs=0.05)
    assert res["suv_parameters"] is None


def test_bone_threshold_fallback_splits_phantom_vertebrae() -> None:
    ct, labels = make_ct()
    seg, names = bone_segments(ct, lowest="S1")
    assert list(names.values()) == ORDER
    ref = level_names(labels.array, "totalseg")
    by_name = {n: v for v, n in ref.items()}
    for value, name in names.items():
        mine = seg == value
        truth = labels.array == by_name[name]
        overlap = (mine & truth).sum() / truth.sum()
        assert overlap > 0.8, (name, overlap)


def test_disc_regions_lie_between_the_vertebrae() -> None:
    _, labels = make_ct()
    names = level_names(labels.array, "totalseg")
    regions = disc_level_regions(labels.array, names, labels.spacing)
    region = regions["L4-L5"]
    zs = labels.world(np.argwhere(region).astype(float))[:, 2]
    from .phantom import vertebra_z

    lo = vertebra_z("L5")[1] - 8
    hi = vertebra_z("L4")[0] + 8
    assert zs.min() >= lo - 1e-6 and zs.max() <= hi + 1e-6
