"""Probability that each finding is this patient's pain generator.

prior  = probability of causation among people with pain who carry the finding, from the
         prevalence in asymptomatic people of this age p0 and the (shrunk) odds ratio OR:
         p1 = OR·o0 / (1 + OR·o0) with o0 = p0/(1-p0); prior = 1 - p0/p1 (the excess fraction);
         a base probability when no odds ratio is known (knowledge/priors.yaml).
posterior odds = prior odds × product of concordance likelihood ratios (knowledge/concordance.yaml)
         for side, root/dermatome, exam, provocation and claudication; × the 'no concordant
         feature' ratio when nothing in the history fits the finding.

A finding that is common (or not significantly associated with pain), discordant and improbable
is labelled likely incidental.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from spinepath.knowledge import load
from spinepath.model.clinical import ImagingFindings
from spinepath.reasoning.candidates import STENOSIS_ORDER, Candidate
from spinepath.reasoning.features import ClinicalFeatures
from spinepath.reasoning.result import Reason, ScoredFinding

ROOT_KINDS = {"protrusion", "extrusion", "sequestration", "foraminal_stenosis",
              "lateral_recess_stenosis", "facet_degeneration"}
DISC_AXIAL_KINDS = {"disc_degeneration", "height_loss", "bulge", "hiz", "annular_fissure",
                    "protrusion", "extrusion", "sequestration", "schmorl", "modic_3"}
STENOSIS_KINDS = {"central_stenosis", "lf_hypertrophy"}


@dataclass(frozen=True)
class Prior:
    """Prior probability with the figures it came from."""

    probability: float
    prevalence: float | None
    odds_ratio: float | None
    odds_ratio_used: float | None
    significant: bool | None
    reasons: tuple[Reason, ...]


def _find(kind: str, key: str) -> dict | None:
    for e in load("priors").entries:
        f = e.get("finding")
        names = f if isinstance(f, list) else [f]
        if kind in names and key in e:
            return e
    return None


def prevalence(kind: str, age: float, grade: str | None = None) -> tuple[float | None, str | None]:
    """Prevalence (0-1) of a finding in asymptomatic people of this age, and its entry id.

    Age-specific tables are interpolated linearly between decades and clamped at 20 and 80.
    """
    ages = load("priors").data["prevalence_ages"]
    e = _find(kind, "by_age")
    if e is not None:
        return float(np.interp(age, ages, e["by_age"])), e["id"]
    e = _find(kind, "by_grade")
    if e is not None and grade in e["by_grade"]:
        return float(e["by_grade"][grade]), e["id"]
    e = _find(kind, "value")
    if e is not None:
        return float(e["value"]), e["id"]
    return None, None


def shrunk_odds_ratio(odds_ratio: float, ci95: tuple[float, float]) -> float:
    """Odds ratio shrunk towards 1 by a normal prior on log(OR) (SD from priors.yaml).

    The standard error is read from the 95% CI: se = (ln hi - ln lo) / (2 × 1.96).
    """
    tau = float(load("priors").value("or_shrinkage", "prior_sd_log_or"))
    se = (math.log(ci95[1]) - math.log(ci95[0])) / (2 * 1.959964)
    k = tau**2 / (tau**2 + se**2)
    return math.exp(k * math.log(odds_ratio))


def probability_of_causation(p0: float, odds_ratio: float) -> float:
    """Excess fraction 1 - p0/p1 among symptomatic carriers; 0 when OR <= 1."""
    if odds_ratio <= 1 or p0 <= 0:
        return 0.0 if odds_ratio <= 1 else 1.0
    if p0 >= 1:
        return 0.0
    o1 = odds_ratio * p0 / (1 - p0)
    p1 = o1 / (1 + o1)
    return max(0.0, 1.0 - p0 / p1)


def prior_for(c: Candidate, age: float) -> Prior:
    """Prior probability that this finding is the pain generator, before concordance."""
    pr = load("priors")
    p0, prev_id = prevalence(c.kind, age, c.grade)
    reasons: list[Reason] = []
    if p0 is not None:
        reasons.append(Reason(
            text=f"{c.label}: seen in {p0:.0%} of people aged {age:g} without back pain",
            rule=f"priors:{prev_id}", source=pr.entry(prev_id)["source"]))
    base_by = pr.value("base_probability_by_finding", "values")
    or_entry = _find(c.kind, "odds_ratio")
    if c.kind in base_by:
        p = float(base_by[c.kind])
        reasons.append(Reason(text=f"{c.label}: working prior {p:.2f}",
                              rule="priors:base_probability_by_finding",
                              source=pr.entry("base_probability_by_finding")["source"]))
        return Prior(p, p0, None, None, None, tuple(reasons))
    if or_entry is None or p0 is None:
        p = float(pr.value("base_probability"))
        reasons.append(Reason(
            text=f"{c.label}: no odds ratio for pain found; base prior {p:.2f}",
            rule="priors:base_probability", source=pr.entry("base_probability")["source"]))
        return Prior(p, p0, None, None, None, tuple(reasons))
    orr = float(or_entry["odds_ratio"])
    lo, hi = (float(x) for x in or_entry["ci95"])
    used = shrunk_odds_ratio(orr, (lo, hi))
    sig = lo > 1.0
    p = probability_of_causation(p0, used)
    reasons.append(Reason(
        text=f"{c.label}: odds ratio for pain {orr:g} (95% CI {lo:g}-{hi:g}, "
             f"{'significant' if sig else 'not significant'}), {used:.2f} after shrinkage; "
             f"probability of causation {p:.2f}",
        rule=f"priors:{or_entry['id']}", source=or_entry["source"]))
    return Prior(p, p0, orr, used, sig, tuple(reasons))


def _lr(entry: str, key: str | None = None) -> tuple[float, str, str]:
    kb = load("concordance")
    e = kb.entry(entry)
    v = e["value"] if key is None else e["values"][key]
    return float(v), kb.cite(entry), e["source"]


class _Acc:
    def __init__(self) -> None:
        self.lrs: dict[str, float] = {}
        self.reasons: list[Reason] = []
        self.concordant = False
        self.discordant = False

    def add(self, name: str, lr: tuple[float, str, str], text: str, *, concordant: bool) -> None:
        value, rule, source = lr
        self.lrs[name] = value
        self.reasons.append(Reason(text=f"{text} (likelihood ratio {value:g})", rule=rule,
                                   source=source))
        if concordant:
            self.concordant = True
        else:
            self.discordant = True


def _root_concordance(c: Candidate, f: ClinicalFeatures, acc: _Acc) -> None:
    if not c.roots:
        return
    radicular = f.below_knee or bool(f.implicated_roots)
    if not radicular:
        return
    best: tuple[float, str, str, str | None] | None = None
    for root, side, degree in c.roots:
        s = f.roots.score(root, side)
        if (root, side) in f.roots.tension:
            s += 0.5
        if s >= 0.5 and (best is None or s > best[0]):
            best = (s, root, side, degree)
    if best is not None:
        _, root, side, degree = best
        acc.add("root_same_side", _lr("lr_root_same_side"),
                f"reaches the {root} root on the {side}, which the symptoms and exam implicate",
                concordant=True)
        if degree:
            acc.add("root_degree", _lr("lr_root_degree", degree),
                    f"root {degree}", concordant=True)
    else:
        roots = ", ".join(f"{r} {s}" for r, s, _ in c.roots)
        acc.add("root_mismatch", _lr("lr_root_mismatch"),
                f"reaches {roots}, not the root or side the symptoms point to", concordant=False)


def _axial_ok(f: ClinicalFeatures) -> bool:
    """Chronic axial pain without leg pain below the knee."""
    return f.axial and f.chronic and not f.below_knee


def _posterior_element_signs(f: ClinicalFeatures) -> bool:
    sij_min = int(load("concordance").value("lr_sij_cluster", "min_positive_tests"))
    return f.extension_rotation or f.sij_tests >= sij_min


def score_candidate(c: Candidate, f: ClinicalFeatures, imaging: ImagingFindings) -> ScoredFinding:
    """Prior and concordance for one finding."""
    prior = prior_for(c, f.age)
    acc = _Acc()
    k = c.kind
    if k in ROOT_KINDS:
        _root_concordance(c, f, acc)
    if k in ("modic_1", "modic_2"):
        levels = load("phenotypes").entry("ph_vertebrogenic")["levels"]
        if c.level in levels and _axial_ok(f):
            acc.add("chronic_axial_endplate", _lr("lr_chronic_axial_endplate"),
                    f"Modic change at {c.level} with chronic axial pain", concordant=True)
            ext = c.attrs.get("extent_pct")
            thr = load("concordance").value("lr_modic_extent", "threshold_pct")
            if ext is not None and ext > thr:
                acc.add("modic_extent", _lr("lr_modic_extent"),
                        f"marrow change over {ext:g}% of the endplate", concordant=True)
    elif k in DISC_AXIAL_KINDS and _axial_ok(f) and not _posterior_element_signs(f):
        acc.add("chronic_axial_disc", _lr("lr_chronic_axial_disc"),
                "degenerative disc finding with chronic axial pain and no facet or sacroiliac "
                "signs", concordant=True)
    if k in STENOSIS_KINDS and f.claudication:
        grade = c.attrs.get("grade", "mild")
        if STENOSIS_ORDER.get(grade, 0) >= 1:
            acc.add("claudication_stenosis", _lr("lr_claudication_stenosis", grade),
                    f"neurogenic claudication with {grade} central stenosis", concordant=True)
        if c.attrs.get("lf_hypertrophy"):
            acc.add("lf_attribution", _lr("lr_lf_attribution"),
                    f"ligamentum flavum {c.attrs.get('lf_mm'):g} mm at the stenotic level",
                    concordant=True)
    if k in ("foraminal_stenosis", "lateral_recess_stenosis") and f.claudication:
        acc.add("root_stenosis_claudication", _lr("lr_root_stenosis_claudication"),
                "neurogenic claudication", concordant=True)
    if k == "facet_degeneration" and f.axial and f.extension_rotation and (
        (c.attrs.get("grade") or 0) >= 1 or c.attrs.get("effusion")
    ):
        acc.add("extension_rotation", _lr("lr_extension_rotation_facet"),
                "axial pain on extension and rotation", concordant=True)
        if c.attrs.get("effusion"):
            acc.add("facet_effusion", _lr("lr_facet_effusion"), "facet effusion",
                    concordant=True)
        if c.attrs.get("grade") == 3:
            acc.add("facet_severe", _lr("lr_facet_severe"), "Weishaupt grade 3",
                    concordant=True)
    if k == "sij_changes":
        min_tests = int(load("concordance").value("lr_sij_cluster", "min_positive_tests"))
        if f.sij_tests >= min_tests:
            acc.add("sij_cluster", _lr("lr_sij_cluster"),
                    f"{f.sij_tests} positive sacroiliac provocation tests", concordant=True)
            if f.fortin:
                acc.add("fortin", _lr("lr_sij_supportive", "fortin_area"),
                        "pain in the Fortin area", concordant=True)
            if f.buttock:
                acc.add("buttock", _lr("lr_sij_supportive", "buttock_predominant"),
                        "buttock-predominant pain", concordant=True)
            if c.side in f.symptomatic_sides():
                acc.add("same_side", _lr("lr_sij_supportive", "same_side_pain"),
                        f"pain on the {c.side}", concordant=True)
    if k in ("vertebral_fracture_acute", "vertebral_fracture_chronic", "marrow_replacement",
             "marrow_edema"):
        tender = imaging_tender(c, f)
        if tender:
            acc.add("focal_tenderness", _lr("lr_fracture_clinical", "focal_tenderness"),
                    f"focal tenderness over {c.level}", concordant=True)
        if k.startswith("vertebral_fracture") and f.red_flags & {"major_trauma",
                                                                  "minor_trauma_osteoporosis"}:
            acc.add("trauma", _lr("lr_fracture_clinical", "trauma"),
                    "trauma red flag", concordant=True)
        if k.startswith("vertebral_fracture") and (
            f.osteoporosis or "chronic_steroids" in f.red_flags
        ):
            acc.add("osteoporosis", _lr("lr_fracture_clinical", "osteoporosis"),
                    "osteoporosis or chronic steroids", concordant=True)
    inf = load("concordance").entry("lr_infection_clinical")
    if k in ("disc_fluid_signal", "endplate_erosion", "marrow_edema", "modic_1") and (
        f.red_flags & set(inf["flags"])
    ):
        acc.add("infection_clinical", _lr("lr_infection_clinical"),
                f"infection risk ({', '.join(sorted(f.red_flags & set(inf['flags'])))})",
                concordant=True)
    if k == "spondylolysis" and f.axial:
        max_age = load("concordance").value("lr_spondylolysis_young", "max_age")
        if f.age <= max_age:
            acc.add("spondylolysis_young", _lr("lr_spondylolysis_young"),
                    f"spondylolysis with axial pain at age {f.age:g}", concordant=True)
    if not acc.concordant:
        acc.add("no_concordant_feature", _lr("lr_no_concordant_feature"),
                "no clinical feature of this patient fits this finding", concordant=False)
    odds = prior.probability / max(1e-9, 1 - prior.probability)
    for v in acc.lrs.values():
        odds *= v
    post = odds / (1 + odds) if prior.probability < 1 else 1.0
    root_names = [f"{r} {s}" for r, s, _ in c.roots]
    first_root = c.roots[0][0] if c.roots else None
    # prefer the concordant root when several are reached
    for r, s, _ in c.roots:
        if f.roots.score(r, s) >= 0.5:
            first_root = r
            break
    side = c.side
    if c.roots and side in (None, "central"):
        implicated_sides = {s for r, s, _ in c.roots if f.roots.score(r, s) >= 0.5}
        if len(implicated_sides) == 1:
            side = next(iter(implicated_sides))
        elif len(implicated_sides) == 2:
            side = "bilateral"
    return ScoredFinding(
        level=c.level, structure=c.structure, finding=c.kind, side=side, root=first_root,
        roots=root_names, grade=c.grade, prevalence=prior.prevalence,
        odds_ratio=prior.odds_ratio, odds_ratio_used=prior.odds_ratio_used,
        association_significant=prior.significant, prior=round(prior.probability, 4),
        likelihood_ratios=acc.lrs, probability=round(post, 4),
        concordant=acc.concordant, discordant=acc.discordant and not acc.concordant,
        reasons=[Reason(text=c.label), *prior.reasons, *acc.reasons],
    )


def imaging_tender(c: Candidate, f: ClinicalFeatures) -> bool:
    """True when focal tenderness is over this vertebra."""
    return bool(f.focal_tenderness) and c.level == f.focal_tenderness


def score_findings(candidates: list[Candidate], f: ClinicalFeatures,
                   imaging: ImagingFindings) -> list[ScoredFinding]:
    """Score and rank findings, most probable pain generator first."""
    scored = [score_candidate(c, f, imaging) for c in candidates]
    return sorted(scored, key=lambda s: -s.probability)


def label_incidental(scored: list[ScoredFinding],
                     protected: set[tuple[str | None, str]]) -> list[ScoredFinding]:
    """Mark likely-incidental findings in place and return them.

    ``protected`` holds (level, structure) keys of named pain generators: other findings of the
    same structure are not called incidental.
    """
    rule = load("priors").entry("incidental_rule")
    out = []
    for s in scored:
        common = (s.prevalence is not None and s.prevalence >= rule["common_prevalence_min"]) or (
            s.association_significant is False
        )
        if (
            common
            and not s.concordant
            and s.probability < rule["max_probability"]
            and (s.level, s.structure) not in protected
            and s.finding not in ("marrow_replacement", "vertebral_fracture_acute",
                                  "endplate_erosion")
        ):
            s.incidental = True
            why = (f"seen in {s.prevalence:.0%} of asymptomatic people of this age"
                   if s.prevalence is not None else "not significantly associated with pain")
            s.reasons.append(Reason(
                text=f"likely incidental: {why}, and discordant with the symptoms",
                rule="priors:incidental_rule", source=rule["source"]))
            out.append(s)
    return out
