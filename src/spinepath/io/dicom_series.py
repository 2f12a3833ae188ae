"""Group DICOM datasets into series and build each series' Volume.

Geometry: slices are ordered by the projection of ImagePositionPatient on the slice normal
(never by file name or InstanceNumber). The voxel array is built as ``[slice, row, column]``;
the affine's columns are the slice normal times the slice step, the DICOM column direction
cosine times the row spacing and the row direction cosine times the column spacing. The
result is converted from LPS to RAS and brought to canonical orientation (see
:mod:`spinepath.model.volume`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from pydicom.dataset import Dataset

from spinepath.errors import InconsistentSeriesError, MissingSlicesError, MixedStudyError
from spinepath.io.classify import (
    SequenceTags,
    as_upper_list,
    classify_kind,
    plane_from_normal,
    plane_from_orientation,
)
from spinepath.model.study import Plane, Series, SeriesKind
from spinepath.model.volume import LPS_TO_RAS, Volume

ORIENTATION_TOL = 1e-3
"""Largest difference in direction cosines accepted within one series."""
SPACING_TOL_MM = 1e-3
GAP_FACTOR = 1.5
"""A step between slices larger than this times the median step is a gap (missing slices)."""
MAX_MISSING_FRACTION = 0.2
"""Above this fraction of missing slices a series is refused rather than padded."""
NON_IMAGE_MODALITIES = {"SR", "SEG", "PR", "KO", "REG", "RTSTRUCT", "DOC"}


def _float(value: object) -> float | None:
    try:
        return None if value is None or value == "" else float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def check_single_study(datasets: Sequence[tuple[Path, Dataset]]) -> tuple[str, str]:
    """The (PatientID, StudyInstanceUID) shared by all datasets.

    Raises:
        MixedStudyError: naming every patient / study found when there is more than one.
    """
    patients: dict[str, int] = defaultdict(int)
    studies: dict[str, int] = defaultdict(int)
    for _, ds in datasets:
        patients[str(getattr(ds, "PatientID", ""))] += 1
        studies[str(getattr(ds, "StudyInstanceUID", ""))] += 1
    if len(patients) > 1:
        listing = ", ".join(f"{p or '<empty>'!r} ({n} files)" for p, n in sorted(patients.items()))
        raise MixedStudyError(
            f"the input holds {len(patients)} patients: {listing}. Give one patient's study per "
            "folder (split it, e.g. by PatientID)."
        )
    if len(studies) > 1:
        listing = ", ".join(f"{s} ({n} files)" for s, n in sorted(studies.items()))
        raise MixedStudyError(
            f"the input holds {len(studies)} studies of one patient: {listing}. Give one study "
            "per folder."
        )
    return next(iter(patients)), next(iter(studies))


def _series_tags(ds: Dataset) -> dict[str, object]:
    seq_info = getattr(ds, "RadiopharmaceuticalInformationSequence", None)
    return {
        "RepetitionTime": _float(getattr(ds, "RepetitionTime", None)),
        "EchoTime": _float(getattr(ds, "EchoTime", None)),
        "InversionTime": _float(getattr(ds, "InversionTime", None)),
        "MagneticFieldStrength": _float(getattr(ds, "MagneticFieldStrength", None)),
        "Manufacturer": str(getattr(ds, "Manufacturer", "")),
        "ManufacturerModelName": str(getattr(ds, "ManufacturerModelName", "")),
        "ScanningSequence": as_upper_list(getattr(ds, "ScanningSequence", None)),
        "SequenceVariant": as_upper_list(getattr(ds, "SequenceVariant", None)),
        "ScanOptions": as_upper_list(getattr(ds, "ScanOptions", None)),
        "ImageType": as_upper_list(getattr(ds, "ImageType", None)),
        "SliceThickness": _float(getattr(ds, "SliceThickness", None)),
        "BodyPartExamined": str(getattr(ds, "BodyPartExamined", "")),
        "Units": str(getattr(ds, "Units", "")),
        "has_radiopharmaceutical": seq_info is not None,
    }


def _classify(ds: Dataset, modality: str) -> tuple[SeriesKind, float, list[str]]:
    tags = SequenceTags(
        modality=modality,
        description=str(getattr(ds, "SeriesDescription", "")),
        scanning_sequence=as_upper_list(getattr(ds, "ScanningSequence", None)),
        sequence_variant=as_upper_list(getattr(ds, "SequenceVariant", None)),
        scan_options=as_upper_list(getattr(ds, "ScanOptions", None)),
        image_type=as_upper_list(getattr(ds, "ImageType", None)),
        repetition_time=_float(getattr(ds, "RepetitionTime", None)),
        echo_time=_float(getattr(ds, "EchoTime", None)),
        inversion_time=_float(getattr(ds, "InversionTime", None)),
        sequence_name=str(getattr(ds, "SequenceName", "")),
    )
    result = classify_kind(tags)
    return result.kind, result.confidence, result.reasons


def _sub_key(ds: Dataset) -> tuple[str, ...]:
    """Key that separates stacks sharing one SeriesInstanceUID (Dixon images, echoes)."""
    itype = as_upper_list(getattr(ds, "ImageType", None))
    return (
        "\\".join(itype[2:]) if len(itype) > 2 else "",
        str(getattr(ds, "EchoNumbers", "")),
    )


def _is_localizer(ds: Dataset) -> bool:
    itype = as_upper_list(getattr(ds, "ImageType", None))
    desc = str(getattr(ds, "SeriesDescription", "")).lower()
    return "LOCALIZER" in itype or any(
        w in desc for w in ("localizer", "scout", "survey", "3-plane")
    )


def _pixels(ds: Dataset, path: Path) -> np.ndarray:
    """Pixel array of one slice, rescale slope/intercept applied (then float32)."""
    try:
        arr = ds.pixel_array
    except Exception as exc:
        raise InconsistentSeriesError(f"cannot decode pixel data of {path}: {exc}") from exc
    slope = _float(getattr(ds, "RescaleSlope", None))
    intercept = _float(getattr(ds, "RescaleIntercept", None))
    if (slope not in (None, 1.0)) or (intercept not in (None, 0.0)):
        arr = arr.astype(np.float32) * np.float32(slope if slope is not None else 1.0)
        arr += np.float32(intercept or 0.0)
    return arr


def _frame_geometry(ds: Dataset) -> list[tuple[np.ndarray, np.ndarray, tuple[float, float]]]:
    """(IPP, IOP, PixelSpacing) per frame of an enhanced multi-frame image."""
    shared = getattr(ds, "SharedFunctionalGroupsSequence", [None])[0]
    per_frame = getattr(ds, "PerFrameFunctionalGroupsSequence", [])
    out = []
    for frame in per_frame:

        def pick(name: str, fr: Dataset = frame) -> Dataset | None:
            for group in (fr, shared):
                if group is not None and name in group:
                    return group[name].value[0]
            return None

        pos = pick("PlanePositionSequence")
        ori = pick("PlaneOrientationSequence")
        pix = pick("PixelMeasuresSequence")
        if pos is None or ori is None or pix is None:
            raise InconsistentSeriesError(
                "enhanced multi-frame image lacks plane position/orientation/pixel measures"
            )
        out.append(
            (
                np.asarray(pos.ImagePositionPatient, float),
                np.asarray(ori.ImageOrientationPatient, float),
                (float(pix.PixelSpacing[0]), float(pix.PixelSpacing[1])),
            )
        )
    return out


def build_volume(
    slices: list[tuple[np.ndarray, np.ndarray, tuple[float, float], np.ndarray]],
    label: str,
    warnings: list[str],
) -> tuple[Volume, list[int]]:
    """Stack 2-D slices into a canonical RAS Volume.

    Args:
        slices: per slice (IPP mm LPS, IOP, (row, column spacing) mm, pixels [row, col]).
        label: series name used in messages.
        warnings: list that receives gap warnings.

    Returns:
        The volume and the order in which the input slices were stacked.

    Raises:
        InconsistentSeriesError: mixed orientation, spacing or matrix size; duplicate positions.
        MissingSlicesError: more than ``MAX_MISSING_FRACTION`` of the slices missing.
    """
    ipps = np.array([s[0] for s in slices])
    iops = np.array([s[1] for s in slices])
    spacings = np.array([s[2] for s in slices])
    shapes = {s[3].shape for s in slices}
    if np.abs(iops - iops[0]).max() > ORIENTATION_TOL:
        distinct = {tuple(np.round(o, 3)) for o in iops}
        raise InconsistentSeriesError(
            f"series {label} mixes {len(distinct)} slice orientations {sorted(distinct)}; "
            "a series must be one stack. Split it or remove the odd slices."
        )
    if np.abs(spacings - spacings[0]).max() > SPACING_TOL_MM:
        distinct_sp = sorted({tuple(np.round(s, 4)) for s in spacings})
        raise InconsistentSeriesError(
            f"series {label} mixes pixel spacings {distinct_sp} mm; a stack shares one spacing."
        )
    if len(shapes) > 1:
        raise InconsistentSeriesError(f"series {label} mixes matrix sizes {sorted(shapes)}.")
    row_cos, col_cos = iops[0][:3], iops[0][3:]
    normal = np.cross(row_cos, col_cos)
    dist = ipps @ normal
    order = list(np.argsort(dist, kind="stable"))
    dist_sorted = dist[order]
    steps = np.diff(dist_sorted)
    if len(steps) and np.min(steps) < 1e-3:
        raise InconsistentSeriesError(
            f"series {label} has {int(np.sum(steps < 1e-3)) + 1} slices at the same position "
            "(duplicates or several stacks sharing one SeriesInstanceUID)."
        )
    pixel_arrays = [slices[i][3] for i in order]
    step = float(np.median(steps)) if len(steps) else float(spacings[0][0])
    if len(steps):
        gaps = np.nonzero(steps > GAP_FACTOR * step)[0]
        if len(gaps):
            n_missing = int(sum(round(steps[g] / step) - 1 for g in gaps))
            where = ", ".join(f"{dist_sorted[g]:.1f}..{dist_sorted[g + 1]:.1f} mm" for g in gaps)
            if n_missing > MAX_MISSING_FRACTION * (len(slices) + n_missing):
                raise MissingSlicesError(
                    f"series {label} misses about {n_missing} of {len(slices) + n_missing} slices "
                    f"(gaps at {where} along the slice normal). Re-export the complete series."
                )
            warnings.append(
                f"series {label}: about {n_missing} missing slice(s) at {where}; blank slices "
                "were inserted to keep the geometry, measurements there are not possible."
            )
            filled: list[np.ndarray] = []
            for i, arr in enumerate(pixel_arrays):
                filled.append(arr)
                if i < len(steps) and i in set(gaps.tolist()):
                    filled.extend(np.zeros_like(arr) for _ in range(round(steps[i] / step) - 1))
            pixel_arrays = filled
    stack = np.empty((len(pixel_arrays), *pixel_arrays[0].shape), dtype=pixel_arrays[0].dtype)
    for i, arr in enumerate(pixel_arrays):  # [slice, row, column]: one contiguous copy
        stack[i] = arr
    row_sp, col_sp = spacings[0]
    affine = np.eye(4)
    affine[:3, 0] = normal * step
    affine[:3, 1] = col_cos * row_sp
    affine[:3, 2] = row_cos * col_sp
    affine[:3, 3] = ipps[order[0]]
    vol = Volume(stack, LPS_TO_RAS @ affine)
    return vol.to_canonical(), [int(i) for i in order]


def build_series(uid: str, members: list[tuple[Path, Dataset]], *, sub: str = "") -> Series:
    """Build a Series (classified, with its Volume) from the datasets that share a UID."""
    first = members[0][1]
    modality = str(getattr(first, "Modality", "OT")).upper()
    description = str(getattr(first, "SeriesDescription", "")) or f"series {uid[-8:]}"
    label = f"{getattr(first, 'SeriesNumber', '?')} {description!r}{(' ' + sub) if sub else ''}"
    kind, confidence, reasons = _classify(first, modality)
    series = Series(
        uid=uid,
        description=description,
        modality=modality,
        kind=kind,
        kind_confidence=confidence,
        kind_reasons=reasons,
        n_instances=len(members),
        tags=_series_tags(first),
        number=int(first.SeriesNumber)
        if getattr(first, "SeriesNumber", None) not in (None, "")
        else None,
    )
    if modality in NON_IMAGE_MODALITIES or "PixelData" not in first:
        series.files = [p for p, _ in members]
        return series
    n_frames = int(getattr(first, "NumberOfFrames", 1) or 1)
    slices: list[tuple[np.ndarray, np.ndarray, tuple[float, float], np.ndarray]] = []
    if n_frames > 1 and "PerFrameFunctionalGroupsSequence" in first:
        for path, ds in members:
            frames = _pixels(ds, path)
            for geo, frame in zip(_frame_geometry(ds), frames, strict=False):
                slices.append((geo[0], geo[1], geo[2], frame))
    elif len(members) == 1 and "ImageOrientationPatient" not in first:
        return _series_without_geometry(series, members[0], label)
    else:
        for path, ds in members:
            iop = getattr(ds, "ImageOrientationPatient", None)
            ipp = getattr(ds, "ImagePositionPatient", None)
            ps = getattr(ds, "PixelSpacing", None) or getattr(ds, "ImagerPixelSpacing", None)
            if iop is None or ipp is None or ps is None:
                raise InconsistentSeriesError(
                    f"series {label}: {path.name} lacks ImageOrientationPatient, "
                    "ImagePositionPatient or PixelSpacing, so its geometry is unknown."
                )
            arr = _pixels(ds, path)
            if arr.ndim != 2:
                raise InconsistentSeriesError(
                    f"series {label}: {path.name} has pixel data of shape {arr.shape}; "
                    "expected one 2-D grayscale frame."
                )
            slices.append(
                (np.asarray(ipp, float), np.asarray(iop, float), (float(ps[0]), float(ps[1])), arr)
            )
    warnings: list[str] = []
    volume, order = build_volume(slices, label, warnings)
    series.plane = plane_from_orientation(list(slices[0][1])) if slices else Plane.UNKNOWN
    if len(slices) == 1:
        series.plane = plane_from_normal(np.cross(slices[0][1][:3], slices[0][1][3:]))
    volume.meta.update({"series_uid": uid, "description": description, "modality": modality})
    series.volume = volume
    series.warnings.extend(warnings)
    if n_frames == 1:
        series.files = [members[i][0] for i in order]
    else:
        series.files = [p for p, _ in members]
    return series


def _series_without_geometry(series: Series, member: tuple[Path, Dataset], label: str) -> Series:
    """A single file without patient geometry (planar NM, secondary capture): frames are stacked
    with an identity orientation and the pixel spacing when known, and a warning says so."""
    path, ds = member
    arr = _pixels(ds, path)
    frames = arr[None] if arr.ndim == 2 else arr
    if frames.ndim != 3:
        raise InconsistentSeriesError(
            f"series {label}: pixel data of shape {arr.shape} is not grayscale"
        )
    ps = getattr(ds, "PixelSpacing", None) or [1.0, 1.0]
    affine = np.diag(
        [float(ps[1]), float(ps[0]), float(getattr(ds, "SliceThickness", 1.0) or 1.0), 1]
    )
    series.volume = Volume(
        np.ascontiguousarray(np.transpose(frames, (2, 1, 0))),
        affine,
        {"series_uid": series.uid, "description": series.description},
    )
    series.warnings.append(
        f"series {label}: no ImageOrientationPatient/ImagePositionPatient; patient geometry is "
        "unknown, so no measurement in patient space is made on it."
    )
    series.files = [path]
    return series


def group_series(
    datasets: Sequence[tuple[Path, Dataset]],
) -> tuple[dict[tuple[str, str], list[tuple[Path, Dataset]]], dict[str, str]]:
    """Group datasets by SeriesInstanceUID (split by image type/echo where stacks overlap).

    Returns the groups keyed by (uid, sub-label) and the files left out as localizers.
    """
    by_uid: dict[str, list[tuple[Path, Dataset]]] = defaultdict(list)
    localizers: dict[str, str] = {}
    for path, ds in datasets:
        if _is_localizer(ds):
            localizers[str(path)] = "localizer / scout image"
            continue
        by_uid[str(ds.SeriesInstanceUID)].append((path, ds))
    groups: dict[tuple[str, str], list[tuple[Path, Dataset]]] = {}
    for uid, members in by_uid.items():
        subs: dict[tuple[str, ...], list[tuple[Path, Dataset]]] = defaultdict(list)
        for item in members:
            subs[_sub_key(item[1])].append(item)
        if len(subs) == 1:
            groups[(uid, "")] = members
        else:
            for key, items in subs.items():
                groups[(uid, "/".join(k for k in key if k))] = items
    return groups, localizers
