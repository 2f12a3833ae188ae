"""Ground truth of a phantom study, computed from the same geometry the renderer draws.

Definitions (all world RAS+ mm):

* Disc and body heights (mid-sagittal plane x = 0): distance between the two bounding endplate
  planes along the segment's mean axis, at its anterior margin, centre and posterior margin
  (see :attr:`Segment.heights`).
* Listhesis %: displacement of the upper vertebra's posterior-inferior corner along the lower
  endplate, over that endplate's AP length, x 100 (Meyerding's measure).
* Dural sac area (mm^2): area of the sac's cross-section in the true axial plane (z = const)
  through the point where the disc's mid-plane meets the canal centre line
  (``dural_sac_plane_z_mm``), measured on a 0.05 mm grid of the implicit shape (sac minus
  ligamentum flavum, herniated material, and any body or disc that reaches into the canal).
* Ligamentum flavum thickness: radial thickness of the ligament ring in axial planes, mm.
* Fracture height loss %: 100 x (1 - smallest ratio of a fractured body height to the same
  body's intact height); Genant grade from that loss (<20 % -> 0, 20-25 -> 1, 25-40 -> 2, >40
  -> 3; Genant 1993).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from spinepath.phantom import shapes as S
from spinepath.phantom.anatomy import Anatomy, Endplate, Segment

AREA_STEP_MM = 0.05


def dural_sac_area(anat: Anatomy, disc: str, override: dict[str, float] | None = None,
                   z: float | None = None) -> float:
    """Dural sac cross-sectional area (mm^2) in the axial plane at ``z`` (default: where the
    disc mid-plane meets the canal centre line)."""
    zc = S.canal_cross_z(anat, disc) if z is None else z
    yc = float(anat.canal_y(np.array(zc)))
    h = AREA_STEP_MM
    xs = np.arange(-14.0, 14.0 + h / 2, h)[:, None, None]
    ys = (yc + np.arange(-14.0, 14.0 + h / 2, h))[None, :, None]
    zz = np.full((1, 1, 1), zc)
    m = S.visible_sac_mask(anat, xs, ys, zz, override)
    return float(m.sum() * h * h)


def solve_sac_scale(anat: Anatomy, disc: str, target_mm2: float) -> float:
    """Narrowing factor at ``disc`` that makes the measured sac area equal ``target_mm2``."""
    lo, hi = 0.02, 3.0
    if dural_sac_area(anat, disc, {disc: lo}) > target_mm2:
        return lo
    for _ in range(30):
        mid = (lo + hi) / 2
        if dural_sac_area(anat, disc, {disc: mid}) < target_mm2:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def genant_grade(loss_pct: float) -> int:
    """Genant semiquantitative grade from the height loss (%), 0 below 20 %."""
    if loss_pct < 20:
        return 0
    if loss_pct <= 25:
        return 1
    if loss_pct <= 40:
        return 2
    return 3


def _pt(yz: np.ndarray) -> list[float]:
    return [0.0, round(float(yz[0]), 4), round(float(yz[1]), 4)]


def _endplate(e: Endplate) -> dict[str, list[float]]:
    return {"anterior": _pt(e.anterior), "posterior": _pt(e.posterior), "centre": _pt(e.centre)}


def _round(d: dict[str, float]) -> dict[str, float]:
    return {k: round(v, 4) for k, v in d.items()}


def _vert(anat: Anatomy, name: str) -> Segment:
    return anat.sacral[0] if name == "S1" else anat.vertebrae[name]


def ground_truth(anat: Anatomy) -> dict[str, Any]:
    """The ground-truth dictionary (JSON-ready) of a built anatomy."""
    spec = anat.spec
    modic = {m.endplate: m for m in spec.modic}
    fractures = {f.vertebra: f for f in spec.fractures}
    levels: dict[str, Any] = {}
    for disc, seg in anat.discs.items():
        upper, lower = disc.split("-")
        lower_seg = _vert(anat, lower)
        up_seg = anat.vertebrae[upper]
        e_low = lower_seg.upper
        slip = float(np.dot(up_seg.lower.posterior - e_low.posterior, e_low.v) / e_low.depth)
        heights = seg.heights
        intact = anat.intact_heights[disc]
        hern = anat.herniations.get(disc)
        zc = S.canal_cross_z(anat, disc)
        ends = {}
        for role, ep in (("cranial_endplate", f"{upper}.inferior"),
                         ("caudal_endplate", f"{lower}.superior")):
            m = modic.get(ep)
            ends[role] = {"endplate": ep, "modic_type": m.type if m else 0,
                          "depth_mm": m.depth_mm if m else 0.0}
        levels[disc] = {
            "disc_height": _round(heights),
            "disc_height_intact": _round(intact),
            "disc_height_loss_pct": round(100 * (1 - heights["middle_mm"]
                                                 / intact["middle_mm"]), 3),
            "pfirrmann": anat.pfirrmann[disc],
            "modic": ends,
            "herniation": None if hern is None else {
                "type": hern.type, "zone": hern.zone, "side": hern.side,
                "size_mm": hern.size_mm, "base_width_mm": round(2 * hern.base_half_width_mm, 3),
                "max_width_mm": round(2 * max(hern.dome_half_width_mm,
                                              hern.base_half_width_mm), 3),
                "craniocaudal_extent_mm": round(2 * hern.half_height_mm, 3),
                "apex_x_mm": hern.x_apex,
            },
            "dural_sac_area_mm2": round(dural_sac_area(anat, disc), 2),
            "dural_sac_plane_z_mm": round(zc, 4),
            "canal_centre_at_disc": [0.0, round(float(anat.canal_y(np.array(zc))), 4),
                                     round(zc, 4)],
            "lf_thickness_mm": {"left": anat.lf_thickness[disc],
                                "right": anat.lf_thickness[disc]},
            "listhesis_pct": round(100 * slip, 3),
            "disc_centre": _pt(seg.centre),
            "fat_fraction": dict(anat.fat_fraction),
        }
    vertebrae: dict[str, Any] = {}
    for name in [*anat.vertebrae, "S1"]:
        seg = _vert(anat, name)
        entry: dict[str, Any] = {
            "body_centre": _pt(seg.centre),
            "endplates": {"superior": _endplate(seg.upper)},
        }
        if name != "S1":
            heights = seg.heights
            intact = anat.intact_heights[name]
            loss = max(0.0, *(100 * (1 - heights[k] / intact[k]) for k in heights))
            fr = fractures.get(name)
            entry["endplates"]["inferior"] = _endplate(seg.lower)
            entry["heights"] = _round(heights)
            entry["heights_intact"] = _round(intact)
            entry["fracture"] = None if fr is None else {
                "height_loss_pct": round(loss, 3), "shape": fr.shape, "acute": fr.acute,
                "oedema": fr.acute, "genant_grade": genant_grade(loss),
            }
        vertebrae[name] = entry
    landmarks = {
        "disc_centres": {d: levels[d]["disc_centre"] for d in levels},
        "vertebral_body_centres": {v: vertebrae[v]["body_centre"] for v in vertebrae},
        "endplate_corners": {
            f"{v}.{side}": {k: p for k, p in ep.items() if k != "centre"}
            for v, e in vertebrae.items() for side, ep in e["endplates"].items()
        },
    }
    return {"frame": "world RAS+ mm (x toward patient right, y anterior, z superior)",
            "levels": levels, "vertebrae": vertebrae, "landmarks": landmarks,
            "muscle_fat_fraction": dict(anat.fat_fraction)}
