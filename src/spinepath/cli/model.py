"""``spinepath model train|evaluate`` and ``spinepath harmonise``: cohort models on feature
tables (one row per region of interest, e.g. per disc)."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path
from typing import Any

import typer

from spinepath.cli.common import console, handle_errors
from spinepath.model.report import sha256_file

_OUTCOME = typer.Option("label", help="Binary outcome column (0/1).")
_PATIENT = typer.Option("patient", "--patient", help="Patient column: splits keep a "
                        "patient's rows together.")
_SITE = typer.Option("site", help="Site column (scanner vendor, centre) for ComBat and "
                     "leave-site-out validation.")
_KEYS = typer.Option(None, help="Comma-separated columns identifying one row (default: the "
                     "patient column), e.g. patient,disc.")
_CLINICAL = typer.Option(None, help="Comma-separated clinical predictor columns (text "
                         "columns are one-hot encoded).")
_PREFIX = typer.Option(None, help="Radiomics columns start with this prefix (default: every "
                       "other numeric column).")
_PROTECT = typer.Option(None, help="Comma-separated covariates whose effects ComBat keeps "
                        "(never the outcome).")
_PERTURBED = typer.Option(None, "--perturbed", help="Feature table of a perturbed extraction "
                          "(eroded/dilated mask), same keys; repeat the option. Turns on the "
                          "ICC robustness filter.")


def _roles(table: Path, outcome: str, patient: str, site: str, keys: str | None,
           clinical: str | None, prefix: str | None, protect: str | None,
           perturbed: list[Path] | None, icc: float, redundancy: float,
           harmonise: bool) -> tuple[Any, Any, Any]:
    from spinepath.cohort.modelling.pipeline import FilterOptions
    from spinepath.cohort.modelling.table import align_to, load_table, resolve_spec

    df = load_table(table)
    X, spec = resolve_spec(df, outcome=outcome, group=patient, site=site, keys=keys,
                           clinical=clinical, radiomics_prefix=prefix, protect=protect)
    tables: tuple[Any, ...] = ()
    if perturbed:
        tables = (X, *(align_to(X, load_table(p), spec) for p in perturbed))
    opts = FilterOptions(harmonise=harmonise, robustness_tables=tables, icc_threshold=icc,
                         redundancy_threshold=redundancy)
    return X, spec, opts


def _versions() -> str:
    import numpy
    import sklearn

    out = f"scikit-learn {sklearn.__version__}, numpy {numpy.__version__}"
    try:
        import shap

        out += f", shap {shap.__version__}"
    except ImportError:  # pragma: no cover - shap is a dependency
        pass
    return out


def register(app: typer.Typer) -> None:
    """Add ``model train``, ``model evaluate`` and ``harmonise``."""
    model_app = typer.Typer(help="Train and validate clinical / radiomics / combined models.",
                            no_args_is_help=True)
    app.add_typer(model_app, name="model")

    @model_app.command("evaluate")
    @handle_errors
    def evaluate(
        table: Path = typer.Argument(..., help="Feature table (.csv or .parquet)."),
        out: Path = typer.Option(..., "-o", "--out", help="Output folder (report.html, "
                                 "metrics.json, predictions.csv)."),
        outcome: str = _OUTCOME,
        patient: str = _PATIENT,
        site: str = _SITE,
        keys: str | None = _KEYS,
        clinical: str | None = _CLINICAL,
        radiomics_prefix: str | None = _PREFIX,
        protect: str | None = _PROTECT,
        perturbed: list[Path] | None = _PERTURBED,
        kinds: str = typer.Option("clinical,radiomics,combined", help="Model kinds."),
        learners: str = typer.Option("logistic_l1", help="Comma-separated: logistic_l1, "
                                     "logistic_l2, random_forest, gradient_boosting."),
        outer: int = typer.Option(5, min=2, help="Outer folds of the nested CV."),
        inner: int = typer.Option(3, min=2, help="Inner (tuning) folds."),
        leave_site_out: bool = typer.Option(True, help="Also validate leave-one-site-out."),
        harmonise: bool = typer.Option(True, help="ComBat inside the folds."),
        icc: float = typer.Option(0.75, help="Minimum ICC(3,1) to keep a feature."),
        redundancy: float = typer.Option(0.9, help="|Spearman rho| above which features "
                                         "are redundant."),
        n_boot: int = typer.Option(2000, min=100, help="Bootstrap resamples for CIs."),
        explain: bool = typer.Option(True, help="SHAP explanations of the final models."),
        seed: int = typer.Option(0, help="Random seed."),
        data_source: str | None = typer.Option(None, help="Data source text for the report."),
        outcome_definition: str | None = typer.Option(None, help="Outcome definition text."),
        extractor: str | None = typer.Option(None, help="Feature extractor description."),
        caveats: str | None = typer.Option(None, help="Caveats printed atop the report."),
    ) -> None:
        """Nested CV (+ leave-site-out), metrics with CIs, DeLong, calibration, decision
        curve, SHAP, and a self-contained HTML report."""
        from spinepath.cohort.modelling.evaluate import evaluate_models, to_jsonable
        from spinepath.cohort.modelling.pipeline import KINDS, LEARNERS
        from spinepath.cohort.modelling.report import write_report
        from spinepath.errors import InputError

        kind_t = tuple(k.strip() for k in kinds.split(",") if k.strip())
        learner_t = tuple(k.strip() for k in learners.split(",") if k.strip())
        bad = [k for k in kind_t if k not in KINDS] + [x for x in learner_t if x not in LEARNERS]
        if bad:
            raise InputError(f"unknown kinds/learners {bad}; kinds {KINDS}, learners {LEARNERS}")
        X, spec, opts = _roles(table, outcome, patient, site, keys, clinical, radiomics_prefix,
                               protect, perturbed, icc, redundancy, harmonise)
        context = {
            "command": " ".join(["spinepath", *map(shlex.quote, sys.argv[1:])]),
            "table": str(table), "table_sha256": sha256_file(table), "versions": _versions(),
        }
        for key, val in (("data_source", data_source), ("extractor", extractor),
                         ("outcome_definition", outcome_definition), ("caveats", caveats)):
            if val:
                context[key] = val
        ev = evaluate_models(X, spec, kinds=kind_t, learners=learner_t, options=opts,
                             outer_splits=outer, inner_splits=inner,
                             leave_sites_out=leave_site_out, explain=explain, n_boot=n_boot,
                             seed=seed, context=context)
        out.mkdir(parents=True, exist_ok=True)
        write_report(ev, out / "report.html")
        (out / "metrics.json").write_text(json.dumps(to_jsonable(ev), indent=1, default=str))
        import pandas as pd

        pd.concat([r.predictions.assign(model=r.model, scheme=r.scheme) for r in ev.results]
                  ).to_csv(out / "predictions.csv")
        cols = ["model", "scheme", "auc", "auc_ci_low", "auc_ci_high", "calibration_slope",
                "calibration_intercept"]
        console.print(ev.performance[cols].to_string(index=False, float_format="%.3f"))
        console.print(f"report: {out / 'report.html'}")

    @model_app.command("train")
    @handle_errors
    def train(
        table: Path = typer.Argument(..., help="Feature table (.csv or .parquet)."),
        out: Path = typer.Option(..., "-o", "--out", help="Model file (.joblib); a model "
                                 "card .json is written beside it."),
        kind: str = typer.Option("combined", help="clinical, radiomics or combined."),
        learner: str = typer.Option("logistic_l1", help="logistic_l1, logistic_l2, "
                                    "random_forest or gradient_boosting."),
        outcome: str = _OUTCOME,
        patient: str = _PATIENT,
        site: str = _SITE,
        keys: str | None = _KEYS,
        clinical: str | None = _CLINICAL,
        radiomics_prefix: str | None = _PREFIX,
        protect: str | None = _PROTECT,
        perturbed: list[Path] | None = _PERTURBED,
        inner: int = typer.Option(3, min=2, help="Tuning folds."),
        harmonise: bool = typer.Option(True, help="ComBat across sites."),
        icc: float = typer.Option(0.75, help="Minimum ICC(3,1) to keep a feature."),
        redundancy: float = typer.Option(0.9, help="|Spearman rho| redundancy threshold."),
        seed: int = typer.Option(0, help="Random seed."),
    ) -> None:
        """Tune (grouped CV) and fit one model on all rows; save it with a model card. Its
        performance estimate comes from `spinepath model evaluate`, not from this fit."""
        import joblib

        from spinepath import __version__
        from spinepath.cohort.modelling.table import outcome_summary
        from spinepath.cohort.validation import fit_tuned, selected_features

        X, spec, opts = _roles(table, outcome, patient, site, keys, clinical, radiomics_prefix,
                               protect, perturbed, icc, redundancy, harmonise)
        search = fit_tuned(X, spec, kind, learner, options=opts, inner_splits=inner, seed=seed)
        model = search.best_estimator_
        # perturbed tables are only needed to fit; do not ship copies of them in the model
        if model.named_steps["robust"] != "passthrough":
            model.named_steps["robust"].tables = ()
        card = {
            "model": f"{kind}/{learner}", "spinepath": __version__, "versions": _versions(),
            "table": str(table), "table_sha256": sha256_file(table),
            "roles": {k: v for k, v in spec.__dict__.items()},
            "training": outcome_summary(X, spec), "params": search.best_params_,
            "inner_cv_auc": float(search.best_score_), "inputs": selected_features(model),
            "harmonisation_sites": (list(model.named_steps["harmonise"].sites_)
                                    if model.named_steps["harmonise"] != "passthrough" else []),
            "note": "inner-CV AUC is optimistic (it chose the hyper-parameters); use "
                    "`spinepath model evaluate` for an honest estimate.",
        }
        out.parent.mkdir(parents=True, exist_ok=True)
        joblib.dump({"pipeline": model, "spec": spec, "card": card}, out)
        out.with_suffix(".json").write_text(json.dumps(card, indent=1, default=str))
        console.print(f"model: {out}  inputs: {len(card['inputs'])}  inner-CV AUC "
                      f"{card['inner_cv_auc']:.3f}")

    @app.command("harmonise")
    @handle_errors
    def harmonise_cmd(
        table: Path = typer.Argument(..., help="Feature table (.csv or .parquet)."),
        out: Path = typer.Option(..., "-o", "--out", help="Harmonised table (.csv/.parquet)."),
        site: str = _SITE,
        features_prefix: str | None = typer.Option(None, help="Harmonise columns with this "
                                                   "prefix (default: all other numeric)."),
        protect: str | None = _PROTECT,
        exclude: str | None = typer.Option(None, help="Comma-separated numeric columns to "
                                           "leave alone (ids, outcome, clinical)."),
    ) -> None:
        """ComBat-harmonise a whole table across sites (for exploration; inside modelling,
        `model evaluate` fits ComBat on training folds only)."""
        import pandas as pd

        from spinepath.cohort.harmonise import ComBat
        from spinepath.cohort.modelling.table import load_table

        df = load_table(table)
        prot = [c for c in (protect or "").split(",") if c]
        cat = [c for c in prot if c in df and not pd.api.types.is_numeric_dtype(df[c])]
        con = [c for c in prot if c not in cat]
        skip = {site, *prot, *[c for c in (exclude or "").split(",") if c]}
        feats = [c for c in df.columns if c not in skip and pd.api.types.is_numeric_dtype(df[c])
                 and (features_prefix is None or str(c).startswith(features_prefix))]
        cb = ComBat(site, features=feats, categorical_covariates=cat, continuous_covariates=con)
        res = cb.fit_transform(df)
        out.parent.mkdir(parents=True, exist_ok=True)
        if out.suffix.lower() in {".parquet", ".pq"}:
            res.to_parquet(out)
        else:
            res.to_csv(out, index=False)
        console.print(f"harmonised {len(feats)} features across sites "
                      f"{list(cb.sites_)}: {out}")
