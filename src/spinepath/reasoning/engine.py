"""``reason(intake, imaging)``: triage -> concordance -> phenotype -> pathway, with reasons."""

from __future__ import annotations

from spinepath.knowledge import load, versions
from spinepath.model.clinical import Case, ClinicalIntake, ImagingFindings
from spinepath.reasoning.candidates import STENOSIS_ORDER, enumerate_candidates, stenosis_grade
from spinepath.reasoning.concordance import label_incidental, score_findings
from spinepath.reasoning.features import clinical_features
from spinepath.reasoning.pathway import Context, assess_bvna, build_steps
from spinepath.reasoning.phenotype import (
    assess_phenotypes,
    choose_primary,
    phenotype_findings,
    radicular_fit,
)
from spinepath.reasoning.result import (
    DeferredStep,
    IncidentalFinding,
    NextStep,
    PhenotypeCall,
    Reason,
    ReasoningResult,
    ScoredFinding,
)
from spinepath.reasoning.triage import imaging_indication, triage

RED_FLAGS = ("cauda_equina", "infection_red_flag", "malignancy_red_flag", "osseous_red_flag")
RED_FLAG_CONFIDENCE = 0.9
"""Confidence reported for a red-flag phenotype established by the triage rules."""


def _discordance(f, imaging: ImagingFindings, scored: list[ScoredFinding],
                 rad_fit: float) -> list[Reason]:
    out: list[Reason] = []
    t1 = float(load("phenotypes").data["primary_threshold"])
    if rad_fit >= t1 and not phenotype_findings("radicular", scored):
        roots = ", ".join(f"{r} {s}" for r, s in f.implicated_roots) or "the symptomatic root"
        out.append(Reason(
            text=f"radicular presentation ({roots}) without a concordant root-level finding",
            rule="roots:zone_root_rule", source=load("roots").entry("zone_root_rule")["source"]))
    if f.claudication:
        stenotic = [lv for lv, lf in imaging.levels.items()
                    if STENOSIS_ORDER[stenosis_grade(lf)] >= 2
                    or max(lf.foramina.left or 0, lf.foramina.right or 0,
                           lf.lateral_recess.left or 0, lf.lateral_recess.right or 0) >= 2]
        if not stenosis_levels_known(imaging) or not stenotic:
            out.append(Reason(text="neurogenic claudication without moderate or severe stenosis "
                                   "on imaging", rule="phenotypes:ph_lf_stenosis"))
    return out


def stenosis_levels_known(imaging: ImagingFindings) -> bool:
    """True when any level reports its canal, foramina or recesses."""
    return any(lf.canal.stenosis or lf.canal.dural_sac_area_mm2 is not None
               or lf.foramina.left is not None or lf.lateral_recess.left is not None
               for lf in imaging.levels.values())


def _top(primary: str, scored: list[ScoredFinding]) -> ScoredFinding | None:
    thr = float(load("concordance").value("generator_threshold"))
    if primary == "nonspecific":
        return None
    if primary == "persistent_spinal_pain_syndrome_2":
        sel = [s for s in scored if s.concordant]
    else:
        sel = phenotype_findings(primary, scored)
    if not sel:
        return None
    best = sel[0]
    return best if primary in RED_FLAGS or best.probability >= thr else None


def _top_dict(s: ScoredFinding | None) -> dict | None:
    if s is None:
        return None
    return {"level": s.level, "structure": s.structure, "side": s.side, "root": s.root,
            "finding": s.finding, "probability": s.probability}


