"""Axial measurements: paraspinal muscles (Dixon), dural sac area, ligamentum flavum thickness.

Conventions: volumes are brought to canonical RAS (:meth:`Volume.to_canonical`), so axis 0 runs
toward the patient's Right, axis 1 toward Anterior and axis 2 (the slice axis of an axial series)
toward Superior. 2-D axial label slices given to the canal functions are indexed the same way
(``[right, anterior]``). Spacings are in mm, areas in mm2, fat fractions in percent.

Definitions:

* Muscle cross-sectional area (CSA, mm2): pixel count of the muscle label in one axial slice times
  the in-plane pixel area; reported as the mean over the slices where the muscle is present and at
  the middle one of those slices.
* Fat fraction (%): per voxel ``100 * fat / (fat + water)`` from chemical-shift-encoded (Dixon)
  fat and water magnitude images, averaged over the muscle mask after an in-plane binary erosion
  of ``erode_px`` pixels (the boundary voxels mix muscle with the surrounding fat). Voxels with
  ``fat + water <= 0`` are left out. The combined ``muscle_fat_fraction_pct`` (the input of the
  Goutallier rule in :mod:`spinepath.grade.rules`) is the mean over all muscles of one side;
  ``muscle_fat_fraction_left_pct`` / ``_right_pct`` are reported per side and the plain name
  carries the worse (higher) side, because a level has one Goutallier grade in the rule table.
* Dural sac cross-sectional area (mm2): pixel count of the sac label in one axial slice times the
  pixel area (Schonstrom et al., Spine 1985 measured the same area on CT).
* Ligamentum flavum thickness (mm, left and right): twice the largest in-plane Euclidean distance
  from a ligament pixel to the nearest non-ligament pixel (the diameter of the largest inscribed
  disc, i.e. the maximal thickness perpendicular to the ligament's long axis), minus half a pixel.
  The distance runs between pixel centres: across an axis-aligned band the true boundary is half a
  pixel short of the nearest outside centre on each side (correction one pixel), across an
  oblique band the lattice offers closer outside centres (correction near zero); half a pixel is
  the middle, so the error stays within about half a pixel either way.

Validation: the muscle measurements are checked on real Dixon MRI (MyoSegmenTUM, two subjects).
No real axial dural sac or ligamentum flavum labels exist in the shared data, so the two canal
measurements are verified on phantom studies only (:mod:`spinepath.phantom`).
"""

from __future__ import annotations

import re

import numpy as np
from scipy import ndimage

from spinepath.errors import InputError
from spinepath.model.findings import Measurement
from spinepath.model.volume import Volume

SIDES = ("left", "right")
_SIDE_RE = re.compile(r"[\s._-](left|right)$")


def _canonical_same_grid(*vols: Volume) -> list[Volume]:
    out = [v.to_canonical() for v in vols]
    ref = out[0]
    for v in out[1:]:
        if v.shape != ref.shape or not np.allclose(v.affine, ref.affine, atol=1e-2):
            raise InputError(
                "water, fat and label volumes must share one grid (shape and affine); got "
                f"{ref.shape} and {v.shape}"
            )
    return out


def _split_name(name: str) -> tuple[str, str | None]:
    """``"erector_spinae.left"`` -> (``"erector_spinae"``, ``"left"``); no side -> None."""
    m = _SIDE_RE.search(name.strip().lower())
    if m is None:
        return name.strip().lower().replace(" ", "_"), None
    return name.strip().lower()[: m.start()].replace(" ", "_"), m.group(1)


def _muscle_sides(labels: Volume, label_names: dict[int, str]) -> dict[int, tuple[str, str]]:
    """(muscle, side) per present label; side from the name, else from the label's centroid
    x (world RAS) against the centroid of all named muscle voxels (the midline)."""
    arr = labels.array
    present = [lab for lab in label_names if np.any(arr == lab)]
    if not present:
        return {}
    all_idx = np.argwhere(np.isin(arr, present))
    mid_x = float(labels.world(all_idx.mean(axis=0))[0])
    out: dict[int, tuple[str, str]] = {}
    for lab in present:
        muscle, side = _split_name(label_names[lab])
        if side is None:
            cx = float(labels.world(np.argwhere(arr == lab).mean(axis=0))[0])
            side = "right" if cx > mid_x else "left"
        out[lab] = (muscle, side)
    return out


