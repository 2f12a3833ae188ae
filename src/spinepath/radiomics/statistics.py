"""First-order features: intensity statistics (IBSI 3.3, UHIW), intensity histogram (3.4, ZVCW)
and intensity-volume histogram (3.5, P88C)."""

from __future__ import annotations

import numpy as np

from spinepath.errors import AnalysisError
from spinepath.radiomics.preprocess import Discretised


def _percentile(xs: np.ndarray, q: float) -> float:
    """Percentile of sorted values, linear interpolation (numpy's default method)."""
    h = (xs.size - 1) * q / 100.0
    lo = int(np.floor(h))
    hi = min(lo + 1, xs.size - 1)
    return float(xs[lo] + (h - lo) * (xs[hi] - xs[lo]))


def _moments(x: np.ndarray) -> dict[str, float]:
    mu = float(x.mean())
    dev = x - mu
    var = float((dev**2).mean())
    xs = np.sort(x)
    p10, p25, p50, p75, p90 = (_percentile(xs, q) for q in (10, 25, 50, 75, 90))
    inner = x[(x >= p10) & (x <= p90)]
    skew = float((dev**3).mean()) / var**1.5 if var > 0 else 0.0
    kurt = float((dev**4).mean()) / var**2 - 3.0 if var > 0 else 0.0
    return {
        "mean": mu,
        "var": var,
        "skew": skew,
        "kurt": kurt,
        "median": p50,
        "min": float(x.min()),
        "p10": p10,
        "p90": p90,
        "max": float(x.max()),
        "iqr": p75 - p25,
        "range": float(x.max() - x.min()),
        "mad": float(np.abs(dev).mean()),
        "rmad": float(np.abs(inner - inner.mean()).mean()) if inner.size else float("nan"),
        "medad": float(np.abs(x - p50).mean()),
        "cov": np.sqrt(var) / mu if mu != 0 else float("nan"),
        "qcod": (p75 - p25) / (p75 + p25) if (p75 + p25) != 0 else float("nan"),
    }


def intensity_statistics(values: np.ndarray) -> dict[str, float]:
    """Intensity statistics of the intensity-mask voxels (image units, not discretised)."""
    x = np.asarray(values, dtype=np.float64)
    f = {f"stat_{k}": v for k, v in _moments(x).items()}
    f["stat_energy"] = float((x**2).sum())
    f["stat_rms"] = float(np.sqrt((x**2).mean()))
    return f


def intensity_histogram(disc: Discretised, mask: np.ndarray) -> dict[str, float]:
    """Intensity histogram features on the discretised grey levels (1..Ng)."""
    g = disc.levels[mask].astype(np.float64)
    f = {f"ih_{k}": v for k, v in _moments(g).items()}
    n_levels = max(disc.n_levels, int(g.max()))
    hist = np.bincount(g.astype(np.int64), minlength=n_levels + 1)[1:].astype(np.float64)
    p = hist / hist.sum()
    f["ih_mode"] = float(np.argmax(hist) + 1)
    nz = p[p > 0]
    f["ih_entropy"] = float(-(nz * np.log2(nz)).sum())
    f["ih_uniformity"] = float((p**2).sum())
    # central differences inside, one-sided at the ends
    grad = np.gradient(hist) if n_levels > 1 else np.zeros(1)
    f["ih_max_grad"] = float(grad.max())
    f["ih_max_grad_g"] = float(np.argmax(grad) + 1)
    f["ih_min_grad"] = float(grad.min())
    f["ih_min_grad_g"] = float(np.argmin(grad) + 1)
    return f


def intensity_volume_histogram(
    values: np.ndarray, step: float, i_min: float, i_max: float
) -> dict[str, float]:
    """Intensity-volume histogram features (IBSI 3.5).

    Args:
        values: intensity of each ROI voxel after the IVH discretisation (bin centres for a
            fixed bin size, bin numbers for a fixed bin number, raw intensities otherwise).
        step: spacing between the possible intensity values (bin width, or 1).
        i_min, i_max: lowest and highest possible intensity, defining the intensity fraction
            ``gamma = (i - i_min) / (i_max - i_min)``.
    """
    x = np.sort(np.asarray(values, dtype=np.float64))
    n = x.size
    n_steps = round((i_max - i_min) / step) + 1
    if n_steps > 10_000_000:
        raise AnalysisError(
            f"intensity-volume histogram over {n_steps} intensity steps; set "
            "ivh_discretisation to fixed_bin_number (e.g. 1000) for non-integer intensities"
        )
    grid = i_min + step * np.arange(n_steps)
    # volume fraction with intensity >= i, for every possible intensity i
    vol = 1.0 - np.searchsorted(x, grid - 1e-6 * step, side="left") / n
    span = i_max - i_min
    gamma = (grid - i_min) / span if span > 0 else np.zeros_like(grid)

    def v_at(frac: float) -> float:
        # fraction of the volume with an intensity fraction of at least `frac`
        thr = i_min + frac * span
        return float(1.0 - np.searchsorted(x, thr - 1e-9 * max(1.0, abs(thr)), side="left") / n)

    def i_at(frac: float) -> float:
        # lowest intensity found in at most `frac` of the volume
        ok = np.nonzero(vol <= frac + 1e-12)[0]
        return float(grid[ok[0]]) if ok.size else float(grid[-1] + step)

    v10, v90 = v_at(0.10), v_at(0.90)
    i10, i90 = i_at(0.10), i_at(0.90)
    auc = float(np.trapezoid(vol, gamma)) if n_steps > 1 else 0.0
    return {
        "ivh_v10": v10,
        "ivh_v90": v90,
        "ivh_i10": i10,
        "ivh_i90": i90,
        "ivh_diff_v10_v90": v10 - v90,
        "ivh_diff_i10_i90": i10 - i90,
        "ivh_auc": auc,
    }
