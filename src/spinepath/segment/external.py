"""Import an external label map (SPINEPS/TPTBox, TotalSegmentator, SPIDER) into spinepath's
semantic and level maps (values in :mod:`spinepath.segment.labels`).

Conventions (``convention=``):

* ``"spineps"`` - SPINEPS / TPTBox / VerSe instance map: vertebrae 1-7 C1-C7, 8-19 T1-T12,
  28 T13, 20-25 L1-L6, 26 S1 (sacrum); 100 + id = disc below vertebra id; 200 + id endplate;
  60 spinal cord, 61 spinal canal.
* ``"spineps-subreg"`` - SPINEPS sub-region map: 41-48 posterior elements, 49-50 vertebral body
  (corpus border, corpus), 60 cord, 61 canal, 62 endplate, 100 disc (no levels).
* ``"totalseg"`` - TotalSegmentator ``total`` (CT) v2: 25 sacrum, 26 S1, 27 L5 .. 31 L1, 32 T12 ..
  50 C1, 79 spinal cord.
* ``"total_mr"`` - TotalSegmentator ``total_mr``: 18 sacrum, 19 vertebrae, 20 intervertebral discs,
  21 spinal cord (no levels: they are derived by :func:`spinepath.levels.label_stack`).
* ``"spider"`` - SPIDER masks: 1-25 vertebrae, 100 spinal canal, 201-225 discs (the levels are
  derived, counted from the sacrum, like for the built-in segmenter).

Only a sagittal map gets derived levels; a convention with level ids keeps them whatever the
orientation.
"""

from __future__ import annotations

import numpy as np

from spinepath.errors import InputError
from spinepath.levels import LevelLabelling, label_stack
from spinepath.model.volume import Volume
from spinepath.segment import labels as L

CONVENTIONS = ("spineps", "spineps-subreg", "totalseg", "total_mr", "spider")

_SPINEPS_NAMES = (
    {i: f"C{i}" for i in range(1, 8)}
    | {7 + i: f"T{i}" for i in range(1, 13)}
    | {19 + i: f"L{i}" for i in range(1, 7)}
    | {26: "S1", 28: "T13"}
)
_TOTALSEG_NAMES = {
    26: "S1",
    **{27 + i: f"L{5 - i}" for i in range(5)},
    **{32 + i: f"T{12 - i}" for i in range(12)},
    **{44 + i: f"C{7 - i}" for i in range(7)},
}


def guess_convention(labels: np.ndarray) -> str:
    """Guess the convention from the label values present (raises when nothing fits).

    Best effort: small maps can fit several conventions; name it explicitly when in doubt.
    """
    vals = set(int(v) for v in np.unique(labels)) - {0}
    spineps_vals = set(range(1, 29)) | set(range(101, 129)) | set(range(201, 229)) | {60, 61}
    if not vals:
        raise InputError("the label map is empty")
    if 100 in vals and vals & set(range(201, 226)):
        return "spider"
    if vals & set(range(41, 51)) and vals <= set(range(41, 51)) | {60, 61, 62, 100}:
        return "spineps-subreg"
    if {19, 20} <= vals and max(vals) <= 50:
        return "total_mr"
    if vals <= spineps_vals:
        return "spineps"
    if vals & set(range(25, 51)):
        return "totalseg"
    raise InputError(
        f"cannot tell the convention of a label map with values {sorted(vals)[:20]}; "
        f"name it with --convention ({', '.join(CONVENTIONS)})"
    )


