"""Demonstration: predict Pfirrmann grade >= 4 per disc on spider-dev, scanner vendor as site.

Two steps:

1. ``labels``: build the per-disc skeleton table from spider-dev (no imaging features):
   patient, ivd_label, disc (level name, assuming normal segmentation: IVD label 1 = L5-S1),
   vendor (overview.csv Manufacturer of the T2 series, Philips spellings merged), sex, label
   (Pfirrmann >= 4)::

       python scripts/demo_pfirrmann_model.py labels -o /tmp/pf/labels.csv

2. ``model``: evaluate clinical / radiomics / combined models on a feature table with the
   columns patient, disc, vendor, label, sex and radiomics features (prefix ``--prefix``),
   e.g. the labels table joined with per-disc features from ``spinepath radiomics``::

       python scripts/demo_pfirrmann_model.py model FEATURES.csv -o /tmp/pf/report \
           [--perturbed ERODED.csv --perturbed DILATED.csv]

   With the labels table alone only the clinical model (disc level + sex) runs: the baseline
   a radiomics model has to beat.

Splits are patient-wise; ComBat (site = vendor, disc level protected) is fitted inside folds.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import pandas as pd

LEVELS_FROM_BOTTOM = ("L5-S1", "L4-L5", "L3-L4", "L2-L3", "L1-L2", "T12-L1", "T11-T12",
                      "T10-T11", "T9-T10")


def shared_data() -> Path:
    """../shared/data relative to the repository (or $SPINEPATH_SHARED_DATA)."""
    env = os.environ.get("SPINEPATH_SHARED_DATA")
    return Path(env) if env else Path(__file__).resolve().parents[1].parent / "shared" / "data"


def vendor_of(manufacturer: str) -> str:
    """One name per vendor (spider-dev spells Philips two ways)."""
    m = str(manufacturer).lower()
    if m.startswith("philips"):
        return "Philips"
    if m.startswith("siemens"):
        return "Siemens"
    if m.startswith("ge"):
        return "GE"
    return str(manufacturer)


def build_labels(root: Path) -> pd.DataFrame:
    """Per-disc rows of spider-dev with vendor, sex and the Pfirrmann >= 4 label."""
    g = pd.read_csv(root / "radiological_gradings.csv")
    o = pd.read_csv(root / "overview.csv")
    t2 = o[o["new_file_name"].str.endswith("_t2")].copy()
    t2["patient"] = t2["new_file_name"].str.replace("_t2", "", regex=False).astype(int)
    meta = t2[["patient", "Manufacturer", "sex"]].rename(columns={"Manufacturer": "scanner"})
    df = g.rename(columns={"Patient": "patient", "IVD label": "ivd_label"}).merge(
        meta, on="patient", how="inner")
    df["vendor"] = df["scanner"].map(vendor_of)
    df["disc"] = df["ivd_label"].map(
        lambda k: LEVELS_FROM_BOTTOM[k - 1] if 1 <= k <= len(LEVELS_FROM_BOTTOM) else f"IVD{k}")
    df["sex"] = df["sex"].fillna("unknown").astype(str).str.strip()
    df["label"] = (df["Pfirrman grade"] >= 4).astype(int)
    return df[["patient", "ivd_label", "disc", "vendor", "scanner", "sex", "label",
               "Pfirrman grade"]]


def run_model(table: Path, out: Path, prefix: str | None, perturbed: list[Path],
              learners: tuple[str, ...], n_boot: int, seed: int) -> dict[str, object]:
    """Evaluate the models on a feature table and write the report; returns the summary."""
    from spinepath.cohort.modelling.evaluate import evaluate_models, to_jsonable
    from spinepath.cohort.modelling.pipeline import FilterOptions
    from spinepath.cohort.modelling.report import write_report
    from spinepath.cohort.modelling.table import align_to, load_table, resolve_spec

    df = load_table(table)
    rad = [c for c in df.columns if prefix and str(c).startswith(prefix)]
    X, spec = resolve_spec(df, outcome="label", group="patient", site="vendor",
                           keys="patient,ivd_label", clinical="disc,sex",
                           radiomics=rad, protect="disc")
    tables = (X, *(align_to(X, load_table(p), spec) for p in perturbed)) if perturbed else ()
    kinds = ("clinical", "radiomics", "combined") if rad else ("clinical",)
    ctx = {
        "command": " ".join(["python", *sys.argv]),
        "table": str(table),
        "data_source": "SPIDER lumbar MRI, development split (van der Graaf et al., Sci Data "
                       "2024; CC BY 4.0): per-disc Pfirrmann grades by radiologists",
        "outcome_definition": "Pfirrmann grade >= 4 (radiologist grading, per disc)",
    }
    ev = evaluate_models(X, spec, kinds=kinds, learners=learners,
                         options=FilterOptions(robustness_tables=tables), n_boot=n_boot,
                         seed=seed, context=ctx)
    out.mkdir(parents=True, exist_ok=True)
    write_report(ev, out / "report.html", title="Pfirrmann >= 4 per disc: spider-dev")
    summary = to_jsonable(ev)
    (out / "metrics.json").write_text(json.dumps(summary, indent=1, default=str))
    cols = ["model", "scheme", "n_rows", "n_patients", "auc", "auc_ci_low", "auc_ci_high",
            "calibration_slope", "calibration_intercept"]
    print(ev.performance[cols].to_string(index=False, float_format="%.3f"))
    return summary


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("labels", help="per-disc label/vendor table from spider-dev")
    a.add_argument("-o", "--out", type=Path, required=True)
    a.add_argument("--data", type=Path, default=None, help="spider-dev folder")
    b = sub.add_parser("model", help="evaluate models on a feature table")
    b.add_argument("table", type=Path)
    b.add_argument("-o", "--out", type=Path, required=True)
    b.add_argument("--prefix", default=None, help="radiomics column prefix")
    b.add_argument("--perturbed", type=Path, action="append", default=[])
    b.add_argument("--learners", default="logistic_l1")
    b.add_argument("--n-boot", type=int, default=2000)
    b.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    if args.cmd == "labels":
        root = args.data or shared_data() / "spider-dev"
        df = build_labels(root)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        df.to_csv(args.out, index=False)
        print(f"{len(df)} discs of {df.patient.nunique()} patients; vendors "
              f"{df.groupby('vendor').patient.nunique().to_dict()}; prevalence "
              f"{df.label.mean():.3f}: {args.out}")
        return 0
    run_model(args.table, args.out, args.prefix, args.perturbed,
              tuple(s for s in args.learners.split(",") if s), args.n_boot, args.seed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
