"""Grey level run length matrix features (IBSI 3.7, family TP0I)."""

from __future__ import annotations

import numpy as np

from spinepath.radiomics.texture.common import (
    DIRECTIONS_2D,
    DIRECTIONS_3D,
    mean_over_groups,
    zone_features,
)

NAMES = {
    "short": "sre", "long": "lre", "low": "lgre", "high": "hgre", "short_low": "srlge",
    "short_high": "srhge", "long_low": "lrlge", "long_high": "lrhge", "glnu": "glnu",
    "glnu_norm": "glnu_norm", "jnu": "rlnu", "jnu_norm": "rlnu_norm", "perc": "r_perc",
    "gl_var": "gl_var", "j_var": "rl_var", "j_entr": "rl_entr",
}  # fmt: skip


def runs(q: np.ndarray, d: tuple[int, int, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every run of equal grey level along direction ``d``: (level, length, slice index).

    The run length at each voxel is built plane by plane along the first axis on which ``d``
    moves (vectorised over each plane); runs are read at their last voxel.
    """
    p = np.pad(q, 1)
    a = next(ax for ax in range(3) if d[ax] != 0)
    order = [a] + [ax for ax in range(3) if ax != a]
    pm = np.transpose(p, order)
    dm = [d[ax] for ax in order]
    shift = (dm[1], dm[2])
    length = np.zeros(pm.shape, np.int32)
    for t in range(1, pm.shape[0]):
        cur = pm[t]
        prev_q = np.roll(pm[t - 1], shift, axis=(0, 1))
        prev_l = np.roll(length[t - 1], shift, axis=(0, 1))
        same = (cur > 0) & (cur == prev_q)
        length[t] = np.where(same, prev_l + 1, (cur > 0).astype(np.int32))
    length = np.transpose(length, np.argsort(order))
    nxt = np.roll(p, tuple(-c for c in d), axis=(0, 1, 2))
    ends = (p > 0) & (nxt != p)
    z = np.nonzero(ends)[2] - 1
    return p[ends].astype(np.int64), length[ends].astype(np.int64), z


def _named(f: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {NAMES[k]: v for k, v in f.items() if k in NAMES}


def _put(out: dict, suffix: str, f: dict[str, np.ndarray]) -> None:
    out.update({f"rlm_{k}_{suffix}": v for k, v in mean_over_groups(_named(f)).items()})


def glrlm(q: np.ndarray, ng: int, aggregation) -> dict[str, float]:
    """GLRLM features, tags ``rlm_<feature>_<2D_avg|2D_comb|2_5D_avg|2_5D_comb|3D_avg|3D_comb>``
    with the same aggregation meanings as the GLCM (per-direction matrices averaged, or
    merged; N_v of a merged matrix is the sum over its parts)."""
    out: dict[str, float] = {}
    nz = q.shape[2]
    vox_slice = (q > 0).sum((0, 1)).astype(float)
    n_vox = float(vox_slice.sum())
    if "2D" in aggregation or "2.5D" in aggregation:
        nd = len(DIRECTIONS_2D)
        ev = [runs(q, d) for d in DIRECTIONS_2D]
        lv = np.concatenate([e[0] for e in ev])
        ln = np.concatenate([e[1] for e in ev])
        z = np.concatenate([e[2] for e in ev])
        k = np.concatenate([np.full(len(e[0]), i) for i, e in enumerate(ev)])
        if "2D" in aggregation:
            _put(
                out,
                "2D_avg",
                zone_features(z * nd + k, lv, ln, nz * nd, ng, np.repeat(vox_slice, nd)),
            )
            _put(out, "2D_comb", zone_features(z, lv, ln, nz, ng, vox_slice * nd))
        if "2.5D" in aggregation:
            _put(out, "2_5D_avg", zone_features(k, lv, ln, nd, ng, np.full(nd, n_vox)))
            _put(out, "2_5D_comb", zone_features(0 * k, lv, ln, 1, ng, np.array([nd * n_vox])))
    if "3D" in aggregation:
        nd = len(DIRECTIONS_3D)
        ev = [runs(q, d) for d in DIRECTIONS_3D]
        lv = np.concatenate([e[0] for e in ev])
        ln = np.concatenate([e[1] for e in ev])
        k = np.concatenate([np.full(len(e[0]), i) for i, e in enumerate(ev)])
        _put(out, "3D_avg", zone_features(k, lv, ln, nd, ng, np.full(nd, n_vox)))
        _put(out, "3D_comb", zone_features(0 * k, lv, ln, 1, ng, np.array([nd * n_vox])))
    return out