def reason(intake: ClinicalIntake, imaging: ImagingFindings, *,
           case_id: str | None = None) -> ReasoningResult:
    """Reason over one patient's intake and structured imaging findings.

    Pure function of its inputs and the knowledge files; the result carries every rule and
    source it used (``reasons`` at each level) and the knowledge file versions.
    """
    f = clinical_features(intake)
    tri = triage(f, imaging)
    scored = score_findings(enumerate_candidates(imaging), f, imaging)
    calls = assess_phenotypes(f, imaging, scored)
    rad_fit, _ = radicular_fit(f)
    t2 = float(load("phenotypes").data["secondary_threshold"])

    if tri.red_flag_phenotypes:
        primary = PhenotypeCall(phenotype=tri.red_flag_phenotypes[0],
                                confidence=RED_FLAG_CONFIDENCE,
                                reasons=tri.phenotype_reasons[tri.red_flag_phenotypes[0]])
        secondary = [PhenotypeCall(phenotype=p, confidence=RED_FLAG_CONFIDENCE,
                                   reasons=tri.phenotype_reasons[p])
                     for p in tri.red_flag_phenotypes[1:]]
        secondary += [c for c in calls if c.confidence >= t2]
    else:
        primary, secondary = choose_primary(calls)

    discord = _discordance(f, imaging, scored, rad_fit)
    top = _top(primary.phenotype, scored)
    protected = {(s.level, s.structure) for s in phenotype_findings(primary.phenotype, scored)
                 if s.probability >= float(load("concordance").value("generator_threshold"))}
    if top is not None:
        protected.add((top.level, top.structure))
        if primary.phenotype in RED_FLAGS:
            protected |= {(s.level, s.structure) for s in scored if s.level == top.level}
    incidental = label_incidental(scored, protected)

    ctx = Context(intake=intake, f=f, imaging=imaging, scored=scored, triage=tri,
                  primary=primary.phenotype, radicular_fit=rad_fit,
                  discordant_imaging=bool(discord))
    ctx.bvna = assess_bvna(ctx)

    steps: list[NextStep] = []
    deferred: list[DeferredStep] = []
    if tri.progressive_deficit and "cauda_equina" not in tri.red_flag_phenotypes:
        steps.append(NextStep(procedure="urgent_referral", role="referral",
                              condition="progressive neurological deficit: urgent surgical "
                                        "referral",
                              reasons=[r for r in tri.reasons if "progressive" in r.text]))
    rows = list(tri.red_flag_phenotypes)
    urgent_only = {"cauda_equina", "infection_red_flag", "malignancy_red_flag"}
    if set(rows) & urgent_only:
        rows = [r for r in rows if r in urgent_only]
    elif primary.phenotype not in rows:
        rows.append(primary.phenotype)
    for row in rows:
        s, d = build_steps(row, ctx)
        steps += s
        deferred += d
    seen: set[str] = set()
    uniq: list[NextStep] = []
    for s in steps:
        if s.procedure not in seen:
            seen.add(s.procedure)
            uniq.append(s)
    deferred = [d for d in deferred if d.procedure not in seen]

    indication = imaging_indication(f, tri)
    flags: dict[str, list[Reason]] = {}
    if indication.indicated is False:
        flags["imaging_not_indicated"] = indication.reasons
    if discord:
        flags["discordant_imaging"] = discord
    if f.anticoagulants:
        flags["anticoagulant_management"] = [Reason(
            text=f"antithrombotic drugs ({', '.join(f.anticoagulants)}): manage per ASRA "
                 "guidance before any procedure", rule="pathway:antithrombotic_drugs",
            source=load("pathway").entry("antithrombotic_drugs")["source"])]
    c = intake.clinical
    if c.pregnancy:
        flags["pregnancy"] = [Reason(text="pregnancy: avoid ionising radiation and gadolinium "
                                          "where possible; defer elective procedures",
                                     rule="pathway:injection_contraindications")]
    if c.contrast_allergy:
        flags["contrast_allergy"] = [Reason(text="contrast allergy: premedicate or choose "
                                                 "guidance without contrast",
                                            rule="pathway:injection_contraindications")]
    if c.coagulopathy:
        flags["coagulopathy"] = [Reason(text="coagulopathy: correct before any procedure",
                                        rule="pathway:injection_contraindications")]
    if tri.infection_suspected:
        flags["infection"] = [Reason(text="suspected infection contraindicates injections",
                                     rule="pathway:injection_contraindications")]
    if incidental:
        flags["incidental_findings"] = [Reason(
            text=f"{len(incidental)} finding(s) likely incidental", rule="priors:incidental_rule")]
    if ctx.bvna.applicable and not ctx.bvna.eligible:
        flags["bvna_ineligible"] = ctx.bvna.problems
    if imaging.hardware_artifact:
        flags["hardware_artifact"] = [Reason(text="MRI limited by hardware artefact: CT or "
                                                  "molecular imaging", rule="pathway:path_psps2")]
    low = primary.confidence < 0.5 or any(
        s.confidence >= primary.confidence - 0.1 and s.phenotype != primary.phenotype
        for s in secondary if s.confidence < RED_FLAG_CONFIDENCE)
    if low:
        flags["low_confidence"] = [Reason(text="phenotype call needs review: low confidence or "
                                               "a close competing phenotype")]

    warnings = [f"unknown intake field ignored: {u}" for u in intake.unknown_fields()]
    warnings += [f"unknown imaging field ignored: {u}" for u in imaging.unknown_fields()]
    if indication.indicated is None:
        warnings.append("conservative care duration not given: imaging appropriateness unknown")

    return ReasoningResult(
        case_id=case_id,
        triage="urgent" if tri.urgent else "routine",
        triage_reasons=tri.reasons,
        phenotype_primary=primary.phenotype,
        phenotype_confidence=primary.confidence,
        low_confidence=low,
        phenotypes=[primary, *secondary],
        phenotypes_secondary=[s.phenotype for s in secondary],
        pain_generator_top=_top_dict(top),
        pain_generators=scored,
        symptom_roots=f.root_names(),
        next_steps=uniq,
        deferred=deferred,
        flags=list(flags),
        flag_reasons=flags,
        incidental=[IncidentalFinding(level=s.level, finding=_incidental_name(s),
                                      structure=s.structure, side=s.side,
                                      reasons=s.reasons[-1:]) for s in incidental],
        imaging_indication=indication,
        warnings=warnings,
        knowledge_versions=versions(),
    )


def _incidental_name(s: ScoredFinding) -> str:
    if s.finding.startswith("modic_"):
        return f"Modic {s.finding.split('_')[1]}"
    name = s.finding.replace("_", " ")
    if s.grade and s.finding in ("disc_degeneration", "facet_degeneration"):
        name += f" ({s.grade})"
    if s.side in ("left", "right") and s.structure in ("facet", "root", "sij"):
        name = f"{s.side} {name}"
    return name


def reason_case(case: Case) -> ReasoningResult:
    """:func:`reason` on a case file's intake and imaging."""
    return reason(case.intake, case.imaging, case_id=case.id)
