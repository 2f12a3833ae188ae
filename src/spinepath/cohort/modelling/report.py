"""The self-contained HTML validation report (figures embedded as base64 PNG).

It lists the reporting items of TRIPOD+AI (Collins et al., BMJ 2024;385:e078378) and CLEAR
(Kocak et al., Insights Imaging 2023;14:75) that the tool can fill from what it ran, and names
the ones the authors must complete (item names paraphrased; see the checklists themselves).
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
import platform
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from spinepath import __version__
from spinepath.cohort.modelling import plots
from spinepath.cohort.modelling.evaluate import Evaluation

__all__ = ["render_html", "write_report"]

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2em auto;max-width:1100px;
color:#222;line-height:1.4}
h1{font-size:1.5em}h2{font-size:1.2em;border-bottom:1px solid #ccc;padding-bottom:.2em;
margin-top:1.6em}
table{border-collapse:collapse;font-size:.85em;margin:.6em 0}td,th{border:1px solid #ccc;
padding:.25em .5em;text-align:left;vertical-align:top}th{background:#f3f3f3}
.fig{display:inline-block;margin:.4em}.note{color:#555;font-size:.9em}
.todo{color:#a05a00}
"""


def _e(x: Any) -> str:
    return html.escape(str(x))


def _img(png: bytes, alt: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return f'<div class="fig"><img alt="{_e(alt)}" src="data:image/png;base64,{data}"></div>'


def _fmt(v: Any) -> str:
    if isinstance(v, float | np.floating):
        return "" if np.isnan(v) else f"{v:.3f}"
    return _e(v)


def _table(df: pd.DataFrame, cols: list[str] | None = None) -> str:
    if df.empty:
        return "<p class='note'>(none)</p>"
    cols = cols or list(df.columns)
    head = "".join(f"<th>{_e(c)}</th>" for c in cols)
    body = "".join(
        "<tr>" + "".join(f"<td>{_fmt(r[c])}</td>" for c in cols) + "</tr>"
        for _, r in df.iterrows()
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _ci(r: pd.Series, key: str) -> str:
    return f"{r[key]:.3f} ({r[key + '_ci_low']:.3f}-{r[key + '_ci_high']:.3f})"


def _items(ev: Evaluation) -> list[tuple[str, str, str]]:
    """(checklist item, what the tool fills in, status) rows."""
    s, o, spec, ctx = ev.summary, ev.options, ev.spec, ev.context
    sites = "; ".join(f"{r[spec.site]}: {r['patients']} patients, {r['rows']} rows, "
                      f"{r['events']} events" for r in s["per_site"])
    n_pred = len(spec.clinical) + len(spec.radiomics)
    perf = ev.performance
    best = perf[perf.scheme == "nested_cv"].sort_values("auc", ascending=False)
    perf_txt = "; ".join(f"{r.model}: AUC {_ci(r, 'auc')}" for _, r in best.iterrows())
    cal_txt = "; ".join(
        f"{r.model}: slope {r.calibration_slope:.2f}, intercept {r.calibration_intercept:.2f}"
        for _, r in best.iterrows())
    missing = s["missing_cells"]
    miss_txt = (", ".join(f"{k}: {v}" for k, v in list(missing.items())[:15])
                if missing else "no missing predictor values")
    todo = "to be completed by the authors"
    rows = [
        ("Data source (TRIPOD+AI 5a; CLEAR: data source)",
         _e(ctx.get("data_source", f"feature table {ctx.get('table', '')}")), "filled"),
        ("Study dates, setting, eligibility (TRIPOD+AI 5b, 6a)", todo, "author"),
        ("Participants: numbers (TRIPOD+AI 20a)",
         f"{s['patients']} patients, {s['rows']} analysed units (rows); per site: {_e(sites)}",
         "filled"),
        ("Outcome definition (TRIPOD+AI 7a)",
         _e(ctx.get("outcome_definition", f"column {spec.outcome} (1 = event)"))
         + f"; {s['events']} events, prevalence {s['prevalence']:.3f}", "filled"),
        ("Outcome assessment blinded to predictors (TRIPOD+AI 7b)", todo, "author"),
        ("Predictors (TRIPOD+AI 8a; CLEAR: features)",
         f"clinical: {_e(', '.join(spec.clinical) or 'none')}; radiomics: "
         f"{len(spec.radiomics)} features"
         + (f" ({_e(ctx['extractor'])})" if ctx.get("extractor") else ""), "filled"),
        ("Sample size (TRIPOD+AI 9)",
         f"{s['events']} events for {n_pred} candidate predictors "
         f"({s['events'] / max(n_pred, 1):.1f} events per candidate predictor)", "filled"),
        ("Missing data and handling (TRIPOD+AI 10)",
         f"{_e(miss_txt)}; median imputation fitted inside each training fold", "filled"),
        ("Harmonisation across sites (CLEAR: harmonisation)",
         ("ComBat, parametric empirical Bayes (Johnson 2007; Fortin 2018), site = "
          f"{_e(spec.site)}, protected covariates: "
          f"{_e(', '.join([*spec.protect_categorical, *spec.protect_continuous]) or 'none')};"
          " fitted on training rows inside every fold") if o["harmonise"] else "none",
         "filled"),
        ("Feature robustness (CLEAR: segmentation / feature stability)",
         (f"ICC(3,1) over the original and {o['n_perturbations']} perturbed extraction(s), "
          f"kept if >= {o['icc_threshold']}, computed on training rows inside every fold")
         if o["robustness"] else "not assessed (no perturbed feature tables given)", "filled"),
        ("Feature reduction (CLEAR: dimensionality reduction)",
         f"|Spearman rho| > {o['redundancy_threshold']} clusters keep one (inside folds); "
         "L1 penalty or k-best ANOVA F selection tuned inside folds", "filled"),
        ("Model type and building (TRIPOD+AI 12c)",
         "; ".join(f"{k}: grid {_e(v)}" for k, v in o["grids"].items()), "filled"),
        ("Internal validation (TRIPOD+AI 12b; CLEAR: validation)",
         f"nested cross-validation, {o['outer_splits']} outer x {o['inner_splits']} inner "
         "folds, stratified and grouped by patient (no patient in both training and test); "
         "leave-one-site-out (models without ComBat since the held-out site is unseen)",
         "filled"),
        ("Performance measures with CIs (TRIPOD+AI 12e, 23a)",
         f"{_e(perf_txt)} (95% CI: percentile bootstrap over patients, {o['n_boot']} "
         "resamples)", "filled"),
        ("Calibration (TRIPOD+AI 12e, 23a)", _e(cal_txt), "filled"),
        ("Model comparison", "DeLong test and paired patient-bootstrap on the same rows",
         "filled"),
        ("Clinical utility (TRIPOD+AI 12e)", "decision curve (net benefit)", "filled"),
        ("Explainability (TRIPOD+AI 12f)", "SHAP values of the final models", "filled"),
        ("Fairness / subgroups (TRIPOD+AI 23b)", "performance per site shown below; other "
         "subgroups " + todo, "partly"),
        ("Software, versions, seeds (CLEAR: software)",
         f"spinepath {__version__}, Python {platform.python_version()}, "
         f"{_e(ctx.get('versions', ''))}, seed {o['seed']}", "filled"),
        ("Model availability, code and data sharing (TRIPOD+AI 18)", todo, "author"),
        ("Ethics, funding, conflicts (TRIPOD+AI 3, 4)", todo, "author"),
    ]
    return rows


def render_html(ev: Evaluation, *, title: str = "spinepath model validation report") -> str:
    """The whole report as one HTML string."""
    spec = ev.spec
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>{_e(title)}</title>"
             f"<style>{_CSS}</style></head><body><h1>{_e(title)}</h1>"]
    now = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    parts.append(f"<p class='note'>Generated {now} by spinepath {__version__}. Command: "
                 f"<code>{_e(ev.context.get('command', ''))}</code></p>")
    if ev.context.get("caveats"):
        parts.append("<p><b>Caveats:</b> " + _e(ev.context["caveats"]) + "</p>")

    parts.append("<h2>Reporting items (TRIPOD+AI / CLEAR)</h2><table><tr><th>item</th>"
                 "<th>content</th><th>status</th></tr>")
    for item, content, status in _items(ev):
        cls = " class='todo'" if status == "author" else ""
        parts.append(f"<tr><td>{_e(item)}</td><td{cls}>{content}</td><td>{status}</td></tr>")
    parts.append("</table>")

    perf = ev.performance.copy()
    parts.append("<h2>Performance</h2>")
    parts.append(_table(perf, ["model", "scheme", "n_rows", "n_patients", "n_events", "auc",
                               "auc_ci_low", "auc_ci_high", "auc_mean_of_sites",
                               "calibration_slope",
                               "calibration_intercept", "observed_expected", "brier"]))
    parts.append("<p class='note'>AUC and calibration of leave-site-out rows pool the "
                 "predictions of different models (one per held-out site); where sites differ "
                 "in prevalence the pooled AUC can mislead: read the per-site AUCs (and their "
                 "mean, auc_mean_of_sites).</p><h2>Per site</h2>")
    parts.append(_table(ev.per_site))
    parts.append("<h2>Model comparisons (same rows)</h2><p class='note'>DeLong assumes "
                 "independent rows; several rows per patient make it optimistic, so the paired "
                 "patient-bootstrap is shown beside it.</p>")
    parts.append(_table(ev.comparisons))

    for scheme in ("nested_cv", "leave_site_out"):
        rs = [r for r in ev.results if r.scheme == scheme]
        if not rs:
            continue
        curves = {}
        for r in rs:
            row = perf[(perf.model == r.model) & (perf.scheme == scheme)].iloc[0]
            curves[f"{r.model} (AUC {row.auc:.2f})"] = (r.predictions["y"].to_numpy(),
                                                        r.predictions["p"].to_numpy())
        parts.append(f"<h2>Figures: {scheme.replace('_', ' ')}</h2>")
        parts.append(_img(plots.roc_png(curves, f"ROC ({scheme})"), "ROC"))
        parts.append(_img(plots.calibration_png(curves, f"Calibration ({scheme})"),
                          "calibration"))
        parts.append(_img(plots.decision_curve_png(curves, f"Decision curve ({scheme})"),
                          "decision curve"))

    parts.append("<h2>Final models (tuned and fitted on all rows) and SHAP</h2>")
    for name, fm in ev.final_models.items():
        parts.append(f"<h3>{_e(name)}</h3><p>hyper-parameters {_e(fm['params'])}; inner-CV "
                     f"AUC {fm['inner_cv_auc']:.3f}; {len(fm['inputs'])} model inputs: "
                     f"{_e(', '.join(fm['inputs'][:40]))}</p>")
        ex = ev.explanations.get(name)
        if ex is not None:
            parts.append(f"<p class='note'>{_e(ex.method)}, SHAP on the {ex.output_scale} "
                         "scale; colour = input value rank (blue low, red high).</p>")
            parts.append(_img(plots.shap_png(ex.values, ex.inputs, f"SHAP: {name}"),
                              f"SHAP {name}"))

    parts.append("<h2>Fold details</h2><table><tr><th>model</th><th>scheme</th>"
                 "<th>fold</th><th>chosen</th><th>dropped / inputs</th></tr>")
    for r in ev.results:
        for i, (fp, fd) in enumerate(zip(r.fold_params, r.fold_dropped, strict=True)):
            parts.append(f"<tr><td>{_e(r.model)}</td><td>{r.scheme}</td><td>{i}</td>"
                         f"<td>{_e(fp)}</td><td>{_e(fd)}</td></tr>")
    parts.append("</table>")
    notes = [f"{r.model} ({r.scheme}): {n}" for r in ev.results for n in r.notes]
    if notes:
        parts.append("<h2>Notes</h2><ul>" + "".join(f"<li>{_e(n)}</li>" for n in notes)
                     + "</ul>")
    parts.append(f"<p class='note'>Roles: outcome {_e(spec.outcome)}, patient "
                 f"{_e(spec.group)}, site {_e(spec.site)}.</p></body></html>")
    return "".join(parts)


def write_report(ev: Evaluation, path: Path | str, **kwargs: Any) -> Path:
    """Write the HTML report to ``path`` and return it."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(render_html(ev, **kwargs), encoding="utf-8")
    return p
