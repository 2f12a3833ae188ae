"""Coded concepts shared by the DICOM SEG, DICOM SR and FHIR outputs.

Anatomy uses SNOMED CT, with the level-specific concepts of the DICOM context groups
CID 7603 "Vertebra" and CID 7604 "Intervertebral Disc" (DICOM PS3.16) where SNOMED has them;
"Structure of body of vertebra" (SCT 3572006) follows the AAPM TG-263 mapping; all other codes are
taken from pydicom's copy of the DICOM code dictionaries (``pydicom.sr.codedict``), so they are
not typed in by hand. Units are UCUM. Quantities and grading systems that no standard code
covers use the private coding scheme :data:`PRIVATE_SCHEME` (``99`` prefix, PS3.3 8.2), which the
DICOM objects declare in their CodingSchemeIdentificationSequence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pydicom.sr.codedict import codes

PRIVATE_SCHEME = "99SPNPTH"
PRIVATE_SCHEME_NAME = "spinepath local codes"
SNOMED_SYSTEM = "http://snomed.info/sct"
UCUM_SYSTEM = "http://unitsofmeasure.org"


@dataclass(frozen=True)
class Concept:
    """A code: value, scheme designator (``SCT``, ``DCM``, ``UCUM``, private) and meaning."""

    value: str
    scheme: str
    meaning: str

    def hd(self):
        """As a :class:`highdicom.sr.CodedConcept`."""
        from highdicom.sr import CodedConcept

        return CodedConcept(value=self.value, scheme_designator=self.scheme, meaning=self.meaning)

    def fhir(self) -> dict[str, str]:
        """As a FHIR Coding (dict)."""
        system = {
            "SCT": SNOMED_SYSTEM,
            "UCUM": UCUM_SYSTEM,
            "DCM": "http://dicom.nema.org/resources/ontology/DCM",
        }.get(self.scheme, f"urn:spinepath:codes:{self.scheme}")
        return {"system": system, "code": self.value, "display": self.meaning}


def _sct(code: object) -> Concept:
    return Concept(str(code.value), "SCT", str(code.meaning))  # type: ignore[attr-defined]


ANATOMICAL_STRUCTURE = _sct(codes.SCT.AnatomicalStructure)
"""Segmented property category of every segment (SCT 91723000)."""

VERTEBRAL_BODY = Concept("3572006", "SCT", "Vertebral body")
VERTEBRAL_ARCH = _sct(codes.SCT.ArchOfVertebra)
SPINAL_CANAL = Concept(str(codes.SCT.SpinalCanalStructure.value), "SCT", "Spinal canal")
SACRUM = _sct(codes.SCT.Sacrum)
LUMBAR_SPINE = _sct(codes.SCT.LumbarSpine)
VERTEBRA = _sct(codes.SCT.Vertebra)

VERTEBRA_CODES: dict[str, Concept] = {
    "T10": _sct(codes.SCT.T10Vertebra),
    "T11": _sct(codes.SCT.T11Vertebra),
    "T12": _sct(codes.SCT.T12Vertebra),
    "L1": _sct(codes.SCT.L1Vertebra),
    "L2": _sct(codes.SCT.L2Vertebra),
    "L3": _sct(codes.SCT.L3Vertebra),
    "L4": _sct(codes.SCT.L4Vertebra),
    "L5": _sct(codes.SCT.L5Vertebra),
    "S1": SACRUM,  # S1 is part of the sacrum; CID 7603 has no separate S1 vertebra
}
"""Vertebra name -> SNOMED concept (DICOM CID 7603)."""

DISC_CODES: dict[str, Concept] = {
    "T10-T11": _sct(codes.SCT.T10T11Disc),
    "T11-T12": _sct(codes.SCT.T11T12Disc),
    "T12-L1": _sct(codes.SCT.T12L1Disc),
    "L1-L2": _sct(codes.SCT.L1L2Disc),
    "L2-L3": _sct(codes.SCT.L2L3Disc),
    "L3-L4": _sct(codes.SCT.L3L4Disc),
    "L4-L5": _sct(codes.SCT.L4L5Disc),
    "L5-S1": _sct(codes.SCT.L5S1Disc),
}
"""Disc name -> SNOMED concept (DICOM CID 7604)."""

UNITS: dict[str, Concept] = {
    "mm": Concept("mm", "UCUM", "millimeter"),
    "mm2": Concept("mm2", "UCUM", "square millimeter"),
    "mm3": Concept("mm3", "UCUM", "cubic millimeter"),
    "cm2": Concept("cm2", "UCUM", "square centimeter"),
    "ratio": Concept("1", "UCUM", "no units"),
    "1": Concept("1", "UCUM", "no units"),
    "percent": Concept("%", "UCUM", "percent"),
    "%": Concept("%", "UCUM", "percent"),
    "degree": Concept("deg", "UCUM", "degree"),
    "deg": Concept("deg", "UCUM", "degree"),
    "probability": Concept("1", "UCUM", "no units"),
}
"""spinepath unit spelling -> UCUM concept."""

_UNIT_ALIASES = {"mm²": "mm2", "mm^2": "mm2", "mm³": "mm3", "mm^3": "mm3", "°": "degree"}


def unit_concept(unit: str) -> Concept:
    """The UCUM concept of a unit written the spinepath way (``mm``, ``mm2``, ``ratio``, ...).

    Raises:
        ValueError: for a unit with no UCUM mapping (add it to :data:`UNITS`).
    """
    key = _UNIT_ALIASES.get(unit, unit)
    if key not in UNITS:
        raise ValueError(f"unit {unit!r} has no UCUM code; known units: {sorted(UNITS)}")
    return UNITS[key]


def site_concept(level: str | None) -> Concept:
    """SNOMED concept of a level name: a disc (``L4-L5``), a vertebra (``L4``) or the lumbar
    spine when the level is unknown."""
    if level in DISC_CODES:
        return DISC_CODES[level]
    if level in VERTEBRA_CODES:
        return VERTEBRA_CODES[level]
    return LUMBAR_SPINE


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:16] or "x"


def private(meaning: str, prefix: str = "") -> Concept:
    """A private-scheme concept with a stable code derived from its meaning.

    Code values are at most 16 characters (DICOM SH); the meaning carries the full name.
    """
    value = _slug(f"{prefix}{meaning}")
    return Concept(value, PRIVATE_SCHEME, meaning[:64])


def measurement_concept(name: str) -> Concept:
    """Concept name of a measurement (private scheme; the meaning is the measurement's name)."""
    return private(name.replace("_", " "))


def grade_name_concept(system: str) -> Concept:
    """Concept name of a grade in a grading system, e.g. ``Pfirrmann grade``."""
    return private(f"{system} grade")


def grade_value_concept(system: str, value: int) -> Concept:
    """Coded value of a grade, e.g. ``Pfirrmann grade 3``."""
    return Concept(f"{_slug(system)[:12]}-{value}", PRIVATE_SCHEME, f"{system} grade {value}")
