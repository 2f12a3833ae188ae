"""Per-structure radiomics (``spinepath.radiomics.structures``) and ``spinepath radiomics STUDY``.

The phantom's exact anatomy label maps stand in for the segmentation, so the masks can be
checked voxel by voxel and the features against the phantom's known pathology.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import nibabel as nib
import numpy as np
import pandas as pd
import pytest
from scipy.spatial import cKDTree
from typer.testing import CliRunner

from spinepath.cli.main import app
from spinepath.errors import AnalysisError, InputError
from spinepath.model.volume import Volume
from spinepath.phantom import generate_study
from spinepath.phantom import labels as PL
from spinepath.radiomics.structures import (
    COLUMNS,
    ENDPLATE_ZONE_MM,
    MIN_VOXELS,
    extract_structures,
    imaging_radiomics_rows,
    sagittal_settings,
    structure_masks,
)
from spinepath.segment import labels as L
from spinepath.segment.onnx_model import DEFAULT_MODEL

runner = CliRunner()
FIRST_ORDER = sagittal_settings().model_copy(update={"families": ("stat",)})
"""The default settings restricted to intensity statistics (fast; for tests of stat_mean)."""


def phantom_segmentation(series) -> SimpleNamespace:
    """spinepath semantic + level maps from the phantom's exact anatomy labels."""
    lab = np.asarray(series.labels.array).astype(np.int32)
    sem = np.zeros(lab.shape, np.uint8)
    lev = np.zeros(lab.shape, np.int16)
    for name, vid in L.VERTEBRA_IDS.items():
        body, post = lab == vid, lab == PL.POSTERIOR_OFFSET + vid
        sem[body] = L.SACRUM if name == "S1" else L.VERTEBRAL_BODY
        sem[post] = L.SACRUM if name == "S1" else L.POSTERIOR_ELEMENTS
        lev[body | post] = vid
        disc = np.isin(
            lab,
            [PL.ANNULUS_OFFSET + vid, PL.NUCLEUS_OFFSET + vid, PL.HERNIATION_OFFSET + vid],
        )
        sem[disc] = L.DISC
        lev[disc] = L.DISC_OFFSET + vid
    sem[lab == PL.DURAL_SAC] = L.CANAL
    lev[lab == PL.DURAL_SAC] = L.CANAL_ID
    aff = series.image.affine
    return SimpleNamespace(semantic=Volume(sem, aff), levels=Volume(lev, aff))


@pytest.fixture(scope="module")
def healthy():
    study = generate_study(0)
    s = study.series["sag_t2"]
    return s, phantom_segmentation(s)


@pytest.fixture(scope="module")
def healthy_table(healthy) -> pd.DataFrame:
    s, seg = healthy
    return extract_structures(s.image, seg)


def test_masks_match_the_phantom_labels(healthy) -> None:
    s, seg = healthy
    lab = s.labels.array
    masks = structure_masks(seg)
    for disc in ("T12-L1", "L1-L2", "L2-L3", "L3-L4", "L4-L5", "L5-S1"):
        k = PL.disc_key(disc)
        truth = np.isin(lab, [100 + k, 200 + k, 300 + k])
        assert np.array_equal(masks[(disc, "disc")], truth), disc
    for v in ("T12", "L1", "L2", "L3", "L4", "L5"):
        assert np.array_equal(masks[(v, "vertebral_body")], lab == PL.VERSE_ID[v]), v
    assert ("S1", "vertebral_body") not in masks  # the sacrum is not split; only its endplate
    assert ("S1", "endplate_superior") in masks and ("S1", "endplate_inferior") not in masks
    # cranial-to-caudal order, discs between their vertebrae
    keys = list(masks)
    assert keys.index(("L4", "vertebral_body")) < keys.index(("L4-L5", "disc"))
    assert keys.index(("L4-L5", "disc")) < keys.index(("L5", "vertebral_body"))


def test_endplate_zones_are_the_body_voxels_within_3_mm_of_the_disc(healthy) -> None:
    s, seg = healthy
    masks = structure_masks(seg)
    world = s.image.world
    for v, side, disc in (
        ("L4", "endplate_inferior", "L4-L5"),
        ("L5", "endplate_superior", "L4-L5"),
    ):
        body = masks[(v, "vertebral_body")]
        zone = masks[(v, side)]
        assert zone.any() and not (zone & ~body).any()
        tree = cKDTree(world(np.argwhere(masks[(disc, "disc")])))
        d, _ = tree.query(world(np.argwhere(body)))
        inside = d <= ENDPLATE_ZONE_MM + 1e-6
        assert np.array_equal(zone[body], inside), (v, side)
    # superior and inferior zones of one body are apart (a lumbar body is > 20 mm high)
    assert not (masks[("L4", "endplate_superior")] & masks[("L4", "endplate_inferior")]).any()


