"""Classify a series by plane (from its slice normal) and kind (from sequence tags).

Kind rules weigh two independent sources, the acquisition physics (ScanningSequence,
SequenceVariant, ScanOptions, TR, TE, TI, ImageType) and the SeriesDescription words, and report a
confidence from their agreement:

* both agree -> 0.95; physics alone -> 0.8; description alone -> 0.7;
* they disagree -> physics wins with 0.5 and both reasons are kept.

Thresholds (ms): T1 spin echo TR < 1000 and TE < 30; T2 TR >= 1500 and TE >= 60; STIR an inversion
recovery with 100 <= TI <= 300 (fat nulling at 1.5-3 T; FLAIR uses TI > 1500). They are the usual
textbook ranges (e.g. Westbrook, *MRI in Practice*, 5th ed., ch. 2-5).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from spinepath.model.study import Plane, SeriesKind

PLANE_COSINE_MIN = 0.8
"""Minimum |cosine| between the slice normal and a body axis to call the plane (~37 degrees)."""


def plane_from_orientation(iop: Sequence[float]) -> Plane:
    """Plane of a slice from DICOM ImageOrientationPatient (row cosines, column cosines; LPS)."""
    if iop is None or len(iop) != 6:
        return Plane.UNKNOWN
    row = np.asarray(iop[:3], dtype=float)
    col = np.asarray(iop[3:], dtype=float)
    return plane_from_normal(np.cross(row, col))


def plane_from_normal(normal: np.ndarray) -> Plane:
    """Plane from a slice normal in patient space (LPS or RAS: only magnitudes are used)."""
    n = np.asarray(normal, dtype=float)
    norm = np.linalg.norm(n)
    if norm == 0:
        return Plane.UNKNOWN
    a = np.abs(n / norm)
    axis = int(np.argmax(a))
    if a[axis] < PLANE_COSINE_MIN:
        return Plane.OBLIQUE
    return (Plane.SAGITTAL, Plane.CORONAL, Plane.AXIAL)[axis]


@dataclass
class SequenceTags:
    """The tags the kind rules read. Times in ms; text fields upper-cased lists."""

    modality: str = "MR"
    description: str = ""
    scanning_sequence: list[str] = field(default_factory=list)
    sequence_variant: list[str] = field(default_factory=list)
    scan_options: list[str] = field(default_factory=list)
    image_type: list[str] = field(default_factory=list)
    repetition_time: float | None = None
    echo_time: float | None = None
    inversion_time: float | None = None
    sequence_name: str = ""


@dataclass
class KindResult:
    """A kind, its confidence in [0, 1], and the reasons behind it."""

    kind: SeriesKind
    confidence: float
    reasons: list[str]


_NON_MR = {
    "CT": SeriesKind.CT,
    "PT": SeriesKind.PET,
    "NM": SeriesKind.NM,
    "SEG": SeriesKind.SEG,
    "SR": SeriesKind.SR,
}

_FAT_SAT_TOKENS = {"FS", "FATSAT", "FATSATURATION", "SPAIR", "SPIR", "CHESS", "FSAT"}


def _tokens(text: str) -> list[str]:
    """Upper-case alphanumeric tokens of a description ("t2_tse_sag FS" -> T2, TSE, SAG, FS)."""
    return re.findall(r"[A-Z0-9*]+", text.upper())


def kind_from_description(description: str) -> SeriesKind | None:
    """Kind suggested by SeriesDescription words alone (None when they say nothing)."""
    tokens = _tokens(description)
    joined = " ".join(tokens)
    fat_sat = bool(_FAT_SAT_TOKENS & set(tokens)) or "FAT SAT" in joined
    if {"STIR", "TIRM", "TIR"} & set(tokens):
        return SeriesKind.STIR
    dixon = bool({"DIXON", "MDIXON", "IDEAL"} & set(tokens))
    if dixon or (not fat_sat and {"WATER", "FAT"} & set(tokens)):
        if "WATER" in tokens or "W" in tokens:
            return SeriesKind.DIXON_WATER
        if "FAT" in tokens or "F" in tokens:
            return SeriesKind.DIXON_FAT
    t1 = any(t.startswith("T1") for t in tokens)
    t2 = any(t.startswith("T2") for t in tokens)
    if t2 and not t1:
        return SeriesKind.T2_FS if fat_sat else SeriesKind.T2
    if t1 and not t2:
        return SeriesKind.T1
    return None


def kind_from_physics(tags: SequenceTags) -> tuple[SeriesKind | None, list[str]]:
    """Kind from acquisition parameters alone, with the reasons (None when undecided)."""
    reasons: list[str] = []
    itype = {t.upper() for t in tags.image_type}
    if itype & {"WATER", "W"}:
        return SeriesKind.DIXON_WATER, ["ImageType says WATER"]
    if itype & {"FAT", "F"} and not itype & {"FF", "FAT_FRACTION"}:
        return SeriesKind.DIXON_FAT, ["ImageType says FAT"]
    seq = {s.upper() for s in tags.scanning_sequence}
    opts = {s.upper() for s in tags.scan_options}
    tr, te, ti = tags.repetition_time, tags.echo_time, tags.inversion_time
    if "IR" in seq or (ti is not None and ti > 0):
        if ti is not None and 100 <= ti <= 300:
            return SeriesKind.STIR, [f"inversion recovery with TI {ti:g} ms (fat nulling)"]
        if ti is not None and ti > 1500:
            return SeriesKind.OTHER, [f"inversion recovery with TI {ti:g} ms (FLAIR)"]
    if tr is None or te is None:
        return None, ["TR/TE missing"]
    # DICOM defined term FS = fat saturation (SP is spatial presaturation, not fat saturation)
    fat_sat = bool(opts & {"FS", "SFS", "FAT_SAT"})
    if tr < 1000 and te < 30:
        reasons.append(f"TR {tr:g} ms < 1000 and TE {te:g} ms < 30: T1-weighted")
        return SeriesKind.T1, reasons
    if tr >= 1500 and te >= 60:
        reasons.append(f"TR {tr:g} ms >= 1500 and TE {te:g} ms >= 60: T2-weighted")
        if fat_sat:
            reasons.append(f"ScanOptions {sorted(opts)} include fat saturation")
            return SeriesKind.T2_FS, reasons
        return SeriesKind.T2, reasons
    return None, [f"TR {tr:g} / TE {te:g} ms fit neither T1 nor T2 weighting"]


def classify_kind(tags: SequenceTags) -> KindResult:
    """Classify a series' kind from its tags; see the module docstring for the rules."""
    modality = tags.modality.upper()
    if modality in _NON_MR:
        return KindResult(_NON_MR[modality], 1.0, [f"Modality {modality}"])
    if modality not in ("MR", ""):
        return KindResult(
            SeriesKind.OTHER, 0.9, [f"Modality {modality} is not imaged by spinepath"]
        )
    physics, reasons = kind_from_physics(tags)
    desc = kind_from_description(tags.description)
    if desc is not None:
        reasons = [*reasons, f"SeriesDescription {tags.description!r} suggests {desc.value}"]
    if physics is None and desc is None:
        return KindResult(SeriesKind.OTHER, 0.3, reasons or ["no sequence information"])
    if physics is None:
        assert desc is not None
        return KindResult(desc, 0.7, reasons)
    if desc is None or desc == physics:
        return KindResult(physics, 0.95 if desc == physics else 0.8, reasons)
    # A fat-saturated T2 named plainly "T2", or a description-level refinement of the same
    # weighting, is agreement in substance.
    compatible = {frozenset({SeriesKind.T2, SeriesKind.T2_FS})}
    if frozenset({physics, desc}) in compatible:
        chosen = SeriesKind.T2_FS if SeriesKind.T2_FS in (physics, desc) else physics
        return KindResult(chosen, 0.85, reasons)
    return KindResult(physics, 0.5, [*reasons, "description and parameters disagree"])


def as_upper_list(value: object) -> list[str]:
    """A DICOM multi-valued string (or None) as a list of upper-case strings."""
    if value is None:
        return []
    if isinstance(value, str):
        return [v.strip().upper() for v in value.split("\\") if v.strip()]
    if isinstance(value, Iterable):
        return [str(v).strip().upper() for v in value if str(v).strip()]
    return [str(value).upper()]
