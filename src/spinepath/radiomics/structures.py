"""Per-structure radiomics of a sagittal lumbar MRI series, from the pipeline's segmentation.

Structures, per level (names as in :mod:`spinepath.model.levels`):

* ``("L4-L5", "disc")``: the intervertebral disc (semantic 3 with level id 100 + id of L4);
* ``("L4", "vertebral_body")``: semantic 1 (vertebral body) within level id 23;
* ``("L4", "endplate_superior")`` / ``("L4", "endplate_inferior")``: the endplate zones, i.e. the
  body voxels within :data:`ENDPLATE_ZONE_MM` (3 mm, voxel centre to the nearest disc voxel
  centre, in mm) of the disc above / below. The S1 superior endplate zone is taken from the
  sacrum (semantic 5, level 26), which the segmenter does not split into S1 body and the rest,
  so the S1 "vertebral body" itself is not extracted;
* ``paraspinal_muscle``: not segmented on sagittal images (the muscles lie lateral to the
  slices that hold the spine, and the pipeline segments no muscle at all): reported as not
  available, with that reason, never silently left out.

Every structure that cannot be measured (adjacent disc missing from the field of view, ROI
below :data:`MIN_VOXELS` or above :data:`MAX_PLAUSIBLE_CM3`, ROI emptied by re-segmentation)
gets one row with ``feature`` None, ``value`` NaN and the ``reason``.

Default settings (:func:`sagittal_settings`): ``default_mr`` (3 SD outlier re-segmentation,
fixed bin number 32, IVH with 100 bins) with

* **2D and 2.5D texture aggregation along the slice axis** (IBSI 2.1, "aggregating features").
  Sagittal lumbar T2 is acquired with 0.5-1 mm pixels and 3-4.4 mm slices (slice spacing 4-8x
  the pixel size). A 3D texture matrix would mix neighbours 0.9 mm apart in-plane with
  neighbours 4.4 mm apart across slices, and 3D isotropic resampling would have to invent
  ~80% of the voxels by interpolation across the thick slices. The IBSI manual recommends the
  2D / 2.5D approach for such data: texture matrices are built within each sagittal slice only
  (2D: features per slice, averaged; 2.5D: matrices merged over the slices, which is more stable
  for the small lateral disc slices). Morphology and intensity features stay 3D: the mesh and
  the voxel volumes use the true anisotropic spacing.
* **no resampling by default** (the series' own grid). Through-plane resampling is what the 2D
  approach avoids; in-plane resampling (``in_plane_mm``, e.g. 1.0, grid-aligned, linear image
  and mask interpolation with the mask thresholded at 0.5, IBSI 2.4) makes one texture voxel the
  same size on every scanner of a cohort, but it moves the border of a thin ROI by up to half
  a pixel: on the phantom (0.875 mm pixels -> 1.0 mm) the mean T2 signal of a structure
  shifts by up to 10% for the 3 mm endplate zones, 8% for the discs and < 1% for the bodies
  (docs/benchmarks.md). Turn it on for cohorts that mix pixel sizes, and
  check the features used for their robustness to it.

MR intensities are in arbitrary units: intensity and histogram features are comparable across
studies only after normalisation or harmonisation (e.g. :mod:`spinepath.cohort.harmonise`);
texture features use a fixed bin number and so do not depend on the intensity scale.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import ndimage

from spinepath.errors import AnalysisError, InputError
from spinepath.model.levels import DISC_LEVELS, VERTEBRAE
from spinepath.model.volume import Volume
from spinepath.radiomics.codes import ibsi_code
from spinepath.radiomics.extract import extract_features
from spinepath.radiomics.settings import (
    InterpolationSettings,
    RadiomicsSettings,
    load_settings,
)
from spinepath.segment import labels as L

ENDPLATE_ZONE_MM = 3.0
"""Depth of the endplate zone into the vertebral body, mm (voxel centre to disc voxel centre)."""
MIN_VOXELS = 20
"""Smallest ROI (voxels on the series grid) for which features are computed."""

MAX_PLAUSIBLE_CM3: dict[str, float] = {
    "disc": 60.0,
    "vertebral_body": 120.0,
    "endplate_superior": 40.0,
    "endplate_inferior": 40.0,
}
"""Largest ROI volume (cm^3) taken as a real structure: about 3x the largest adult lumbar disc
(~20 cm^3) and vertebral body (~40 cm^3). A larger ROI is a segmentation failure; its features
would only pollute a cohort table, so it gets a reason instead."""

STRUCTURES: tuple[str, ...] = (
    "disc",
    "vertebral_body",
    "endplate_superior",
    "endplate_inferior",
    "paraspinal_muscle",
)
"""Structure names, in table order."""

COLUMNS: tuple[str, ...] = (
    "level",
    "structure",
    "feature",
    "ibsi_code",
    "value",
    "n_voxels",
    "reason",
)
"""Columns of the long-format table of :func:`extract_structures`."""

PARASPINAL_REASON = (
    "paraspinal muscle is not segmented on sagittal images: the pipeline's sagittal segmenter "
    "labels vertebrae, discs and canal only, and the multifidus / erector spinae lie lateral to "
    "the slices that hold the spine; they need an axial series and an axial muscle segmentation, "
    "which this version does not provide"
)
ALL_LEVELS = "all"
"""``level`` of a row that concerns no single level (paraspinal muscle not available)."""


class StructureMasks(dict):
    """``{(level, structure): bool mask}`` on the segmentation's (canonical) grid.

    Attributes:
        not_available: ``{(level, structure): reason}`` for the structures that could not be
            delineated (so that no structure is left out silently).
        spacing: voxel size of the masks' grid, mm per array axis.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.not_available: dict[tuple[str, str], str] = {}
        self.spacing: tuple[float, float, float] = (1.0, 1.0, 1.0)


