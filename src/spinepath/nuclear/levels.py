"""Vertebra label maps for uptake: imported label conventions, a bone-threshold fallback, and
disc-level (motion segment) regions between adjacent vertebrae.

Label conventions (value -> vertebra name):

* ``"totalseg"``: TotalSegmentator "total" task (v2): 26 = S1 (sacrum), 27 = L5 ... 31 = L1,
  32 = T12 ... 43 = T1 (Wasserthal et al., Radiol Artif Intell 2023;5:e230024; class map
  ``map_to_binary.py``).
* ``"verse"``: VerSe / SPINEPS vertebra labels: 1-7 = C1-C7, 8-19 = T1-T12, 20-24 = L1-L5,
  25 = L6, 26 = sacrum (S1), 28 = T13 (Sekuboyina et al., Med Image Anal 2021;73:102166).

Without a label map, :func:`bone_segments` thresholds bone on CT and splits the spinal column at
the disc spaces found as minima of the bone profile along the superior axis; the pieces are named
``B1`` (cranial) ... unless the caudal-most is given a name (``lowest="S1"`` or ``"L5"``).
"""

from __future__ import annotations

import itertools

import numpy as np
from scipy import ndimage, signal

from spinepath.errors import AnalysisError, InputError
from spinepath.model.levels import VERTEBRAE
from spinepath.model.volume import Volume

_THORACIC = [f"T{i}" for i in range(1, 13)]
CONVENTIONS: dict[str, dict[int, str]] = {
    "totalseg": {
        26: "S1",
        **{27 + i: f"L{5 - i}" for i in range(5)},
        **{32 + i: f"T{12 - i}" for i in range(12)},
    },
    "verse": {
        **{i + 1: f"C{i + 1}" for i in range(7)},
        **{8 + i: t for i, t in enumerate(_THORACIC)},
        **{20 + i: f"L{i + 1}" for i in range(5)},
        25: "L6",
        26: "S1",
        28: "T13",
    },
}

BONE_THRESHOLD_HU = 150.0
"""Default CT bone threshold (HU). Trabecular vertebral bone lies at about 100-300 HU in adults
and cortical bone above; 150 HU keeps muscle (~40-60 HU) out. Holes inside a vertebral body
(osteoporotic trabecular bone under the threshold) are filled slice by slice."""


def level_names(labels: np.ndarray, convention: str | dict[int, str]) -> dict[int, str]:
    """The names of the label values present in ``labels`` under ``convention``."""
    mapping = CONVENTIONS.get(convention) if isinstance(convention, str) else dict(convention)
    if mapping is None:
        raise InputError(f"unknown label convention {convention!r}; use {sorted(CONVENTIONS)}")
    present = {int(v) for v in np.unique(labels) if v != 0}
    return {v: mapping[v] for v in sorted(present) if v in mapping}


def _si_axis(volume: Volume) -> tuple[int, float]:
    """Array axis closest to superior and its sign (+1 when the index grows superiorly)."""
    directions = volume.affine[:3, :3] / np.linalg.norm(volume.affine[:3, :3], axis=0)
    axis = int(np.argmax(np.abs(directions[2])))
    return axis, float(np.sign(directions[2, axis]))


