"""Per-disc radiomics of spider-dev for the Pfirrmann >= 4 modelling demonstration.

For every spider-dev patient with a T2 slice: segment the mid-sagittal T2 PNG with the shipped
segmenter (:func:`spinepath.segment.api.segment_volume`, ONNX U-Net + level labelling from the
sacrum), intensity-normalise the picture, and extract IBSI features of every labelled disc with
:func:`spinepath.radiomics.structures.extract_structures` (default MR settings via
``sagittal_settings``: 2D/2.5D texture, fixed bin number 32, native pixel grid). On one slice
2D and 2.5D texture coincide (checked on spider-dev: all 82 pairs equal), so only the 2D
columns are written. Then join with ``radiological_gradings.csv``: "IVD label" k is the
disc ``disc_from_bottom(k)`` (k = 1 is L5-S1 when the numbering from the sacrum holds).

Intensity normalisation (MR intensities are arbitrary units): **z-score within the body**,
i.e. ``(I - mean) / sd`` over the body pixels of the slice, the body being the pixels above the
Otsu threshold of the whole slice (air and background excluded). Texture features use a fixed
bin number and so do not depend on it; first-order intensity features do.

Output: one row per graded disc (``patient, ivd_label, disc, vendor, scanner, sex, label,
Pfirrman grade, found, n_voxels, rad_*``). A graded disc the pipeline did not find (or a
patient whose slice failed to segment) keeps its row with empty features and ``found = 0``,
so the modelling imputes it rather than dropping it silently.

With ``--perturbed`` the same features are also computed on each disc mask eroded and dilated
by one pixel in the sagittal plane (scipy binary erosion / dilation, 3x3 cross) and written
beside the main table as ``*_eroded.csv`` / ``*_dilated.csv`` for the ICC robustness filter of
``scripts/demo_pfirrmann_model.py model --perturbed``.

Usage::

    python scripts/spider_disc_radiomics.py [DIR] -o features.csv [--perturbed] [--limit N]
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import ndimage

from spinepath.errors import SpinepathError
from spinepath.io.png import _spider_overview, spider_series
from spinepath.model.levels import disc_from_bottom
from spinepath.model.volume import Volume
from spinepath.radiomics.structures import (
    StructureMasks,
    extract_structures,
    sagittal_settings,
    structure_masks,
)
from spinepath.segment.api import segment_volume
from spinepath.segment.onnx_model import OnnxSegmenter

PREFIX = "rad_"
PERTURBATIONS = ("eroded", "dilated")


def _demo_module():
    """scripts/demo_pfirrmann_model.py (its label table: vendor, sex, Pfirrmann >= 4)."""
    path = Path(__file__).resolve().with_name("demo_pfirrmann_model.py")
    spec = importlib.util.spec_from_file_location("demo_pfirrmann_model", path)
    mod = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(mod)
    return mod


def otsu_threshold(values: np.ndarray, bins: int = 256) -> float:
    """Otsu's threshold of a 1-D array of intensities (same units as ``values``)."""
    hist, edges = np.histogram(values, bins=bins)
    centres = (edges[:-1] + edges[1:]) / 2
    w0 = np.cumsum(hist)
    w1 = w0[-1] - w0
    m0 = np.cumsum(hist * centres)
    mu0 = m0 / np.maximum(w0, 1)
    mu1 = (m0[-1] - m0) / np.maximum(w1, 1)
    between = w0 * w1 * (mu0 - mu1) ** 2
    return float(centres[int(np.argmax(between[:-1]))])


def normalise_in_body(volume: Volume) -> Volume:
    """Z-score of the picture over its body pixels (above the Otsu threshold); unitless."""
    a = np.asarray(volume.array, dtype=np.float64)
    body = a > otsu_threshold(a.ravel())
    mu, sd = float(a[body].mean()), float(a[body].std())
    return Volume((a - mu) / max(sd, 1e-9), volume.affine, dict(volume.meta))


def perturb(masks: StructureMasks, how: str, axis: int) -> StructureMasks:
    """Disc masks eroded / dilated by one pixel within each sagittal slice (3x3 cross)."""
    st = np.zeros((3, 3, 3), bool)
    cross = ndimage.generate_binary_structure(2, 1)
    idx: list[slice | int] = [slice(None)] * 3
    idx[axis] = 1
    st[tuple(idx)] = cross
    op = ndimage.binary_erosion if how == "eroded" else ndimage.binary_dilation
    out = StructureMasks({k: op(m, structure=st) for k, m in masks.items()})
    out.spacing = masks.spacing
    return out


