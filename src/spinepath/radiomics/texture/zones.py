"""Grey level size zone (IBSI 3.8, 9SAK) and distance zone (IBSI 3.9, VMDZ) matrix features.

Zones are connected groups of voxels with the same grey level: 8-connected within a slice for
2D, 26-connected for 3D. The distance of a voxel is its taxicab distance to the nearest voxel
outside the ROI (4-connected in 2D, 6-connected in 3D; border voxels have distance 1); a zone's
distance is the smallest distance among its voxels.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from spinepath.radiomics.texture.common import zone_features

SZM_NAMES = {
    "short": "sze",
    "long": "lze",
    "low": "lgze",
    "high": "hgze",
    "short_low": "szlge",
    "short_high": "szhge",
    "long_low": "lzlge",
    "long_high": "lzhge",
    "glnu": "glnu",
    "glnu_norm": "glnu_norm",
    "jnu": "zsnu",
    "jnu_norm": "zsnu_norm",
    "perc": "z_perc",
    "gl_var": "gl_var",
    "j_var": "zs_var",
    "j_entr": "zs_entr",
}
DZM_NAMES = {
    "short": "sde",
    "long": "lde",
    "low": "lgze",
    "high": "hgze",
    "short_low": "sdlge",
    "short_high": "sdhge",
    "long_low": "ldlge",
    "long_high": "ldhge",
    "glnu": "glnu",
    "glnu_norm": "glnu_norm",
    "jnu": "zdnu",
    "jnu_norm": "zdnu_norm",
    "perc": "z_perc",
    "gl_var": "gl_var",
    "j_var": "zd_var",
    "j_entr": "zd_entr",
}

_STRUCT_2D = np.zeros((3, 3, 3), bool)
_STRUCT_2D[:, :, 1] = True
_STRUCT_3D = np.ones((3, 3, 3), bool)
_CROSS_2D = np.zeros((3, 3, 3), bool)
_CROSS_2D[1, :, 1] = True
_CROSS_2D[:, 1, 1] = True


def distance_map(mask: np.ndarray, two_d: bool) -> np.ndarray:
    """Taxicab distance (voxels) of each ROI voxel to the nearest voxel outside the ROI."""
    p = np.pad(mask, 1)
    metric = _CROSS_2D if two_d else "taxicab"
    d = ndimage.distance_transform_cdt(p, metric=metric)
    return d[1:-1, 1:-1, 1:-1]


def zones(
    q: np.ndarray, ng: int, two_d: bool, dist: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """All zones: (grey level, size in voxels, distance, slice index)."""
    struct = _STRUCT_2D if two_d else _STRUCT_3D
    lv_all, size_all, dist_all, z_all = [], [], [], []
    zz = np.broadcast_to(np.arange(q.shape[2])[None, None, :], q.shape)
    for g in range(1, ng + 1):
        sel = q == g
        if not sel.any():
            continue
        lab, n = ndimage.label(sel, structure=struct)
        flat = lab[sel]
        size = np.bincount(flat, minlength=n + 1)[1:]
        dmin = ndimage.minimum(dist, labels=lab, index=np.arange(1, n + 1))
        zs = np.zeros(n + 1, np.int64)
        zs[flat] = zz[sel]
        lv_all.append(np.full(n, g))
        size_all.append(size)
        dist_all.append(np.asarray(dmin, dtype=np.int64))
        z_all.append(zs[1:])
    cat = np.concatenate
    return cat(lv_all), cat(size_all), cat(dist_all), cat(z_all)


def _matrix(levels, cols, groups, n_groups, ng, nc) -> np.ndarray:
    idx = (groups * ng + (levels - 1)) * nc + (cols - 1)
    return np.bincount(idx, minlength=n_groups * ng * nc).reshape(n_groups, ng, nc).astype(float)


def _aggregate(prefix, names, lv, col, z, nz, ng, nc, vox_slice, two_d) -> dict[str, float]:
    out: dict[str, float] = {}
    if two_d:
        m = _matrix(lv, col, z, nz, ng, nc)
        f = zone_features(m, vox_slice)
        valid = m.sum((1, 2)) > 0
        out.update(
            {f"{prefix}_{names[k]}_2D": float(v[valid].mean()) for k, v in f.items() if k in names}
        )
        f = zone_features(m.sum(0)[None], np.array([vox_slice.sum()]))
        out.update({f"{prefix}_{names[k]}_2_5D": float(v[0]) for k, v in f.items() if k in names})
    else:
        m = _matrix(lv, col, np.zeros_like(lv), 1, ng, nc)
        f = zone_features(m, np.array([vox_slice.sum()]))
        out.update({f"{prefix}_{names[k]}_3D": float(v[0]) for k, v in f.items() if k in names})
    return out


def size_and_distance_zones(
    q: np.ndarray, ng: int, aggregation, distance_mask: np.ndarray, families=("szm", "dzm")
) -> dict[str, float]:
    """GLSZM and GLDZM features: tags ``szm_<f>_<2D|2_5D|3D>`` and ``dzm_<f>_<2D|2_5D|3D>``.

    2D: features per slice, averaged (IBSI 8QNN); 2.5D: slice matrices merged (62GR); 3D: KOBO.
    ``distance_mask``: the mask whose border defines the zone distances.
    """
    out: dict[str, float] = {}
    nz = q.shape[2]
    vox_slice = (q > 0).sum((0, 1)).astype(float)
    for two_d in (True, False):
        if two_d and not ({"2D", "2.5D"} & set(aggregation)):
            continue
        if not two_d and "3D" not in aggregation:
            continue
        dist = distance_map(distance_mask, two_d)
        lv, size, dz, z = zones(q, ng, two_d, dist)
        if "szm" in families:
            out.update(
                _aggregate("szm", SZM_NAMES, lv, size, z, nz, ng, int(size.max()), vox_slice, two_d)
            )
        if "dzm" in families:
            out.update(
                _aggregate("dzm", DZM_NAMES, lv, dz, z, nz, ng, int(dz.max()), vox_slice, two_d)
            )
    if "2D" not in aggregation:
        out = {k: v for k, v in out.items() if not k.endswith("_2D")}
    if "2.5D" not in aggregation:
        out = {k: v for k, v in out.items() if not k.endswith("_2_5D")}
    return out
