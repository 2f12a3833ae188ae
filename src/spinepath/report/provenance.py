"""Provenance and study description for the report: input hashes, series roles, scope checks.

Every output carries the same provenance: input file hashes (SHA-256), software version, model
hashes, parameters and timestamps (:class:`~spinepath.model.report.Provenance`). This module fills
what the analysis did not (hashing the study's files when no input was recorded), describes the
study's series and their roles, and says what could not be assessed and why.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from spinepath.model.report import Provenance, SeriesInfo, StudyInfo
from spinepath.model.study import Series, Study
from spinepath.model.volume import Volume

LUMBAR_BODY_PARTS = ("LSPINE", "LUMBAR", "SPINE", "TLSPINE", "LSSPINE", "SACRUM", "L-SPINE")
LUMBAR_IDS = frozenset({20, 21, 22, 23, 24})

def series_roles(study: Study) -> dict[str, Series]:
    """The series chosen for each role, as the pipeline chose them
    (:func:`spinepath.pipeline.choose_series`), keyed ``sagittal_t2``, ``sagittal_t1``,
    ``sagittal_stir``, ``axial_t2``."""
    from spinepath.pipeline import choose_series

    choice = choose_series(study)
    out: dict[str, Series] = {}
    for role in ("sagittal_t2", "sagittal_t1", "sagittal_stir", "axial_t2"):
        series = getattr(choice, role)
        if series is not None:
            out[role] = series
    return out


def study_info(study: Study) -> StudyInfo:
    """The report's description of a study (series with their roles)."""
    roles = {s.uid: role for role, s in series_roles(study).items()}
    body = {str(s.tags.get("BodyPartExamined", "")).upper() for s in study.series} - {""}
    return StudyInfo(
        study_uid=study.study_uid,
        patient_id=study.patient_id,
        patient_age_years=study.patient_age_years,
        patient_sex=study.patient_sex,
        study_date=study.study_date,
        source=str(study.source) if study.source else None,
        body_part=", ".join(sorted(body)) or None,
        series=[
            SeriesInfo(
                uid=s.uid,
                description=s.description,
                modality=s.modality,
                plane=s.plane.value,
                kind=s.kind.value,
                number=s.number,
                n_instances=s.n_instances,
                role=roles.get(s.uid, "unused"),
            )
            for s in study.series
        ],
    )


def record_inputs(
    provenance: Provenance, study: Study, *, series: list[Series] | None = None
) -> int:
    """Hash the files of the given series (default: all series) into ``provenance.inputs``.

    Files already recorded are not hashed again; a NIfTI/PNG study without per-series files
    records ``study.source``. Returns the number of files newly hashed.
    """
    n = 0
    paths: list[Path] = []
    for s in series if series is not None else study.series:
        paths.extend(Path(p) for p in s.files)
    if not paths and study.source is not None and Path(study.source).is_file():
        paths.append(Path(study.source))
    for p in paths:
        if str(p) not in provenance.inputs and p.is_file():
            provenance.add_input(p)
            n += 1
    return n


def scope_problems(study: Study, label_map: Volume | None) -> dict[str, str]:
    """What cannot be assessed in this study, and why (item -> reason).

    Checks: a sagittal T2 series (disc signal, herniation, canal), a sagittal T1 (Modic typing,
    marrow), axial images (axial key images), and whether the study shows the lumbar spine
    (BodyPartExamined, and the lumbar labels of the level map).
    """
    out: dict[str, str] = {}
    roles = series_roles(study)
    if "sagittal_t2" not in roles:
        kinds = ", ".join(f"{s.plane.value} {s.kind.value}" for s in study.series) or "none"
        out["sagittal T2"] = (
            "no sagittal T2-weighted series was found (series present: "
            f"{kinds}); disc degeneration (Pfirrmann), herniation, central canal and the "
            "sagittal key image could not be assessed on T2"
        )
    if "sagittal_t1" not in roles:
        out["sagittal T1"] = (
            "no sagittal T1-weighted series: Modic typing and marrow signal could not be assessed "
            "on T1"
        )
    if "axial_t2" not in roles:
        out["axial T2"] = (
            "no axial T2-weighted series: axial images are reformatted from the sagittal series "
            "(coarse left-right resolution); subarticular and foraminal detail is limited"
        )
    body = {str(s.tags.get("BodyPartExamined", "")).upper() for s in study.series} - {""}
    if body and not any(any(k in b for k in LUMBAR_BODY_PARTS) for b in body):
        out["lumbar spine"] = (
            f"the study is labelled BodyPartExamined={', '.join(sorted(body))}, not a lumbar "
            "spine; spinepath analyses lumbar spine MRI/CT only"
        )
    if label_map is not None:
        present = set(np.unique(label_map.array).tolist())
        if not present & LUMBAR_IDS:
            out["lumbar levels"] = (
                "no lumbar vertebra (L1-L5) was labelled: the images may not show the lumbar "
                "spine, or segmentation failed; level-by-level findings are not available"
            )
    elif study.series:
        out["levels"] = "no level label map was given: vertebrae and discs are not labelled"
    return out
