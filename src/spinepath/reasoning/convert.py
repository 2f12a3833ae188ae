"""Convert the imaging pipeline's :class:`~spinepath.model.findings.Finding` objects into the
structured per-level findings the reasoning layer reads (:class:`ImagingFindings`).

A finding is recognised from its ``structure`` and the words of its ``kind`` and grade ``system``
(e.g. kind ``"pfirrmann"`` or a grade system ``"Pfirrmann"`` -> ``disc.pfirrmann``). Grades with a
0-3 severity (stenosis, narrowing) map to none/mild/moderate/severe. Measurements are read by unit:
``mm`` (herniation size, ligamentum flavum thickness), ``mm2`` (dural sac area), ``percent``
(listhesis, Modic extent). Findings that match no rule are returned as ``unmapped``.
"""

from __future__ import annotations

from typing import Any

from spinepath.errors import AnalysisError
from spinepath.model.clinical import ImagingFindings
from spinepath.model.findings import Finding
from spinepath.model.levels import DISC_LEVELS, VERTEBRAE

SEVERITY = ("none", "mild", "moderate", "severe")
ZONES = ("extraforaminal", "foraminal", "subarticular", "paracentral")


def _words(f: Finding) -> str:
    parts = [f.kind, f.grade.system if f.grade else "", f.description]
    return " ".join(parts).lower().replace("-", " ").replace("_", " ")


def _value(f: Finding) -> int | None:
    return f.grade.value if f.grade is not None else None


def _measure(f: Finding, *units: str, name_has: str = "") -> float | None:
    for m in f.measurements:
        if m.unit.lower() in units and name_has in m.name.lower():
            return m.value
    return None


def _side(f: Finding) -> list[str]:
    if f.side in ("left", "right"):
        return [f.side]
    if f.side == "bilateral":
        return ["left", "right"]
    return []


