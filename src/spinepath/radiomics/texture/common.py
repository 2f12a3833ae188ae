"""Shared pieces of the texture families: neighbour offsets, aggregation, run/zone-type features."""

from __future__ import annotations

import itertools

import numpy as np

#: 13 unique directions of the 26-neighbourhood (one of each opposite pair), first non-zero +1.
DIRECTIONS_3D: tuple[tuple[int, int, int], ...] = tuple(
    d
    for d in itertools.product((-1, 0, 1), repeat=3)
    if d != (0, 0, 0) and next(c for c in d if c != 0) == 1
)
#: the 4 in-plane directions (slice axis last).
DIRECTIONS_2D: tuple[tuple[int, int, int], ...] = tuple(d for d in DIRECTIONS_3D if d[2] == 0)


def neighbour_offsets(two_d: bool, distance: int = 1) -> list[tuple[int, int, int]]:
    """All offsets within Chebyshev ``distance`` (in-plane only when ``two_d``), centre excluded."""
    r = range(-distance, distance + 1)
    rz = (0,) if two_d else r
    return [(a, b, c) for a in r for b in r for c in rz if (a, b, c) != (0, 0, 0)]


def shifted(p: np.ndarray, d: tuple[int, int, int], pad: int) -> np.ndarray:
    """View of padded array ``p`` such that ``out[x] == p[x + d]`` on the unpadded region."""
    sl = tuple(slice(pad + o, p.shape[ax] - pad + o) for ax, o in enumerate(d))
    return p[sl]


def safe_log2(p: np.ndarray) -> np.ndarray:
    """``p * log2(p)`` with 0 where p == 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(p > 0, p * np.log2(np.where(p > 0, p, 1.0)), 0.0)


# Generic names of run-length / zone / dependence features and the per-family tag suffixes.
GENERIC = (
    "short",
    "long",
    "low",
    "high",
    "short_low",
    "short_high",
    "long_low",
    "long_high",
    "glnu",
    "glnu_norm",
    "jnu",
    "jnu_norm",
    "perc",
    "gl_var",
    "j_var",
    "j_entr",
    "energy",
)


def zone_features(
    groups: np.ndarray,
    levels: np.ndarray,
    js: np.ndarray,
    n_groups: int,
    ng: int,
    n_vox: np.ndarray,
) -> dict[str, np.ndarray]:
    """Run-length-type features from events, without building dense matrices.

    Each event is one run / zone / neighbourhood: its matrix (``groups``, 0..n_groups-1), grey
    level (``levels``, 1..Ng) and column value ``js`` (run length, zone size, zone distance or
    dependence count, >= 1). This is the sparse form of the matrices ``M[group, level, j]`` of
    IBSI 3.7-3.11, so zone sizes of 10^5 voxels cost nothing extra. ``n_vox``: voxels behind
    each matrix (run / zone percentage). Returns arrays of shape ``(n_groups,)`` keyed by the
    generic names in :data:`GENERIC`; NaN for empty matrices.
    """
    groups = np.asarray(groups, np.int64)
    levels = np.asarray(levels, np.int64)
    js = np.asarray(js, np.int64)
    jmax = int(js.max()) + 1 if js.size else 1
    key = (groups * ng + (levels - 1)) * jmax + js
    if n_groups * ng * jmax <= 4 * key.size + 1_000_000:  # dense counting is cheaper
        dense = np.bincount(key, minlength=n_groups * ng * jmax)
        uk = np.flatnonzero(dense)
        cnt = dense[uk]
    else:  # e.g. zone sizes up to 10^5 voxels: count the occupied cells only
        uk, cnt = np.unique(key, return_counts=True)
    cnt = cnt.astype(np.float64)
    j = (uk % jmax).astype(np.float64)
    gi = uk // jmax
    i = (gi % ng + 1).astype(np.float64)
    g = gi // ng

    def gsum(w: np.ndarray) -> np.ndarray:
        return np.bincount(g, weights=w, minlength=n_groups)

    ns = gsum(cnt)
    ok = ns > 0
    nss = np.where(ok, ns, 1.0)
    i2, j2 = i**2, j**2
    out: dict[str, np.ndarray] = {}
    out["short"] = gsum(cnt / j2) / nss
    out["long"] = gsum(cnt * j2) / nss
    out["low"] = gsum(cnt / i2) / nss
    out["high"] = gsum(cnt * i2) / nss
    out["short_low"] = gsum(cnt / (i2 * j2)) / nss
    out["short_high"] = gsum(cnt * i2 / j2) / nss
    out["long_low"] = gsum(cnt * j2 / i2) / nss
    out["long_high"] = gsum(cnt * i2 * j2) / nss
    ri = np.bincount(gi, weights=cnt, minlength=n_groups * ng).reshape(n_groups, ng)
    out["glnu"] = (ri**2).sum(1) / nss
    out["glnu_norm"] = (ri**2).sum(1) / nss**2
    gj = g * jmax + j.astype(np.int64)
    ugj, inv = np.unique(gj, return_inverse=True)
    rj = np.bincount(inv, weights=cnt)
    rj2 = np.bincount(ugj // jmax, weights=rj**2, minlength=n_groups)
    out["jnu"] = rj2 / nss
    out["jnu_norm"] = rj2 / nss**2
    out["perc"] = ns / np.where(n_vox > 0, n_vox, 1.0)
    p = cnt / nss[g]
    mu_i = gsum(p * i)
    mu_j = gsum(p * j)
    out["gl_var"] = gsum(p * (i - mu_i[g]) ** 2)
    out["j_var"] = gsum(p * (j - mu_j[g]) ** 2)
    out["j_entr"] = -gsum(p * np.log2(p))
    out["energy"] = gsum(p**2)
    for k in out:
        out[k] = np.where(ok, out[k], np.nan)
    return out


def mean_over_groups(f: dict[str, np.ndarray]) -> dict[str, float]:
    """Average each feature over the non-empty matrices (IBSI: empty slices are left out)."""
    return {k: float(np.nanmean(v)) if np.isfinite(v).any() else float("nan") for k, v in f.items()}


def average_valid(values: np.ndarray, valid: np.ndarray) -> float:
    """Mean over the matrices that are not empty (IBSI: empty slices are left out)."""
    if not valid.any():
        return float("nan")
    return float(values[valid].mean())
