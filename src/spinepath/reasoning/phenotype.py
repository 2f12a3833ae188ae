"""Phenotypes with confidence: clinical fit × imaging support (knowledge/phenotypes.yaml).

Red-flag phenotypes come from triage and take precedence. For the others each phenotype has a
gate (its defining clinical feature), a clinical fit in [0, 1] from weighted components, and an
imaging support = the probability of the best concordant finding of its structures.
"""

from __future__ import annotations

from spinepath.knowledge import load
from spinepath.model.clinical import ImagingFindings
from spinepath.reasoning.candidates import STENOSIS_ORDER, stenosis_grade
from spinepath.reasoning.features import ClinicalFeatures
from spinepath.reasoning.result import PhenotypeCall, Reason, ScoredFinding

RADICULAR_KINDS = {"protrusion", "extrusion", "sequestration", "foraminal_stenosis",
                   "lateral_recess_stenosis", "facet_degeneration"}
DISCOGENIC_KINDS = {"disc_degeneration", "height_loss", "bulge", "hiz", "annular_fissure",
                    "protrusion", "modic_3"}


def _entry(pid: str) -> dict:
    return load("phenotypes").entry(pid)


def _cite(pid: str) -> tuple[str, str]:
    return load("phenotypes").cite(pid), _entry(pid)["source"]


def phenotype_findings(phenotype: str, scored: list[ScoredFinding]) -> list[ScoredFinding]:
    """Findings that can carry this phenotype, most probable first."""
    if phenotype == "radicular":
        sel = [s for s in scored if s.finding in RADICULAR_KINDS and s.roots
               and "root_same_side" in s.likelihood_ratios]
    elif phenotype == "facetogenic":
        sel = [s for s in scored if s.structure == "facet"]
    elif phenotype == "sacroiliac":
        sel = [s for s in scored if s.structure == "sij"]
    elif phenotype == "vertebrogenic":
        levels = _entry("ph_vertebrogenic")["levels"]
        sel = [s for s in scored if s.finding in ("modic_1", "modic_2") and s.level in levels]
    elif phenotype == "discogenic":
        sel = [s for s in scored if s.finding in DISCOGENIC_KINDS and not s.roots]
    elif phenotype == "lf_stenosis":
        sel = [s for s in scored if s.finding == "central_stenosis"
               and STENOSIS_ORDER.get(s.grade or "none", 0) >= 2]
    elif phenotype == "cauda_equina":
        sel = [s for s in scored if s.finding in ("extrusion", "sequestration", "protrusion",
                                                  "central_stenosis")]
        sel.sort(key=lambda s: (-(len(s.roots) > 0 and s.concordant), -s.probability))
        return sel
    elif phenotype == "infection_red_flag":
        order = ["disc_fluid_signal", "endplate_erosion", "modic_1", "marrow_edema"]
        sel = [s for s in scored if s.finding in order]
        return sorted(sel, key=lambda s: order.index(s.finding))
    elif phenotype == "malignancy_red_flag":
        sel = [s for s in scored if s.finding in ("marrow_replacement", "vertebral_fracture_acute",
                                                  "vertebral_fracture_chronic", "marrow_edema")]
    elif phenotype == "osseous_red_flag":
        sel = [s for s in scored if s.finding in ("vertebral_fracture_acute",
                                                  "vertebral_fracture_chronic")]
    else:
        sel = [s for s in scored if s.concordant]
    return sorted(sel, key=lambda s: -s.probability)


def _support(phenotype: str, scored: list[ScoredFinding]) -> tuple[float, ScoredFinding | None]:
    sel = phenotype_findings(phenotype, scored)
    return (sel[0].probability, sel[0]) if sel else (0.0, None)


