"""Grading baselines on the spider-dev disc data set (docs/benchmarks.md, approaches B-D).

Usage: python scripts/grading_baselines.py DISCS.npz OOF.npz
DISCS.npz (+ DISCS.features.parquet) from step 1 of scripts/train_disc_grader.sh; OOF.npz from
step 2 (the CNN's out-of-fold probabilities and the patient folds). Prints, on the same patient
folds: B gradient boosting on the measurements only, C logistic and D gradient-boosting stackers on
the measurements + the CNN's out-of-fold probabilities. Missed discs count as errors.
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from spinepath.grade.evaluation import auc, balanced_accuracy, quadratic_weighted_kappa
from spinepath.model.levels import DISC_LEVELS


def _gbm() -> HistGradientBoostingClassifier:
    return HistGradientBoostingClassifier(max_iter=100, learning_rate=0.08, class_weight="balanced")


def _logistic():  # type: ignore[no-untyped-def]
    return make_pipeline(
        SimpleImputer(strategy="median"),
        StandardScaler(),
        LogisticRegression(C=0.3, max_iter=2000, class_weight="balanced"),
    )


def main() -> None:
    discs, oof_path = sys.argv[1], sys.argv[2]
    d = dict(np.load(discs))
    oof = np.load(oof_path)
    feats = pd.read_parquet(discs.replace(".npz", ".features.parquet"))
    feats = feats.drop(columns=["patient", "level"])
    feats["level_idx"] = [DISC_LEVELS.index(str(v)) for v in d["level"]]
    folds, found = oof["fold"], d["found"].astype(bool)
    cnn = np.nan_to_num(oof["oof"], nan=0.0)
    tables = {
        "B measurements, gradient boosting": (feats.values.astype(float), _gbm),
        "C measurements + CNN, logistic": (np.column_stack([feats.values, cnn]), _logistic),
        "D measurements + CNN, gradient boosting": (np.column_stack([feats.values, cnn]), _gbm),
    }
    for name, (x, make) in tables.items():

        def oof_proba(y: np.ndarray, x: np.ndarray = x, make=make) -> np.ndarray:  # type: ignore[no-untyped-def]
            out = np.zeros((len(y), len(np.unique(y))))
            for f in np.unique(folds):
                train, test = (folds != f) & found, folds == f
                out[test] = make().fit(x[train], y[train]).predict_proba(x[test])
            return out

        y = d["y_pfirrmann"]
        p = oof_proba(y)
        pred = np.where(found, p.argmax(1) + 1, -1)
        grades = [1, 2, 3, 4, 5]
        qwk = quadratic_weighted_kappa(y, np.where(pred == -1, 3, pred), grades)
        line = [f"Pfirrmann BA {balanced_accuracy(y, pred, grades):.3f}", f"QWK {qwk:.3f}"]
        y_modic = (d["y_modic"] > 0).astype(int)
        pm = oof_proba(y_modic)[:, 1]
        line.append(
            f"Modic BA {balanced_accuracy(y_modic, np.where(found, pm >= 0.5, -1), [0, 1]):.3f}"
            f" AUC {auc(y_modic, np.where(found, pm, 0.5)):.3f}"
        )
        for key in ("herniation", "bulging", "narrowing", "spondylolisthesis"):
            yk = d[f"y_{key}"]
            line.append(f"{key} AUC {auc(yk, np.where(found, oof_proba(yk)[:, 1], 0.5)):.3f}")
        y_ep = np.maximum(d["y_up_endplate"], d["y_low_endplate"])
        line.append(f"endplate AUC {auc(y_ep, np.where(found, oof_proba(y_ep)[:, 1], 0.5)):.3f}")
        print(f"{name}: " + ", ".join(line))


if __name__ == "__main__":
    main()
