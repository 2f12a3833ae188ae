"""One call that runs the whole diagnostic-accuracy meta-analysis and returns a JSON-ready dict."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from spinepath import __version__
from spinepath.evidence.bivariate import BivariateFit, Method, fit_bivariate
from spinepath.evidence.data import CorrectionControl, StudyTable
from spinepath.evidence.descriptive import correlation_sens_fpr, study_accuracy
from spinepath.evidence.phm import fit_phm
from spinepath.evidence.sroc import hsroc_parameters, sroc_auc
from spinepath.evidence.univariate import pooled_dor


def _bivariate_dict(fit: BivariateFit) -> dict[str, Any]:
    return {
        "coefficients": [c.__dict__ for c in fit.coefficients()],
        "logit_sensitivity": fit.logit_summary("sensitivity").as_dict(),
        "logit_false_positive_rate": fit.logit_summary("false_positive_rate").as_dict(),
        "covariance_between_studies": fit.sigma.tolist(),
        "loglik_logit_scale": fit.loglik_logit,
        "n_params": fit.n_params,
        "n_obs": fit.n_obs,
        "converged": fit.converged,
    }


def meta_analysis(
    table: StudyTable,
    *,
    covariates: Sequence[str] = (),
    method: Method = "reml",
    correction: float = 0.5,
    correction_control: CorrectionControl = "all",
    level: float = 0.95,
    plots_dir: str | Path | None = None,
) -> dict[str, Any]:
    """Bivariate fit (+ meta-regression), SROC/AUC, DOR pooling, Lehmann model, descriptives.

    Returns a dict with at least ``sensitivity`` and ``false_positive_rate`` (each ``{estimate,
    ci_low, ci_high}``; with covariates these are at the reference level, all covariates zero),
    ``tau_sens``, ``tau_fpr``, ``rho``, ``loglik``, ``aic``, ``bic``, ``auc`` and ``partial_auc``
    (``None`` under meta-regression, where no single SROC curve exists). With ``plots_dir`` the
    forest and SROC plots are written there (PNG + SVG) and listed under ``plots``.
    """
    fit = fit_bivariate(
        table,
        covariates=covariates,
        method=method,
        correction=correction,
        correction_control=correction_control,
        level=level,
    )
    counts = fit.counts
    out: dict[str, Any] = {
        "model": "bivariate random effects (Reitsma 2005)",
        "method": method,
        "k_studies": table.k,
        "covariates": list(covariates),
        "summary_at": "reference level (covariates zero)" if covariates else "pooled",
        "sensitivity": fit.summary("sensitivity").as_dict(),
        "false_positive_rate": fit.summary("false_positive_rate").as_dict(),
        "specificity": {
            "estimate": 1 - fit.summary("false_positive_rate").estimate,
            "ci_low": 1 - fit.summary("false_positive_rate").ci_high,
            "ci_high": 1 - fit.summary("false_positive_rate").ci_low,
        },
        "tau_sens": fit.tau_sens,
        "tau_fpr": fit.tau_fpr,
        "rho": fit.rho,
        "loglik": fit.loglik,
        "aic": fit.aic,
        "bic": fit.bic,
        "auc": None,
        "partial_auc": None,
        "bivariate": _bivariate_dict(fit),
    }
    if not covariates:
        auc = sroc_auc(fit, table.false_positive_rate())
        out.update(
            auc=auc.auc,
            partial_auc=auc.partial_auc,
            sroc={
                "parameterisation": "Rutter-Gatsonis (Harbord 2007)",
                "hsroc": hsroc_parameters(fit).as_dict(),
                "auc_integral_0_1": auc.auc_integral,
                "partial_auc_fpr_range": list(auc.fpr_range),
                "auc_convention": "trapezoid sum / n on FPR 0.01..0.99 (mada)",
            },
        )
        out["dor_dersimonian_laird"] = pooled_dor(counts, level=level).as_dict()
        out["lehmann_phm"] = fit_phm(counts, hetero=True, level=level).as_dict()
        out["lehmann_phm_homogeneous"] = fit_phm(counts, hetero=False, level=level).as_dict()
    r, lo, hi = correlation_sens_fpr(counts, level)
    acc = study_accuracy(counts, level)
    out["correlation_sens_fpr"] = {"estimate": r, "ci_low": lo, "ci_high": hi}
    out["studies"] = [
        {
            "label": table.labels[i],
            "counts": dict(zip(("TP", "FN", "FP", "TN"), table.counts[i].tolist(), strict=True)),
            "sensitivity": {
                "estimate": float(acc.sensitivity[i]),
                "ci_low": float(acc.sensitivity_ci[0][i]),
                "ci_high": float(acc.sensitivity_ci[1][i]),
            },
            "specificity": {
                "estimate": float(acc.specificity[i]),
                "ci_low": float(acc.specificity_ci[0][i]),
                "ci_high": float(acc.specificity_ci[1][i]),
            },
        }
        for i in range(table.k)
    ]
    if plots_dir is not None:
        from spinepath.evidence.plots import write_plots

        out["plots"] = [str(p) for p in write_plots(table, fit, plots_dir)]
    corrected = bool(np.any(counts != table.counts))
    out["provenance"] = {
        "software": f"spinepath {__version__}",
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
        "continuity_correction": {
            "value": correction,
            "control": correction_control,
            "applied": corrected,
        },
        "confidence_level": level,
    }
    return out
