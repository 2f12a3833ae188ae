"""Forest plots and the SROC plot (matplotlib, Agg backend; PNG and SVG)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from spinepath.evidence.bivariate import BivariateFit
from spinepath.evidence.data import StudyTable
from spinepath.evidence.descriptive import study_accuracy
from spinepath.evidence.sroc import hsroc_parameters


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, out_dir: Path, stem: str, formats: tuple[str, ...]) -> list[Path]:
    paths = []
    for fmt in formats:
        path = out_dir / f"{stem}.{fmt}"
        fig.savefig(path, dpi=150, bbox_inches="tight")
        paths.append(path)
    return paths


def forest_plot(
    table: StudyTable,
    fit: BivariateFit,
    out_dir: Path,
    *,
    formats: tuple[str, ...] = ("png", "svg"),
) -> list[Path]:
    """Paired forest plot of study sensitivities and specificities (Wilson 95% CI) with the
    bivariate summary (diamond) at the bottom."""
    plt = _pyplot()
    acc = study_accuracy(fit.counts, fit.level)
    k = table.k
    ypos = np.arange(k, 0, -1)
    fig, axes = plt.subplots(1, 2, figsize=(10, 0.35 * k + 2.0), sharey=True)
    sens = fit.summary("sensitivity")
    fpr = fit.summary("false_positive_rate")
    panels = [
        (
            "Sensitivity",
            acc.sensitivity,
            acc.sensitivity_ci,
            (sens.estimate, sens.ci_low, sens.ci_high),
        ),
        (
            "Specificity",
            acc.specificity,
            acc.specificity_ci,
            (1 - fpr.estimate, 1 - fpr.ci_high, 1 - fpr.ci_low),
        ),
    ]
    for ax, (name, est, ci, summ) in zip(axes, panels, strict=True):
        ax.errorbar(
            est,
            ypos,
            xerr=[est - ci[0], ci[1] - est],
            fmt="s",
            color="black",
            ms=4,
            capsize=2,
            lw=1,
        )
        e, lo, hi = summ
        ax.fill([lo, e, hi, e], [0, 0.3, 0, -0.3], color="tab:blue")
        ax.axvline(e, color="tab:blue", lw=0.8, ls=":")
        ax.set_xlim(0, 1)
        ax.set_xlabel(f"{name} ({int(100 * fit.level)}% CI)")
        ax.grid(axis="x", alpha=0.3)
    axes[0].set_yticks([*list(ypos), 0])
    axes[0].set_yticklabels([*list(table.labels), "Summary (bivariate)"], fontsize=8)
    fig.suptitle("Forest plot: per-study accuracy (Wilson CI) and bivariate summary")
    paths = _save(fig, out_dir, "forest_sens_spec", formats)
    plt.close(fig)
    return paths


def sroc_plot(
    table: StudyTable,
    fit: BivariateFit,
    out_dir: Path,
    *,
    formats: tuple[str, ...] = ("png", "svg"),
) -> list[Path]:
    """SROC plot: studies (size ~ n), Rutter-Gatsonis curve over the observed FPR range
    (dashed beyond), summary point and its confidence region (ellipse on the logit scale)."""
    from scipy import stats
    from scipy.special import expit

    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 6))
    raw_fpr, raw_sens = table.false_positive_rate(), table.sensitivity()
    n = table.counts.sum(axis=1)
    ax.scatter(
        raw_fpr,
        raw_sens,
        s=20 + 180 * n / n.max(),
        facecolors="none",
        edgecolors="gray",
        label="studies",
    )
    if fit.q == 1:
        curve = hsroc_parameters(fit)
        grid = np.linspace(0.001, 0.999, 500)
        lo, hi = raw_fpr.min(), raw_fpr.max()
        inside = (grid >= lo) & (grid <= hi)
        ax.plot(
            grid[inside],
            curve.sensitivity(grid[inside]),
            color="tab:blue",
            lw=2,
            label="SROC (Rutter-Gatsonis)",
        )
        ax.plot(
            grid,
            curve.sensitivity(grid),
            color="tab:blue",
            lw=0.8,
            ls="--",
            label="SROC extrapolated",
        )
    mu = np.array([fit.beta[0], fit.beta[fit.q]])
    cov = fit.vcov[np.ix_([0, fit.q], [0, fit.q])]
    radius = np.sqrt(stats.chi2.ppf(fit.level, 2))
    t = np.linspace(0, 2 * np.pi, 200)
    ell = mu[:, None] + radius * np.linalg.cholesky(cov) @ np.vstack([np.cos(t), np.sin(t)])
    ax.plot(
        expit(ell[1]),
        expit(ell[0]),
        color="tab:red",
        lw=1,
        label=f"{int(100 * fit.level)}% confidence region",
    )
    ax.plot(expit(mu[1]), expit(mu[0]), "o", color="tab:red", label="summary estimate")
    ax.plot([0, 1], [0, 1], color="lightgray", lw=0.8)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("False-positive rate")
    ax.set_ylabel("Sensitivity")
    ax.set_title("SROC curve, bivariate model")
    ax.legend(loc="lower right", fontsize=8)
    paths = _save(fig, out_dir, "sroc", formats)
    plt.close(fig)
    return paths


def write_plots(table: StudyTable, fit: BivariateFit, out_dir: str | Path) -> list[Path]:
    """Write the forest and SROC plots (PNG + SVG) into ``out_dir`` (created if needed)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    return forest_plot(table, fit, out) + sroc_plot(table, fit, out)