def _set(tree: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    node = tree
    for key in path[:-1]:
        node = node.setdefault(key, {})
    node[path[-1]] = value


def convert_findings(findings: list[Finding], *, modality: str = "MRI",
                     contrast: bool = False) -> tuple[ImagingFindings, list[str]]:
    """Structured findings and the descriptions of findings no rule recognised."""
    levels: dict[str, dict[str, Any]] = {}
    vertebrae: dict[str, dict[str, Any]] = {}
    sij: dict[str, dict[str, Any]] = {}
    paraspinal: dict[str, Any] = {}
    unmapped: list[str] = []
    for f in findings:
        w = _words(f)
        v = _value(f)
        present = v is None or v > 0
        lv = levels.setdefault(f.level, {}) if f.level in DISC_LEVELS else None
        vb = vertebrae.setdefault(f.level, {}) if f.level in VERTEBRAE else None
        done = True
        if f.structure == "sij":
            for s in _side(f):
                for sign in ("edema", "oedema", "sclerosis", "erosion"):
                    if sign in w:
                        sij.setdefault(s, {})["edema" if sign == "oedema" else sign] = present
        elif f.structure == "paraspinal" and "goutallier" in w and v is not None:
            paraspinal["goutallier"] = v
        elif vb is not None and f.structure == "vertebral_body":
            if "genant" in w or "fracture" in w:
                vb["genant"] = float(v or 0)
            elif "replacement" in w:
                vb["marrow_replacement"] = present
            elif "edema" in w or "oedema" in w:
                vb["marrow_edema"] = present
            elif "retropulsion" in w:
                vb["posterior_wall_retropulsion"] = present
            else:
                done = False
        elif lv is None:
            done = False
        elif "pfirrmann" in w and v is not None:
            _set(lv, ("disc", "pfirrmann"), v)
        elif "modic" in w and v is not None:
            _set(lv, ("endplates", "modic"), v)
            ext = _measure(f, "percent", "%")
            if ext is not None:
                _set(lv, ("endplates", "modic_extent_pct"), ext)
        elif any(t in w for t in ("herniation", "protrusion", "extrusion", "sequestration")):
            if present:
                kind = next((t for t in ("sequestration", "extrusion", "protrusion") if t in w),
                            "protrusion")
                zone = next((z for z in ZONES if z in w), "paracentral")
                side = f.side if f.side in ("left", "right") else None
                h: dict[str, Any] = {"type": kind,
                                     "zone": f"{side}_{zone}" if side else "central"}
                size = _measure(f, "mm")
                if size is not None:
                    h["size_mm"] = size
                _set(lv, ("disc", "herniation"), h)
        elif "bulg" in w:
            _set(lv, ("disc", "bulge"), present)
        elif "high intensity" in w or "hiz" in w.split():
            _set(lv, ("disc", "hiz"), present)
        elif "fissure" in w:
            _set(lv, ("disc", "annular_fissure"), present)
        elif "narrowing" in w or "height loss" in w:
            _set(lv, ("disc", "height_loss"), SEVERITY[min(v or 0, 3)] if v is not None
                 else "mild")
        elif "schmorl" in w or "endplate defect" in w:
            _set(lv, ("endplates", "schmorl"), present)
        elif "erosion" in w and f.structure == "endplate":
            _set(lv, ("endplates", "erosion"), present)
        elif f.structure == "canal" or ("stenosis" in w and f.structure not in
                                        ("foramen", "lateral_recess")):
            if v is not None:
                _set(lv, ("canal", "stenosis"), SEVERITY[min(v, 3)])
            area = _measure(f, "mm2", "")
            if area is not None:
                _set(lv, ("canal", "dural_sac_area_mm2"), area)
        elif f.structure in ("foramen", "lateral_recess") and v is not None:
            key = "foramina" if f.structure == "foramen" else "lateral_recess"
            for s in _side(f):
                _set(lv, (key, s), min(v, 3))
        elif f.structure == "facet":
            if "effusion" in w:
                _set(lv, ("facets", "effusion"), present)
            elif v is not None:
                for s in _side(f):
                    _set(lv, ("facets", s), min(v, 3))
            else:
                done = False
        elif f.structure == "ligamentum_flavum":
            mm = _measure(f, "mm")
            if mm is None:
                done = False
            else:
                lv["lf_thickness_mm"] = mm
        elif "spondylolysis" in w:
            lv["spondylolysis"] = present
        elif "listhesis" in w or "meyerding" in w:
            pct = _measure(f, "percent", "")
            if pct is None and v is not None:
                pct = {0: 0.0, 1: 12.5, 2: 37.5, 3: 62.5, 4: 87.5, 5: 110.0}.get(v)
            if pct is None:
                done = False
            else:
                lv["listhesis_pct"] = pct
        else:
            done = False
        if not done:
            unmapped.append(f"{f.level} {f.structure} {f.kind}".strip())
    data: dict[str, Any] = {"modality": modality, "contrast": contrast,
                            "levels": {k: v for k, v in levels.items() if v},
                            "vertebrae": {k: v for k, v in vertebrae.items() if v}}
    if sij:
        data["sij"] = sij
    if paraspinal:
        data["paraspinal"] = paraspinal
    return ImagingFindings.model_validate(data), unmapped


def findings_from_pipeline(findings: list[Finding], *, modality: str = "MRI",
                           contrast: bool = False, strict: bool = False) -> ImagingFindings:
    """Structured :class:`ImagingFindings` from pipeline findings.

    With ``strict=True`` a finding that no rule recognises raises :class:`AnalysisError`;
    otherwise it is skipped (use :func:`convert_findings` to get the list).
    """
    imaging, unmapped = convert_findings(findings, modality=modality, contrast=contrast)
    if strict and unmapped:
        raise AnalysisError(
            f"findings the reasoning layer cannot read: {', '.join(unmapped)}; map them in "
            "spinepath.reasoning.convert or pass strict=False")
    return imaging
