"""Grey level co-occurrence matrix features (IBSI 3.6, family LFYI)."""

from __future__ import annotations

import numpy as np

from spinepath.radiomics.texture.common import DIRECTIONS_2D, DIRECTIONS_3D, safe_log2, shifted

FEATURES = (
    "joint_max",
    "joint_avg",
    "joint_var",
    "joint_entr",
    "diff_avg",
    "diff_var",
    "diff_entr",
    "sum_avg",
    "sum_var",
    "sum_entr",
    "energy",
    "contrast",
    "dissimilarity",
    "inv_diff",
    "inv_diff_norm",
    "inv_diff_mom",
    "inv_diff_mom_norm",
    "inv_var",
    "corr",
    "auto_corr",
    "clust_tend",
    "clust_shade",
    "clust_prom",
    "info_corr1",
    "info_corr2",
)


def glcm_counts(
    q: np.ndarray, ng: int, directions, distance: int = 1, per_slice: bool = False
) -> np.ndarray:
    """Symmetric co-occurrence counts, shape ``(n_dir, Ng, Ng)`` or ``(n_slice, n_dir, Ng, Ng)``."""
    p = np.pad(q, distance)
    nz = q.shape[2]
    out = np.zeros(((nz if per_slice else 1), len(directions), ng, ng), np.float64)
    zz = np.broadcast_to(np.arange(nz, dtype=np.int64)[None, None, :], q.shape)
    for k, d in enumerate(directions):
        b = shifted(p, tuple(c * distance for c in d), distance)
        ok = (q > 0) & (b > 0)
        idx = (q[ok].astype(np.int64) - 1) * ng + (b[ok].astype(np.int64) - 1)
        if per_slice:
            idx = idx + zz[ok] * ng * ng
            c = np.bincount(idx, minlength=nz * ng * ng).reshape(nz, ng, ng)
            out[:, k] = c
        else:
            out[0, k] = np.bincount(idx, minlength=ng * ng).reshape(ng, ng)
    out = out + np.swapaxes(out, -1, -2)
    return out if per_slice else out[0]


