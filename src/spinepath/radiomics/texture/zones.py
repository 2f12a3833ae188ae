"""Grey level size zone (IBSI 3.8, 9SAK) and distance zone (IBSI 3.9, VMDZ) matrix features.

Zones are connected groups of voxels with the same grey level: 8-connected within a slice for
2D, 26-connected for 3D. The distance of a voxel is its taxicab distance to the nearest voxel
outside the ROI (4-connected in 2D, 6-connected in 3D; border voxels have distance 1); a zone's
distance is the smallest distance among its voxels.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from spinepath.radiomics.texture.common import mean_over_groups, zone_features

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
    q: np.ndarray, two_d: bool, dist: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """All zones: (grey level, size in voxels, distance or 0 when ``dist`` is None, slice)."""
    from skimage.measure import label

    if two_d:
        lab = np.zeros(q.shape, np.int64)
        offset = 0
        for k in range(q.shape[2]):
            sl = label(q[:, :, k], background=0, connectivity=2)
            lab[:, :, k] = np.where(sl > 0, sl + offset, 0)
            offset += int(sl.max())
        n = offset
    else:
        lab = label(q, background=0, connectivity=3).astype(np.int64)
        n = int(lab.max())
    roi = q > 0
    labs = lab[roi]
    size = np.bincount(labs, minlength=n + 1)[1:]
    level = np.zeros(n + 1, np.int64)
    level[labs] = q[roi]
    zs = np.zeros(n + 1, np.int64)
    zs[labs] = np.nonzero(roi)[2]
    dmin = np.zeros(n + 1, np.int64)
    if dist is not None:
        dmin[:] = np.iinfo(np.int64).max
        np.minimum.at(dmin, labs, dist[roi].astype(np.int64))
    return level[1:], size, dmin[1:], zs[1:]


def _put(out, prefix, names, f, suffix) -> None:
    named = {names[k]: v for k, v in f.items() if k in names}
    out.update({f"{prefix}_{k}_{suffix}": v for k, v in mean_over_groups(named).items()})


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
    n_vox = np.array([vox_slice.sum()])
    for two_d in (True, False):
        if two_d and not ({"2D", "2.5D"} & set(aggregation)):
            continue
        if not two_d and "3D" not in aggregation:
            continue
        dist = distance_map(distance_mask, two_d) if "dzm" in families else None
        lv, size, dz, z = zones(q, two_d, dist)
        cols = [("szm", SZM_NAMES, size)] if "szm" in families else []
        if "dzm" in families:
            cols.append(("dzm", DZM_NAMES, dz))
        for prefix, names, j in cols:
            if two_d:
                if "2D" in aggregation:
                    _put(out, prefix, names, zone_features(z, lv, j, nz, ng, vox_slice), "2D")
                if "2.5D" in aggregation:
                    _put(out, prefix, names, zone_features(0 * z, lv, j, 1, ng, n_vox), "2_5D")
            else:
                _put(out, prefix, names, zone_features(0 * z, lv, j, 1, ng, n_vox), "3D")
    return out
