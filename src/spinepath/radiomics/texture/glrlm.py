"""Grey level run length matrix features (IBSI 3.7, family TP0I)."""

from __future__ import annotations

import numpy as np

from spinepath.radiomics.texture.common import DIRECTIONS_2D, DIRECTIONS_3D, zone_features

NAMES = {
    "short": "sre",
    "long": "lre",
    "low": "lgre",
    "high": "hgre",
    "short_low": "srlge",
    "short_high": "srhge",
    "long_low": "lrlge",
    "long_high": "lrhge",
    "glnu": "glnu",
    "glnu_norm": "glnu_norm",
    "jnu": "rlnu",
    "jnu_norm": "rlnu_norm",
    "perc": "r_perc",
    "gl_var": "gl_var",
    "j_var": "rl_var",
    "j_entr": "rl_entr",
}


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
    prev_q = np.zeros(pm.shape[1:], pm.dtype)
    prev_l = np.zeros(pm.shape[1:], np.int32)
    for t in range(pm.shape[0]):
        cur = pm[t]
        if t > 0:
            prev_q = np.roll(pm[t - 1], shift, axis=(0, 1))
            prev_l = np.roll(length[t - 1], shift, axis=(0, 1))
        same = (cur > 0) & (cur == prev_q)
        length[t] = np.where(same, prev_l + 1, (cur > 0).astype(np.int32))
    length = np.transpose(length, np.argsort(order))
    nxt = np.roll(p, tuple(-c for c in d), axis=(0, 1, 2))
    ends = (p > 0) & (nxt != p)
    z = np.nonzero(ends)[2] - 1
    return p[ends].astype(np.int64), length[ends].astype(np.int64), z


def _matrix(levels, lengths, groups, n_groups, ng, nr) -> np.ndarray:
    idx = (groups * ng + (levels - 1)) * nr + (lengths - 1)
    return np.bincount(idx, minlength=n_groups * ng * nr).reshape(n_groups, ng, nr).astype(float)


def _feats(m: np.ndarray, nv: np.ndarray) -> dict[str, np.ndarray]:
    g = zone_features(m, nv)
    return {NAMES[k]: v for k, v in g.items() if k in NAMES}


def _avg(f: dict[str, np.ndarray], valid: np.ndarray) -> dict[str, float]:
    return {k: float(v[valid].mean()) if valid.any() else float("nan") for k, v in f.items()}


def glrlm(q: np.ndarray, ng: int, aggregation) -> dict[str, float]:
    """GLRLM features, tags ``rlm_<feature>_<2D_avg|2D_comb|2_5D_avg|2_5D_comb|3D_avg|3D_comb>``
    with the same aggregation meanings as the GLCM."""
    out: dict[str, float] = {}
    nz = q.shape[2]
    nr = max(q.shape)
    vox_slice = (q > 0).sum((0, 1)).astype(float)
    n_vox = float((q > 0).sum())
    if "2D" in aggregation or "2.5D" in aggregation:
        dirs = DIRECTIONS_2D
        m = np.zeros((nz, len(dirs), ng, nr))
        for k, d in enumerate(dirs):
            lv, ln, z = runs(q, d)
            m[:, k] = _matrix(lv, ln, z, nz, ng, nr)
        if "2D" in aggregation:
            flat = m.reshape(nz * len(dirs), ng, nr)
            nv = np.repeat(vox_slice, len(dirs))
            f = _feats(flat, nv)
            out.update({f"rlm_{k}_2D_avg": v for k, v in _avg(f, flat.sum((1, 2)) > 0).items()})
            comb = m.sum(1)
            f = _feats(comb, vox_slice * len(dirs))
            out.update({f"rlm_{k}_2D_comb": v for k, v in _avg(f, comb.sum((1, 2)) > 0).items()})
        if "2.5D" in aggregation:
            per_dir = m.sum(0)
            f = _feats(per_dir, np.full(len(dirs), n_vox))
            out.update(
                {f"rlm_{k}_2_5D_avg": v for k, v in _avg(f, per_dir.sum((1, 2)) > 0).items()}
            )
            allm = per_dir.sum(0)[None]
            f = _feats(allm, np.array([n_vox * len(dirs)]))
            out.update({f"rlm_{k}_2_5D_comb": v for k, v in _avg(f, np.array([True])).items()})
    if "3D" in aggregation:
        dirs = DIRECTIONS_3D
        m3 = np.zeros((len(dirs), ng, nr))
        for k, d in enumerate(dirs):
            lv, ln, _ = runs(q, d)
            m3[k] = _matrix(lv, ln, np.zeros_like(lv), 1, ng, nr)[0]
        f = _feats(m3, np.full(len(dirs), n_vox))
        out.update({f"rlm_{k}_3D_avg": v for k, v in _avg(f, m3.sum((1, 2)) > 0).items()})
        f = _feats(m3.sum(0)[None], np.array([n_vox * len(dirs)]))
        out.update({f"rlm_{k}_3D_comb": v for k, v in _avg(f, np.array([True])).items()})
    return out
