"""Level identification: order discs and vertebrae along the spine and name them, counting up
from the sacrum (the lowest disc above the sacrum is L5-S1).

Works on 2-D sagittal masks in display orientation (rows superior->inferior, columns
anterior->posterior) with the pixel size in mm; a stack is reduced to its central slab first
(:func:`label_stack`). Labelling says when it is unsure instead of guessing silently:

* ``sacrum_visible`` is False when no vertebral mass at least :data:`SACRUM_MIN_LENGTH_MM` long
  lies below the lowest disc; the discs are then still named from the bottom, as if the lowest
  visible disc were L5-S1, with ``uncertain=True`` and the reason.
* a lowest disc much thinner than the discs above it (ratio below
  :data:`HYPOPLASTIC_DISC_RATIO`) suggests a lumbosacral transitional vertebra (sacralised L5
  or lumbarised S1): flagged, numbering kept.
* more than five lumbar-type discs above the sacrum with the whole field of view below T12 cannot
  be told apart from a sixth lumbar vertebra without the ribs: when more than six discs are seen
  above the sacrum the count is flagged as well.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage as ndi

from spinepath.model.levels import DISC_LEVELS, VERTEBRAE

MIN_DISC_AREA_MM2 = 12.0
"""Smaller disc fragments are dropped (mm² in the sagittal plane)."""
MERGE_DISC_DISTANCE_MM = 7.0
"""Disc fragments whose centroids are closer than this along the spine are one disc."""
MAX_OFF_AXIS_MM = 25.0
"""Disc candidates farther than this from the spine line through the others are dropped."""
SACRUM_MIN_LENGTH_MM = 35.0
"""Vertebral mass below the lowest disc at least this long (along the spine) is the sacrum."""
SMALL_DISC_RATIO = 0.3
"""Disc candidates smaller than this share of the median candidate area are dropped (remnant
S1-S2 discs, fragments, vessels)."""
CLOSE_PAIR_RATIO = 0.55
"""Two discs closer than this share of the median disc-to-disc distance: the smaller is dropped."""
END_GAP_RATIO = 2.5
"""An end disc farther than this many median distances from its neighbour is not in the chain."""
GAP_RATIO = 1.6
"""A gap over this many median distances between neighbours holds missed disc(s)."""
TOP_CUT_MIN_AREA_RATIO = 0.65
"""A disc cut by the top edge of the field of view counts when its visible area is at least this
share of the median area of the uncut discs (SPIDER's radiologists graded most top discs that
were two-thirds in view and few below half; set on the spider-dev slices, see
docs/benchmarks.md)."""
SACRAL_REMNANT_VERTEBRA_RATIO = 0.5
"""The lowest disc candidate is a sacral (S1-S2) remnant, not L5-S1, when the vertebral mass
between it and the disc above is below this share of the median mass between the other
neighbouring discs: the built-in segmenter leaves the sacrum unlabelled (its training masks do),
so a "disc" with no vertebral body above it lies inside the sacrum."""
HYPOPLASTIC_DISC_RATIO = 0.45
"""Lowest-disc height / median height of the two discs above below this: transitional flag."""


@dataclass
class LevelInstance:
    """One named structure in the sagittal plane.

    Attributes:
        name: level name (``"L4-L5"`` or ``"L4"``).
        kind: ``"disc"`` or ``"vertebra"``.
        index: 1-based label value in the instance maps of :class:`LevelLabelling`.
        centroid_rc: centroid (row, col) in pixels of the labelled slab picture.
        area_mm2: area in the sagittal projection (mm²).
        height_mm: extent along the spine axis (mm), for discs the disc height.
    """

    name: str
    kind: str
    index: int
    centroid_rc: tuple[float, float]
    area_mm2: float
    height_mm: float


@dataclass
class LevelLabelling:
    """Discs and vertebrae, cranial to caudal, with the numbering's certainty.

    Attributes:
        discs, vertebrae: instances cranial -> caudal.
        disc_map, vertebra_map: 2-D int maps (0 = none, k = ``index`` of an instance).
        sacrum_visible: a sacrum was found below the lowest disc.
        uncertain: True when the numbering may be off (see ``reasons``).
        reasons: human-readable reasons for ``uncertain``.
    """

    discs: list[LevelInstance] = field(default_factory=list)
    vertebrae: list[LevelInstance] = field(default_factory=list)
    disc_map: np.ndarray | None = None
    vertebra_map: np.ndarray | None = None
    sacrum_visible: bool = False
    uncertain: bool = True
    reasons: list[str] = field(default_factory=list)
    n_inferred_discs: int = 0

    @property
    def n_disc_positions(self) -> int:
        """Discs in the numbered chain: segmented plus inferred from gaps."""
        return len(self.discs) + self.n_inferred_discs

    @property
    def disc_names(self) -> list[str]:
        """Disc names cranial -> caudal."""
        return [d.name for d in self.discs]

    def to_dict(self) -> dict:
        """JSON-ready summary (no maps)."""

        def inst(i: LevelInstance) -> dict:
            return {
                "name": i.name,
                "centroid_rc": [round(v, 1) for v in i.centroid_rc],
                "area_mm2": round(i.area_mm2, 1),
                "height_mm": round(i.height_mm, 1),
            }

        return {
            "discs": [inst(d) for d in self.discs],
            "vertebrae": [inst(v) for v in self.vertebrae],
            "n_inferred_discs": self.n_inferred_discs,
            "sacrum_visible": self.sacrum_visible,
            "uncertain": self.uncertain,
            "reasons": list(self.reasons),
        }


@dataclass
class _Disc:
    mask: np.ndarray
    centroid: np.ndarray  # (row, col) px
    normal: np.ndarray  # unit vector (row, col), pointing inferior
    area_px: float


def _disc_geometry(mask: np.ndarray, spacing: np.ndarray) -> _Disc:
    pts = np.argwhere(mask).astype(float)
    c = pts.mean(axis=0)
    mm = (pts - c) * spacing
    if len(pts) >= 3:
        cov = mm.T @ mm / len(pts)
        _evals, evecs = np.linalg.eigh(cov)
        normal = evecs[:, 0]  # smallest spread: across the disc
    else:
        normal = np.array([1.0, 0.0])
    if normal[0] < 0:
        normal = -normal
    return _Disc(mask, c, normal / np.linalg.norm(normal), float(len(pts)))


def _signed_mm(rc: np.ndarray, disc: _Disc, spacing: np.ndarray) -> np.ndarray:
    """Signed distance (mm) of pixel coords ``rc`` (..., 2) from the disc plane, + = inferior."""
    return ((rc - disc.centroid) * spacing) @ disc.normal


def find_discs(disc_mask: np.ndarray, spacing_mm: tuple[float, float]) -> list[_Disc]:
    """Disc instances of a 2-D mask, cleaned (small, off-axis, fragments merged), sorted
    cranial -> caudal."""
    sp = np.asarray(spacing_mm, float)
    lab, n = ndi.label(disc_mask)
    px_area = float(sp[0] * sp[1])
    cands = []
    for k in range(1, n + 1):
        m = lab == k
        if m.sum() * px_area >= MIN_DISC_AREA_MM2:
            cands.append(_disc_geometry(m, sp))
    cands.sort(key=lambda d: d.centroid[0])
    cands = _drop_off_axis(cands, sp)
    # merge fragments lying on the same disc plane (judged with the larger fragment's normal)
    merged: list[_Disc] = []
    for d in cands:
        if merged:
            prev = merged[-1]
            big, small = (prev, d) if prev.area_px >= d.area_px else (d, prev)
            along = abs(float(_signed_mm(small.centroid, big, sp)))
            dist = float(np.linalg.norm((d.centroid - prev.centroid) * sp))
            if along < MERGE_DISC_DISTANCE_MM and dist < 40:
                merged[-1] = _disc_geometry(prev.mask | d.mask, sp)
                continue
        merged.append(d)
    return merged


def _drop_off_axis(cands: list[_Disc], sp: np.ndarray) -> list[_Disc]:
    """Iteratively drop the candidate farthest (> MAX_OFF_AXIS_MM) from a smooth line
    col(row) through the candidates (area-weighted), while at least 4 remain."""
    cands = list(cands)
    while len(cands) >= 4:
        rows = np.array([d.centroid[0] for d in cands]) * sp[0]
        cols = np.array([d.centroid[1] for d in cands]) * sp[1]
        w = np.sqrt([d.area_px for d in cands])
        deg = 2 if len(cands) >= 6 else 1
        res = np.abs(np.polyval(np.polyfit(rows, cols, deg, w=w), rows) - cols)
        worst = int(np.argmax(res))
        if res[worst] <= MAX_OFF_AXIS_MM:
            break
        cands.pop(worst)
    return cands


def regularise_chain(
    discs: list[_Disc], spacing_mm: tuple[float, float] | np.ndarray, shape: tuple[int, int]
) -> tuple[list[_Disc], list[int]]:
    """Make the disc list a plausible chain along the spine.

    Drops discs cut by the top edge of the field of view (partly visible), candidates
    much smaller than the others, the smaller of two too-close candidates and end candidates
    separated from the chain by a large gap. Returns the discs and, per disc, the number of
    discs inferred to be missed just above it (from gaps of :data:`GAP_RATIO` median distances).
    """
    sp = np.asarray(spacing_mm, float)
    # a disc cut by the top edge counts only when most of it is in view (SPIDER grades such a
    # disc, not a sliver); one cut by the bottom edge stays: the chain goes on below it, so the
    # sacrum is not in view.
    uncut = [d.area_px for d in discs if not d.mask[0].any()]
    min_cut_area = TOP_CUT_MIN_AREA_RATIO * float(np.median(uncut)) if uncut else np.inf
    ds = [d for d in discs if not d.mask[0].any() or d.area_px >= min_cut_area]
    if len(ds) >= 3:
        med_area = float(np.median([d.area_px for d in ds]))
        ds = [d for d in ds if d.area_px >= SMALL_DISC_RATIO * med_area]

    def gaps(lst: list[_Disc]) -> np.ndarray:
        return np.array(
            [np.linalg.norm((b.centroid - a.centroid) * sp) for a, b in itertools.pairwise(lst)]
        )

    if len(ds) < 4:
        return ds, [0] * len(ds)
    changed = True
    while changed and len(ds) >= 4:
        changed = False
        g = gaps(ds)
        med = float(np.median(g))
        i = int(np.argmin(g))
        if g[i] < CLOSE_PAIR_RATIO * med:
            ds.pop(i if ds[i].area_px < ds[i + 1].area_px else i + 1)
            changed = True
            continue
        if g[0] > END_GAP_RATIO * med:
            ds.pop(0)
            changed = True
        elif g[-1] > END_GAP_RATIO * med:
            ds.pop()
            changed = True
    g = gaps(ds)
    med = float(np.median(g)) if g.size else 0.0
    missing = [0] + [
        max(0, round(x / med) - 1) if med > 0 and x > GAP_RATIO * med else 0 for x in g
    ]
    return ds, missing


def vertebral_mass_between(
    discs: list[_Disc], vertebra: np.ndarray, spacing: np.ndarray, half_width_mm: float = 25.0
) -> np.ndarray:
    """Vertebral area (mm²) between each pair of neighbouring discs, within ``half_width_mm``
    of the line through their centroids."""
    rc = np.argwhere(vertebra).astype(float)
    out = np.zeros(max(0, len(discs) - 1))
    if rc.size == 0:
        return out
    for k, (a, b) in enumerate(itertools.pairwise(discs)):
        between = (_signed_mm(rc, a, spacing) > 0) & (_signed_mm(rc, b, spacing) < 0)
        across = np.array([-a.normal[1], a.normal[0]])
        lateral = np.abs(((rc - (a.centroid + b.centroid) / 2) * spacing) @ across)
        out[k] = float((between & (lateral < half_width_mm)).sum() * spacing.prod())
    return out


def drop_sacral_remnant(
    discs: list[_Disc], missing: list[int], vertebra: np.ndarray, spacing: np.ndarray
) -> tuple[list[_Disc], list[int], bool]:
    """Drop the lowest disc when no vertebral body lies between it and the disc above (see
    :data:`SACRAL_REMNANT_VERTEBRA_RATIO`). Returns the discs, the gap counts and whether one
    was dropped."""
    if len(discs) < 4:
        return discs, missing, False
    mass = vertebral_mass_between(discs, vertebra, spacing)
    ref = float(np.median(mass[:-1]))
    if ref > 0 and mass[-1] < SACRAL_REMNANT_VERTEBRA_RATIO * ref and missing[-1] == 0:
        return discs[:-1], missing[:-1], True
    return discs, missing, False


def _disc_height_mm(d: _Disc, spacing: np.ndarray) -> float:
    s = _signed_mm(np.argwhere(d.mask).astype(float), d, spacing)
    return float(np.percentile(s, 95) - np.percentile(s, 5)) if s.size else 0.0


def label_levels(
    disc_mask: np.ndarray, vertebra_mask: np.ndarray, spacing_mm: tuple[float, float]
) -> LevelLabelling:
    """Name discs and vertebrae in one sagittal picture.

    Args:
        disc_mask: bool (rows, cols), rows superior->inferior.
        vertebra_mask: bool (rows, cols): whole vertebrae (or bodies), sacrum included.
        spacing_mm: pixel size (row, col) in mm.
    """
    sp = np.asarray(spacing_mm, float)
    disc_mask = np.asarray(disc_mask, bool)
    vert = np.asarray(vertebra_mask, bool) & ~disc_mask
    out = LevelLabelling(
        disc_map=np.zeros(disc_mask.shape, np.int16),
        vertebra_map=np.zeros(disc_mask.shape, np.int16),
    )
    discs, missing = regularise_chain(find_discs(disc_mask, sp), sp, disc_mask.shape)
    discs, missing, remnant = drop_sacral_remnant(discs, missing, vert, sp)
    if not discs:
        out.reasons.append("no intervertebral disc found")
        return out
    # --- sacrum: vertebral mass below the lowest disc, connected, long enough
    rc = np.argwhere(vert).astype(float)
    low = discs[-1]
    s_low = _signed_mm(rc, low, sp) if rc.size else np.zeros(0)
    below = np.zeros_like(vert)
    if rc.size:
        sel = s_low > 0
        below[tuple(rc[sel].astype(int).T)] = True
        # keep only the part connected to the region right under the disc
        lab, _ = ndi.label(below)
        near = (
            lab[tuple(rc[sel & (s_low < 12)].astype(int).T)] if np.any(sel & (s_low < 12)) else []
        )
        ids = set(int(v) for v in np.unique(near) if v > 0)
        below = np.isin(lab, list(ids)) if ids else np.zeros_like(vert)
        # lateral offset from the disc centroid must stay within the spine
        bpts = np.argwhere(below).astype(float)
        if bpts.size:
            along = _signed_mm(bpts, low, sp)
            sac_len = float(np.percentile(along, 98))
        else:
            sac_len = 0.0
    else:
        sac_len = 0.0
    out.sacrum_visible = sac_len >= SACRUM_MIN_LENGTH_MM
    reasons = []
    if remnant:
        reasons.append(
            "lowest disc-like structure has no vertebral body above it: taken as a sacral "
            "(S1-S2) remnant disc, not L5-S1"
        )
    if not out.sacrum_visible:
        reasons.append(
            f"sacrum not visible (vertebral mass below the lowest disc {sac_len:.0f} mm < "
            f"{SACRUM_MIN_LENGTH_MM:.0f} mm): lowest visible disc assumed to be L5-S1"
        )
    heights = [_disc_height_mm(d, sp) for d in discs]
    if len(heights) >= 3:
        ref = float(np.median(heights[-3:-1]))
        if ref > 0 and heights[-1] / ref < HYPOPLASTIC_DISC_RATIO:
            reasons.append(
                f"lowest disc is thin ({heights[-1]:.1f} mm vs {ref:.1f} mm above): possible "
                "lumbosacral transitional vertebra"
            )
    lowest_idx = DISC_LEVELS.index("L5-S1")
    slots = list(np.cumsum(missing) + np.arange(len(discs)))  # naming position of each disc
    n_slots = int(slots[-1]) + 1
    out.n_inferred_discs = int(sum(missing))
    if sum(missing):
        reasons.append(
            f"{sum(missing)} disc(s) inferred but not segmented (gap in the disc chain): "
            "numbering assumes them"
        )
    if n_slots - 1 > lowest_idx:
        reasons.append(f"{n_slots} discs above the sacrum: more levels than T10-T11..L5-S1")
    if n_slots >= 7 and out.sacrum_visible:
        reasons.append(
            "six or more lumbar-type levels possible (no ribs to count from): check "
            "for a transitional vertebra"
        )
    # --- names
    px_area = float(sp[0] * sp[1])
    for k, d in enumerate(discs):
        pos = lowest_idx - (n_slots - 1 - int(slots[k]))
        name = DISC_LEVELS[pos] if pos >= 0 else f"disc+{-pos}"
        idx = k + 1
        out.disc_map[d.mask] = idx
        out.discs.append(
            LevelInstance(
                name,
                "disc",
                idx,
                (float(d.centroid[0]), float(d.centroid[1])),
                d.area_px * px_area,
                heights[k],
            )
        )
    # --- vertebrae: pixels between consecutive disc planes
    if rc.size:
        s_all = np.stack([_signed_mm(rc, d, sp) for d in discs], axis=1)  # (n_px, n_disc)
        seg = (s_all > 0).sum(axis=1)  # 0 = above top disc, n = below the lowest
        # limit to within 70 mm of the line through the discs (anterior-posterior)
        ijk = rc.astype(int)
        for j in range(len(discs) + 1):
            sel = seg == j
            if j == len(discs):
                sel &= below[tuple(ijk.T)]
            if sel.sum() * px_area < 60:
                continue
            # the vertebra just above disc j (S1 below the lowest disc)
            pos = (
                VERTEBRAE.index("S1") - (n_slots - int(slots[j]))
                if j < len(discs)
                else (VERTEBRAE.index("S1"))
            )
            name = VERTEBRAE[pos] if pos >= 0 else f"vertebra+{-pos}"
            idx = j + 1
            m = np.zeros_like(vert)
            m[tuple(ijk[sel].T)] = True
            lab, nl = ndi.label(m)  # keep the largest piece (the vertebra itself)
            if nl > 1:
                sizes = ndi.sum(m, lab, range(1, nl + 1))
                m = lab == (int(np.argmax(sizes)) + 1)
            out.vertebra_map[m] = idx
            c = np.argwhere(m).mean(axis=0)
            along = ((np.argwhere(m) - c) * sp) @ discs[min(j, len(discs) - 1)].normal
            out.vertebrae.append(
                LevelInstance(
                    name,
                    "vertebra",
                    idx,
                    (float(c[0]), float(c[1])),
                    float(m.sum() * px_area),
                    float(np.ptp(along)) if along.size else 0.0,
                )
            )
    out.reasons = reasons
    out.uncertain = bool(reasons)
    return out


def central_slab(n_slices: int, slice_spacing_mm: float, width_mm: float = 12.0) -> slice:
    """Indices of the central slab of a sagittal stack, about ``width_mm`` wide (>= 1 slice)."""
    n_slab = max(1, round(width_mm / max(slice_spacing_mm, 1e-3)))
    half = (n_slab - 1) // 2
    mid = n_slices // 2
    return slice(max(0, mid - half), min(n_slices, mid + half + 1))


def label_stack(
    disc: np.ndarray, vertebra: np.ndarray, spacing_mm: tuple[float, float], slice_spacing_mm: float
) -> LevelLabelling:
    """Label a stack (n, rows, cols) on the union of its central slab (see :func:`central_slab`)."""
    sl = central_slab(disc.shape[0], slice_spacing_mm)
    return label_levels(disc[sl].any(axis=0), vertebra[sl].any(axis=0), spacing_mm)
