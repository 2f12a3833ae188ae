"""Time and check per-structure radiomics (docs/benchmarks.md).

Usage (repository root)::

    nice -n 10 .venv/bin/python scripts/bench_radiomics_structures.py \
        [--model /tmp/seg/smoke/model.onnx] [--shared ../shared/data]

Prints one JSON object: phantom (exact label maps) timings, the effect of in-plane resampling,
segmentation + extraction with an ONNX model when given, and the SPIDER disc/CSF check.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd

from spinepath.model.volume import Volume
from spinepath.phantom import generate_study
from spinepath.phantom import labels as PL
from spinepath.radiomics.structures import (
    extract_structures,
    sagittal_settings,
    structure_masks,
)
from spinepath.segment import labels as L


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
            lab, [PL.ANNULUS_OFFSET + vid, PL.NUCLEUS_OFFSET + vid, PL.HERNIATION_OFFSET + vid]
        )
        sem[disc], lev[disc] = L.DISC, L.DISC_OFFSET + vid
    sem[lab == PL.DURAL_SAC], lev[lab == PL.DURAL_SAC] = L.CANAL, L.CANAL_ID
    aff = series.image.affine
    return SimpleNamespace(semantic=Volume(sem, aff), levels=Volume(lev, aff))


def _best(fn, repeats: int = 3) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def phantom(results: dict) -> None:
    s = generate_study(0).series["sag_t2"]
    seg = phantom_segmentation(s)
    t_mask, masks = _best(lambda: structure_masks(seg))
    t_ext, df = _best(lambda: extract_structures(s.image, seg, masks=masks))
    done = df[df["reason"].isna()]
    resampled = extract_structures(
        s.image, seg, sagittal_settings(s.image, in_plane_mm=1.0), masks=masks
    )
    t_res, _ = _best(
        lambda: extract_structures(
            s.image, seg, sagittal_settings(s.image, in_plane_mm=1.0), masks=masks
        ),
        1,
    )

    def means(d):
        return d[d["feature"] == "stat_mean"].set_index(["level", "structure"])["value"]

    shift = ((means(resampled) - means(df)) / means(df)).abs()
    by_structure = shift.groupby(level="structure").max().round(4).to_dict()
    results["phantom"] = {
        "grid": list(s.image.shape),
        "spacing_mm": [round(x, 3) for x in s.image.spacing],
        "n_structures": int(done.groupby(["level", "structure"]).ngroups),
        "n_features_per_structure": int(done["feature"].nunique()),
        "n_rows": len(df),
        "seconds_masks": round(t_mask, 3),
        "seconds_extract_native": round(t_ext, 3),
        "seconds_extract_inplane_1mm": round(t_res, 3),
        "max_rel_shift_of_mean_by_inplane_1mm": by_structure,
    }


def with_model(results: dict, model: Path) -> None:
    from spinepath.segment.api import segment_volume
    from spinepath.segment.onnx_model import OnnxSegmenter

    s = generate_study(0).series["sag_t2"]
    seg_model = OnnxSegmenter(model)
    t0 = time.perf_counter()
    seg = segment_volume(s.image, segmenter=seg_model)
    t_seg = time.perf_counter() - t0
    t0 = time.perf_counter()
    df = extract_structures(s.image, seg)
    t_ext = time.perf_counter() - t0
    results["phantom_with_model"] = {
        "model": str(model),
        "seconds_segment": round(t_seg, 2),
        "seconds_extract": round(t_ext, 2),
        "n_structures": int(df[df["reason"].isna()].groupby(["level", "structure"]).ngroups),
        "n_not_available": int(df["reason"].notna().sum()),
    }


def spider(results: dict, shared: Path) -> None:
    from scipy.stats import spearmanr

    from spinepath.model.levels import disc_from_bottom
    from spinepath.segment.api import from_display
    from spinepath.segment.datasets import iter_spider_seg
    from spinepath.segment.external import import_labelmap

    root, grades = shared / "spider-seg-dev", shared / "spider-dev/radiological_gradings.csv"
    if not root.is_dir() or not grades.is_file():
        return
    from_bottom = {disc_from_bottom(k): k for k in range(1, 9)}
    rows, times = [], []
    for stack in iter_spider_seg(root):
        lab = np.zeros(stack.image.shape, np.int16)
        lab[stack.masks["vertebra"]], lab[stack.masks["disc"]] = 19, 20
        lab[stack.masks["canal"]] = 21
        aff = np.diag([0.9, stack.spacing_mm[1], stack.spacing_mm[0], 1.0])
        image = Volume(from_display(stack.image), aff)
        sem, lev, _ = import_labelmap(Volume(from_display(lab), aff), "total_mr")
        t0 = time.perf_counter()
        df = extract_structures(image, SimpleNamespace(semantic=sem, levels=lev))
        times.append(time.perf_counter() - t0)
        csf = float(image.array[sem.array == L.CANAL].mean())
        d = df[(df["structure"] == "disc") & df["reason"].isna()]
        pid = int(stack.subject.split("/")[1])
        for level, g in d.groupby("level"):
            v = g.set_index("feature")["value"]
            rows.append(
                {
                    "Patient": pid,
                    "IVD label": from_bottom[level],
                    "ratio": v["stat_mean"] / csf,
                    "ih_entropy": v["ih_entropy"],
                    "cm_contrast": v["cm_contrast_2_5D_comb"],
                }
            )
    table = pd.DataFrame(rows).merge(pd.read_csv(grades), on=["Patient", "IVD label"])
    rho = {
        c: round(float(spearmanr(table[c], table["Pfirrman grade"]).statistic), 3)
        for c in ("ratio", "ih_entropy", "cm_contrast")
    }
    results["spider_seg_dev"] = {
        "patients": len(times),
        "seconds_extract_per_patient_median": round(float(np.median(times)), 3),
        "graded_discs": len(table),
        "graded_patients": int(table["Patient"].nunique()),
        "spearman_vs_pfirrmann": rho,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--model", type=Path, default=None)
    ap.add_argument(
        "--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data"
    )
    args = ap.parse_args()
    results: dict = {}
    phantom(results)
    if args.model is not None:
        with_model(results, args.model)
    spider(results, args.shared)
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