def _vertebra_id(name: str) -> int | None:
    return L.VERTEBRA_IDS.get(name)


def _near(target: np.ndarray, source: np.ndarray, spacing, depth_mm: float) -> np.ndarray:
    """Voxels of ``target`` whose centre lies within ``depth_mm`` of a ``source`` voxel centre."""
    both = target | source
    idx = np.nonzero(both)
    pad = [math.ceil(depth_mm / s) + 1 for s in spacing]
    sl = tuple(
        slice(max(int(a.min()) - p, 0), int(a.max()) + p + 1) for a, p in zip(idx, pad, strict=True)
    )
    dist = ndimage.distance_transform_edt(~source[sl], sampling=spacing)
    out = np.zeros(target.shape, bool)
    out[sl] = target[sl] & (dist <= depth_mm + 1e-6)
    return out


def structure_masks(segmentation: Any, *, endplate_mm: float = ENDPLATE_ZONE_MM) -> StructureMasks:
    """Masks of every disc, vertebral body and endplate zone found in ``segmentation``.

    Args:
        segmentation: a :class:`spinepath.segment.api.SpineSegmentation` (or any object with
            ``semantic`` and ``levels`` Volumes on one grid, values of
            :mod:`spinepath.segment.labels`).
        endplate_mm: depth of the endplate zones into the body, mm.

    Returns:
        A :class:`StructureMasks`, cranial to caudal; ``not_available`` names what is missing
        and why (always including the paraspinal muscle).
    """
    sem_v: Volume = segmentation.semantic
    lev_v: Volume = segmentation.levels
    sem = np.asarray(sem_v.array)
    lev = np.asarray(lev_v.array)
    if sem.shape != lev.shape:
        raise InputError(
            f"semantic map {sem.shape} and level map {lev.shape} differ in shape; give the two "
            "maps of one segmentation"
        )
    spacing = sem_v.spacing
    out = StructureMasks()
    out.spacing = spacing
    discs = {}
    for name in DISC_LEVELS:
        if name.split("-")[0] not in L.VERTEBRA_IDS:  # no level id in the segmenter's maps
            continue
        m = (sem == L.DISC) & (lev == L.disc_id(name))
        if m.any():
            discs[name] = m
    present = [
        v for v in VERTEBRAE if _vertebra_id(v) is not None and (lev == _vertebra_id(v)).any()
    ]
    for v in present:
        vid = _vertebra_id(v)
        if v == "S1":
            body = (sem == L.SACRUM) & (lev == vid)
        else:
            body = (sem == L.VERTEBRAL_BODY) & (lev == vid)
            if body.any():
                out[(v, "vertebral_body")] = body
            else:
                out.not_available[(v, "vertebral_body")] = (
                    f"vertebra {v} is labelled but has no vertebral-body voxels (semantic "
                    f"{L.VERTEBRAL_BODY}): the segmentation does not split it into body and "
                    "posterior elements"
                )
        i = VERTEBRAE.index(v)
        sides = []
        if i > 0:
            sides.append(("endplate_superior", f"{VERTEBRAE[i - 1]}-{v}"))
        if v != "S1":
            sides.append(("endplate_inferior", f"{v}-{VERTEBRAE[i + 1]}"))
        for structure, disc in sides:
            if disc not in discs:
                out.not_available[(v, structure)] = (
                    f"disc {disc} is not in the segmentation (outside the field of view or not "
                    "found), so this endplate zone is undefined"
                )
                continue
            if not body.any():
                out.not_available[(v, structure)] = (
                    f"no {'sacrum' if v == 'S1' else 'vertebral-body'} voxels labelled {v}"
                )
                continue
            zone = _near(body, discs[disc], spacing, endplate_mm)
            if zone.any():
                out[(v, structure)] = zone
            else:
                out.not_available[(v, structure)] = (
                    f"no {v} body voxel lies within {endplate_mm:g} mm of disc {disc}"
                )
    for name, m in discs.items():
        out[(name, "disc")] = m
    order = {n: k for k, n in enumerate(VERTEBRAE)}

    def key(item):
        (level, structure), _ = item
        first = level.split("-")[0]
        rank = 2 * order[first] + (1 if "-" in level else 0)
        return rank, STRUCTURES.index(structure)

    ordered = StructureMasks(sorted(out.items(), key=key))
    ordered.spacing = spacing
    ordered.not_available = dict(out.not_available)
    ordered.not_available[(ALL_LEVELS, "paraspinal_muscle")] = PARASPINAL_REASON
    return ordered


