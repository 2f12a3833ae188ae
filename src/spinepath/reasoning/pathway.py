"""Next steps from the pathway table (knowledge/pathway.yaml).

Each pathway row lists steps with a ``when`` predicate; this module evaluates the predicates
(selection criteria with their thresholds from the knowledge files), sets targets (level, root,
side), and attaches guidance, evidence, contraindications and precautions. Steps whose predicate
fails, or with an absolute contraindication, go to ``deferred`` with the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from spinepath.knowledge import load, load_optional
from spinepath.model.clinical import ClinicalIntake, ImagingFindings
from spinepath.reasoning.candidates import STENOSIS_ORDER, listhesis_mm, meyerding, stenosis_grade
from spinepath.reasoning.features import ClinicalFeatures
from spinepath.reasoning.phenotype import phenotype_findings
from spinepath.reasoning.result import DeferredStep, NextStep, Reason, ScoredFinding
from spinepath.reasoning.triage import TriageResult, infection_imaging_signs


@dataclass
class Context:
    """Everything a predicate may look at."""

    intake: ClinicalIntake
    f: ClinicalFeatures
    imaging: ImagingFindings
    scored: list[ScoredFinding]
    triage: TriageResult
    primary: str
    radicular_fit: float
    discordant_imaging: bool
    bvna: BVNAAssessment | None = None
    notes: dict[str, list[Reason]] = field(default_factory=dict)

    def why(self, key: str, text: str, rule: str = "", source: str = "") -> bool:
        """Record why a predicate failed; returns False for convenience."""
        self.notes.setdefault(key, []).append(Reason(text=text, rule=rule, source=source))
        return False


@dataclass
class BVNAAssessment:
    """Basivertebral nerve ablation: applicable (Modic 1-2 at L3-S1 with chronic axial pain),
    eligible, and the unmet requirements and exclusions."""

    applicable: bool
    eligible: bool
    levels: list[str]
    vertebrae: list[str]
    problems: list[Reason]


def _sel(entry: str) -> dict:
    return load("pathway").entry(entry)


def assess_bvna(ctx: Context) -> BVNAAssessment:
    """Check the BVNA RCT selection criteria and exclusions (pathway.yaml ``sel_bvna``)."""
    s = _sel("sel_bvna")
    rule, src = load("pathway").cite("sel_bvna"), s["source"]
    f, im, c = ctx.f, ctx.imaging, ctx.intake.clinical
    levels = [lv for lv in s["levels"] if lv in im.levels
              and im.levels[lv].endplates.modic in s["modic_types"]]
    vertebrae = sorted({v for lv in levels for v in lv.split("-")},
                       key=["L3", "L4", "L5", "S1"].index)
    applicable = bool(levels) and f.axial and f.chronic
    probs: list[Reason] = []

    def no(text: str) -> None:
        probs.append(Reason(text=text, rule=rule, source=src))

    if not levels:
        no("no Modic 1 or 2 change at L3-S1")
    if not (f.axial and f.chronic):
        no("no chronic axial low-back pain")
    if f.duration_weeks is None or f.duration_weeks < s["min_duration_weeks"]:
        no(f"axial pain for less than {s['min_duration_weeks']} weeks (6 months)")
    if f.conservative_weeks is not None and f.conservative_weeks < s["min_conservative_weeks"]:
        no(f"less than {s['min_conservative_weeks']} weeks of non-operative care")
    if c.odi is not None and c.odi < s["min_odi"]:
        no(f"ODI {c.odi:g} < {s['min_odi']}")
    if c.nrs is not None and c.nrs < s["min_nrs"]:
        no(f"pain {c.nrs:g}/10 < {s['min_nrs']}")
    if ctx.radicular_fit >= 0.35:
        no("radicular pain (exclusion)")
    if f.claudication and any(STENOSIS_ORDER[stenosis_grade(lf)] >= 2 for lf in im.levels.values()):
        no("symptomatic stenosis (exclusion)")
    for lv, lf in im.levels.items():
        h = lf.disc.herniation
        if h is not None and h.size_mm is not None and h.size_mm > s["max_herniation_mm"]:
            no(f"{lv} {h.type} {h.size_mm:g} mm > {s['max_herniation_mm']} mm (exclusion)")
        if lf.listhesis_pct and listhesis_mm(lf.listhesis_pct) > s["max_listhesis_mm"]:
            no(f"{lv} listhesis {lf.listhesis_pct:g}% (about {listhesis_mm(lf.listhesis_pct):.1f}"
               f" mm) > {s['max_listhesis_mm']} mm (exclusion)")
        if lf.spondylolysis:
            no(f"{lv} spondylolysis (exclusion)")
        fa = lf.facets
        if f.extension_rotation and (max(fa.left or 0, fa.right or 0) >= 2 or fa.effusion):
            no(f"{lv} facet arthropathy matching facet-type pain (exclusion)")
    if any((v.genant or 0) >= 1 for v in im.vertebrae.values()):
        no("vertebral fracture (exclusion)")
    if "history_of_cancer" in f.red_flags or any(v.marrow_replacement
                                                 for v in im.vertebrae.values()):
        no("cancer (exclusion)")
    if ctx.triage.infection_suspected or infection_imaging_signs(im):
        no("infection or signs of it (exclusion)")
    bmi = ctx.intake.patient.bmi_kg_m2
    if bmi is not None and bmi > s["max_bmi"]:
        no(f"BMI {bmi:g} > {s['max_bmi']} (exclusion)")
    if c.depression_bdi is not None and c.depression_bdi > s["max_bdi"]:
        no(f"BDI {c.depression_bdi} > {s['max_bdi']} (exclusion)")
    for ps in c.prior_surgery:
        if ps.level and (ps.level in levels or ps.level in vertebrae):
            no(f"prior surgery at {ps.level}, an index level (exclusion)")
    if c.pregnancy:
        no("pregnancy (contraindication)")
    if c.coagulopathy:
        no("coagulopathy (contraindication)")
    return BVNAAssessment(applicable=applicable, eligible=not probs, levels=levels,
                          vertebrae=vertebrae, problems=probs)


# ------------------------------------------------------------------------- predicates ----------

def _always(ctx: Context) -> bool:
    return True


def _not_mri(ctx: Context) -> bool:
    return ctx.imaging.modality != "MRI" or ctx.why("not_mri", "the study was MRI")


def _no_contrast(ctx: Context) -> bool:
    return not ctx.imaging.contrast or ctx.why("no_contrast", "contrast already given")


def _no_contrast_no_hardware(ctx: Context) -> bool:
    if ctx.imaging.hardware_artifact:
        return ctx.why("no_contrast_no_hardware", "MRI limited by hardware artefact")
    return _no_contrast(ctx)


def _hardware(ctx: Context) -> bool:
    return ctx.imaging.hardware_artifact or ctx.why("hardware_artifact", "no hardware artefact")


def _fractures(ctx: Context) -> list[str]:
    return [v for v, x in ctx.imaging.vertebrae.items() if (x.genant or 0) >= 1]


def _fracture_present(ctx: Context) -> bool:
    return bool(_fractures(ctx)) or ctx.why("fracture_present", "no vertebral fracture")


def _unstable(ctx: Context) -> bool:
    retro = [v for v, x in ctx.imaging.vertebrae.items() if x.posterior_wall_retropulsion]
    if retro or "major_trauma" in ctx.f.red_flags or (
        _fractures(ctx) and ctx.f.motor_deficit
    ):
        return True
    return ctx.why("unstable_fracture", "no retropulsion, major trauma or deficit")


def _activity_unknown(ctx: Context) -> bool:
    unknown = [v for v in _fractures(ctx) if ctx.imaging.vertebrae[v].marrow_edema is None]
    return bool(unknown) or ctx.why("fracture_activity_unknown",
                                    "fracture activity shown by MRI oedema status")


def _va_eligible(ctx: Context) -> bool:
    s = _sel("sel_vertebral_augmentation")
    rule, src = load("pathway").cite("sel_vertebral_augmentation"), s["source"]
    active = [v for v in _fractures(ctx) if ctx.imaging.vertebrae[v].marrow_edema]
    if not active:
        return ctx.why("va_eligible", "no active fracture (no marrow oedema or uptake shown): "
                       "asymptomatic or healed fractures are not treated", rule, src)
    if ctx.intake.clinical.improving:
        return ctx.why("va_eligible", "pain improving on conservative care", rule, src)
    return True


def _fracture_without_trauma(ctx: Context) -> bool:
    return bool(_fractures(ctx)) and "major_trauma" not in ctx.f.red_flags


def _best_radicular(ctx: Context) -> ScoredFinding | None:
    sel = phenotype_findings("radicular", ctx.scored)
    return sel[0] if sel else None


def _level_uncertain(ctx: Context) -> bool:
    sel = phenotype_findings("radicular", ctx.scored)
    if ctx.discordant_imaging:
        return True
    levels = {s.level for s in sel if s.probability >= sel[0].probability - 0.15} if sel else set()
    if len(levels) >= 2:
        return True
    return ctx.why("level_uncertain", "one concordant level explains the symptoms")


def _discordant(ctx: Context) -> bool:
    return ctx.discordant_imaging or ctx.why("discordant_imaging",
                                             "imaging explains the symptoms")


def _tf_esi(ctx: Context) -> bool:
    s = _sel("sel_tf_esi")
    rule, src = load("pathway").cite("sel_tf_esi"), s["source"]
    d = ctx.f.duration_weeks
    if d is None or d < s["min_duration_weeks"]:
        return ctx.why("tf_esi_eligible",
                       f"radicular pain for less than {s['min_duration_weeks']} weeks", rule, src)
    return True


def _il_esi(ctx: Context) -> bool:
    if not _tf_esi(ctx):
        return False
    best = _best_radicular(ctx)
    sel = phenotype_findings("radicular", ctx.scored)
    if ctx.f.leg_side == "bilateral" or (best is not None and best.side in ("central",
                                                                             "bilateral")):
        return True
    if len({s.level for s in sel}) >= 2:
        return True
    return ctx.why("il_esi_indicated", "unilateral single-level symptoms: transforaminal route "
                   "preferred", "pathway:proc_interlaminar_esi", _sel("proc_interlaminar_esi")
                   ["source"])


def _post_surgical(ctx: Context) -> bool:
    return ctx.f.prior_surgery or ctx.why("post_surgical", "no prior surgery")


def _contained(ctx: Context) -> bool:
    best = _best_radicular(ctx)
    if best is not None and best.finding == "protrusion" and _tf_esi(ctx):
        return True
    return ctx.why("contained_herniation", "no contained (protrusion) herniation concordant "
                   "with the root")


def _radicular_surgical(ctx: Context) -> bool:
    best = _best_radicular(ctx)
    if best is None:
        return ctx.why("radicular_surgical", "no concordant compressive lesion")
    if ctx.f.motor_deficit or (ctx.f.duration_weeks or 0) >= 6:
        return True
    return ctx.why("radicular_surgical", "no motor deficit and under 6 weeks")


def _mbb(ctx: Context) -> bool:
    s = _sel("sel_mbb")
    rule, src = load("pathway").cite("sel_mbb"), s["source"]
    d = ctx.f.duration_weeks
    if d is None or d < s["min_duration_weeks"]:
        return ctx.why("mbb_eligible", f"pain for less than {s['min_duration_weeks']} weeks",
                       rule, src)
    if ctx.radicular_fit >= 0.7 or ctx.f.claudication:
        return ctx.why("mbb_eligible", "untreated radiculopathy or neurogenic claudication",
                       rule, src)
    return True


def _sij_block(ctx: Context) -> bool:
    s = _sel("sel_sij")
    rule, src = load("pathway").cite("sel_sij"), s["source"]
    f = ctx.f
    if f.sij_tests < s["min_positive_tests"]:
        return ctx.why("sij_block_eligible", f"fewer than {s['min_positive_tests']} positive "
                       "provocation tests", rule, src)
    if f.duration_weeks is None or f.duration_weeks < s["min_duration_weeks"]:
        return ctx.why("sij_block_eligible", f"pain for less than {s['min_duration_weeks']} "
                       "weeks", rule, src)
    if f.conservative_weeks is not None and f.conservative_weeks < s["min_conservative_weeks"]:
        return ctx.why("sij_block_eligible", f"less than {s['min_conservative_weeks']} weeks of "
                       "conservative care", rule, src)
    return True


def _ibp(ctx: Context) -> bool:
    return bool(ctx.intake.clinical.inflammatory_back_pain) or ctx.why(
        "inflammatory_back_pain", "no inflammatory back pain")


def _bvna(ctx: Context) -> bool:
    a = ctx.bvna
    if a is None or not a.eligible:
        for p in (a.problems if a else []):
            ctx.notes.setdefault("bvna_eligible", []).append(p)
        return False
    return True


def _mild(ctx: Context) -> bool:
    s = _sel("sel_mild")
    rule, src = load("pathway").cite("sel_mild"), s["source"]
    sel = phenotype_findings("lf_stenosis", ctx.scored)
    if not ctx.f.claudication or not sel:
        return ctx.why("mild_eligible", "no neurogenic claudication with central stenosis",
                       rule, src)
    level = sel[0].level or ""
    lf = ctx.imaging.levels[level]
    ok = True
    if lf.lf_thickness_mm is None or lf.lf_thickness_mm <= s["min_lf_mm"]:
        ok = ctx.why("mild_eligible", f"{level}: ligamentum flavum not thicker than "
                     f"{s['min_lf_mm']} mm (or not measured)", rule, src)
    if ctx.imaging.dynamic_instability:
        ok = ctx.why("mild_eligible", "dynamic instability (exclusion)", rule, src)
    if lf.listhesis_pct and meyerding(lf.listhesis_pct) > s["max_meyerding_grade"]:
        ok = ctx.why("mild_eligible", f"{level}: spondylolisthesis Meyerding "
                     f"{meyerding(lf.listhesis_pct)} (exclusion)", rule, src)
    if max(lf.foramina.left or 0, lf.foramina.right or 0,
           lf.lateral_recess.left or 0, lf.lateral_recess.right or 0) >= 3:
        ok = ctx.why("mild_eligible", f"{level}: severe foraminal or recess stenosis as the "
                     "cause (exclusion)", rule, src)
    cw = ctx.f.conservative_weeks
    if cw is not None and cw < s["min_conservative_weeks"]:
        ok = ctx.why("mild_eligible", f"less than {s['min_conservative_weeks']} weeks of "
                     "conservative care", rule, src)
    return ok


def _stenosis_injection(ctx: Context) -> bool:
    return ctx.f.claudication or ctx.why("stenosis_injection", "no claudication")


def _radicular_component(ctx: Context) -> bool:
    return ctx.radicular_fit >= 0.35 or ctx.why("radicular_component", "no radicular pain")


def _chronic(ctx: Context) -> bool:
    return ctx.f.chronic or ctx.why("chronic", "pain not chronic")


PREDICATES: dict[str, Callable[[Context], bool]] = {
    "always": _always,
    "not_mri": _not_mri,
    "no_contrast": _no_contrast,
    "no_contrast_no_hardware": _no_contrast_no_hardware,
    "hardware_artifact": _hardware,
    "fracture_present": _fracture_present,
    "unstable_fracture": _unstable,
    "fracture_activity_unknown": _activity_unknown,
    "va_eligible": _va_eligible,
    "fracture_without_trauma": _fracture_without_trauma,
    "level_uncertain": _level_uncertain,
    "discordant_imaging": _discordant,
    "tf_esi_eligible": _tf_esi,
    "il_esi_indicated": _il_esi,
    "post_surgical": _post_surgical,
    "contained_herniation": _contained,
    "radicular_surgical": _radicular_surgical,
    "mbb_eligible": _mbb,
    "sij_block_eligible": _sij_block,
    "inflammatory_back_pain": _ibp,
    "bvna_eligible": _bvna,
    "mild_eligible": _mild,
    "stenosis_injection": _stenosis_injection,
    "radicular_component": _radicular_component,
    "chronic": _chronic,
}


# ---------------------------------------------------------------------------- targets -----------

def _foramen_for_root(root: str) -> str | None:
    order = ["L1", "L2", "L3", "L4", "L5", "S1"]
    if root in order[:-1]:
        return f"{root}-{order[order.index(root) + 1]}"
    return f"{root} foramen" if root.startswith("S") else None


def _target(step: NextStep, ctx: Context) -> None:
    p = step.procedure
    if p == "interlaminar_esi" and ctx.primary == "lf_stenosis":
        sel = phenotype_findings("lf_stenosis", ctx.scored)
        if sel:
            step.level, step.side = sel[0].level, "bilateral"
    elif p in ("transforaminal_esi", "selective_nerve_root_block", "drg_pulsed_rf",
             "interlaminar_esi", "percutaneous_disc_decompression", "caudal_esi"):
        best = _best_radicular(ctx)
        if best is not None:
            step.level, step.root, step.side = best.level, best.root, best.side
        elif ctx.f.implicated_roots:
            ranked = sorted(ctx.f.implicated_roots, key=lambda rs: -ctx.f.roots.score(*rs))
            step.root, step.side = ranked[0]
            sides = {s for r, s in ctx.f.implicated_roots if r == step.root}
            if len(sides) == 2:
                step.side = "bilateral"
        if step.side is None and ctx.f.leg_side in ("left", "right", "bilateral"):
            step.side = ctx.f.leg_side
        if p in ("transforaminal_esi", "selective_nerve_root_block", "drg_pulsed_rf") and step.root:
            step.foramen = _foramen_for_root(step.root)
        if p == "caudal_esi":
            step.level, step.root = None, None
    elif p in ("medial_branch_block", "medial_branch_rfa", "facet_intraarticular_injection"):
        sel = phenotype_findings("facetogenic", ctx.scored)
        if sel:
            step.level = sel[0].level
            step.levels = sorted({s.level for s in sel if s.probability >= 0.2 and s.level}
                                 | {sel[0].level or ""} - {""})
            sides = {s.side for s in sel if s.level == sel[0].level and s.probability >= 0.2}
            step.side = "bilateral" if len(sides) == 2 else sel[0].side
    elif p in ("sij_intraarticular_block", "sij_lateral_branch_rfa"):
        sel = phenotype_findings("sacroiliac", ctx.scored)
        if sel:
            step.side = sel[0].side
        elif ctx.f.leg_side in ("left", "right", "bilateral"):
            step.side = ctx.f.leg_side
    elif p == "basivertebral_nerve_ablation" and ctx.bvna is not None:
        step.levels = ctx.bvna.vertebrae
        sel = phenotype_findings("vertebrogenic", ctx.scored)
        step.level = sel[0].level if sel else (ctx.bvna.levels[0] if ctx.bvna.levels else None)
    elif p == "surgical_referral" and ctx.primary == "radicular":
        best = _best_radicular(ctx)
        if best is not None:
            step.level, step.root, step.side = best.level, best.root, best.side
    elif p in ("mild_decompression", "surgical_referral") and ctx.primary == "lf_stenosis":
        sel = phenotype_findings("lf_stenosis", ctx.scored)
        if sel:
            step.level = sel[0].level
            step.side = "bilateral"
    elif p == "vertebral_augmentation":
        active = [v for v in _fractures(ctx) if ctx.imaging.vertebrae[v].marrow_edema]
        chosen = active or _fractures(ctx)
        if chosen:
            step.level, step.levels = chosen[0], chosen


# -------------------------------------------------------------------- contraindications --------

def patient_conditions(ctx: Context) -> dict[str, str]:
    """Condition id -> explanation, for this patient (used against procedure lists)."""
    c = ctx.intake.clinical
    out: dict[str, str] = {}
    if ctx.triage.infection_suspected or "infection_red_flag" in ctx.triage.red_flag_phenotypes:
        out["infection"] = "suspected infection"
    if c.coagulopathy:
        out["coagulopathy"] = "coagulopathy"
        out["coagulopathy_uncorrected"] = "coagulopathy (correct before the procedure)"
    if ctx.f.anticoagulants:
        out["anticoagulants"] = f"antithrombotic drugs: {', '.join(ctx.f.anticoagulants)}"
    if c.pregnancy:
        out["pregnancy"] = "pregnancy"
    if c.contrast_allergy:
        out["contrast_allergy"] = "contrast allergy"
    if c.diabetes_uncontrolled:
        out["diabetes_uncontrolled"] = "uncontrolled diabetes"
    if any("cement" in a or "methacrylate" in a or "pmma" in a for a in c.allergies):
        out["cement_allergy"] = "cement (PMMA) allergy"
    if any(v.posterior_wall_retropulsion for v in ctx.imaging.vertebrae.values()):
        out["posterior_wall_retropulsion"] = "posterior wall retropulsion (relative)"
    return out


def _guidance(proc: dict, ctx: Context) -> str:
    g = str(proc.get("guidance", ""))
    c = ctx.intake.clinical
    if proc["procedure"] == "sij_intraarticular_block" and (c.contrast_allergy or c.pregnancy):
        g = "ultrasound (contrast allergy or pregnancy), " + g
    elif c.pregnancy and ("fluoroscopy" in g or "CT" in g) and proc["role"] != "imaging":
        g += "; pregnancy: defer if possible, otherwise ultrasound or minimal fluoroscopy"
    if c.contrast_allergy and "contrast" in g and proc["role"] != "imaging":
        g += "; contrast allergy: premedication or alternative contrast"
    return g


def _molecular_evidence(step: NextStep) -> None:
    """Cite pooled accuracies from knowledge/molecular_imaging.yaml when that file exists."""
    mi = load_optional("molecular_imaging")
    if mi is None:
        return
    parts = []
    for eid in ("naf_pet_ct_psps_t2", "diphosphonate_spect_ct_psps_t2"):
        if eid in mi.by_id:
            e = mi.by_id[eid]
            lo_s, hi_s = e["sensitivity_ci95"]
            lo_p, hi_p = e["specificity_ci95"]
            parts.append(f"{e['modality']}: sensitivity {e['sensitivity']:.1%} "
                         f"(95% CI {lo_s:.0%}-{hi_s:.0%}), specificity {e['specificity']:.1%} "
                         f"(95% CI {lo_p:.0%}-{hi_p:.0%})")
            step.reasons.append(Reason(text=parts[-1], rule=mi.cite(eid), source=e["source"]))
    if parts:
        step.evidence = "; ".join(parts) + " - wide intervals, few small retrospective studies"


def build_steps(pathway_phenotype: str, ctx: Context) -> tuple[list[NextStep],
                                                                list[DeferredStep]]:
    """Steps of one pathway row, evaluated for this patient."""
    kb = load("pathway")
    row = next((e for e in kb.entries if e.get("phenotype") == pathway_phenotype
                and "steps" in e), None)
    if row is None:
        return [], []
    conditions = patient_conditions(ctx)
    steps: list[NextStep] = []
    deferred: list[DeferredStep] = []
    for spec in row["steps"]:
        proc = kb.entry(f"proc_{spec['procedure']}")
        pred = PREDICATES[spec["when"]]
        ctx.notes.pop(spec["when"], None)
        row_reason = Reason(text=f"{row['phenotype']} pathway: {spec['condition']}",
                            rule=kb.cite(row["id"]), source=row["source"])
        if not pred(ctx):
            why = ctx.notes.get(spec["when"]) or [Reason(text=f"condition '{spec['when']}' not "
                                                         "met")]
            deferred.append(DeferredStep(procedure=spec["procedure"], why=list(why)))
            continue
        absolute = [conditions[x] for x in proc.get("contraindications", []) if x in conditions]
        if absolute and proc["role"] not in ("referral", "laboratory", "imaging"):
            deferred.append(DeferredStep(procedure=spec["procedure"], why=[Reason(
                text=f"contraindicated: {'; '.join(absolute)}", rule=kb.cite(proc["id"]),
                source=proc["source"])]))
            continue
        precautions = [conditions[x] for x in proc.get("precautions", []) if x in conditions]
        step = NextStep(procedure=spec["procedure"], line=int(spec.get("line", 1)),
                        role=proc["role"], condition=spec["condition"],
                        guidance=_guidance(proc, ctx), evidence=str(proc.get("evidence", "")),
                        contraindications=list(proc.get("contraindications", [])),
                        precautions=precautions,
                        reasons=[row_reason, Reason(text=f"{proc['procedure']}: "
                                                    f"{proc.get('evidence', '')}",
                                                    rule=kb.cite(proc["id"]),
                                                    source=proc["source"])])
        if step.procedure == "molecular_imaging":
            _molecular_evidence(step)
        _target(step, ctx)
        steps.append(step)
    return steps, deferred