def _eroded(mask: np.ndarray, erode_px: int) -> np.ndarray:
    """In-plane (per axial slice) binary erosion of a 3-D mask by ``erode_px`` pixels."""
    if erode_px <= 0:
        return mask
    st = np.zeros((3, 3, 3), bool)
    st[:, :, 1] = ndimage.generate_binary_structure(2, 1)
    return ndimage.binary_erosion(mask, structure=st, iterations=erode_px)


def muscle_measurements(
    water: Volume,
    fat: Volume,
    labels: Volume,
    label_names: dict[int, str],
    level: str | None = None,
    *,
    erode_px: int = 1,
) -> list[Measurement]:
    """Cross-sectional area (mm2) and fat fraction (%) of each labelled muscle on each side.

    Args:
        water: Dixon water image (any MR units), axial series.
        fat: Dixon fat image on the same grid and in the same units as ``water``.
        labels: muscle label map on the same grid.
        label_names: label value -> muscle name, optionally with a side suffix
            (``"erector_spinae.left"``, ``"multifidus right"``); without one the side is taken
            from the label's position relative to the midline of all named muscles.
        level: level name attached to every measurement (None for a multi-level stack).
        erode_px: in-plane erosion (pixels) of each mask before the fat fraction is averaged;
            CSA always uses the full mask. When the erosion leaves nothing the full mask is used.

    Returns:
        Per muscle and side: ``{muscle}_{side}_csa_mean_mm2``, ``{muscle}_{side}_csa_mid_mm2``
        (mm2 per slice), ``{muscle}_{side}_fat_fraction_pct`` (%); per side
        ``muscle_fat_fraction_{side}_pct``; and ``muscle_fat_fraction_pct`` (the worse side).

    Raises:
        InputError: the three volumes do not share one grid.
    """
    water_c, fat_c, lab_c = _canonical_same_grid(water, fat, labels)
    sx, sy, _ = lab_c.spacing
    pixel_mm2 = sx * sy
    w = water_c.array.astype(np.float64)
    f = fat_c.array.astype(np.float64)
    total = w + f
    valid = total > 0
    ff = np.zeros_like(total)
    np.divide(f, total, out=ff, where=valid)
    lab = lab_c.array
    out: list[Measurement] = []
    side_ff: dict[str, list[np.ndarray]] = {s: [] for s in SIDES}
    for value, (muscle, side) in sorted(_muscle_sides(lab_c, label_names).items()):
        mask = lab == value
        areas = mask.sum(axis=(0, 1)) * pixel_mm2
        slices = np.flatnonzero(areas)
        mid = int(slices[len(slices) // 2])
        core = _eroded(mask, erode_px) & valid
        used = f"eroded {erode_px} px"
        if not core.any():
            core, used = mask & valid, "not eroded (erosion left no voxels)"
        vals = 100.0 * ff[core]
        side_ff[side].append(vals)
        key = f"{muscle}_{side}"
        csa_how = f"axial CSA = pixels x {pixel_mm2:.3f} mm2"
        out += [
            Measurement(name=f"{key}_csa_mean_mm2", value=float(areas[slices].mean()),
                        unit="mm2", level=level,
                        method=f"{csa_how}, mean over {len(slices)} slices"),
            Measurement(name=f"{key}_csa_mid_mm2", value=float(areas[mid]), unit="mm2",
                        level=level, method=f"{csa_how}, middle slice (index {mid})"),
            Measurement(name=f"{key}_fat_fraction_pct", value=float(vals.mean()), unit="%",
                        level=level,
                        method=f"Dixon fat/(fat+water) voxel mean, mask {used}"),
        ]
    per_side: dict[str, float] = {}
    for side in SIDES:
        if side_ff[side]:
            per_side[side] = float(np.concatenate(side_ff[side]).mean())
            out.append(Measurement(
                name=f"muscle_fat_fraction_{side}_pct", value=per_side[side], unit="%",
                level=level, method="Dixon fat fraction, voxel mean over all muscles of one side",
            ))
    if per_side:
        worse = max(per_side, key=lambda s: per_side[s])
        out.append(Measurement(
            name="muscle_fat_fraction_pct", value=per_side[worse], unit="%", level=level,
            method=f"paraspinal fat fraction of the worse side ({worse}); Goutallier rule input",
        ))
    return out


def dural_sac_area(labels_axial_slice: np.ndarray, spacing: tuple[float, float],
                   sac_label: int) -> float:
    """Dural sac cross-sectional area (mm2) on one axial label slice.

    Args:
        labels_axial_slice: 2-D label map of one axial slice.
        spacing: pixel size (mm) along the two array axes.
        sac_label: label value of the dural sac.

    Verified on phantoms only: the shared data hold no real axial dural sac labels.
    """
    arr = np.asarray(labels_axial_slice)
    if arr.ndim != 2:
        raise InputError(f"an axial label slice is 2-D, got shape {arr.shape}")
    return float(np.count_nonzero(arr == sac_label) * spacing[0] * spacing[1])


def _max_thickness(mask: np.ndarray, spacing: tuple[float, float]) -> float:
    if not mask.any():
        return 0.0
    dist = ndimage.distance_transform_edt(np.pad(mask, 1), sampling=spacing)
    return float(max(0.0, 2.0 * dist.max() - 0.5 * float(np.mean(spacing))))


def ligamentum_flavum_thickness(
    labels_axial_slice: np.ndarray,
    spacing: tuple[float, float],
    lf_label: int,
    midline_index: float | None = None,
) -> dict[str, float]:
    """Maximal ligamentum flavum thickness (mm) on the left and right of one axial slice.

    Thickness is ``2 x max(distance map) - pixel size / 2``: the diameter of the largest disc
    that fits inside the ligament (its maximal thickness perpendicular to its long axis), with
    the lattice offset corrected as in the module docstring (error within about half a pixel).
    0.0 where a side has no ligament.

    Args:
        labels_axial_slice: 2-D label map ``[right, anterior]`` (axis 0 toward patient Right,
            as in a canonical RAS volume's ``array[:, :, k]``).
        spacing: pixel size (mm) along the two array axes.
        lf_label: label value of the ligamentum flavum at this level.
        midline_index: axis-0 index of the midline; default the centroid of the ligament
            pixels (the two halves are near-symmetric about the spinous process).

    Verified on phantoms only: the shared data hold no real axial ligamentum flavum labels.
    """
    arr = np.asarray(labels_axial_slice)
    if arr.ndim != 2:
        raise InputError(f"an axial label slice is 2-D, got shape {arr.shape}")
    mask = arr == lf_label
    if not mask.any():
        return {"left": 0.0, "right": 0.0}
    mid = float(np.argwhere(mask)[:, 0].mean()) if midline_index is None else midline_index
    rows = np.arange(arr.shape[0])[:, None]
    sp = (float(spacing[0]), float(spacing[1]))
    return {
        "right": _max_thickness(mask & (rows > mid), sp),
        "left": _max_thickness(mask & (rows < mid), sp),
    }


def nearest_axial_slice(volume: Volume, z_mm: float) -> int:
    """Index (canonical axis 2) of the axial slice whose centre is nearest to world ``z_mm``."""
    can = volume.to_canonical()
    k = np.arange(can.shape[2])
    centres = can.world(np.stack([np.zeros_like(k), np.zeros_like(k), k], axis=1))[:, 2]
    return int(np.argmin(np.abs(centres - z_mm)))


def canal_measurements(labels: Volume, level: str, z_mm: float, sac_label: int,
                       lf_label: int) -> list[Measurement]:
    """Dural sac area (mm2) and left/right ligamentum flavum thickness (mm) at one level, on the
    axial slice nearest to world height ``z_mm`` (e.g. where the disc mid-plane meets the canal).

    Names: ``dural_sac_area_mm2`` (input of the ``central_stenosis_dsca`` rule),
    ``lf_thickness_left_mm``, ``lf_thickness_right_mm``, ``lf_thickness_mm`` (the thicker side).
    Verified on phantoms only (no real axial canal labels in the shared data).
    """
    can = labels.to_canonical()
    k = nearest_axial_slice(can, z_mm)
    sl = can.array[:, :, k]
    sp = can.spacing[:2]
    z_k = float(can.world((0, 0, k))[2])
    where = f"axial slice {k} (z {z_k:.1f} mm, {abs(z_k - z_mm):.1f} mm from the target plane)"
    lf = ligamentum_flavum_thickness(sl, sp, lf_label)
    ms = [Measurement(name="dural_sac_area_mm2", value=dural_sac_area(sl, sp, sac_label),
                      unit="mm2", level=level, method=f"sac label pixel area on {where}")]
    for side in SIDES:
        ms.append(Measurement(name=f"lf_thickness_{side}_mm", value=lf[side], unit="mm",
                              level=level, method=f"2 x max distance map - 0.5 px on {where}"))
    ms.append(Measurement(name="lf_thickness_mm", value=max(lf.values()), unit="mm", level=level,
                          method=f"thicker side; 2 x max distance map - 0.5 px on {where}"))
    return ms
