"""Words of the report: findings in standard nomenclature, and the per-level table.

Disc findings use the terms of the combined task forces' *Lumbar disc nomenclature: version 2.0*
(Fardon et al. 2014, Spine J 14:2525, doi:10.1016/j.spinee.2014.04.022): *bulging* (not a
herniation), *protrusion*, *extrusion*, *sequestration*; *annular fissure* (not "tear"); the axial
zones *central*, *subarticular* (lateral recess), *foraminal*, *extraforaminal*; "paracentral"
is accepted as the common synonym of the subarticular side of the central zone. Grades are named
by their system (Pfirrmann, Modic, Schizas, Lee, Weishaupt, Meyerding, Genant, Goutallier).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from spinepath.model.findings import Finding, Grade
from spinepath.model.levels import DISC_LEVELS, VERTEBRAE

LOW_CONFIDENCE = 0.6
"""A grade whose reported class has a probability below this is shown as uncertain."""

FARDON_TERMS: dict[str, str] = {
    "bulge": "disc bulging",
    "bulging": "disc bulging",
    "disc_bulge": "disc bulging",
    "protrusion": "disc protrusion",
    "extrusion": "disc extrusion",
    "sequestration": "disc sequestration",
    "herniation": "disc herniation",
    "annular_tear": "annular fissure",
    "annular_fissure": "annular fissure",
    "hiz": "annular fissure with high-intensity zone",
    "high_intensity_zone": "annular fissure with high-intensity zone",
    "degeneration": "disc degeneration",
    "disc_degeneration": "disc degeneration",
    "pfirrmann": "disc degeneration",
    "height_loss": "disc height loss",
    "modic": "Modic endplate change",
    "endplate_change": "Modic endplate change",
    "schmorl": "Schmorl node (intravertebral herniation)",
    "stenosis": "stenosis",
    "central_stenosis": "central canal stenosis",
    "canal_stenosis": "central canal stenosis",
    "foraminal_stenosis": "foraminal stenosis",
    "lateral_recess_stenosis": "lateral recess (subarticular) stenosis",
    "facet_arthropathy": "facet arthropathy",
    "facet_degeneration": "facet arthropathy",
    "ligamentum_flavum_thickening": "ligamentum flavum thickening",
    "lf_thickening": "ligamentum flavum thickening",
    "listhesis": "spondylolisthesis",
    "anterolisthesis": "anterolisthesis",
    "retrolisthesis": "retrolisthesis",
    "spondylolysis": "spondylolysis",
    "fracture": "vertebral compression fracture",
    "compression_fracture": "vertebral compression fracture",
    "marrow_edema": "bone marrow oedema",
    "fatty_infiltration": "fatty infiltration",
}
"""Finding kind (spinepath spelling) -> term in standard nomenclature."""

ZONE_TERMS: dict[str, str] = {
    "central": "central zone",
    "paracentral": "subarticular (paracentral) zone",
    "subarticular": "subarticular zone",
    "foraminal": "foraminal zone",
    "extraforaminal": "extraforaminal zone",
}

COLUMNS: tuple[tuple[str, str], ...] = (
    ("disc", "Disc"),
    ("endplate", "Endplates / marrow"),
    ("canal", "Central canal"),
    ("lateral_recess", "Lateral recess"),
    ("foramen", "Neural foramina"),
    ("facet", "Facets / ligamentum flavum"),
    ("alignment", "Alignment"),
)
"""Columns of the per-level table: finding structure(s) -> heading."""

_COLUMN_OF = {
    "disc": "disc",
    "endplate": "endplate",
    "canal": "canal",
    "lateral_recess": "lateral_recess",
    "foramen": "foramen",
    "root": "foramen",
    "facet": "facet",
    "ligamentum_flavum": "facet",
    "alignment": "alignment",
}


def zone_text(zone: str) -> str:
    """``left_subarticular`` -> ``left subarticular zone`` (Fardon 2014)."""
    side, _, base = zone.partition("_")
    if base and side in ("left", "right"):
        return f"{side} {ZONE_TERMS.get(base, base.replace('_', ' '))}"
    return ZONE_TERMS.get(zone, zone.replace("_", " "))


def finding_term(finding: Finding) -> str:
    """The finding's kind in standard nomenclature (unknown kinds: words of the kind)."""
    kind = finding.kind.lower()
    term = FARDON_TERMS[kind] if kind in FARDON_TERMS else kind.replace("_", " ")
    if finding.structure == "canal" and term == "stenosis":
        term = "central canal stenosis"
    elif finding.structure == "foramen" and term == "stenosis":
        term = "foraminal stenosis"
    elif finding.structure == "lateral_recess" and term == "stenosis":
        term = "lateral recess (subarticular) stenosis"
    return term


def grade_text(grade: Grade) -> str:
    """``Pfirrmann 4`` / ``Modic type 1`` / ``Meyerding grade 1``."""
    system = grade.system
    if system.lower() == "modic":
        return f"Modic type {grade.value}"
    if system.lower() in ("pfirrmann", "genant", "goutallier", "weishaupt", "lee", "meyerding"):
        return f"{system} grade {grade.value}"
    return f"{system} {grade.value}"


