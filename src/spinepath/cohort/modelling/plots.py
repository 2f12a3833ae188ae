"""Figures of the validation report, returned as PNG bytes (matplotlib, Agg backend).

Inputs are observed outcomes ``y`` (0/1) and predicted probabilities ``p`` per model.
"""

from __future__ import annotations

import io
from collections.abc import Mapping

import numpy as np
import pandas as pd

from spinepath.cohort.modelling.metrics import net_benefit

__all__ = ["calibration_png", "decision_curve_png", "roc_png", "shap_png"]


def _fig(w: float = 5.5, h: float = 4.5):  # type: ignore[no-untyped-def]
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=(w, h), dpi=100)


def _png(fig) -> bytes:  # type: ignore[no-untyped-def]
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def _roc_points(y: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(-p, kind="stable")
    ys, ps = y[order], p[order]
    distinct = np.r_[np.flatnonzero(np.diff(ps)), ys.size - 1]
    tp = np.cumsum(ys)[distinct]
    fp = (distinct + 1) - tp
    return np.r_[0, fp / max(fp[-1], 1)], np.r_[0, tp / max(tp[-1], 1)]


def roc_png(curves: Mapping[str, tuple[np.ndarray, np.ndarray]], title: str) -> bytes:
    """ROC curves: ``curves`` maps a label (with its AUC) to ``(y, p)``."""
    fig, ax = _fig()
    for label, (y, p) in curves.items():
        fpr, tpr = _roc_points(np.asarray(y, float), np.asarray(p, float))
        ax.plot(fpr, tpr, label=label, lw=1.6)
    ax.plot([0, 1], [0, 1], color="grey", ls=":", lw=1)
    ax.set(xlabel="1 - specificity", ylabel="sensitivity", title=title, xlim=(0, 1), ylim=(0, 1))
    ax.legend(fontsize=7, loc="lower right")
    return _png(fig)


def calibration_png(
    curves: Mapping[str, tuple[np.ndarray, np.ndarray]], title: str, *, bins: int = 10
) -> bytes:
    """Calibration plot: observed event rate (95% Wilson CI) against mean predicted risk in
    quantile bins, the ideal diagonal, and a rug of predicted risks of the first model."""
    fig, ax = _fig()
    first = True
    for label, (y, p) in curves.items():
        y, p = np.asarray(y, float), np.asarray(p, float)
        q = np.unique(np.quantile(p, np.linspace(0, 1, bins + 1)))
        idx = np.clip(np.searchsorted(q, p, side="right") - 1, 0, len(q) - 2)
        xs, obs, lo, hi = [], [], [], []
        for b in range(len(q) - 1):
            m = idx == b
            if not m.any():
                continue
            n, k = m.sum(), y[m].sum()
            ph = k / n
            z = 1.96
            centre = (ph + z * z / (2 * n)) / (1 + z * z / n)
            half = z * np.sqrt(ph * (1 - ph) / n + z * z / (4 * n * n)) / (1 + z * z / n)
            xs.append(p[m].mean())
            obs.append(ph)
            lo.append(max(ph - (centre - half), 0.0))
            hi.append(max((centre + half) - ph, 0.0))
        ax.errorbar(xs, obs, yerr=[lo, hi], marker="o", ms=4, lw=1.2, capsize=2, label=label)
        if first:
            ax.plot(p, np.full_like(p, -0.03), "|", color="k", alpha=0.2, ms=6)
            first = False
    ax.plot([0, 1], [0, 1], color="grey", ls=":", lw=1)
    ax.set(xlabel="predicted risk", ylabel="observed proportion", title=title,
           xlim=(0, 1), ylim=(-0.06, 1))
    ax.legend(fontsize=7, loc="upper left")
    return _png(fig)


def decision_curve_png(
    curves: Mapping[str, tuple[np.ndarray, np.ndarray]], title: str
) -> bytes:
    """Decision curve: net benefit against threshold probability, with treat-all and
    treat-none references."""
    fig, ax = _fig()
    t = np.linspace(0.01, 0.9, 90)
    y0 = None
    for label, (y, p) in curves.items():
        y0 = np.asarray(y, float)
        ax.plot(t, net_benefit(y0, np.asarray(p, float), t), label=label, lw=1.5)
    if y0 is not None:
        ax.plot(t, net_benefit(y0, np.ones_like(y0), t), color="grey", ls="--", lw=1,
                label="treat all")
        prev = y0.mean()
        ax.set_ylim(-0.05, max(prev, 0.05) * 1.1)
    ax.axhline(0, color="k", lw=0.8, label="treat none")
    ax.set(xlabel="threshold probability", ylabel="net benefit", title=title)
    ax.legend(fontsize=7, loc="upper right")
    return _png(fig)


def shap_png(values: pd.DataFrame, inputs: pd.DataFrame, title: str, *, top: int = 15) -> bytes:
    """SHAP summary: one row per model input (largest mean |SHAP| first), a dot per case
    coloured by the input's (scaled) value."""
    imp = values.abs().mean().sort_values(ascending=False).head(top)
    names = list(imp.index)[::-1]
    fig, ax = _fig(6.5, max(2.5, 0.35 * len(names) + 1.2))
    rng = np.random.default_rng(0)
    for i, name in enumerate(names):
        v = values[name].to_numpy()
        x = inputs[name].to_numpy()
        rank = (pd.Series(x).rank(pct=True)).to_numpy()
        ax.scatter(v, i + rng.uniform(-0.25, 0.25, v.size), c=rank, cmap="coolwarm", s=6,
                   alpha=0.7, vmin=0, vmax=1)
    ax.set_yticks(range(len(names)), names, fontsize=7)
    ax.axvline(0, color="grey", lw=0.8)
    ax.set(xlabel="SHAP value (contribution to the model output)", title=title)
    return _png(fig)
