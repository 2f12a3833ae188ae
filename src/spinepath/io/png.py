"""Read sagittal PNG slices (2-D) with a known pixel spacing, including the SPIDER export layout.

A PNG slice is taken as one sagittal image with the head up and anterior on the left (after the
optional flip). It becomes a Volume of shape ``(1, n_AP, n_SI)`` in canonical RAS orientation; the
left-right position is unknown and set to 0 mm.

SPIDER development layout (``spider-dev``): ``t1/<patient>_t1.png``, ``t2/<patient>_t2.png`` stored
upside-down (``numpy.flipud`` puts the head up) and ``overview.csv`` with per-series DICOM metadata
(PixelSpacing as row, column mm; SliceThickness; TR/TE; SeriesDescription).
"""

from __future__ import annotations

import ast
import csv
from pathlib import Path

import numpy as np
from PIL import Image

from spinepath.errors import InputError
from spinepath.io.classify import SequenceTags, as_upper_list, classify_kind
from spinepath.model.study import Plane, Series, SeriesKind, Study
from spinepath.model.volume import Volume


def read_png(path: Path) -> np.ndarray:
    """A PNG file as a 2-D grayscale array (colour images are converted to luminance)."""
    try:
        with Image.open(path) as img:
            if img.mode not in ("L", "I", "I;16", "F"):
                img = img.convert("L")
            return np.asarray(img)
    except (OSError, SyntaxError) as exc:
        raise InputError(f"cannot read PNG {path}: {exc}") from exc


def sagittal_volume_from_image(
    image: np.ndarray,
    pixel_spacing: tuple[float, float],
    *,
    slice_thickness: float = 4.0,
    meta: dict[str, object] | None = None,
) -> Volume:
    """A 2-D sagittal picture (rows superior->inferior, columns anterior->posterior) as a Volume.

    Args:
        image: 2-D array, head at row 0, anterior at column 0.
        pixel_spacing: (row spacing, column spacing) in mm, as DICOM PixelSpacing.
        slice_thickness: mm, used as the left-right voxel size.
    """
    if image.ndim != 2:
        raise InputError(f"expected a 2-D image, got shape {image.shape}")
    row_sp, col_sp = (float(v) for v in pixel_spacing)
    if row_sp <= 0 or col_sp <= 0:
        raise InputError(f"pixel spacing must be positive, got {pixel_spacing}")
    # canonical axes: (R, A, S); A index grows anteriorly = reversed columns, S = reversed rows.
    arr = np.ascontiguousarray(image[::-1, ::-1].T)[None]  # (1, A, S)
    n_a, n_s = arr.shape[1], arr.shape[2]
    affine = np.diag([slice_thickness, col_sp, row_sp, 1.0])
    affine[:3, 3] = [0.0, -(n_a - 1) * col_sp / 2, -(n_s - 1) * row_sp / 2]
    return Volume(arr, affine, dict(meta or {}))


def _spider_overview(root: Path) -> dict[str, dict[str, str]]:
    path = root / "overview.csv"
    with open(path, newline="") as f:
        return {row["new_file_name"]: row for row in csv.DictReader(f)}


def _parse_spacing(text: str) -> tuple[float, float]:
    values = ast.literal_eval(text)
    return float(values[0]), float(values[1])


def find_spider_root(path: Path) -> Path | None:
    """The spider-dev style root (folder with overview.csv and t1/ or t2/) above or at ``path``."""
    for candidate in [path, *path.parents][:3]:
        if (candidate / "overview.csv").is_file() and (
            (candidate / "t2").is_dir() or (candidate / "t1").is_dir()
        ):
            return candidate
    return None


def spider_series(root: Path, name: str, overview: dict[str, dict[str, str]]) -> Series:
    """One SPIDER PNG series (``name`` like ``"10_t2"``) with spacing and tags from overview.csv."""
    row = overview.get(name)
    if row is None:
        raise InputError(f"{name!r} is not listed in {root / 'overview.csv'}")
    weighting = name.rsplit("_", 1)[-1]
    png = root / weighting / f"{name}.png"
    image = np.flipud(read_png(png))  # stored upside-down
    spacing = _parse_spacing(row["PixelSpacing"])
    thickness = float(row.get("SliceThickness") or 4.0)
    tags = SequenceTags(
        modality="MR",
        description=row.get("SeriesDescription", ""),
        scanning_sequence=as_upper_list(row.get("ScanningSequence")),
        repetition_time=float(row["RepetitionTime"]) if row.get("RepetitionTime") else None,
        echo_time=float(row["EchoTime"]) if row.get("EchoTime") else None,
    )
    kind = classify_kind(tags)
    volume = sagittal_volume_from_image(
        image, spacing, slice_thickness=thickness, meta={"source": str(png), "series": name}
    )
    return Series(
        uid=f"spider-{name}",
        description=row.get("SeriesDescription", name),
        modality="MR",
        plane=Plane.SAGITTAL,
        kind=kind.kind,
        kind_confidence=kind.confidence,
        kind_reasons=kind.reasons,
        volume=volume,
        n_instances=1,
        files=[png],
        tags={
            "Manufacturer": row.get("Manufacturer", ""),
            "MagneticFieldStrength": row.get("MagneticFieldStrength", ""),
            "PixelSpacing": spacing,
            "SliceThickness": thickness,
        },
    )


def load_spider_study(root: Path, patient: str) -> Study:
    """The T1 and T2 slices of one SPIDER patient as a Study."""
    overview = _spider_overview(root)
    series = [
        spider_series(root, f"{patient}_{w}", overview)
        for w in ("t1", "t2")
        if f"{patient}_{w}" in overview
    ]
    if not series:
        raise InputError(f"patient {patient!r} has no series in {root / 'overview.csv'}")
    return Study(patient_id=str(patient), study_uid=f"spider-{patient}", series=series, source=root)


def load_png_study(
    path: Path,
    *,
    pixel_spacing: tuple[float, float] | None = None,
    flip_vertical: bool = False,
    kind: SeriesKind | None = None,
) -> Study:
    """One PNG slice as a Study. Inside a SPIDER layout the spacing, tags and flip come from it."""
    root = find_spider_root(path.parent)
    if root is not None and pixel_spacing is None:
        name = path.name.removesuffix(".png")
        overview = _spider_overview(root)
        series = spider_series(root, name, overview)
        patient = name.rsplit("_", 1)[0]
        return Study(
            patient_id=patient, study_uid=f"spider-{patient}", series=[series], source=path
        )
    if pixel_spacing is None:
        raise InputError(
            f"{path} is a PNG slice without geometry: give its pixel spacing in mm "
            "(e.g. --pixel-spacing 0.5 0.5)."
        )
    image = read_png(path)
    if flip_vertical:
        image = np.flipud(image)
    volume = sagittal_volume_from_image(image, pixel_spacing, meta={"source": str(path)})
    from spinepath.io.nifti import series_from_volume

    series = series_from_volume(
        volume, uid=f"png-{path.stem}", description=path.stem, kind=kind, files=[path]
    )
    series.plane = Plane.SAGITTAL
    return Study(patient_id="", study_uid=f"png-{path.stem}", series=[series], source=path)