def glcm_features(counts: np.ndarray) -> dict[str, np.ndarray]:
    """Features of a stack of co-occurrence count matrices ``(n, Ng, Ng)``; NaN for empty ones."""
    n, ng, _ = counts.shape
    tot = counts.sum((1, 2))
    p = counts / np.where(tot > 0, tot, 1.0)[:, None, None]
    lv = np.arange(1, ng + 1, dtype=np.float64)
    i = lv[None, :, None]
    j = lv[None, None, :]
    px = p.sum(2)
    py = p.sum(1)
    mu = (p * i).sum((1, 2))
    mu_i = (px * lv).sum(1)
    mu_j = (py * lv).sum(1)
    var_i = (px * (lv - mu_i[:, None]) ** 2).sum(1)
    var_j = (py * (lv - mu_j[:, None]) ** 2).sum(1)
    diff = np.abs(lv[:, None] - lv[None, :]).astype(np.int64)
    summ = (lv[:, None] + lv[None, :]).astype(np.int64)
    flat = p.reshape(n, ng * ng)
    p_minus = np.zeros((n, ng))
    p_plus = np.zeros((n, 2 * ng + 1))
    for k in range(ng):
        p_minus[:, k] = flat[:, (diff == k).ravel()].sum(1)
    for k in range(2, 2 * ng + 1):
        p_plus[:, k] = flat[:, (summ == k).ravel()].sum(1)
    kd = np.arange(ng, dtype=np.float64)
    ks = np.arange(2 * ng + 1, dtype=np.float64)
    f: dict[str, np.ndarray] = {}
    f["joint_max"] = p.max((1, 2))
    f["joint_avg"] = mu
    f["joint_var"] = (p * (i - mu[:, None, None]) ** 2).sum((1, 2))
    f["joint_entr"] = -safe_log2(p).sum((1, 2))
    d_avg = (p_minus * kd).sum(1)
    f["diff_avg"] = d_avg
    f["diff_var"] = (p_minus * (kd - d_avg[:, None]) ** 2).sum(1)
    f["diff_entr"] = -safe_log2(p_minus).sum(1)
    s_avg = (p_plus * ks).sum(1)
    f["sum_avg"] = s_avg
    f["sum_var"] = (p_plus * (ks - s_avg[:, None]) ** 2).sum(1)
    f["sum_entr"] = -safe_log2(p_plus).sum(1)
    f["energy"] = (p**2).sum((1, 2))
    dd = diff[None].astype(np.float64)
    f["contrast"] = (p * dd**2).sum((1, 2))
    f["dissimilarity"] = (p * dd).sum((1, 2))
    f["inv_diff"] = (p / (1.0 + dd)).sum((1, 2))
    f["inv_diff_norm"] = (p / (1.0 + dd / ng)).sum((1, 2))
    f["inv_diff_mom"] = (p / (1.0 + dd**2)).sum((1, 2))
    f["inv_diff_mom_norm"] = (p / (1.0 + dd**2 / ng**2)).sum((1, 2))
    f["inv_var"] = (p_minus[:, 1:] / kd[1:] ** 2).sum(1)
    cov = (p * (i - mu_i[:, None, None]) * (j - mu_j[:, None, None])).sum((1, 2))
    with np.errstate(divide="ignore", invalid="ignore"):
        f["corr"] = np.where(var_i * var_j > 0, cov / np.sqrt(var_i * var_j), np.nan)
    f["auto_corr"] = (p * i * j).sum((1, 2))
    c = i + j - mu_i[:, None, None] - mu_j[:, None, None]
    f["clust_tend"] = (p * c**2).sum((1, 2))
    f["clust_shade"] = (p * c**3).sum((1, 2))
    f["clust_prom"] = (p * c**4).sum((1, 2))
    hxy = f["joint_entr"]
    pxpy = px[:, :, None] * py[:, None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        log_pxpy = np.where(pxpy > 0, np.log2(np.where(pxpy > 0, pxpy, 1.0)), 0.0)
        hxy1 = -(p * log_pxpy).sum((1, 2))
        hxy2 = -(pxpy * log_pxpy).sum((1, 2))
        hx = -safe_log2(px).sum(1)
        f["info_corr1"] = np.where(hx > 0, (hxy - hxy1) / hx, 0.0)
        f["info_corr2"] = np.sqrt(np.clip(1.0 - np.exp(-2.0 * (hxy2 - hxy)), 0.0, None))
    empty = tot == 0
    for k in f:
        f[k] = np.where(empty, np.nan, f[k])
    return f


def _mean(stack: dict[str, np.ndarray]) -> dict[str, float]:
    return {
        k: float(np.nanmean(v)) if np.isfinite(v).any() else float("nan") for k, v in stack.items()
    }


def glcm(q: np.ndarray, ng: int, aggregation, distance: int = 1) -> dict[str, float]:
    """GLCM features for the requested aggregation methods ("2D", "2.5D", "3D").

    Tags: ``cm_<feature>_2D_avg`` (by slice, per direction, averaged; IBSI BTW3),
    ``_2D_comb`` (by slice, directions merged; SUJT), ``_2_5D_avg`` (merged over slices per
    direction; JJUI), ``_2_5D_comb`` (all merged; ZW7Z), ``_3D_avg`` (per direction; ITBB) and
    ``_3D_comb`` (merged; IAZD).
    """
    out: dict[str, float] = {}
    if "2D" in aggregation or "2.5D" in aggregation:
        c2 = glcm_counts(q, ng, DIRECTIONS_2D, distance, per_slice=True)  # (nz, 4, ng, ng)
        nz, nd = c2.shape[:2]
        if "2D" in aggregation:
            fa = _mean(glcm_features(c2.reshape(nz * nd, ng, ng)))
            fc = _mean(glcm_features(c2.sum(1)))
            out.update({f"cm_{k}_2D_avg": v for k, v in fa.items()})
            out.update({f"cm_{k}_2D_comb": v for k, v in fc.items()})
        if "2.5D" in aggregation:
            per_dir = c2.sum(0)
            fa = _mean(glcm_features(per_dir))
            fc = _mean(glcm_features(per_dir.sum(0)[None]))
            out.update({f"cm_{k}_2_5D_avg": v for k, v in fa.items()})
            out.update({f"cm_{k}_2_5D_comb": v for k, v in fc.items()})
    if "3D" in aggregation:
        c3 = glcm_counts(q, ng, DIRECTIONS_3D, distance)
        fa = _mean(glcm_features(c3))
        fc = _mean(glcm_features(c3.sum(0)[None]))
        out.update({f"cm_{k}_3D_avg": v for k, v in fa.items()})
        out.update({f"cm_{k}_3D_comb": v for k, v in fc.items()})
    return out