def radicular_fit(f: ClinicalFeatures) -> tuple[float, list[Reason]]:
    """Clinical fit of the radicular presentation, with reasons."""
    e = _entry("ph_radicular")
    rule, src = _cite("ph_radicular")
    if not f.below_knee:
        return 0.0, [Reason(text="no leg pain below the knee", rule=rule, source=src)]
    comps = e["components"]
    fit = float(e["base"])
    reasons = [Reason(text="leg pain below the knee", rule=rule, source=src)]
    if f.dermatomal:
        fit += comps["dermatomal"]
        reasons.append(Reason(text="dermatomal distribution", rule=rule, source=src))
    if f.neuro_deficit:
        fit += comps["neuro_deficit"]
        reasons.append(Reason(text="neurological signs matching a root", rule=rule, source=src))
    if f.tension_sign:
        fit += comps["tension_sign"]
        reasons.append(Reason(text="positive tension sign", rule=rule, source=src))
    fit = min(fit, 1.0)
    sided_signs = bool(f.roots.deficit) or bool(f.roots.tension)
    if f.claudication and f.leg_side == "bilateral" and not sided_signs and not f.dermatomal:
        fit *= e["claudication_bilateral_factor"]
        reasons.append(Reason(text="bilateral non-dermatomal leg pain with neurogenic "
                                   "claudication: a stenosis picture rather than radicular",
                              rule=rule, source=src))
    return fit, reasons


def _call(pid: str, phenotype: str, fit: float, support: float, conf: float,
          reasons: list[Reason], best: ScoredFinding | None) -> PhenotypeCall:
    if best is not None:
        rule, _ = _cite(pid)
        where = f"{best.level} " if best.level else ""
        reasons = [*reasons, Reason(
            text=f"imaging support {support:.2f}: {where}{best.finding.replace('_', ' ')}",
            rule=rule)]
    return PhenotypeCall(phenotype=phenotype, confidence=round(conf, 3),
                         clinical_fit=round(fit, 3), imaging_support=round(support, 3),
                         reasons=reasons)


def assess_phenotypes(f: ClinicalFeatures, imaging: ImagingFindings,
                      scored: list[ScoredFinding]) -> list[PhenotypeCall]:
    """Confidence for every non-red-flag phenotype, highest first."""
    calls: list[PhenotypeCall] = []
    rad_fit, rad_reasons = radicular_fit(f)
    e = _entry("ph_radicular")
    sup, best = _support("radicular", scored)
    w = e["imaging_weight"]
    calls.append(_call("ph_radicular", "radicular", rad_fit, sup,
                       rad_fit * ((1 - w) + w * sup), rad_reasons, best))

    # facetogenic
    e = _entry("ph_facetogenic")
    rule, src = _cite("ph_facetogenic")
    fit, reasons = 0.0, []
    if f.axial and f.extension_rotation:
        fit = e["base"]
        reasons.append(Reason(text="axial pain on extension and rotation", rule=rule, source=src))
        if f.chronic:
            fit += e["components"]["chronic"]
        if not f.below_knee:
            fit += e["components"]["no_leg_pain_below_knee"]
        if rad_fit >= 0.7:
            fit *= e["radicular_factor"]
            reasons.append(Reason(text="a radicular presentation competes", rule=rule, source=src))
    sup, best = _support("facetogenic", scored)
    w = e["imaging_weight"]
    calls.append(_call("ph_facetogenic", "facetogenic", fit, sup, fit * ((1 - w) + w * sup),
                       reasons, best))

    # sacroiliac
    e = _entry("ph_sacroiliac")
    rule, src = _cite("ph_sacroiliac")
    fit, reasons = 0.0, []
    if f.sij_tests >= e["min_positive_tests"]:
        fit = e["base"]
        reasons.append(Reason(text=f"{f.sij_tests} positive sacroiliac provocation tests",
                              rule=rule, source=src))
        c = e["components"]
        if f.buttock:
            fit += c["buttock_predominant"]
            reasons.append(Reason(text="buttock-predominant pain", rule=rule, source=src))
        if f.fortin:
            fit += c["fortin_area"]
            reasons.append(Reason(text="Fortin area pain", rule=rule, source=src))
        if not f.axial:
            fit += c["no_axial_pain"]
        if rad_fit >= 0.7:
            fit *= e["radicular_factor"]
    sup, best = _support("sacroiliac", scored)
    w = e["imaging_weight"]
    calls.append(_call("ph_sacroiliac", "sacroiliac", fit, sup, fit * ((1 - w) + w * sup),
                       reasons, best))

    # vertebrogenic
    e = _entry("ph_vertebrogenic")
    rule, src = _cite("ph_vertebrogenic")
    sup, best = _support("vertebrogenic", scored)
    fit, reasons = 0.0, []
    if f.axial and f.chronic and best is not None:
        fit = e["base"]
        reasons.append(Reason(text=f"chronic axial pain with {best.grade} at {best.level}",
                              rule=rule, source=src))
        if not f.below_knee:
            fit += e["components"]["no_leg_pain_below_knee"]
        if (f.duration_weeks or 0) >= 26:
            fit += e["components"]["duration_6_months"]
    calls.append(_call("ph_vertebrogenic", "vertebrogenic", fit, sup, fit * sup, reasons, best))
    vertebrogenic_gate = fit > 0

    # discogenic
    e = _entry("ph_discogenic")
    rule, src = _cite("ph_discogenic")
    sup, best = _support("discogenic", scored)
    fit, reasons = 0.0, []
    if f.axial and f.chronic and best is not None:
        fit = e["base"]
        reasons.append(Reason(text="chronic axial pain with a degenerative disc finding",
                              rule=rule, source=src))
        if not f.below_knee:
            fit += e["components"]["no_leg_pain_below_knee"]
        if not (f.extension_rotation or f.sij_tests >= 3):
            fit += e["components"]["no_posterior_element_signs"]
        if vertebrogenic_gate:
            fit *= 0.5
            reasons.append(Reason(text="Modic 1-2 present: the vertebrogenic row applies",
                                  rule=rule, source=src))
    calls.append(_call("ph_discogenic", "discogenic", fit, sup, fit * sup, reasons, best))

    # LF stenosis
    e = _entry("ph_lf_stenosis")
    rule, src = _cite("ph_lf_stenosis")
    sup, best = _support("lf_stenosis", scored)
    fit, reasons = 0.0, []
    if f.claudication and best is not None:
        fit = e["base"]
        reasons.append(Reason(text=f"neurogenic claudication with {best.grade} central stenosis "
                                   f"at {best.level}", rule=rule, source=src))
        lf = imaging.levels.get(best.level or "")
        if best.structure == "ligamentum_flavum" and lf is not None:
            fit += e["components"]["lf_hypertrophy"]
            reasons.append(Reason(text=f"ligamentum flavum {lf.lf_thickness_mm:g} mm",
                                  rule="grading:lf_hypertrophy"))
    w = e["imaging_weight"]
    calls.append(_call("ph_lf_stenosis", "lf_stenosis", fit, sup, fit * ((1 - w) + w * sup),
                       reasons, best))

    # PSPS type 2
    e = _entry("ph_psps2")
    rule, src = _cite("ph_psps2")
    fit, reasons = 0.0, []
    if f.prior_surgery:
        fit = e["base"] + (e["components"]["chronic"] if f.chronic else 0.0)
        reasons.append(Reason(text="prior lumbar surgery with persistent or recurrent pain",
                              rule=rule, source=src))
    calls.append(_call("ph_psps2", "persistent_spinal_pain_syndrome_2", fit, 0.0, fit, reasons,
                       None))
    return sorted(calls, key=lambda c: -c.confidence)


