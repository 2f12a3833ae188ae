"""A small synthetic instrumented lumbar PET/CT: vertebra blocks, discs, pedicle screws + rods."""

from __future__ import annotations

import numpy as np

from spinepath.model.volume import Volume

TOTALSEG = {"L1": 31, "L2": 30, "L3": 29, "L4": 28, "L5": 27, "S1": 26}
ORDER = ["L1", "L2", "L3", "L4", "L5", "S1"]
BODY_MM = 24.0  # vertebra height
DISC_MM = 8.0
TOP_Z = 150.0  # superior surface of L1, mm


def vertebra_z(name: str) -> tuple[float, float]:
    """(inferior, superior) z in mm of a vertebra block."""
    i = ORDER.index(name)
    top = TOP_Z - i * (BODY_MM + DISC_MM)
    return top - BODY_MM, top


def in_vertebra(x: np.ndarray, y: np.ndarray, z: np.ndarray, name: str) -> np.ndarray:
    lo, hi = vertebra_z(name)
    return (np.abs(x) <= 18) & (y >= -20) & (y <= 14) & (z > lo) & (z <= hi)


def screw(x: np.ndarray, y: np.ndarray, z: np.ndarray, side: float, zc: float) -> np.ndarray:
    """AP-oriented pedicle screw: 3 mm radius, y from -40 (head) to 0."""
    return ((x - side) ** 2 + (z - zc) ** 2 <= 9) & (y >= -40) & (y <= 0)


def rod(
    x: np.ndarray, y: np.ndarray, z: np.ndarray, side: float, z0: float, z1: float
) -> np.ndarray:
    return ((x - side) ** 2 + (y + 40) ** 2 <= 6.25) & (z >= z0) & (z <= z1)


def affine(spacing: float, origin: tuple[float, float, float]) -> np.ndarray:
    a = np.diag([spacing, spacing, spacing, 1.0])
    a[:3, 3] = origin
    return a


def world_coords(shape: tuple[int, int, int], aff: np.ndarray) -> tuple[np.ndarray, ...]:
    idx = np.indices(shape).reshape(3, -1).T.astype(float)
    xyz = idx @ aff[:3, :3].T + aff[:3, 3]
    return tuple(xyz[:, d].reshape(shape) for d in range(3))


def hardware_mask(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Bilateral L4-L5 fixation: screws in L4 and L5, rods joining their heads."""
    z4 = np.mean(vertebra_z("L4"))
    z5 = np.mean(vertebra_z("L5"))
    m = np.zeros(x.shape, dtype=bool)
    for side in (-12.0, 12.0):
        m |= screw(x, y, z, side, z4) | screw(x, y, z, side, z5)
        m |= rod(x, y, z, side, z5 - 3, z4 + 3)
    return m


def make_ct(spacing: float = 2.0) -> tuple[Volume, Volume]:
    """CT (HU) and its TotalSegmentator-convention label map on a RAS grid."""
    aff = affine(spacing, (-40.0, -60.0, -60.0))
    shape = (41, 51, round(220 / spacing))
    x, y, z = world_coords(shape, aff)
    ct = np.full(shape, -1000.0)
    ct[(np.abs(x) <= 38) & (y >= -58) & (y <= 40)] = 40.0  # body
    labels = np.zeros(shape, dtype=np.int16)
    for name in ORDER:
        v = in_vertebra(x, y, z, name)
        ct[v] = 350.0
        labels[v] = TOTALSEG[name]
        # posterior elements (lamina) joined to the body
        lo, hi = vertebra_z(name)
        post = (np.abs(x) <= 14) & (y >= -46) & (y < -20) & (z > lo + 4) & (z <= hi - 4)
        ct[post] = 500.0
        labels[post] = TOTALSEG[name]
    metal = hardware_mask(x, y, z)
    ct[metal] = 3071.0
    labels[metal] = 0
    return Volume(ct, aff), Volume(labels, aff)


def make_pet(
    spacing: float = 4.0,
    *,
    bone_suv: float = 2.0,
    hot: dict[str, float] | None = None,
    loosening_level: str | None = "L5",
    loosening_suv: float = 6.0,
    suv_to_bqml: float = 1.0,
    lps: bool = False,
    origin: tuple[float, float, float] = (-41.0, -61.5, -63.0),
    shape: tuple[int, int, int] = (22, 27, 58),
) -> Volume:
    """PET in Bq/mL (= SUV x ``suv_to_bqml``) on its own grid, offset from the CT's; with
    ``lps`` the x and y axes run the other way (a DICOM LPS-ordered array)."""
    hot = hot or {"L2": 8.0}
    aff = affine(spacing, origin)
    if lps:
        flip = np.diag([-1.0, -1.0, 1.0, 1.0])
        aff = aff @ np.array([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]], dtype=float)
        aff[:3, :3] = aff[:3, :3] @ flip[:3, :3]
        aff[0, 3] = origin[0] + spacing * (shape[0] - 1)
        aff[1, 3] = origin[1] + spacing * (shape[1] - 1)
    x, y, z = world_coords(shape, aff)
    suv = np.where((np.abs(x) <= 38) & (y >= -58) & (y <= 40), 1.0, 0.0)
    for name in ORDER:
        lo, hi = vertebra_z(name)
        post = (np.abs(x) <= 14) & (y >= -46) & (y < -20) & (z > lo + 4) & (z <= hi - 4)
        suv[in_vertebra(x, y, z, name) | post] = hot.get(name, bone_suv)
    if loosening_level:
        zc = np.mean(vertebra_z(loosening_level))
        near = np.zeros(shape, dtype=bool)
        for side in (-12.0, 12.0):
            near |= ((x - side) ** 2 + (z - zc) ** 2 <= 8.0**2) & (y >= -20) & (y <= 4)
        suv[near] = loosening_suv
    return Volume(suv * suv_to_bqml, aff)