def bone_segments(
    ct: Volume,
    *,
    threshold_hu: float = BONE_THRESHOLD_HU,
    min_height_mm: float = 15.0,
    band_mm: float = 25.0,
    depth_mm: float = 80.0,
    min_component_ml: float = 2.0,
    lowest: str | None = None,
) -> tuple[np.ndarray, dict[int, str]]:
    """Approximate vertebra labels from CT alone (no segmentation available).

    Steps: bone = CT > ``threshold_hu`` with holes filled per axial slice; keep the connected
    components of at least ``min_component_ml`` centred within ``band_mm`` (left-right) of the
    largest one (the vertebrae, separate where discs part them); restrict to a band of
    ``band_mm`` either side of the column's left-right centre and, per axial slice, to
    ``depth_mm`` anterior of the most posterior bone; count bone voxels per axial slice;
    split at profile minima at least ``min_height_mm`` apart (the disc spaces).

    Returns:
        labels on the grid of ``ct.to_canonical()`` (1 = cranial-most segment) and their names.
    """
    ct = ct.to_canonical()
    bone = ct.array > threshold_hu
    if not bone.any():
        raise AnalysisError(f"no voxel above {threshold_hu} HU: is this a CT in Hounsfield units?")
    for k in range(bone.shape[2]):
        bone[:, :, k] = ndimage.binary_fill_holes(bone[:, :, k])
    lab, n = ndimage.label(bone)
    index = np.arange(1, n + 1)
    sizes = ndimage.sum_labels(np.ones_like(lab), lab, index=index)
    sx, _, sz = ct.spacing
    voxel_ml = float(abs(np.linalg.det(ct.affine[:3, :3]))) / 1000.0
    biggest = int(np.argmax(sizes)) + 1
    centre = round(ndimage.center_of_mass(lab == biggest)[0])
    # vertebrae parted by discs are separate components: keep every sizeable one centred
    # (left-right) within the band around the largest one
    centres = ndimage.center_of_mass(bone, lab, index=index)
    keep = [
        i + 1
        for i, (size, c) in enumerate(zip(sizes, centres, strict=True))
        if size * voxel_ml >= min_component_ml and abs(c[0] - centre) * sx <= band_mm
    ]
    column = np.isin(lab, keep)
    half = round(band_mm / sx)
    band = np.zeros_like(column)
    band[max(0, centre - half) : centre + half + 1] = True
    column &= band
    # per axial slice keep bone within depth_mm anterior of the most posterior bone voxel: the
    # vertebra with its posterior elements (or the sacrum), not the pubis or sternum in front
    _, sy, _ = ct.spacing
    depth = round(depth_mm / sy)
    for k in range(column.shape[2]):
        ys = np.nonzero(column[:, :, k].any(axis=0))[0]
        if ys.size:
            column[:, ys[0] + depth + 1 :, k] = False
    profile = column.sum(axis=(0, 1)).astype(float)
    smooth = ndimage.gaussian_filter1d(profile, sigma=max(1.0, 3.0 / sz))
    occupied = np.nonzero(profile > 0.05 * profile.max())[0]
    if occupied.size == 0:
        raise AnalysisError("no spinal column found in the CT")
    lo, hi = int(occupied[0]), int(occupied[-1])
    minima, _ = signal.find_peaks(
        -smooth[lo : hi + 1],
        distance=max(1, int(min_height_mm / sz)),
        prominence=0.1 * smooth.max(),
    )
    cuts = [lo, *(int(m) + lo for m in minima), hi + 1]
    labels = np.zeros(ct.shape, dtype=np.int16)
    segments = [(a, b) for a, b in itertools.pairwise(cuts) if (b - a) * sz >= 5.0]
    n_seg = len(segments)
    for idx, (a, b) in enumerate(reversed(segments)):  # cranial first (index grows superiorly)
        part = np.zeros_like(column)
        part[:, :, a:b] = column[:, :, a:b]
        labels[part] = idx + 1
    names = {i + 1: f"B{i + 1}" for i in range(n_seg)}
    if lowest is not None:
        if lowest not in VERTEBRAE:
            raise InputError(f"unknown vertebra {lowest!r}; expected one of {VERTEBRAE}")
        pos = VERTEBRAE.index(lowest)
        for i in range(n_seg):
            j = pos - (n_seg - 1 - i)
            if j >= 0:
                names[i + 1] = VERTEBRAE[j]
    return labels, names


def _distance_to(mask: np.ndarray, spacing: tuple[float, float, float]) -> np.ndarray:
    return ndimage.distance_transform_edt(~mask, sampling=spacing)


def disc_level_regions(
    labels: np.ndarray,
    names: dict[int, str],
    spacing: tuple[float, float, float],
    *,
    reach_mm: float = 8.0,
) -> dict[str, np.ndarray]:
    """Motion-segment regions between adjacent named vertebrae, e.g. ``"L4-L5"``.

    A voxel belongs to the L4-L5 region when it lies within ``reach_mm`` of both L4 and L5 (and
    in neither), which covers the disc, both endplates' surfaces and the facet joints.
    Vertebrae are paired in :data:`spinepath.model.levels.VERTEBRAE` order.
    """
    by_name = {name: value for value, name in names.items()}
    out: dict[str, np.ndarray] = {}
    for upper, lower in itertools.pairwise(VERTEBRAE):
        if upper not in by_name or lower not in by_name:
            continue
        a, b = labels == by_name[upper], labels == by_name[lower]
        both = a | b
        idx = np.argwhere(both)
        margin = [int(np.ceil(reach_mm / s)) + 1 for s in spacing]
        lo = np.maximum(idx.min(axis=0) - margin, 0)
        hi = np.minimum(idx.max(axis=0) + margin + 1, labels.shape)
        box = tuple(slice(int(s), int(e)) for s, e in zip(lo, hi, strict=True))
        near = (_distance_to(a[box], spacing) <= reach_mm) & (
            _distance_to(b[box], spacing) <= reach_mm
        )
        region = np.zeros(labels.shape, dtype=bool)
        region[box] = near & (labels[box] == 0)
        if region.any():
            out[f"{upper}-{lower}"] = region
    return out
