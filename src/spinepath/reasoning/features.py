"""Clinical features derived once from the intake (durations, presentation, roots, safety items).

Thresholds come from ``knowledge/red_flags.yaml`` (RTF chronic-LBP definition, acute LBP) and
``knowledge/roots.yaml`` (dermatomal threshold). Durations in weeks.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from spinepath.knowledge import load
from spinepath.model.clinical import ClinicalIntake
from spinepath.reasoning.result import Reason
from spinepath.reasoning.roots import SymptomRoots, symptom_roots, words

_BELOW_KNEE_WORDS = {"calf", "shin", "leg", "ankle", "foot", "toe", "heel", "sole", "malleolus"}


@dataclass
class ClinicalFeatures:
    """What the rules ask of the history and examination."""

    age: float
    duration_weeks: float | None
    chronic: bool
    acute: bool
    axial: bool
    leg_side: str
    below_knee: bool
    roots: SymptomRoots
    implicated_roots: list[tuple[str, str]]
    dermatomal: bool
    neuro_deficit: bool
    tension_sign: bool
    claudication: bool
    extension_rotation: bool
    sij_tests: int
    fortin: bool
    buttock: bool
    red_flags: set[str]
    conservative_weeks: float | None
    prior_surgery: bool
    motor_deficit: bool
    osteoporosis: bool = False
    focal_tenderness: str | None = None
    anticoagulants: list[str] = field(default_factory=list)
    reasons: list[Reason] = field(default_factory=list)

    def symptomatic_sides(self) -> set[str]:
        """Sides with leg symptoms (empty when no leg pain)."""
        if self.leg_side == "bilateral":
            return {"left", "right"}
        return {self.leg_side} if self.leg_side in ("left", "right") else set()

    def root_names(self) -> list[str]:
        """Implicated roots as 'L5 left' strings."""
        return [f"{r} {s}" for r, s in self.implicated_roots]


def _antithrombotics(medications: list[str]) -> list[str]:
    e = load("pathway").entry("antithrombotic_drugs")
    names = [str(x).lower() for x in e["anticoagulants"] + e["antiplatelets"]]
    hits = []
    for m in medications:
        mw = m.lower()
        if any(n == mw or n in mw.split() or mw.startswith(n) for n in names):
            hits.append(m)
    return hits


def clinical_features(intake: ClinicalIntake) -> ClinicalFeatures:
    """Derive the features the rules use from one intake."""
    c = intake.clinical
    rf = load("red_flags")
    rtf = rf.entry("rtf_chronic_lbp")
    reasons: list[Reason] = []
    dur = c.duration_weeks
    chronic = dur is not None and dur >= rtf["min_duration_weeks"]
    if chronic and c.pain_days_fraction_6mo is not None:
        chronic = c.pain_days_fraction_6mo >= rtf["min_pain_days_fraction"]
    if dur is not None:
        reasons.append(Reason(
            text=f"pain for {dur:g} weeks: {'chronic' if chronic else 'not chronic'} by the "
                 f"RTF definition (>= {rtf['min_duration_weeks']} weeks, >= half the days)",
            rule=rf.cite("rtf_chronic_lbp"), source=rtf["source"]))
    acute = dur is not None and dur < rf.entry("acute_lbp")["max_duration_weeks"]
    roots = symptom_roots(c)
    leg = c.leg_pain
    if leg.below_knee is not None:
        below = leg.below_knee and leg.side != "none"
    else:
        below = any(words(r) & _BELOW_KNEE_WORDS for r in leg.distribution)
    min_score = float(load("roots").value("dermatomal_threshold", "min_score"))
    dermatomal_pairs = roots.dermatomal(min_score)
    implicated = roots.implicated(min_score)
    motor = bool(c.neuro.weakness)
    anticoag = _antithrombotics(c.medications)
    return ClinicalFeatures(
        age=intake.patient.age,
        duration_weeks=dur,
        chronic=chronic,
        acute=acute,
        axial=bool(c.axial_pain),
        leg_side=leg.side,
        below_knee=bool(below),
        roots=roots,
        implicated_roots=implicated,
        dermatomal=bool(dermatomal_pairs),
        neuro_deficit=bool(roots.deficit),
        tension_sign=bool(roots.tension),
        claudication=bool(c.neurogenic_claudication),
        extension_rotation=bool(c.provocation.extension_rotation_pain),
        sij_tests=int(c.provocation.sij_positive_tests or 0),
        fortin=bool(c.provocation.fortin_area),
        buttock=bool(c.provocation.buttock_predominant),
        red_flags=set(c.red_flags),
        conservative_weeks=c.conservative_care_weeks,
        prior_surgery=bool(c.prior_surgery),
        motor_deficit=motor,
        osteoporosis=bool(c.osteoporosis),
        focal_tenderness=c.focal_tenderness,
        anticoagulants=anticoag,
        reasons=reasons + roots.reasons,
    )
