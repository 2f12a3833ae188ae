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
    m: np.ndarray, n_vox: np.ndarray, j_values: np.ndarray | None = None
) -> dict[str, np.ndarray]:
    """Run-length-type features of a stack of matrices ``m[n, Ng, Nj]``.

    Rows are grey levels 1..Ng, columns are run lengths / zone sizes / distances /
    dependence counts ``j_values`` (default 1..Nj). ``n_vox``: voxel count behind each matrix
    (for run/zone percentage). Returns arrays of shape ``(n,)`` keyed by the generic names.
    """
    m = m.astype(np.float64)
    _n, ng, nj = m.shape
    i = np.arange(1, ng + 1, dtype=np.float64)[None, :, None]
    j = np.arange(1, nj + 1, dtype=np.float64) if j_values is None else j_values.astype(float)
    j = j[None, None, :]
    ns = m.sum((1, 2))
    ns_safe = np.where(ns > 0, ns, 1.0)
    ri = m.sum(2)
    rj = m.sum(1)
    i2, j2 = i**2, j**2
    out: dict[str, np.ndarray] = {}
    out["short"] = (m / j2).sum((1, 2)) / ns_safe
    out["long"] = (m * j2).sum((1, 2)) / ns_safe
    out["low"] = (m / i2).sum((1, 2)) / ns_safe
    out["high"] = (m * i2).sum((1, 2)) / ns_safe
    out["short_low"] = (m / (i2 * j2)).sum((1, 2)) / ns_safe
    out["short_high"] = (m * i2 / j2).sum((1, 2)) / ns_safe
    out["long_low"] = (m * j2 / i2).sum((1, 2)) / ns_safe
    out["long_high"] = (m * i2 * j2).sum((1, 2)) / ns_safe
    out["glnu"] = (ri**2).sum(1) / ns_safe
    out["glnu_norm"] = (ri**2).sum(1) / ns_safe**2
    out["jnu"] = (rj**2).sum(1) / ns_safe
    out["jnu_norm"] = (rj**2).sum(1) / ns_safe**2
    out["perc"] = ns / np.where(n_vox > 0, n_vox, 1.0)
    p = m / ns_safe[:, None, None]
    mu_i = (p * i).sum((1, 2))
    mu_j = (p * j).sum((1, 2))
    out["gl_var"] = (p * (i - mu_i[:, None, None]) ** 2).sum((1, 2))
    out["j_var"] = (p * (j - mu_j[:, None, None]) ** 2).sum((1, 2))
    out["j_entr"] = -safe_log2(p).sum((1, 2))
    out["energy"] = (p**2).sum((1, 2))
    return out


def average_valid(values: np.ndarray, valid: np.ndarray) -> float:
    """Mean over the matrices that are not empty (IBSI: empty slices are left out)."""
    if not valid.any():
        return float("nan")
    return float(values[valid].mean())
