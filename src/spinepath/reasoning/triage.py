"""Red-flag triage (first) and whether imaging was indicated (ACR variants).

Red-flag phenotypes, in precedence order: cauda_equina, infection_red_flag, malignancy_red_flag,
osseous_red_flag (knowledge/phenotypes.yaml ``ph_red_flag_precedence``); each is urgent.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from spinepath.knowledge import load
from spinepath.model.clinical import ImagingFindings
from spinepath.reasoning.features import ClinicalFeatures
from spinepath.reasoning.result import ImagingIndication, Reason

WEAK_FLAGS = {"age_over_50_new_pain", "night_pain"}


@dataclass
class TriageResult:
    """Red-flag phenotypes found (in precedence order), urgency and reasons."""

    red_flag_phenotypes: list[str] = field(default_factory=list)
    urgent: bool = False
    progressive_deficit: bool = False
    infection_suspected: bool = False
    reasons: list[Reason] = field(default_factory=list)
    phenotype_reasons: dict[str, list[Reason]] = field(default_factory=dict)


def _rule(entry: str) -> tuple[str, str]:
    kb = load("red_flags")
    return kb.cite(entry), kb.entry(entry)["source"]


def infection_imaging_signs(imaging: ImagingFindings) -> list[str]:
    """Levels with imaging signs of infection (endplate erosion, fluid-bright disc)."""
    out = []
    for level, lf in imaging.levels.items():
        signs = []
        if lf.endplates.erosion:
            signs.append("endplate erosion")
        if lf.disc.t2_hyperintense_disc:
            signs.append("T2-hyperintense disc")
        if signs:
            out.append(f"{level}: {' and '.join(signs)}")
    return out


def discitis_pattern(imaging: ImagingFindings) -> list[str]:
    """Levels with both endplate erosion and a T2-hyperintense disc."""
    return [lv for lv, lf in imaging.levels.items()
            if lf.endplates.erosion and lf.disc.t2_hyperintense_disc]


def triage(f: ClinicalFeatures, imaging: ImagingFindings) -> TriageResult:
    """Decide the red-flag phenotypes and whether triage is urgent."""
    out = TriageResult()
    flags = f.red_flags

    def add(ph: str, text: str, entry: str) -> None:
        rule, src = _rule(entry)
        out.phenotype_reasons.setdefault(ph, []).append(Reason(text=text, rule=rule, source=src))
        if ph not in out.red_flag_phenotypes:
            out.red_flag_phenotypes.append(ph)

    ce = load("red_flags").entry("rf_cauda_equina")
    ce_flags = sorted(flags & set(ce["flags"]))
    if ce_flags or f.roots.saddle:
        what = ", ".join(ce_flags) or "saddle sensory loss"
        add("cauda_equina", f"cauda equina signs: {what}", "rf_cauda_equina")

    inf = load("red_flags").entry("rf_infection")
    inf_flags = sorted(flags & set(inf["flags"]))
    strong = sorted(flags & set(inf["strong_flags"]))
    signs = infection_imaging_signs(imaging)
    pattern = discitis_pattern(imaging)
    if pattern:
        add("infection_red_flag",
            f"discitis pattern at {', '.join(pattern)} (endplate erosion with a fluid-bright disc)",
            "rf_infection")
    if inf_flags and signs:
        add("infection_red_flag",
            f"infection risk ({', '.join(inf_flags)}) with imaging signs: {'; '.join(signs)}",
            "rf_infection")
    if {"fever", "iv_drug_use"} <= flags or ({"fever", "immunosuppression"} <= flags):
        add("infection_red_flag", f"high infection risk: {', '.join(inf_flags)}", "rf_infection")
    out.infection_suspected = "infection_red_flag" in out.red_flag_phenotypes or bool(strong)

    replaced = [v for v, x in imaging.vertebrae.items() if x.marrow_replacement]
    if replaced:
        add("malignancy_red_flag", f"marrow replacement at {', '.join(replaced)}",
            "rf_malignancy")
    if "history_of_cancer" in flags:
        edema_no_trauma = [
            v for v, x in imaging.vertebrae.items()
            if (x.marrow_edema or (x.genant or 0) >= 1)
            and not flags & {"major_trauma", "minor_trauma_osteoporosis"}
            and not f.osteoporosis
        ]
        if edema_no_trauma:
            add("malignancy_red_flag",
                f"history of cancer with a vertebral lesion at {', '.join(edema_no_trauma)} "
                f"and no trauma or osteoporosis to explain it", "rf_malignancy")

    for v, x in imaging.vertebrae.items():
        if (x.genant or 0) >= 1 and x.marrow_edema:
            add("osseous_red_flag",
                f"{v} compression fracture (Genant {x.genant:g}) with marrow oedema: active",
                "rf_fracture")
        elif (x.genant or 0) >= 1 and x.posterior_wall_retropulsion:
            add("osseous_red_flag", f"{v} fracture with posterior wall retropulsion",
                "rf_fracture")
        elif (x.genant or 0) >= 1 and flags & {"major_trauma", "minor_trauma_osteoporosis"} and (
            x.marrow_edema is None
        ):
            add("osseous_red_flag",
                f"{v} compression fracture after trauma; activity unknown (no oedema reported)",
                "rf_fracture")
    if "major_trauma" in flags and "osseous_red_flag" not in out.red_flag_phenotypes:
        rule, src = _rule("rf_fracture")
        out.reasons.append(Reason(text="major trauma: exclude fracture (CT)", rule=rule,
                                  source=src))

    order = load("phenotypes").entry("ph_red_flag_precedence")["order"]
    out.red_flag_phenotypes.sort(key=order.index)
    if "progressive_neurologic_deficit" in flags:
        out.progressive_deficit = True
        rule, src = _rule("rf_progressive_deficit")
        out.reasons.append(Reason(text="progressive neurological deficit: urgent referral",
                                  rule=rule, source=src))
    for ph in out.red_flag_phenotypes:
        out.reasons.extend(out.phenotype_reasons[ph])
    out.urgent = bool(out.red_flag_phenotypes) or out.progressive_deficit
    if not out.urgent:
        present = sorted(flags)
        out.reasons.append(Reason(
            text="no red-flag condition established"
            + (f" (flags reported: {', '.join(present)})" if present else ""),
            rule="phenotypes:ph_red_flag_precedence"))
    return out


def imaging_indication(f: ClinicalFeatures, tri: TriageResult) -> ImagingIndication:
    """Was imaging indicated? ACR AC Low Back Pain 2021 variants; None when it cannot be told."""
    rf = load("red_flags")
    var_src = rf.entry("acr_variants")["source"]
    timing = rf.entry("imaging_timing")
    strong = f.red_flags - WEAK_FLAGS

    def ind(ok: bool | None, variant: int | None, text: str, rule: str) -> ImagingIndication:
        return ImagingIndication(indicated=ok, acr_variant=variant,
                                 reasons=[Reason(text=text, rule=rule, source=var_src)])

    if "cauda_equina" in tri.red_flag_phenotypes:
        return ind(True, 4, "suspected cauda equina: MRI usually appropriate",
                   rf.cite("acr_variants"))
    if {"infection_red_flag", "malignancy_red_flag"} & set(tri.red_flag_phenotypes) or (
        strong & {"fever", "iv_drug_use", "immunosuppression", "history_of_cancer",
                  "unexplained_weight_loss"}
    ):
        return ind(True, 7, "suspected cancer or infection, or immunosuppression",
                   rf.cite("acr_variants"))
    if "osseous_red_flag" in tri.red_flag_phenotypes or strong & {
        "major_trauma", "minor_trauma_osteoporosis", "chronic_steroids"
    } or (f.osteoporosis and f.age >= 65 and "age_over_50_new_pain" in f.red_flags):
        return ind(True, 6, "trauma, osteoporosis, elderly or chronic steroids",
                   rf.cite("acr_variants"))
    if tri.progressive_deficit:
        return ind(True, None, "severe or progressive neurological deficit: immediate MRI",
                   rf.cite("rf_progressive_deficit"))
    if f.prior_surgery:
        return ind(True, 5, "prior lumbar surgery with new or persistent symptoms",
                   rf.cite("acr_variants"))
    weeks = timing["min_weeks_management"]
    if f.duration_weeks is not None and f.duration_weeks < timing["min_weeks_symptoms"]:
        return ind(False, 1,
                   f"acute pain ({f.duration_weeks:g} weeks < {timing['min_weeks_symptoms']}) "
                   f"without red flags: imaging usually not appropriate", rf.cite("imaging_timing"))
    if f.conservative_weeks is not None and f.conservative_weeks < weeks:
        return ind(False, 2,
                   f"only {f.conservative_weeks:g} weeks of management (< {weeks}) and no red "
                   f"flags: imaging usually not appropriate", rf.cite("imaging_timing"))
    if f.conservative_weeks is None:
        return ind(None, 3, "duration of conservative care not given: cannot tell whether "
                   "6 weeks of management preceded imaging", rf.cite("imaging_timing"))
    return ind(True, 3,
               f"persistent symptoms after {f.conservative_weeks:g} weeks of management in an "
               f"intervention candidate: MRI without contrast usually appropriate",
               rf.cite("acr_variants"))
