"""Neighbourhood grey tone difference (IBSI 3.10, IPET) and neighbouring grey level dependence
(IBSI 3.11, REK0) matrix features.

Neighbourhoods are Chebyshev distance ``delta`` (default 1): 8 neighbours in 2D, 26 in 3D; only
neighbours inside the ROI intensity mask take part.
"""

from __future__ import annotations

import numpy as np

from spinepath.radiomics.texture.common import (
    mean_over_groups,
    neighbour_offsets,
    shifted,
    zone_features,
)

NGL_NAMES = {
    "short": "lde",
    "long": "hde",
    "low": "lgce",
    "high": "hgce",
    "short_low": "ldlge",
    "short_high": "ldhge",
    "long_low": "hdlge",
    "long_high": "hdhge",
    "glnu": "glnu",
    "glnu_norm": "glnu_norm",
    "jnu": "dcnu",
    "jnu_norm": "dcnu_norm",
    "perc": "dc_perc",
    "gl_var": "gl_var",
    "j_var": "dc_var",
    "j_entr": "dc_entr",
    "energy": "dc_energy",
}


def _neighbour_sums(q: np.ndarray, two_d: bool, delta: int, alpha: int):
    """Per voxel: sum and number of ROI neighbours, and number of neighbours within ``alpha``."""
    p = np.pad(q, delta)
    s = np.zeros(q.shape, np.float64)
    n = np.zeros(q.shape, np.int32)
    dep = np.zeros(q.shape, np.int32)
    for d in neighbour_offsets(two_d, delta):
        b = shifted(p, d, delta)
        inside = b > 0
        s += b
        n += inside
        dep += inside & (np.abs(b.astype(np.int64) - q) <= alpha)
    return s, n, dep


def ngtdm_features(s_i: np.ndarray, n_i: np.ndarray) -> dict[str, np.ndarray]:
    """NGTDM features from stacks of ``s_i`` (sum of |i - neighbourhood mean|) and ``n_i``."""
    _n, ng = s_i.shape
    lv = np.arange(1, ng + 1, dtype=np.float64)
    nv = n_i.sum(1)
    nv_safe = np.where(nv > 0, nv, 1.0)
    p = n_i / nv_safe[:, None]
    present = p > 0
    ngp = present.sum(1).astype(float)
    ps = (p * s_i).sum(1)
    f: dict[str, np.ndarray] = {}
    with np.errstate(divide="ignore", invalid="ignore"):
        f["coarseness"] = np.where(ps > 0, 1.0 / ps, 1e6)
        pp = p[:, :, None] * p[:, None, :]
        d2 = (lv[:, None] - lv[None, :]) ** 2
        contrast_a = (pp * d2).sum((1, 2)) / (ngp * (ngp - 1.0))
        f["contrast"] = np.where(ngp > 1, contrast_a * s_i.sum(1) / nv_safe, 0.0)
        ip = lv[None, :] * p
        both = present[:, :, None] & present[:, None, :]
        den = (np.abs(ip[:, :, None] - ip[:, None, :]) * both).sum((1, 2))
        f["busyness"] = np.where(den > 0, ps / np.where(den > 0, den, 1.0), 0.0)
        psi = p * s_i
        num = np.abs(lv[:, None] - lv[None, :])[None] * (psi[:, :, None] + psi[:, None, :])
        pden = p[:, :, None] + p[:, None, :]
        comp = np.where(both, num / np.where(pden > 0, pden, 1.0), 0.0).sum((1, 2))
        f["complexity"] = comp / nv_safe
        strength_num = (both * pden * d2[None]).sum((1, 2))
        ssum = s_i.sum(1)
        f["strength"] = np.where(ssum > 0, strength_num / np.where(ssum > 0, ssum, 1.0), 0.0)
    for k in f:
        f[k] = np.where(nv > 0, f[k], np.nan)
    return f


def neighbourhood_features(
    q: np.ndarray,
    ng: int,
    aggregation,
    ngtdm_delta: int = 1,
    ngldm_delta: int = 1,
    alpha: int = 0,
    families=("ngt", "ngl"),
) -> dict[str, float]:
    """NGTDM (``ngt_<f>_<agg>``) and NGLDM (``ngl_<f>_<agg>``) features.

    2D: per-slice matrices, features averaged (8QNN); 2.5D: slice matrices merged (62GR);
    3D: one volume matrix (KOBO).
    """
    out: dict[str, float] = {}
    nz = q.shape[2]
    roi = q > 0
    zz = np.broadcast_to(np.arange(nz)[None, None, :], q.shape)[roi]
    lv = q[roi].astype(np.int64)
    for two_d in (True, False):
        tags = ["2D", "2_5D"] if two_d else ["3D"]
        if two_d and not ({"2D", "2.5D"} & set(aggregation)):
            continue
        if not two_d and "3D" not in aggregation:
            continue
        groups = zz if two_d else np.zeros_like(zz)
        n_groups = nz if two_d else 1
        shared = None
        if "ngt" in families and "ngl" in families and ngtdm_delta == ngldm_delta:
            shared = _neighbour_sums(q, two_d, ngtdm_delta, alpha)
        if "ngt" in families:
            s, n, _ = shared or _neighbour_sums(q, two_d, ngtdm_delta, alpha)
            s, n = s[roi], n[roi]
            has = n > 0
            diff = np.abs(lv - s / np.where(has, n, 1))
            idx = groups * ng + (lv - 1)
            s_i = np.bincount(idx[has], weights=diff[has], minlength=n_groups * ng).reshape(
                n_groups, ng
            )
            n_i = np.bincount(idx[has], minlength=n_groups * ng).reshape(n_groups, ng).astype(float)
            out.update(_agg("ngt", ngtdm_features, (s_i, n_i), two_d, tags))
        if "ngl" in families:
            _, _, dep = shared or _neighbour_sums(q, two_d, ngldm_delta, alpha)
            j = dep[roi].astype(np.int64) + 1
            if two_d:
                f = zone_features(zz, lv, j, nz, ng, np.bincount(zz, minlength=nz).astype(float))
                out.update(_ngl_named(f, "2D"))
                f = zone_features(0 * zz, lv, j, 1, ng, np.array([float(lv.size)]))
                out.update(_ngl_named(f, "2_5D"))
            else:
                f = zone_features(0 * zz, lv, j, 1, ng, np.array([float(lv.size)]))
                out.update(_ngl_named(f, "3D"))
    keep = {"2D": "_2D", "2.5D": "_2_5D", "3D": "_3D"}
    return {k: v for k, v in out.items() if any(k.endswith(keep[a]) for a in aggregation)}


def _ngl_named(f: dict[str, np.ndarray], suffix: str) -> dict[str, float]:
    return {f"ngl_{NGL_NAMES[k]}_{suffix}": v for k, v in mean_over_groups(f).items()}


def _agg(prefix, func, mats, two_d, tags) -> dict[str, float]:
    out: dict[str, float] = {}
    if two_d:
        valid = mats[0].reshape(len(mats[0]), -1).sum(1) > 0
        if prefix == "ngt":
            valid = mats[1].sum(1) > 0
        f = func(*mats)
        out.update({f"{prefix}_{k}_2D": float(np.nanmean(v[valid])) for k, v in f.items()})
        merged = tuple(np.asarray(x).sum(0)[None] for x in mats)
        f = func(*merged)
        out.update({f"{prefix}_{k}_2_5D": float(v[0]) for k, v in f.items()})
    else:
        f = func(*mats)
        out.update({f"{prefix}_{k}_3D": float(v[0]) for k, v in f.items()})
    return out
