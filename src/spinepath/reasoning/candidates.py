"""Enumerate atomic imaging findings (candidate pain generators) from structured findings.

Each :class:`Candidate` is one finding at one level and side: ``kind`` names it for the priors
(``bulge``, ``extrusion``, ``modic_1``, ``facet_degeneration`` ...), ``structure`` uses the
vignette vocabulary (disc, endplate, facet, sij, ligamentum_flavum, vertebral_body, root) plus
``alignment``, ``pars`` and ``paraspinal``, and ``roots`` lists the nerve roots it reaches.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from spinepath.knowledge import load
from spinepath.model.clinical import ImagingFindings, LevelFindings
from spinepath.model.levels import DISC_LEVELS
from spinepath.reasoning.roots import exiting_root, roots_for_zone, traversing_root

STENOSIS_ORDER = {"none": 0, "mild": 1, "moderate": 2, "severe": 3}


@dataclass
class Candidate:
    """One finding that could be a pain generator."""

    level: str | None
    structure: str
    kind: str
    label: str
    side: str | None = None
    grade: str | None = None
    roots: list[tuple[str, str, str | None]] = field(default_factory=list)
    attrs: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str | None, str]:
        """(level, structure): findings sharing it belong to the same anatomical target."""
        return (self.level, self.structure)


def lf_hypertrophy_mm() -> float:
    """Ligamentum flavum thickness above which it counts as hypertrophied (mm, provisional)."""
    return float(load("grading").value("lf_hypertrophy", "threshold_mm"))


def stenosis_grade(lf: LevelFindings) -> str:
    """Central stenosis grade at a level, from the stated grade or else the dural sac area."""
    if lf.canal.stenosis:
        return lf.canal.stenosis
    area = lf.canal.dural_sac_area_mm2
    if area is None:
        return "none"
    g = load("grading")
    if area < g.value("dsca_absolute", "threshold_mm2"):
        return "severe"
    if area < g.value("dsca_relative", "threshold_mm2"):
        return "moderate"
    return "none"


def listhesis_mm(pct: float) -> float:
    """Slip in mm from a percentage of the endplate depth (provisional typical depth)."""
    return abs(pct) / 100.0 * float(load("grading").value("endplate_depth", "value_mm"))


def meyerding(pct: float) -> int:
    """Meyerding grade 0-5 from the slip in percent (0 when no slip)."""
    p = abs(pct)
    if p == 0:
        return 0
    uppers = load("grading").value("meyerding", "upper_pct")
    for grade in sorted(uppers):
        if p <= uppers[grade]:
            return int(grade)
    return 5


def _disc(level: str, lf: LevelFindings) -> list[Candidate]:
    out: list[Candidate] = []
    d = lf.disc
    if d.pfirrmann is not None and d.pfirrmann >= int(
        load("grading").value("pfirrmann", "degenerated_from_grade")
    ):
        out.append(Candidate(level, "disc", "disc_degeneration",
                             f"disc degeneration (Pfirrmann {d.pfirrmann})",
                             grade=f"Pfirrmann {d.pfirrmann}", attrs={"pfirrmann": d.pfirrmann}))
    if d.height_loss and d.height_loss != "none":
        out.append(Candidate(level, "disc", "height_loss", f"{d.height_loss} disc height loss",
                             grade=d.height_loss))
    if d.bulge:
        out.append(Candidate(level, "disc", "bulge", "bulge"))
    if d.herniation is not None:
        h = d.herniation
        roots: list[tuple[str, str, str | None]] = [
            (rc.root, rc.side, rc.degree) for rc in h.root_contact
        ]
        named = {(r, s) for r, s, _ in roots}
        for r, s in roots_for_zone(level, h.zone):
            if (r, s) not in named:
                roots.append((r, s, None))
        side = "central" if h.zone == "central" else h.zone.split("_")[0]
        size = f" {h.size_mm:g} mm" if h.size_mm is not None else ""
        out.append(Candidate(level, "disc", h.type,
                             f"{h.zone.replace('_', ' ')} {h.type}{size}", side=side,
                             roots=roots, attrs={"zone": h.zone, "size_mm": h.size_mm}))
    if d.t2_hyperintense_disc:
        out.append(Candidate(level, "disc", "disc_fluid_signal", "fluid-bright (T2-hyperintense) "
                             "disc"))
    if d.hiz:
        out.append(Candidate(level, "disc", "hiz", "high-intensity zone"))
    if d.annular_fissure:
        out.append(Candidate(level, "disc", "annular_fissure", "annular fissure"))
    return out


def _endplates(level: str, lf: LevelFindings) -> list[Candidate]:
    out: list[Candidate] = []
    e = lf.endplates
    if e.modic:
        ext = f", {e.modic_extent_pct:g}% of the endplate" if e.modic_extent_pct is not None else ""
        out.append(Candidate(level, "endplate", f"modic_{e.modic}", f"Modic {e.modic}{ext}",
                             grade=f"Modic {e.modic}",
                             attrs={"modic": e.modic, "extent_pct": e.modic_extent_pct}))
    if e.erosion:
        out.append(Candidate(level, "endplate", "endplate_erosion", "endplate erosion"))
    if e.schmorl:
        out.append(Candidate(level, "endplate", "schmorl", "Schmorl node"))
    return out


def _canal(level: str, lf: LevelFindings) -> list[Candidate]:
    out: list[Candidate] = []
    grade = stenosis_grade(lf)
    lf_mm = lf.lf_thickness_mm
    hyper = lf_mm is not None and lf_mm > lf_hypertrophy_mm()
    if STENOSIS_ORDER[grade] >= 1:
        if hyper:
            structure = "ligamentum_flavum"
        elif lf.disc.herniation is not None or lf.disc.bulge:
            structure = "disc"
        elif max(lf.facets.left or 0, lf.facets.right or 0) >= 2:
            structure = "facet"
        else:
            structure = "ligamentum_flavum" if lf_mm is not None else "disc"
        area = lf.canal.dural_sac_area_mm2
        extra = f", dural sac {area:g} mm²" if area is not None else ""
        lf_txt = f", ligamentum flavum {lf_mm:g} mm" if lf_mm is not None else ""
        out.append(Candidate(level, structure, "central_stenosis",
                             f"{grade} central stenosis{extra}{lf_txt}", side="central",
                             grade=grade,
                             attrs={"grade": grade, "lf_mm": lf_mm, "lf_hypertrophy": hyper,
                                    "area_mm2": area}))
    elif hyper:
        out.append(Candidate(level, "ligamentum_flavum", "lf_hypertrophy",
                             f"ligamentum flavum thickening {lf_mm:g} mm",
                             attrs={"lf_mm": lf_mm, "lf_hypertrophy": True}))
    degree = {1: None, 2: "contact", 3: "compression"}
    for side in ("left", "right"):
        g = getattr(lf.foramina, side)
        if g:
            out.append(Candidate(level, "root", "foraminal_stenosis",
                                 f"{side} foraminal stenosis (Lee {g})", side=side,
                                 grade=f"Lee {g}", roots=[(exiting_root(level), side, degree[g])],
                                 attrs={"grade": g}))
        g = getattr(lf.lateral_recess, side)
        if g:
            out.append(Candidate(level, "root", "lateral_recess_stenosis",
                                 f"{side} lateral recess stenosis (grade {g})", side=side,
                                 grade=str(g),
                                 roots=[(traversing_root(level), side,
                                         {1: None, 2: "displacement", 3: "compression"}[g])],
                                 attrs={"grade": g}))
    return out


def _facets(level: str, lf: LevelFindings) -> list[Candidate]:
    out: list[Candidate] = []
    f = lf.facets
    cyst = f.synovial_cyst if f.synovial_cyst not in (None, "none") else None
    for side in ("left", "right"):
        g = getattr(f, side)
        has_cyst = cyst in (side, "bilateral")
        if (g or 0) >= 1 or has_cyst:
            label = f"{side} facet arthropathy (Weishaupt {g})" if g else f"{side} facet"
            if f.effusion:
                label += " with effusion"
            roots = [(traversing_root(level), side, "contact")] if has_cyst else []
            if has_cyst:
                label += " and synovial cyst"
            out.append(Candidate(level, "facet", "facet_degeneration", label, side=side,
                                 grade=f"Weishaupt {g}" if g is not None else None, roots=roots,
                                 attrs={"grade": g or 0, "effusion": bool(f.effusion),
                                        "synovial_cyst": has_cyst}))
    return out


def _alignment(level: str, lf: LevelFindings) -> list[Candidate]:
    out: list[Candidate] = []
    if lf.listhesis_pct:
        g = meyerding(lf.listhesis_pct)
        direction = "anterolisthesis" if lf.listhesis_pct > 0 else "retrolisthesis"
        out.append(Candidate(level, "alignment", "spondylolisthesis",
                             f"{direction} {abs(lf.listhesis_pct):g}% (Meyerding {g})",
                             grade=f"Meyerding {g}",
                             attrs={"pct": lf.listhesis_pct, "meyerding": g,
                                    "mm": listhesis_mm(lf.listhesis_pct)}))
    if lf.spondylolysis:
        out.append(Candidate(level, "pars", "spondylolysis", "spondylolysis"))
    return out


def enumerate_candidates(imaging: ImagingFindings) -> list[Candidate]:
    """All atomic findings of a study, cranial to caudal."""
    out: list[Candidate] = []
    for level in sorted(imaging.levels, key=DISC_LEVELS.index):
        lf = imaging.levels[level]
        out += _disc(level, lf) + _endplates(level, lf) + _canal(level, lf)
        out += _facets(level, lf) + _alignment(level, lf)
    for name, v in imaging.vertebrae.items():
        if v.marrow_replacement:
            out.append(Candidate(name, "vertebral_body", "marrow_replacement",
                                 "marrow replacement"))
        if v.genant is not None and v.genant >= 1:
            acute = bool(v.marrow_edema)
            kind = "vertebral_fracture_acute" if acute else "vertebral_fracture_chronic"
            label = f"compression fracture (Genant {v.genant:g})"
            label += " with marrow oedema" if acute else (
                " without marrow oedema" if v.marrow_edema is False else "")
            if v.posterior_wall_retropulsion:
                label += ", posterior wall retropulsion"
            out.append(Candidate(name, "vertebral_body", kind, label, grade=f"Genant {v.genant:g}",
                                 attrs={"genant": v.genant, "edema": v.marrow_edema,
                                        "retropulsion": bool(v.posterior_wall_retropulsion)}))
        elif v.marrow_edema:
            out.append(Candidate(name, "vertebral_body", "marrow_edema", "marrow oedema"))
    if imaging.sij is not None:
        for side in ("left", "right"):
            s = getattr(imaging.sij, side)
            parts = [n for n in ("edema", "sclerosis", "erosion") if getattr(s, n)]
            if parts:
                out.append(Candidate(None, "sij", "sij_changes",
                                     f"{side} sacroiliac {', '.join(parts)}", side=side,
                                     attrs={p: True for p in parts}))
    if imaging.paraspinal is not None and (imaging.paraspinal.goutallier or 0) >= 2:
        g = imaging.paraspinal.goutallier
        out.append(Candidate(None, "paraspinal", "paraspinal_fatty_infiltration",
                             f"paraspinal fatty infiltration (Goutallier {g})",
                             grade=f"Goutallier {g}"))
    return out
