"""``load_study``: one entry point that reads any supported input into a Study."""

from __future__ import annotations

import zipfile
from pathlib import Path

from spinepath.errors import EmptyInputError, InputError, UnsupportedInputError
from spinepath.model.study import SeriesKind, Study


def load_study(
    path: str | Path,
    *,
    strict: bool = True,
    pixel_spacing: tuple[float, float] | None = None,
    flip_vertical: bool = False,
    kind: SeriesKind | None = None,
    patient: str | None = None,
) -> Study:
    """Read a study from a DICOM folder or .zip, a NIfTI file, or a PNG slice.

    Args:
        path: the input.
        strict: refuse series with inconsistent geometry (default) rather than leave them out.
        pixel_spacing: (row, column) mm for a PNG outside a known layout.
        flip_vertical: flip a PNG upside-down first (SPIDER exports are stored so).
        kind: series kind of a NIfTI/PNG input when its name does not say.
        patient: patient id inside a SPIDER-style folder (overview.csv + t1/ t2/).

    Raises:
        InputError (and subclasses) with a message that says what to do.
    """
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p} does not exist.")
    name = p.name.lower()
    if p.is_dir():
        from spinepath.io.png import find_spider_root, load_spider_study

        root = find_spider_root(p)
        if root is not None:
            if patient is None:
                raise InputError(
                    f"{p} is a SPIDER-style folder of many patients: name one with --patient."
                )
            return load_spider_study(root, patient)
        if not any(p.iterdir()):
            raise EmptyInputError(f"{p} is an empty folder.")
        from spinepath.io.dicom import load_dicom_study

        return load_dicom_study(p, strict=strict)
    if name.endswith((".nii", ".nii.gz")):
        from spinepath.io.nifti import load_nifti_study

        return load_nifti_study(p, kind=kind)
    if name.endswith(".png"):
        from spinepath.io.png import load_png_study

        return load_png_study(
            p, pixel_spacing=pixel_spacing, flip_vertical=flip_vertical, kind=kind
        )
    if zipfile.is_zipfile(p) or name.endswith(".dcm"):
        from spinepath.io.dicom import load_dicom_study

        if name.endswith(".dcm"):
            return _single_dicom(p, strict=strict)
        return load_dicom_study(p, strict=strict)
    raise UnsupportedInputError(
        f"{p} is not a folder, .zip, .dcm, .nii(.gz) or .png; spinepath cannot read it."
    )


def _single_dicom(path: Path, *, strict: bool) -> Study:
    """A single DICOM file as a study (one series, one or more frames)."""
    import pydicom

    from spinepath.io.dicom_series import build_series

    try:
        ds = pydicom.dcmread(path)
    except Exception as exc:
        raise InputError(f"cannot read DICOM file {path}: {exc}") from exc
    if "SeriesInstanceUID" not in ds:
        raise InputError(f"{path} has no SeriesInstanceUID; is it an image?")
    series = build_series(str(ds.SeriesInstanceUID), [(path, ds)])
    return Study(
        patient_id=str(getattr(ds, "PatientID", "")),
        study_uid=str(getattr(ds, "StudyInstanceUID", "")),
        series=[series],
        source=path,
        warnings=list(series.warnings),
    )
