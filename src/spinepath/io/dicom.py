"""Read a DICOM study from a folder or a .zip archive into a :class:`Study`."""

from __future__ import annotations

from pathlib import Path

from spinepath.errors import EmptyInputError, InputError
from spinepath.io.dicom_files import scan_dicom
from spinepath.io.dicom_series import build_series, check_single_study, group_series
from spinepath.model.study import Study


def _age_years(value: object) -> float | None:
    """DICOM PatientAge (e.g. ``"045Y"``, ``"006M"``) in years."""
    text = str(value or "").strip().upper()
    if len(text) != 4 or not text[:3].isdigit():
        return None
    n = int(text[:3])
    return {"Y": n, "M": n / 12, "W": n / 52.18, "D": n / 365.25}.get(text[3])


def load_dicom_study(path: Path, *, strict: bool = True) -> Study:
    """Read every DICOM series under ``path`` (folder or .zip).

    Args:
        path: a folder (searched recursively) or a .zip archive.
        strict: when True (default) a series with inconsistent geometry is an error naming the
            series; when False it is left out with a warning and the other series are kept.

    Raises:
        EmptyInputError: no DICOM image was found (the message says what was there instead).
        MixedStudyError: more than one patient or study.
        InconsistentSeriesError / MissingSlicesError: see :func:`build_series` (strict mode).
    """
    scan = scan_dicom(path)
    if not scan.datasets:
        if scan.n_files == 0:
            raise EmptyInputError(f"{path} is empty: no files to read.")
        detail = f"{len(scan.skipped)} non-DICOM file(s)"
        if scan.unreadable:
            first = next(iter(scan.unreadable.items()))
            detail += (
                f", {len(scan.unreadable)} unreadable DICOM file(s) (e.g. {first[0]}: {first[1]})"
            )
        raise EmptyInputError(f"no readable DICOM image in {path}: {detail}.")
    patient_id, study_uid = check_single_study(scan.datasets)
    first = scan.datasets[0][1]
    study = Study(
        patient_id=patient_id,
        study_uid=study_uid,
        source=path,
        skipped_files=dict(scan.skipped),
        patient_age_years=_age_years(getattr(first, "PatientAge", None)),
        patient_sex=str(getattr(first, "PatientSex", "")) or None,
        study_date=str(getattr(first, "StudyDate", "")) or None,
    )
    if scan.unreadable:
        listing = "; ".join(f"{p}: {why}" for p, why in scan.unreadable.items())
        study.warnings.append(
            f"{len(scan.unreadable)} file(s) could not be read and were left out: {listing}"
        )
    groups, localizers = group_series(scan.datasets)
    study.skipped_files.update(localizers)
    for (uid, sub), members in groups.items():
        try:
            series = build_series(uid, members, sub=sub)
        except InputError as exc:
            if strict:
                raise
            study.warnings.append(f"series left out: {exc}")
            continue
        study.warnings.extend(series.warnings)
        study.series.append(series)
    study.series.sort(key=lambda s: (s.number if s.number is not None else 1 << 30, s.description))
    return study