def test_missing_structures_are_reported_with_a_reason(healthy) -> None:
    _, seg = healthy
    masks = structure_masks(seg)
    reasons = masks.not_available
    assert "sagittal" in reasons[("all", "paraspinal_muscle")]
    # the phantom's topmost vertebra (T11) has no disc above it in the field of view
    assert "T10-T11" in reasons[("T11", "endplate_superior")]
    assert not set(masks) & set(reasons)


def test_table_format_and_feature_values(healthy, healthy_table) -> None:
    s, seg = healthy
    df = healthy_table
    assert tuple(df.columns) == COLUMNS
    done = df[df["reason"].isna()]
    assert done.groupby(["level", "structure"]).ngroups == len(structure_masks(seg))
    assert done["feature"].notna().all() and done["ibsi_code"].notna().all()
    assert np.isfinite(done[done["feature"].str.startswith("stat_")]["value"]).all()
    feats = set(done["feature"])
    assert {"cm_contrast_2D_avg", "cm_contrast_2_5D_comb", "rlm_sre_2_5D_comb"} <= feats
    assert not any("3D" in f for f in feats if f.split("_")[0] in ("cm", "rlm", "szm"))
    assert df.loc[df["feature"] == "cm_contrast_2D_avg", "ibsi_code"].iloc[0].endswith("/BTW3")
    # paraspinal muscle: one row, no value, the reason
    para = df[df["structure"] == "paraspinal_muscle"]
    assert len(para) == 1 and para["value"].isna().all() and para["reason"].iloc[0]
    # values agree with direct computations on the mask
    vox_mm3 = float(np.prod(s.image.spacing))
    for (level, structure), mask in structure_masks(seg).items():
        rows = done[(done["level"] == level) & (done["structure"] == structure)]
        val = rows.set_index("feature")["value"]
        n = int(mask.sum())
        assert (rows["n_voxels"] == n).all()
        assert val["morph_volume"] == pytest.approx(n * vox_mm3, rel=0.12), (level, structure)
        direct = float(s.image.array[mask].mean())
        assert val["stat_mean"] == pytest.approx(direct, rel=0.06), (level, structure)


def test_features_follow_the_phantom_pathology(healthy_table) -> None:
    study = generate_study(0, ["pfirrmann:L4-L5=4", "modic:L5-S1=1"])
    s = study.series["sag_t2"]
    sick = extract_structures(s.image, phantom_segmentation(s), FIRST_ORDER)

    def means(df):
        return df[df["feature"] == "stat_mean"].set_index(["level", "structure"])["value"]

    change = (means(sick) - means(healthy_table)) / means(healthy_table)
    # Pfirrmann 4: nucleus signal loss on T2 at L4-L5 only
    assert change[("L4-L5", "disc")] < -0.25
    others = change.xs("disc", level="structure").drop("L4-L5")
    assert (others.abs() < 0.10).all(), others
    # Modic 1 (oedema, bright on T2) at both L5-S1 endplates
    modic = [change[("L5", "endplate_inferior")], change[("S1", "endplate_superior")]]
    zones = change[change.index.get_level_values("structure").str.startswith("endplate")]
    rest = zones.drop([("L5", "endplate_inferior"), ("S1", "endplate_superior")])
    assert min(modic) > 0.12 and min(modic) > rest.max()


def test_default_settings_are_2d_along_the_thick_axis(healthy) -> None:
    s, _ = healthy
    cfg = sagittal_settings(s.image)
    assert cfg.texture.slice_axis == 0 and set(cfg.texture.aggregation) == {"2D", "2.5D"}
    assert not cfg.interpolation.enabled
    assert sagittal_settings(s.image, in_plane_mm=1.0).interpolation.spacing_mm == (None, 1.0, 1.0)
    axial = Volume(np.zeros((10, 10, 5)), np.diag([0.7, 0.7, 4.0, 1.0]))
    assert sagittal_settings(axial).texture.slice_axis == 2
    iso = Volume(np.zeros((30, 200, 200)), np.eye(4))  # 3D sagittal: 30 slices of 1 mm
    assert sagittal_settings(iso).texture.slice_axis == 0
    assert sagittal_settings(Volume(np.zeros((200, 200, 30)), np.eye(4))).texture.slice_axis == 2