def slice_axis(volume: Volume) -> int:
    """Array axis along which the slices are stacked: the one with the largest spacing, or,
    for (near-)isotropic voxels, the one with the fewest voxels (as the segmenter decides)."""
    sp = np.asarray(volume.spacing)
    if np.ptp(sp) > 0.05 * sp.max():
        return int(np.argmax(sp))
    return int(np.argmin(np.asarray(volume.shape)))


def sagittal_settings(
    volume: Volume | None = None,
    base: RadiomicsSettings | str = "default_mr",
    *,
    in_plane_mm: float | None = None,
) -> RadiomicsSettings:
    """The default settings for sagittal MRI structures (see the module docstring).

    Args:
        volume: the (canonical) series; its thickest axis is the slice axis (0 when None, the
            left-right axis of a canonical sagittal series).
        base: settings to start from (``default_mr``).
        in_plane_mm: resample in-plane to this pixel size (mm), slice axis kept; None keeps the
            series' grid.
    """
    s = base if isinstance(base, RadiomicsSettings) else load_settings(base)
    axis = 0 if volume is None else slice_axis(volume)
    update: dict[str, Any] = {
        "name": f"{s.name}+sagittal_2D",
        "description": f"{s.description}; 2D and 2.5D texture along the slice axis",
        "texture": s.texture.model_copy(update={"aggregation": ("2D", "2.5D"), "slice_axis": axis}),
    }
    if in_plane_mm is not None:
        spacing: list[float | None] = [float(in_plane_mm)] * 3
        spacing[axis] = None
        update["name"] += f"+inplane_{in_plane_mm:g}mm"
        update["description"] += f"; in-plane resampling to {in_plane_mm:g} mm"
        update["interpolation"] = InterpolationSettings(
            spacing_mm=tuple(spacing),  # type: ignore[arg-type]
            image_method="linear",
            mask_method="linear",
            mask_threshold=0.5,
        )
    return s.model_copy(update=update)