def to_semantic(labels: np.ndarray, convention: str) -> tuple[np.ndarray, np.ndarray]:
    """(semantic map, level map) arrays from an external label array."""
    lab = np.asarray(labels).astype(np.int32)
    sem = np.zeros(lab.shape, np.uint8)
    lev = np.zeros(lab.shape, np.int16)
    if convention == "spineps":  # VerSe ids are spinepath's level ids
        for vid, name in _SPINEPS_NAMES.items():
            m = (lab == vid) | (lab == 200 + vid)
            sem[m] = L.SACRUM if name == "S1" else L.POSTERIOR_ELEMENTS
            lev[m] = vid
            d = lab == 100 + vid
            sem[d] = L.DISC
            lev[d] = L.DISC_OFFSET + vid
        c = (lab == 60) | (lab == 61)
        sem[c], lev[c] = L.CANAL, L.CANAL_ID
    elif convention == "spineps-subreg":
        sem[(lab >= 41) & (lab <= 48)] = L.POSTERIOR_ELEMENTS
        sem[(lab == 49) | (lab == 50) | (lab == 62)] = L.VERTEBRAL_BODY
        sem[(lab == 60) | (lab == 61)] = L.CANAL
        sem[lab == 100] = L.DISC
    elif convention == "totalseg":
        for vid, name in _TOTALSEG_NAMES.items():
            m = lab == vid
            sem[m] = L.SACRUM if name == "S1" else L.POSTERIOR_ELEMENTS
            lev[m] = L.VERTEBRA_IDS.get(name, 0)
        sem[lab == 25] = L.SACRUM
        lev[lab == 25] = L.VERTEBRA_IDS["S1"]
        sem[lab == 79] = L.CANAL
        lev[lab == 79] = L.CANAL_ID
    elif convention == "total_mr":
        sem[lab == 19] = L.POSTERIOR_ELEMENTS
        sem[lab == 18] = L.SACRUM
        sem[lab == 20] = L.DISC
        sem[lab == 21] = L.CANAL
    elif convention == "spider":
        sem[(lab >= 1) & (lab <= 25)] = L.POSTERIOR_ELEMENTS
        sem[lab == 100] = L.CANAL
        sem[(lab > 200) & (lab <= 225)] = L.DISC
    else:
        raise InputError(f"unknown label-map convention {convention!r}; use one of {CONVENTIONS}")
    return sem, lev


def import_labelmap(
    label_volume: Volume, convention: str | None = None
) -> tuple[Volume, Volume, LevelLabelling | None]:
    """Semantic and level maps (canonical grid) from an external label map.

    Levels come from the map when its convention names them; otherwise, for a sagittal map,
    they are derived from the discs and vertebrae (counted from the sacrum). Returns
    ``(semantic, levels, labelling or None)``.
    """
    from spinepath.segment.api import from_display, through_plane_axis, to_display

    can = label_volume.to_canonical()
    conv = convention or guess_convention(can.array)
    sem, lev = to_semantic(can.array, conv)
    labelling = None
    if not lev.any():
        sp = np.asarray(can.spacing)
        if through_plane_axis(can) == 0:
            disp = to_display(sem)
            vert = np.isin(disp, (L.VERTEBRAL_BODY, L.POSTERIOR_ELEMENTS, L.SACRUM))
            labelling = label_stack(disp == L.DISC, vert, (sp[2], sp[1]), float(sp[0]))
            vmap = np.zeros(disp.shape[1:], np.int16)
            for v in labelling.vertebrae:
                vmap[labelling.vertebra_map == v.index] = L.VERTEBRA_IDS.get(v.name, 0)
            dmap = np.zeros(disp.shape[1:], np.int16)
            for d in labelling.discs:
                if d.name.split("-")[0] in L.VERTEBRA_IDS:
                    dmap[labelling.disc_map == d.index] = L.disc_id(d.name)
            lev_d = np.zeros(disp.shape, np.int16)
            lev_d[vert] = np.broadcast_to(vmap, disp.shape)[vert]
            lev_d[disp == L.DISC] = np.broadcast_to(dmap, disp.shape)[disp == L.DISC]
            lev_d[disp == L.CANAL] = L.CANAL_ID
            lev = from_display(lev_d)
    meta = {"source": f"external label map ({conv})", "convention": conv}
    return Volume(sem, can.affine, dict(meta)), Volume(lev, can.affine, dict(meta)), labelling