def test_bad_inputs(healthy) -> None:
    s, seg = healthy
    other = Volume(s.image.array[:, :-1], s.image.affine)
    with pytest.raises(InputError, match="not on the grid"):
        extract_structures(other, seg)
    empty = SimpleNamespace(
        semantic=Volume(np.zeros(s.image.shape, np.uint8), s.image.affine),
        levels=Volume(np.zeros(s.image.shape, np.int16), s.image.affine),
    )
    with pytest.raises(AnalysisError, match="no disc and no vertebra"):
        extract_structures(s.image, empty)


def test_tiny_structure_gets_a_reason_not_features(healthy) -> None:
    s, _ = healthy
    sem = np.zeros(s.image.shape, np.uint8)
    lev = np.zeros(s.image.shape, np.int16)
    sem[7, 100:103, 100:103] = L.DISC  # 9 voxels
    lev[7, 100:103, 100:103] = L.disc_id("L4-L5")
    seg = SimpleNamespace(semantic=Volume(sem, s.image.affine), levels=Volume(lev, s.image.affine))
    df = extract_structures(s.image, seg)
    row = df[df["structure"] == "disc"]
    assert len(row) == 1 and row["value"].isna().all()
    assert f"below {MIN_VOXELS}" in row["reason"].iloc[0]


def test_implausibly_large_structure_is_not_measured(healthy) -> None:
    s, _ = healthy
    sem = np.full(s.image.shape, L.DISC, np.uint8)  # the whole field of view "is a disc"
    lev = np.full(s.image.shape, L.disc_id("L4-L5"), np.int16)
    seg = SimpleNamespace(semantic=Volume(sem, s.image.affine), levels=Volume(lev, s.image.affine))
    df = extract_structures(s.image, seg)
    row = df[df["structure"] == "disc"]
    assert len(row) == 1 and "segmentation failure" in row["reason"].iloc[0]


def test_imaging_rows_for_the_batch(healthy) -> None:
    s, seg = healthy
    series = SimpleNamespace(volume=s.image)
    imaging = SimpleNamespace(
        segmentations={"sagittal T2": SimpleNamespace(series=series, segmentation=seg)},
        not_assessed={},
    )
    rows = imaging_radiomics_rows("p1", imaging)
    assert rows and all(r["study_id"] == "p1" and r["series_role"] == "sagittal T2" for r in rows)
    assert {"level", "structure", "feature", "ibsi_code", "value"} <= set(rows[0])
    frame = pd.DataFrame(rows)
    assert set(frame["structure"]) >= {"disc", "vertebral_body", "endplate_superior"}
    none = SimpleNamespace(
        segmentations={}, not_assessed={"sagittal T2 segmentation": "no lumbar spine found"}
    )
    (row,) = imaging_radiomics_rows("p2", none)
    assert "no lumbar spine found" in row["reason"] and np.isnan(row["value"])


def test_analyze_for_batch_adds_radiomics_rows(healthy, tmp_path, monkeypatch) -> None:
    """The batch job reuses the pipeline's sagittal T2 segmentation (stubbed with the phantom's
    label maps here, since the segmenter model is trained separately)."""
    import spinepath.pipeline as P
    from spinepath.cohort.batch import analyze_for_batch

    s, seg = healthy
    nib.save(s.image.to_nifti(), tmp_path / "sag_t2.nii.gz")

    def fake_imaging(choice, options):
        res = P.ImagingResult()
        res.segmentations["sagittal T2"] = SimpleNamespace(
            series=choice.sagittal_t2, segmentation=seg
        )
        return res

    monkeypatch.setattr(P, "imaging_findings", fake_imaging)
    out = tmp_path / "study1"
    out.mkdir()
    plain = analyze_for_batch(tmp_path / "sag_t2.nii.gz", out)
    assert plain["radiomics"] == [] and (out / "report.json").is_file()
    rows = analyze_for_batch(tmp_path / "sag_t2.nii.gz", out, radiomics=True)["radiomics"]
    frame = pd.DataFrame(rows)
    assert (frame["study_id"] == "study1").all()
    assert frame[frame["reason"].isna()].groupby(["level", "structure"]).ngroups == len(
        structure_masks(seg)
    )


# --- CLI ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def phantom_files(healthy, tmp_path_factory) -> Path:
    s, seg = healthy
    d = tmp_path_factory.mktemp("rad_study")
    nib.save(s.image.to_nifti(), d / "sag_t2.nii.gz")
    nib.save(seg.semantic.to_nifti(), d / "sag_t2_seg.nii.gz")
    nib.save(seg.levels.to_nifti(), d / "sag_t2_levels.nii.gz")
    ax = Volume(np.ones((40, 40, 8), np.float32), np.diag([0.7, 0.7, 4.0, 1.0]))
    nib.save(ax.to_nifti(), d / "ax_t2.nii.gz")
    canal = np.where(seg.semantic.array == L.CANAL, L.CANAL, 0).astype(np.int16)
    nib.save(Volume(canal, s.image.affine).to_nifti(), d / "canal_seg.nii.gz")
    nib.save(Volume(canal, s.image.affine).to_nifti(), d / "canal_levels.nii.gz")
    return d