def _code(tag: str) -> str | None:
    try:
        return ibsi_code(tag)
    except KeyError:
        return None


def _missing(level: str, structure: str, reason: str, n: int | None = None) -> dict[str, Any]:
    return {
        "level": level,
        "structure": structure,
        "feature": None,
        "ibsi_code": None,
        "value": float("nan"),
        "n_voxels": n,
        "reason": reason,
    }


def extract_structures(
    series_volume: Volume,
    segmentation: Any,
    settings: RadiomicsSettings | str | Path | None = None,
    *,
    masks: StructureMasks | None = None,
) -> pd.DataFrame:
    """IBSI features of every structure of ``segmentation`` in ``series_volume``.

    Args:
        series_volume: the segmented series (any orientation; brought to canonical RAS, which
            must be the segmentation's grid).
        segmentation: the series' :class:`~spinepath.segment.api.SpineSegmentation`.
        settings: a :class:`RadiomicsSettings`, a YAML path or shipped name, or None for
            :func:`sagittal_settings` (default MR, native grid, 2D/2.5D texture).
        masks: precomputed :func:`structure_masks` (computed when None).

    Returns:
        Long table with :data:`COLUMNS`: one row per (level, structure, feature); ``value`` in
        the feature's unit (mm, mm^2, mm^3 for morphology; MR arbitrary units for intensity);
        ``n_voxels`` is the ROI size on the series grid. Structures that could not be measured
        have one row with ``feature`` None, ``value`` NaN and the ``reason``.
        ``DataFrame.attrs`` holds the settings name and the seconds spent.

    Raises:
        InputError: the segmentation is not on the series' grid.
        AnalysisError: the segmentation holds no disc and no vertebra (not a spine).
    """
    t0 = time.perf_counter()
    can = series_volume.to_canonical()
    sem = segmentation.semantic
    if sem.shape != can.shape or not np.allclose(sem.affine, can.affine, atol=1e-2):
        raise InputError(
            f"the segmentation (shape {sem.shape}) is not on the grid of the series (canonical "
            f"shape {can.shape}); segment this series, or resample the label maps onto it"
        )
    if settings is None:
        cfg = sagittal_settings(can)
    elif isinstance(settings, RadiomicsSettings):
        cfg = settings
    else:
        cfg = load_settings(settings)
    masks = masks if masks is not None else structure_masks(segmentation)
    if not masks:
        raise AnalysisError(
            "the segmentation holds no disc and no vertebra, so there is no structure to "
            "measure; give a sagittal lumbar spine series"
        )
    rows: list[dict[str, Any]] = []
    image = Volume(np.asarray(can.array, dtype=np.float64), can.affine, dict(can.meta))
    for (level, structure), mask in masks.items():
        n = int(np.count_nonzero(mask))
        if n < MIN_VOXELS:
            rows.append(_missing(level, structure, f"ROI of {n} voxels is below {MIN_VOXELS}", n))
            continue
        cm3 = n * float(np.prod(can.spacing)) / 1000.0
        limit = MAX_PLAUSIBLE_CM3.get(structure)
        if limit is not None and cm3 > limit:
            rows.append(
                _missing(
                    level,
                    structure,
                    f"implausible ROI of {cm3:.0f} cm^3 (a lumbar {structure.replace('_', ' ')} "
                    f"is below {limit:g} cm^3): segmentation failure, not measured",
                    n,
                )
            )
            continue
        try:
            feats = extract_features(image, mask, cfg)
        except AnalysisError as exc:
            rows.append(_missing(level, structure, str(exc), n))
            continue
        for tag, value in feats.items():
            rows.append(
                {
                    "level": level,
                    "structure": structure,
                    "feature": tag,
                    "ibsi_code": _code(tag),
                    "value": float(value),
                    "n_voxels": n,
                    "reason": None,
                }
            )
    for (level, structure), reason in masks.not_available.items():
        rows.append(_missing(level, structure, reason))
    df = pd.DataFrame(rows, columns=list(COLUMNS))
    df["n_voxels"] = df["n_voxels"].astype("Int64")
    df.attrs["settings"] = cfg.name
    df.attrs["seconds"] = round(time.perf_counter() - t0, 3)
    return df


