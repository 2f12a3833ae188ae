"""``analyze_study``: one study end to end. The CLI, the server, the DICOM node and the Dask batch
all call this function; no other module re-implements a stage.

Stages (each a library call): choose series -> segment + label levels -> measure -> grade ->
findings -> (clinical reasoning) -> Report. Stages that cannot run on a study (no sagittal T2, no
segmentation backend) are listed in ``Report.not_assessed`` with the reason, never silently skipped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spinepath.model.report import Provenance, Report
from spinepath.model.study import Plane, Series, SeriesKind, Study


@dataclass(frozen=True)
class AnalysisOptions:
    """Options of one analysis run (recorded in the report's provenance).

    Attributes:
        segmentation: an external level label map (NIfTI) to use instead of the built-in model.
        backend: segmentation backend name (``"builtin"``).
    """

    segmentation: Path | None = None
    backend: str = "builtin"
    extra: dict[str, Any] = field(default_factory=dict)

    def as_parameters(self) -> dict[str, Any]:
        """JSON-ready parameters for provenance."""
        return {
            "segmentation": str(self.segmentation) if self.segmentation else None,
            "backend": self.backend,
            **self.extra,
        }


@dataclass
class SeriesChoice:
    """The series the pipeline uses, by role."""

    sagittal_t2: Series | None = None
    sagittal_t1: Series | None = None
    sagittal_stir: Series | None = None
    axial_t2: Series | None = None

    def used(self) -> list[Series]:
        """The chosen series, in role order."""
        return [
            s
            for s in (self.sagittal_t2, self.sagittal_t1, self.sagittal_stir, self.axial_t2)
            if s is not None
        ]


def choose_series(study: Study) -> SeriesChoice:
    """Pick the best series for each role (most confident classification, then most slices)."""
    return SeriesChoice(
        sagittal_t2=study.best(SeriesKind.T2, Plane.SAGITTAL)
        or study.best(SeriesKind.T2_FS, Plane.SAGITTAL),
        sagittal_t1=study.best(SeriesKind.T1, Plane.SAGITTAL),
        sagittal_stir=study.best(SeriesKind.STIR, Plane.SAGITTAL)
        or study.best(SeriesKind.T2_FS, Plane.SAGITTAL),
        axial_t2=study.best(SeriesKind.T2, Plane.AXIAL),
    )


def analyze_study(
    study: Study, clinical: Any | None = None, options: AnalysisOptions | None = None
) -> Report:
    """Run every available stage on one study and return its Report."""
    options = options or AnalysisOptions()
    provenance = Provenance(parameters=options.as_parameters())
    for series in study.series:
        for path in series.files[:1]:
            if path.is_file():
                provenance.add_input(path)
    choice = choose_series(study)
    report = Report(
        study_uid=study.study_uid,
        patient_id=study.patient_id,
        series_used=[s.uid for s in choice.used()],
        warnings=list(study.warnings),
        provenance=provenance,
    )
    if choice.sagittal_t2 is None and choice.sagittal_t1 is None:
        kinds = ", ".join(f"{s.plane.value} {s.kind.value}" for s in study.series) or "none"
        report.not_assessed["imaging findings"] = (
            "no sagittal T2 or T1 series was found (series present: " + kinds + "); the "
            "per-level findings need a sagittal T2 or T1."
        )
    else:
        report.not_assessed["imaging findings"] = (
            "the segmentation and grading stages are not available in this version."
        )
    provenance.finish()
    return report


def analyze_path(path: Path, *, options: AnalysisOptions | None = None) -> Report:
    """Read a study from ``path`` and analyse it (the batch and the CLI call this)."""
    from spinepath.io import load_study

    return analyze_study(load_study(path), options=options)