def _maps(d: Path, stem: str = "sag_t2") -> list[str]:
    return [
        "--semantic-map",
        str(d / f"{stem}_seg.nii.gz"),
        "--levels-map",
        str(d / f"{stem}_levels.nii.gz"),
    ]


def test_cli_study_as_first_argument(phantom_files, healthy_table, tmp_path) -> None:
    d = phantom_files
    out = tmp_path / "features.parquet"
    res = runner.invoke(app, ["radiomics", str(d / "sag_t2.nii.gz"), "-o", str(out), *_maps(d)])
    assert res.exit_code == 0, res.output
    df = pd.read_parquet(out)
    assert tuple(df.columns) == COLUMNS
    assert "paraspinal_muscle" in res.output and "not available" in res.output
    got = df[df["feature"] == "morph_volume"].set_index(["level", "structure"])["value"]
    ref = healthy_table[healthy_table["feature"] == "morph_volume"]
    assert np.allclose(got.to_numpy(), ref["value"].to_numpy())


def test_cli_explicit_study_command_and_csv(phantom_files, tmp_path) -> None:
    d = phantom_files
    out = tmp_path / "f.csv"
    res = runner.invoke(
        app, ["radiomics", "study", str(d / "sag_t2.nii.gz"), "-o", str(out), *_maps(d)]
    )
    assert res.exit_code == 0, res.output
    assert set(pd.read_csv(out)["structure"]) >= {"disc", "vertebral_body", "endplate_inferior"}


def test_cli_with_an_external_spineps_map(phantom_files, healthy, tmp_path) -> None:
    """The pipeline's import route (--segmentation): a SPINEPS instance map has levels but no
    body/posterior split, so discs are measured and bodies reported as not available."""
    _, seg = healthy
    lev = seg.levels.array.astype(np.int16)
    nib.save(Volume(lev, seg.levels.affine).to_nifti(), tmp_path / "spineps.nii.gz")
    out = tmp_path / "f.parquet"
    res = runner.invoke(
        app,
        [
            "radiomics",
            str(phantom_files / "sag_t2.nii.gz"),
            "-o",
            str(out),
            "--segmentation",
            str(tmp_path / "spineps.nii.gz"),
            "--convention",
            "spineps",
        ],
    )
    assert res.exit_code == 0, res.output
    df = pd.read_parquet(out)
    done = df[df["reason"].isna()]
    assert set(done["structure"]) == {"disc", "endplate_superior"}  # the sacrum's, from label 26
    assert set(done.loc[done["structure"] == "endplate_superior", "level"]) == {"S1"}
    assert set(done["level"]) >= {"L1-L2", "L4-L5", "L5-S1"}
    assert df[df["structure"] == "vertebral_body"]["reason"].str.contains("not split").all()


def test_cli_subcommands_still_resolve(phantom_files, tmp_path) -> None:
    d = phantom_files
    res = runner.invoke(
        app,
        [
            "radiomics",
            "extract",
            str(d / "sag_t2.nii.gz"),
            str(d / "sag_t2_seg.nii.gz"),
            "--label",
            str(L.DISC),
            "-o",
            str(tmp_path / "x.json"),
        ],
    )
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["radiomics", "ibsi-check", "--data", str(tmp_path / "nope")])
    assert res.exit_code == 3 and "IBSI data folder not found" in res.output
    res = runner.invoke(app, ["radiomics"])
    assert "ibsi-check" in res.output and "study" in res.output


def test_cli_bad_inputs(phantom_files, tmp_path) -> None:
    d = phantom_files
    out = str(tmp_path / "f.parquet")
    res = runner.invoke(app, ["radiomics", str(d / "ax_t2.nii.gz"), "-o", out])
    assert res.exit_code == 3 and "no sagittal T2" in res.output
    res = runner.invoke(app, ["radiomics", str(tmp_path / "missing"), "-o", out])
    assert res.exit_code == 3
    res = runner.invoke(app, ["radiomics", str(d / "sag_t2.nii.gz"), "-o", out, *_maps(d, "canal")])
    assert res.exit_code == 4 and "no disc and no vertebra" in res.output
    res = runner.invoke(
        app, ["radiomics", str(d / "sag_t2.nii.gz"), "-o", str(tmp_path / "f.txt"), *_maps(d)]
    )
    assert res.exit_code == 3 and ".parquet" in res.output
    assert not Path(out).exists()


