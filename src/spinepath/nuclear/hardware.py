"""Metallic spinal hardware found on CT by density, and the regions around it.

Threshold: :data:`METAL_THRESHOLD_HU` = 2500 HU. Cortical bone, the densest tissue, stays below
about 2000 HU (the densest entry of the tissue calibration of Schneider, Bortfeld & Schlegel,
Phys Med Biol 2000;45:459-478, cortical bone 1.92 g/cm3, is about 1500-1900 HU), while titanium
and steel implants exceed the 3071 HU ceiling of the standard 12-bit CT scale and appear clipped
at it (Coolens & Childs, Phys Med Biol 2003;48:1591-1603, on the extended CT scale needed for
metal). 2500 HU lies between the two, so it keeps bone out and still catches metal that partial
volume spreads over a voxel. PEEK and carbon cages are not metal and are not found by density.

Each connected metal component (26-connectivity) is one *hardware component*; rods and the
pedicle screws fixed to them usually form one connected construct, so uptake is also reported per
component and vertebra (the shell around the metal inside each vertebra's label, i.e. around the
screws of that level), which is where loosening and pseudarthrosis show.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from spinepath.model.volume import Volume

METAL_THRESHOLD_HU = 2500.0
MIN_COMPONENT_MM3 = 20.0
"""Components smaller than this are dropped (noise, dense calcification, streak peaks)."""


@dataclass(frozen=True)
class HardwareComponent:
    """One connected metal object on CT.

    Attributes:
        label: value of the component in the hardware label map.
        volume_ml: metal volume, mL.
        centroid_ras: centre, world RAS mm.
        length_mm: extent along the principal axis, mm (about 4 SD of the voxel positions).
        principal_axis: unit vector (RAS) of the longest extent.
        kind: a geometric guess from the RAS extents - "screw_rod_construct" (>= 20 mm both
            cranio-caudally and antero-posteriorly), "rod" (>= 40 mm cranio-caudal, thin AP),
            "screw" (AP >= 15 mm, short cranio-caudally), "cage_or_small_implant" (all extents
            < 35 mm) or "implant".
    """

    label: int
    volume_ml: float
    centroid_ras: tuple[float, float, float]
    length_mm: float
    principal_axis: tuple[float, float, float]
    kind: str

    def as_dict(self) -> dict[str, object]:
        """JSON-ready dict."""
        return dict(self.__dict__)


def _shape(points_mm: np.ndarray) -> tuple[float, np.ndarray]:
    centred = points_mm - points_mm.mean(axis=0)
    if len(points_mm) < 3:
        return 0.0, np.array([0.0, 0.0, 1.0])
    _evals, evecs = np.linalg.eigh(np.cov(centred.T))
    axis = evecs[:, -1]
    proj = centred @ axis
    return float(proj.max() - proj.min()), axis


def _kind(points_mm: np.ndarray) -> str:
    ext = points_mm.max(axis=0) - points_mm.min(axis=0)  # RAS extents, mm
    lr, ap, si = (float(e) for e in ext)
    if si >= 20.0 and ap >= 20.0:
        return "screw_rod_construct"
    if si >= 40.0 and ap < 20.0:
        return "rod"
    if ap >= 15.0 and si < 15.0:
        return "screw"
    if max(lr, ap, si) < 35.0:
        return "cage_or_small_implant"
    return "implant"


def find_hardware(
    ct: Volume,
    *,
    threshold_hu: float = METAL_THRESHOLD_HU,
    min_volume_mm3: float = MIN_COMPONENT_MM3,
) -> tuple[np.ndarray, list[HardwareComponent]]:
    """Label metal components of ``ct`` (HU). Returns the label map (0 = no metal) and the
    components, largest first."""
    metal = ct.array > threshold_hu
    lab, n = ndimage.label(metal, structure=np.ones((3, 3, 3), dtype=bool))
    voxel_mm3 = float(abs(np.linalg.det(ct.affine[:3, :3])))
    out = np.zeros(ct.shape, dtype=np.int16)
    comps: list[tuple[int, np.ndarray]] = []
    for value in range(1, n + 1):
        idx = np.argwhere(lab == value)
        if len(idx) * voxel_mm3 >= min_volume_mm3:
            comps.append((value, idx))
    comps.sort(key=lambda c: -len(c[1]))
    components = []
    for new, (_, idx) in enumerate(comps, start=1):
        out[tuple(idx.T)] = new
        pts = ct.world(idx.astype(float))
        length, axis = _shape(pts)
        centroid = pts.mean(axis=0)
        components.append(
            HardwareComponent(
                label=new,
                volume_ml=len(idx) * voxel_mm3 / 1000.0,
                centroid_ras=(float(centroid[0]), float(centroid[1]), float(centroid[2])),
                length_mm=length,
                principal_axis=(float(axis[0]), float(axis[1]), float(axis[2])),
                kind=_kind(pts),
            )
        )
    return out, components


def shell_around(
    mask: np.ndarray,
    spacing: tuple[float, float, float],
    *,
    inner_mm: float = 0.0,
    outer_mm: float = 5.0,
) -> np.ndarray:
    """Voxels whose distance to ``mask`` lies in (``inner_mm``, ``outer_mm``] (the dilated shell
    without the object itself), distances in mm on an anisotropic grid."""
    if not mask.any():
        return np.zeros_like(mask, dtype=bool)
    idx = np.argwhere(mask)
    margin = [int(np.ceil(outer_mm / s)) + 1 for s in spacing]
    lo = np.maximum(idx.min(axis=0) - margin, 0)
    hi = np.minimum(idx.max(axis=0) + margin + 1, mask.shape)
    box = tuple(slice(int(a), int(b)) for a, b in zip(lo, hi, strict=True))
    dist = ndimage.distance_transform_edt(~mask[box], sampling=spacing)
    out = np.zeros(mask.shape, dtype=bool)
    out[box] = (dist > inner_mm) & (dist <= outer_mm)
    return out