def grade_severity(grade: Grade) -> float:
    """Position of the grade between its lowest and highest class, in [0, 1].

    Uses the classes of ``probabilities``; without them, the value divided by 4 (clipped).
    Pfirrmann 1 and 2 are both counted as normal (0).
    """
    classes = sorted(int(k) for k in grade.probabilities if k.lstrip("-").isdigit())
    if grade.system.lower() == "pfirrmann":
        return min(max((grade.value - 2) / 3.0, 0.0), 1.0)
    if len(classes) >= 2 and classes[-1] > classes[0]:
        return min(max((grade.value - classes[0]) / (classes[-1] - classes[0]), 0.0), 1.0)
    return min(max(grade.value / 4.0, 0.0), 1.0)


def finding_severity(finding: Finding) -> float:
    """A display severity in [0, 1]: the grade's position, or 0.6 for ungraded abnormal kinds."""
    if finding.grade is not None:
        return grade_severity(finding.grade)
    kind = finding.kind.lower()
    if kind in ("extrusion", "sequestration", "fracture", "compression_fracture"):
        return 0.9
    if kind in ("protrusion", "herniation", "spondylolysis", "listhesis", "anterolisthesis"):
        return 0.6
    return 0.3


def is_uncertain(finding: Finding) -> bool:
    """True when the grade is flagged low-confidence or its probability is below the threshold."""
    g = finding.grade
    return g is not None and (g.low_confidence or g.confidence < LOW_CONFIDENCE)


def finding_text(finding: Finding, *, with_level: bool = False) -> str:
    """One line in standard words: term, side/zone, grade, measurements with units.

    Example: ``L4-L5: disc extrusion, left subarticular zone, 7.0 mm`` (with ``with_level``).
    """
    parts = [finding_term(finding)]
    zone = _zone_of(finding)
    if zone:
        parts.append(zone_text(zone))
    elif finding.side:
        parts.append(finding.side)
    if finding.grade is not None:
        parts.append(grade_text(finding.grade))
    for m in finding.measurements:
        parts.append(f"{m.name.replace('_', ' ')} {format_value(m.value, m.unit)}")
    text = ", ".join(parts)
    if finding.description and finding.description not in text:
        text = f"{text} ({finding.description})"
    return f"{finding.level}: {text}" if with_level else text


def _zone_of(finding: Finding) -> str | None:
    """The Fardon zone named in the description (``left subarticular`` ...), with the side."""
    text = finding.description.lower().replace(" ", "_").replace("-", "_")
    for base in ("extraforaminal", "subarticular", "paracentral", "foraminal", "central"):
        for side in ("left", "right"):
            if f"{side}_{base}" in text:
                return f"{side}_{base}"
        if base in text:
            side = finding.side if finding.side in ("left", "right") else None
            return f"{side}_{base}" if side else base
    return None


UNIT_DISPLAY = {"mm2": "mm²", "mm3": "mm³", "ratio": "", "percent": "%", "degree": "°"}


def format_value(value: float, unit: str) -> str:
    """``12.3 mm``, ``85 mm²``, ``0.42`` (ratio), ``18 %``."""
    shown = UNIT_DISPLAY.get(unit, unit)
    text = f"{value:.0f}" if abs(value) >= 100 else f"{value:.1f}"
    if unit == "ratio":
        text = f"{value:.2f}"
    return f"{text} {shown}".strip() if shown not in ("%", "°") else f"{text}{shown}"


@dataclass
class Cell:
    """One entry of the per-level table."""

    text: str
    severity: float
    confidence: float | None = None
    uncertain: bool = False
    probabilities: dict[str, float] = field(default_factory=dict)


@dataclass
class LevelRow:
    """One row of the per-level table: a disc level and its entries per column."""

    level: str
    cells: dict[str, list[Cell]]


def _cell(f: Finding) -> Cell:
    return Cell(
        text=finding_text(f),
        severity=finding_severity(f),
        confidence=f.grade.confidence if f.grade and f.grade.probabilities else None,
        uncertain=is_uncertain(f),
        probabilities=dict(f.grade.probabilities) if f.grade else {},
    )


def level_rows(findings: Iterable[Finding], *, levels: Iterable[str] = ()) -> list[LevelRow]:
    """The per-level table for disc levels (cranial to caudal).

    Rows: every disc level with a finding plus those in ``levels`` (e.g. the labelled ones).
    Findings at a vertebra go to :func:`vertebra_rows`.
    """
    wanted = set(levels)
    by_level: dict[str, dict[str, list[Cell]]] = {}
    for f in findings:
        if f.level not in DISC_LEVELS:
            continue
        col = _COLUMN_OF.get(f.structure)
        if col is None:
            continue
        by_level.setdefault(f.level, {}).setdefault(col, []).append(_cell(f))
    names = [lv for lv in DISC_LEVELS if lv in by_level or lv in wanted]
    return [LevelRow(lv, by_level.get(lv, {})) for lv in names]


def vertebra_rows(findings: Iterable[Finding]) -> list[tuple[str, list[Cell]]]:
    """Findings at vertebrae (fractures, marrow), cranial to caudal."""
    out: dict[str, list[Cell]] = {}
    for f in findings:
        if f.level in VERTEBRAE:
            out.setdefault(f.level, []).append(_cell(f))
    return [(v, out[v]) for v in VERTEBRAE if v in out]


def other_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Findings that fit neither table (SI joints, paraspinal muscles, unknown levels)."""
    return [
        f
        for f in findings
        if not (f.level in VERTEBRAE or (f.level in DISC_LEVELS and f.structure in _COLUMN_OF))
    ]
