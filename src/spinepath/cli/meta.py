"""``spinepath meta``: diagnostic-accuracy meta-analysis of a table of 2x2 counts."""

from __future__ import annotations

from pathlib import Path

import typer

from spinepath.cli.common import handle_errors


def register(app: typer.Typer) -> None:
    """Add the ``meta`` command to ``app``."""

    @app.command("meta")
    @handle_errors
    def meta(
        studies: Path = typer.Argument(..., help="CSV with TP, FN, FP, TN (+ covariate) columns."),
        covariate: list[str] = typer.Option(
            [], "--covariate", help="Column for meta-regression (repeatable; text = categorical)."
        ),
        method: str = typer.Option("reml", "--method", help="reml (default) or ml."),
        subset: list[str] = typer.Option(
            [], "--subset", help="Keep rows where COLUMN=VALUE (repeatable), e.g. result_id=1."
        ),
        correction: float = typer.Option(0.5, "--correction", help="Continuity correction."),
        correction_control: str = typer.Option(
            "all",
            "--correction-control",
            help="all: correct every study when any cell is zero (mada default); single: only "
            "studies with a zero; none.",
        ),
        level: float = typer.Option(0.95, "--level", help="Confidence level."),
        as_json: bool = typer.Option(False, "--json", help="Print the full result as JSON."),
        plots: Path | None = typer.Option(
            None, "--plots", help="Folder for forest and SROC plots (PNG + SVG)."
        ),
    ) -> None:
        """Bivariate (Reitsma) meta-analysis with SROC, AUC, DOR pooling and plots."""
        import json

        from spinepath.errors import InputError
        from spinepath.evidence import meta_analysis, read_studies

        if method not in ("reml", "ml"):
            raise InputError(f"--method must be reml or ml, got {method!r}")
        if correction_control not in ("all", "single", "none"):
            raise InputError(
                f"--correction-control must be all, single or none, got {correction_control!r}"
            )
        table = read_studies(studies, subset=subset)
        result = meta_analysis(
            table,
            covariates=covariate,
            method=method,  # type: ignore[arg-type]
            correction=correction,
            correction_control=correction_control,  # type: ignore[arg-type]
            level=level,
            plots_dir=plots,
        )
        if as_json:
            typer.echo(json.dumps(result, indent=2, default=float))
            return
        _print_summary(result)


def _fmt(e: dict[str, float]) -> str:
    return f"{e['estimate']:.3f} [{e['ci_low']:.3f}, {e['ci_high']:.3f}]"


def _print_summary(r: dict) -> None:  # type: ignore[type-arg]
    pct = round(100 * r["provenance"]["confidence_level"])
    lines = [
        f"Bivariate random-effects model ({r['method'].upper()}), {r['k_studies']} studies"
        + (f", covariates: {', '.join(r['covariates'])}" if r["covariates"] else ""),
        f"  sensitivity          {_fmt(r['sensitivity'])}  ({pct}% CI, {r['summary_at']})",
        f"  false-positive rate  {_fmt(r['false_positive_rate'])}",
        f"  tau_sens {r['tau_sens']:.3f}  tau_fpr {r['tau_fpr']:.3f}  rho {r['rho']:.3f}",
        f"  logLik {r['loglik']:.3f}  AIC {r['aic']:.3f}  BIC {r['bic']:.3f}",
    ]
    for c in r["bivariate"]["coefficients"]:
        lines.append(
            f"  {c['outcome']:<20} {c['term']:<14} {c['estimate']:8.3f} (SE {c['se']:.3f}, "
            f"p {c['p_value']:.3g})"
        )
    if r["auc"] is not None:
        lines.append(f"  SROC AUC {r['auc']:.3f}  partial AUC {r['partial_auc']:.3f}")
        d = r["dor_dersimonian_laird"]
        lines.append(
            f"  DOR (DerSimonian-Laird) {_fmt(d['dor'])}  tau^2 {d['tau2']:.3f}  "
            f"Q {d['cochran_q']:.2f} (df {d['df']})  I^2 {d['i2_percent']:.1f}%"
        )
    cc = r["provenance"]["continuity_correction"]
    if cc["applied"]:
        lines.append(f"  continuity correction {cc['value']} applied ({cc['control']})")
    for p in r.get("plots", []):
        lines.append(f"  wrote {p}")
    typer.echo("\n".join(lines))
