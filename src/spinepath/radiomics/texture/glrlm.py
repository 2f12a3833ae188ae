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


def runs(
    q: np.ndarray, d: tuple[int, int, int], with_slice: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every run of equal grey level along direction ``d``: (level, length, slice index).

    Runs along ``d`` and ``-d`` are the same, so the walk goes plane by plane along the
    shortest axis on which ``d`` moves, vectorised over each plane; a run is read at its last
    voxel. The slice index (along axis 2) is -1 when ``with_slice`` is False.
    """
    cands = [ax for ax in range(3) if d[ax] != 0]
    a = min(cands, key=lambda ax: q.shape[ax])
    sign = d[a]
    order = [a] + [ax for ax in range(3) if ax != a]
    pm = np.pad(q, 1).transpose(order)
    s1, s2 = (d[order[1]] * sign, d[order[2]] * sign)
    n0, n1, n2 = pm.shape
    inner = (slice(1, n1 - 1), slice(1, n2 - 1))
    back = (slice(1 - s1, n1 - 1 - s1), slice(1 - s2, n2 - 1 - s2))
    fwd = (slice(1 + s1, n1 - 1 + s1), slice(1 + s2, n2 - 1 + s2))
    prev_len = np.zeros((n1, n2), np.int32)
    z_axis = order.index(2)
    levels, lengths, zs = [], [], []
    for t in range(1, n0 - 1):
        cur = pm[t][inner]
        inside = cur > 0
        same = inside & (cur == pm[t - 1][back])
        length = np.where(same, prev_len[back] + 1, inside.astype(np.int32))
        ends = inside & (pm[t + 1][fwd] != cur)
        levels.append(cur[ends])
        lengths.append(length[ends])
        if with_slice:
            if z_axis == 0:
                zs.append(np.full(int(ends.sum()), t - 1))
            else:
                zs.append(np.nonzero(ends)[z_axis - 1])
        prev_len = np.zeros((n1, n2), np.int32)
        prev_len[inner] = length
    lv = np.concatenate(levels).astype(np.int64)
    ln = np.concatenate(lengths).astype(np.int64)
    z = np.concatenate(zs).astype(np.int64) if with_slice else np.full(lv.shape, -1)
    return lv, ln, z


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
        ev = [runs(q, d, with_slice=False) for d in DIRECTIONS_3D]
        lv = np.concatenate([e[0] for e in ev])
        ln = np.concatenate([e[1] for e in ev])
        k = np.concatenate([np.full(len(e[0]), i) for i, e in enumerate(ev)])
        _put(out, "3D_avg", zone_features(k, lv, ln, nd, ng, np.full(nd, n_vox)))
        _put(out, "3D_comb", zone_features(0 * k, lv, ln, 1, ng, np.array([nd * n_vox])))
    return out
