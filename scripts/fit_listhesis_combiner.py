"""Fit the spondylolisthesis combiner (:mod:`spinepath.grade.listhesis`) and measure it.

``python scripts/fit_listhesis_combiner.py OOF.npz DISCS.features.parquet [OUT.json]``

OOF.npz: out-of-fold grader probabilities (``oof`` or the array named by ``--key``) with
``fold``, ``found`` and ``y_spondylolisthesis`` (from the grader's cross-validation); the
features Parquet of the same discs (``spinepath.grade.dataset.build``) gives the measured slip
(``t2_listhesis_pct``, ``t1_listhesis_pct``). The tables of each fold are fitted on the other
folds' discs, so the printed AUC and balanced accuracy are cross-validated; missed discs count as
errors (probability 0.5, class wrong). The final tables are fitted on every found disc.
``--figures F.json`` writes the figures of every head (with bootstrap CIs and confusion
matrices), the listhesis head replaced by the cross-validated combination.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd

from spinepath.grade.evaluation import auc, balanced_accuracy, grading_agreement
from spinepath.grade.heads import binary_column
from spinepath.grade.listhesis import ListhesisCombiner

COLUMN = binary_column("spondylolisthesis")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("oof", type=Path)
    ap.add_argument("features", type=Path)
    ap.add_argument("out", type=Path, nargs="?")
    ap.add_argument("--key", default="oof")
    ap.add_argument("--figures", type=Path, help="write every head's figures (JSON) here")
    args = ap.parse_args()
    z = np.load(args.oof)
    feats = pd.read_parquet(args.features)
    found = z["found"].astype(bool)
    folds = z["fold"]
    y = z["y_spondylolisthesis"].astype(int)
    p = np.nan_to_num(z[args.key][:, COLUMN], nan=0.5)
    both = np.abs(feats[["t2_listhesis_pct", "t1_listhesis_pct"]].to_numpy(float))
    slip = np.where(np.isfinite(both), both, -np.inf).max(axis=1)
    slip[~np.isfinite(slip)] = np.nan
    combined = np.full(len(y), 0.5)
    for k in np.unique(folds):
        train, test = (folds != k) & found, (folds == k) & found
        comb = ListhesisCombiner.fit(p[train], slip[train], y[train])
        pairs = zip(p[test], slip[test], strict=True)
        combined[test] = [comb.probability(a, [b]) for a, b in pairs]
    pred = np.where(found, (combined >= 0.5).astype(int), -1)
    pred_cnn = np.where(found, (p >= 0.5).astype(int), -1)
    figures = {
        "n_discs": len(y),
        "n_positive": int(y.sum()),
        "n_found": int(found.sum()),
        "auc_cnn_alone": round(auc(y, np.where(found, p, 0.5)), 4),
        "auc_slip_alone": round(auc(y[found], np.nan_to_num(slip[found], nan=0.0)), 4),
        "auc_combined_cv": round(auc(y, combined), 4),
        "balanced_accuracy_cnn_alone": round(balanced_accuracy(y, pred_cnn, [0, 1]), 4),
        "balanced_accuracy_combined_cv": round(balanced_accuracy(y, pred, [0, 1]), 4),
    }
    print(json.dumps(figures, indent=1))
    if args.figures:
        probs = np.array(z[args.key], dtype=np.float64)
        probs[found, COLUMN] = combined[found]
        labels = {k[2:]: z[k] for k in z.files if k.startswith("y_")}
        full = grading_agreement(probs, found, labels, z["patient"])
        full["spondylolisthesis_source"] = "cross-validated combiner (this script)"
        args.figures.write_text(json.dumps(full, indent=1))
        print(f"all heads, listhesis combined -> {args.figures}")
    if args.out:
        final = ListhesisCombiner.fit(
            p[found],
            slip[found],
            y[found],
            source={
                "fitted_on": "spider-dev (130 patients, 901 graded discs), out-of-fold grader "
                "probabilities and the measured slip (max |T2|, |T1| listhesis_pct)",
                "oof_file": str(args.oof),
                "cross_validated": figures,
            },
        )
        final.save(args.out)
        print(f"tables -> {args.out}")


if __name__ == "__main__":
    main()