@pytest.mark.skipif(not DEFAULT_MODEL.is_file(), reason="shipped segmentation model not built")
def test_cli_not_a_spine_with_the_shipped_model(tmp_path) -> None:
    rng = np.random.default_rng(1)
    noise = Volume(
        rng.uniform(0, 100, (12, 160, 160)).astype(np.float32), np.diag([4.0, 0.9, 0.9, 1.0])
    )
    nib.save(noise.to_nifti(), tmp_path / "sag_t2.nii.gz")
    res = runner.invoke(
        app, ["radiomics", str(tmp_path / "sag_t2.nii.gz"), "-o", str(tmp_path / "f.parquet")]
    )
    assert res.exit_code == 4, res.output


@pytest.mark.skipif(not DEFAULT_MODEL.is_file(), reason="shipped segmentation model not built")
def test_demo_t2_with_the_shipped_model(tmp_path) -> None:
    demo = Path(__file__).resolve().parents[2] / "src/spinepath/demo_data/sct_t2_lumbar"
    res = runner.invoke(
        app, ["radiomics", str(demo / "t2_lumbar.nii.gz"), "-o", str(tmp_path / "f.parquet")]
    )
    assert res.exit_code == 0, res.output
    df = pd.read_parquet(tmp_path / "f.parquet")
    done = df[df["reason"].isna()]
    assert (done["structure"] == "disc").any()
    assert np.isfinite(done[done["feature"] == "morph_volume"]["value"]).all()


# --- real data: SPIDER T2 SPACE slices with manual masks ------------------------------------

SPIDER_SLICE_MM = 0.9
"""Assumed slice spacing of the spider-seg export (unknown there; SPIDER T2 SPACE ~0.9 mm)."""


@pytest.mark.shared_data
def test_spider_disc_signal_falls_with_pfirrmann_grade(shared_data: Path) -> None:
    """Real T2 (SPIDER SPACE, 7 central slices, manual masks): the disc-to-CSF T2 signal ratio
    from the disc radiomics falls with the Pfirrmann grade of the same disc (graded on the
    patient's TSE series). SPIDER labels the whole vertebra, so bodies and endplates must be
    reported as not available, not measured."""
    from scipy.stats import spearmanr

    from spinepath.model.levels import disc_from_bottom
    from spinepath.segment.api import from_display
    from spinepath.segment.datasets import iter_spider_seg
    from spinepath.segment.external import import_labelmap

    root = shared_data / "spider-seg-dev"
    grades = shared_data / "spider-dev" / "radiological_gradings.csv"
    if not root.is_dir() or not grades.is_file():
        pytest.skip("spider-seg-dev or spider-dev gradings not in the shared data")
    from_bottom = {disc_from_bottom(k): k for k in range(1, 9)}
    rows = []
    for stack in iter_spider_seg(root):
        lab = np.zeros(stack.image.shape, np.int16)  # TotalSegmentator-MR values
        lab[stack.masks["vertebra"]], lab[stack.masks["disc"]] = 19, 20
        lab[stack.masks["canal"]] = 21
        aff = np.diag([SPIDER_SLICE_MM, stack.spacing_mm[1], stack.spacing_mm[0], 1.0])
        image = Volume(from_display(stack.image), aff)
        sem, lev, _ = import_labelmap(Volume(from_display(lab), aff), "total_mr")
        df = extract_structures(image, SimpleNamespace(semantic=sem, levels=lev), FIRST_ORDER)
        assert not (df["reason"].isna() & (df["structure"] == "vertebral_body")).any()
        assert "not split" in df[df["structure"] == "vertebral_body"]["reason"].iloc[0]
        csf = float(image.array[sem.array == L.CANAL].mean())
        discs = df[(df["structure"] == "disc") & (df["feature"] == "stat_mean")]
        assert len(discs) >= 5
        pid = int(stack.subject.split("/")[1])
        for r in discs.itertuples():
            rows.append({"Patient": pid, "IVD label": from_bottom[r.level], "ratio": r.value / csf})
    table = pd.DataFrame(rows).merge(pd.read_csv(grades), on=["Patient", "IVD label"])
    assert table["Patient"].nunique() >= 15 and len(table) >= 80
    rho = spearmanr(table["ratio"], table["Pfirrman grade"]).statistic
    assert rho < -0.35, rho  # measured -0.58 on 126 discs of 18 patients
