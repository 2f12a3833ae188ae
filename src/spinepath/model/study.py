"""Study and Series: what ingest returns, whatever the input format."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from spinepath.model.volume import Volume


class Plane(StrEnum):
    """Acquisition plane of a series, from its slice normal."""

    SAGITTAL = "sagittal"
    AXIAL = "axial"
    CORONAL = "coronal"
    OBLIQUE = "oblique"
    UNKNOWN = "unknown"


class SeriesKind(StrEnum):
    """What a series shows, as far as its tags tell."""

    T1 = "T1"
    T2 = "T2"
    STIR = "STIR"
    T2_FS = "T2-FS"
    DIXON_WATER = "Dixon-water"
    DIXON_FAT = "Dixon-fat"
    CT = "CT"
    PET = "PET"
    NM = "NM"
    SEG = "SEG"
    SR = "SR"
    OTHER = "other"


@dataclass
class Series:
    """One image series.

    Attributes:
        uid: SeriesInstanceUID (or a stable made-up id for NIfTI/PNG inputs).
        description: SeriesDescription or file name.
        modality: DICOM Modality (MR, CT, PT, NM, SEG, SR, OT).
        plane: acquisition plane.
        kind: sequence / content class.
        kind_confidence: confidence in ``kind``, in [0, 1].
        kind_reasons: the tags that decided ``kind``.
        volume: the image, or None for non-image series (SR) or when not loaded.
        n_instances: number of files/slices that made the series.
        files: source files, in slice order where known.
        warnings: problems found while reading this series.
        tags: selected acquisition parameters (TR/TE/TI ms, field strength T, vendor, ...).
    """

    uid: str
    description: str
    modality: str
    plane: Plane = Plane.UNKNOWN
    kind: SeriesKind = SeriesKind.OTHER
    kind_confidence: float = 0.0
    kind_reasons: list[str] = field(default_factory=list)
    volume: Volume | None = None
    n_instances: int = 0
    files: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    tags: dict[str, Any] = field(default_factory=dict)
    number: int | None = None

    def __post_init__(self) -> None:
        if not 0.0 <= self.kind_confidence <= 1.0:
            raise ValueError(f"kind_confidence must lie in [0, 1], got {self.kind_confidence}")


@dataclass
class Study:
    """One imaging study of one patient.

    Attributes:
        patient_id: PatientID (or "" when unknown).
        study_uid: StudyInstanceUID (or a made-up id for non-DICOM input).
        series: series in SeriesNumber order.
        source: the path the study was read from.
        warnings: problems found while reading (unreadable files, gaps ...), each actionable.
        skipped_files: files that were not images of this study (and why).
    """

    patient_id: str
    study_uid: str
    series: list[Series] = field(default_factory=list)
    source: Path | None = None
    warnings: list[str] = field(default_factory=list)
    skipped_files: dict[str, str] = field(default_factory=dict)
    patient_age_years: float | None = None
    patient_sex: str | None = None
    study_date: str | None = None

    def find(self, *, kind: SeriesKind | None = None, plane: Plane | None = None) -> list[Series]:
        """Series matching a kind and/or plane, in study order."""
        return [
            s
            for s in self.series
            if (kind is None or s.kind == kind) and (plane is None or s.plane == plane)
        ]

    def best(self, kind: SeriesKind, plane: Plane) -> Series | None:
        """The most confidently classified series of a kind and plane, or None."""
        found = [s for s in self.find(kind=kind, plane=plane) if s.volume is not None]
        return max(found, key=lambda s: (s.kind_confidence, s.n_instances), default=None)