def disc_features(series_volume: Volume, seg, masks: StructureMasks, settings) -> dict:
    """``{disc level: {rad_feature: value}}`` from the long table of extract_structures."""
    long = extract_structures(series_volume, seg, settings, masks=masks)
    long = long[long["structure"] == "disc"]
    out: dict[str, dict[str, float]] = {}
    for level, g in long.groupby("level"):
        g = g[g["feature"].notna()]
        if len(g):
            out[str(level)] = {
                f"{PREFIX}{f}": float(v)
                for f, v in zip(g["feature"], g["value"], strict=True)
                if "_2_5D_" not in f  # on one slice 2.5D texture equals 2D: not repeated
            }
            out[str(level)]["n_voxels"] = float(g["n_voxels"].iloc[0])
    return out


def run(root: Path, limit: int | None, with_perturbed: bool, log=print):
    """Tables (main, {perturbation: table}) and a dict of counts."""
    labels = _demo_module().build_labels(root)
    overview = _spider_overview(root)
    segmenter = OnnxSegmenter()
    variants = ("main", *PERTURBATIONS) if with_perturbed else ("main",)
    feats: dict[str, dict[tuple[int, str], dict]] = {v: {} for v in variants}
    failures: dict[int, str] = {}
    t0 = time.perf_counter()
    patients = sorted(labels["patient"].unique())[:limit]
    for n, patient in enumerate(patients):
        name = f"{patient}_t2"
        try:
            series = spider_series(root, name, overview)
            seg = segment_volume(series.volume, segmenter=segmenter)
            vol = normalise_in_body(series.volume.to_canonical())
            settings = sagittal_settings(vol)
            full = structure_masks(seg)
            discs = StructureMasks({k: m for k, m in full.items() if k[1] == "disc"})
            discs.spacing = full.spacing
            axis = settings.texture.slice_axis
            for v in variants:
                m = discs if v == "main" else perturb(discs, v, axis)
                for level, f in disc_features(vol, seg, m, settings).items():
                    feats[v][(int(patient), level)] = f
        except SpinepathError as exc:
            failures[int(patient)] = str(exc)
            log(f"{name}: {exc}")
        if n % 10 == 0:
            log(f"{n + 1}/{len(patients)} patients, {time.perf_counter() - t0:.0f} s")
    labels = labels[labels["patient"].isin(patients)].copy()
    labels["disc"] = labels["ivd_label"].map(lambda k: disc_from_bottom(int(k)))
    tables = {}
    for v in variants:
        keys = zip(labels["patient"], labels["disc"], strict=True)
        rows = [feats[v].get((int(p), d), {}) for p, d in keys]
        f = pd.DataFrame(rows, index=labels.index)
        t = pd.concat([labels, f], axis=1)
        if v == "main":
            t.insert(t.columns.get_loc("Pfirrman grade") + 1, "found", [int(bool(r)) for r in rows])
        tables[v] = t
    main = tables["main"]
    counts = {
        "patients": len(patients),
        "patients_failed": len(failures),
        "graded_discs": len(main),
        "discs_found": int(main["found"].sum()),
        "discs_missing": int((main["found"] == 0).sum()),
        "missing_by_disc": main.loc[main["found"] == 0, "disc"].value_counts().to_dict(),
        "seconds": round(time.perf_counter() - t0, 1),
    }
    return tables, counts


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("data", type=Path, nargs="?", default=None, help="spider-dev folder")
    ap.add_argument("-o", "--out", type=Path, required=True, help="features CSV")
    ap.add_argument(
        "--perturbed",
        action="store_true",
        help="also write *_eroded.csv / *_dilated.csv (ICC robustness filter)",
    )
    ap.add_argument("--limit", type=int, default=None, help="first N patients only")
    args = ap.parse_args(argv)
    root = args.data or _demo_module().shared_data() / "spider-dev"
    tables, counts = run(root, args.limit, args.perturbed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    for v, t in tables.items():
        path = args.out if v == "main" else args.out.with_name(f"{args.out.stem}_{v}.csv")
        t.to_csv(path, index=False)
        print(f"{v}: {path}")
    print(counts)
    return 0


if __name__ == "__main__":
    sys.exit(main())