def study_sagittal_t2(study: Any) -> Any:
    """The series the pipeline uses as sagittal T2 (raises :class:`InputError` when absent)."""
    from spinepath.pipeline import choose_series

    series = choose_series(study).sagittal_t2
    if series is None or series.volume is None:
        kinds = ", ".join(f"{s.plane.value} {s.kind.value}" for s in study.series) or "none"
        raise InputError(
            f"no sagittal T2 series in this study (series present: {kinds}); per-structure "
            "radiomics need the sagittal T2 the pipeline segments"
        )
    return series


@dataclass
class LabelMaps:
    """A segmentation given as spinepath's two label maps (``spinepath segment`` writes them as
    ``*_seg.nii.gz`` and ``*_levels.nii.gz``), on the canonical grid of their series."""

    semantic: Volume
    levels: Volume


def load_label_maps(semantic: Path, levels: Path) -> LabelMaps:
    """Read a semantic and a level map (NIfTI) written by ``spinepath segment``."""
    import nibabel as nib

    vols = []
    for p in (semantic, levels):
        if not Path(p).is_file():
            raise InputError(f"label map not found: {p}")
        img = nib.load(p)
        vols.append(Volume(np.asarray(img.dataobj).astype(np.int16), img.affine).to_canonical())
    sem, lev = vols
    if sem.shape != lev.shape or not np.allclose(sem.affine, lev.affine, atol=1e-2):
        raise InputError(
            f"the semantic map {semantic} and the level map {levels} are not on one grid"
        )
    return LabelMaps(sem, lev)


def study_structures(
    study: Any,
    *,
    settings: RadiomicsSettings | str | Path | None = None,
    model: Path | None = None,
    labelmap: Path | None = None,
    convention: str | None = None,
    maps: LabelMaps | None = None,
) -> pd.DataFrame:
    """Per-structure radiomics of a study's sagittal T2 (the series the pipeline uses).

    The segmentation is, in order of precedence: ``maps`` (spinepath's own label maps),
    ``labelmap`` (an external map imported as the pipeline imports it), else the pipeline's
    segmenter (``model``, or the shipped ONNX model).

    Raises:
        InputError: no sagittal T2, a series that is not sagittal, maps on another grid.
        AnalysisError: no lumbar spine found in the series.
    """
    series = study_sagittal_t2(study)
    if maps is not None:
        seg: Any = maps
    elif labelmap is not None:
        from spinepath.segment.run import imported_segmentation

        seg = imported_segmentation(series, labelmap, convention)
    else:
        from spinepath.segment.api import segment_volume
        from spinepath.segment.onnx_model import OnnxSegmenter

        seg = segment_volume(series.volume, segmenter=OnnxSegmenter(model))
    df = extract_structures(series.volume, seg, settings)
    df.attrs["series"] = series.description or series.uid
    return df


def imaging_radiomics_rows(
    study_id: str,
    imaging: Any,
    *,
    role: str = "sagittal T2",
    settings: RadiomicsSettings | str | Path | None = None,
) -> list[dict[str, Any]]:
    """Rows of the cohort ``radiomics`` table from a pipeline :class:`ImagingResult`.

    Columns: study_id, series_role, then :data:`COLUMNS`. When the series was not segmented,
    one row carries the pipeline's reason.
    """
    inputs = imaging.segmentations.get(role)
    if inputs is None:
        reason = imaging.not_assessed.get(f"{role} segmentation") or f"no {role} series"
        rows = [_missing(ALL_LEVELS, "all", f"no radiomics: {reason}")]
    else:
        try:
            df = extract_structures(inputs.series.volume, inputs.segmentation, settings)
        except (AnalysisError, InputError) as exc:
            rows = [_missing(ALL_LEVELS, "all", f"no radiomics: {exc}")]
        else:
            rows = df.astype(object).where(df.notna(), None).to_dict("records")
            for r in rows:
                if r["value"] is None:
                    r["value"] = float("nan")
    return [{"study_id": study_id, "series_role": role, **r} for r in rows]