def choose_primary(calls: list[PhenotypeCall]) -> tuple[PhenotypeCall, list[PhenotypeCall]]:
    """Primary phenotype (PSPS-2 takes precedence when its gate holds) and secondary ones."""
    kb = load("phenotypes")
    t1, t2 = float(kb.data["primary_threshold"]), float(kb.data["secondary_threshold"])
    psps = next((c for c in calls if c.phenotype == "persistent_spinal_pain_syndrome_2"), None)
    if psps is not None and psps.confidence >= t1 and _entry("ph_psps2").get("precedence"):
        primary = psps
    elif calls and calls[0].confidence >= t1:
        primary = calls[0]
    else:
        best = calls[0].confidence if calls else 0.0
        primary = PhenotypeCall(
            phenotype="nonspecific", confidence=round(1.0 - best, 3),
            reasons=[Reason(text=f"no phenotype reaches {t1} (best {best:.2f})",
                            rule=kb.cite("ph_nonspecific"),
                            source=kb.entry("ph_nonspecific")["source"])])
    secondary = [c for c in calls if c is not primary and c.confidence >= t2]
    return primary, secondary


def imaging_stenosis_levels(imaging: ImagingFindings, min_grade: str = "moderate") -> list[str]:
    """Levels whose central stenosis reaches ``min_grade``."""
    return [lv for lv, lf in imaging.levels.items()
            if STENOSIS_ORDER[stenosis_grade(lf)] >= STENOSIS_ORDER[min_grade]]
