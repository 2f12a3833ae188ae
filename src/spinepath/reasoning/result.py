"""The reasoning result: triage, phenotypes, ranked pain generators, next steps, flags.

Every conclusion carries :class:`Reason` objects naming the rule (``file:entry`` in the knowledge
files) and the finding or clinical item behind it. Probabilities are in [0, 1].
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

Triage = Literal["urgent", "routine"]


class Reason(BaseModel):
    """One step of an explanation: what was seen, which rule, which source."""

    text: str
    rule: str = ""
    source: str = ""


class ScoredFinding(BaseModel):
    """One imaging finding with its probability of being the pain generator.

    ``prior`` combines the prevalence in asymptomatic people of this age (``prevalence``) and the
    association with pain (``odds_ratio``, shrunk: ``odds_ratio_used``); ``probability`` adds this
    patient's concordance (``likelihood_ratios``).
    """

    level: str | None
    structure: str
    finding: str
    side: str | None = None
    root: str | None = None
    roots: list[str] = Field(default_factory=list, description="roots involved, e.g. 'L5 left'")
    grade: str | None = None
    prevalence: float | None = None
    odds_ratio: float | None = None
    odds_ratio_used: float | None = None
    association_significant: bool | None = None
    prior: float
    likelihood_ratios: dict[str, float] = Field(default_factory=dict)
    probability: float
    concordant: bool = False
    discordant: bool = False
    incidental: bool = False
    reasons: list[Reason] = Field(default_factory=list)


class PhenotypeCall(BaseModel):
    """A phenotype with its confidence in [0, 1] and the reasons."""

    phenotype: str
    confidence: float
    clinical_fit: float = 0.0
    imaging_support: float = 0.0
    reasons: list[Reason] = Field(default_factory=list)


class NextStep(BaseModel):
    """A recommended step. ``line`` 1 = now / first line, 2 = if the first line fails.

    ``condition`` says when it applies (e.g. which block result leads to the procedure).
    """

    procedure: str
    line: int = 1
    role: str = ""
    level: str | None = None
    levels: list[str] = Field(default_factory=list)
    root: str | None = None
    side: str | None = None
    foramen: str | None = None
    condition: str = ""
    guidance: str = ""
    evidence: str = ""
    contraindications: list[str] = Field(default_factory=list)
    precautions: list[str] = Field(default_factory=list)
    reasons: list[Reason] = Field(default_factory=list)


class DeferredStep(BaseModel):
    """A step considered and not recommended now, with why."""

    procedure: str
    why: list[Reason] = Field(default_factory=list)


class IncidentalFinding(BaseModel):
    """A finding labelled likely incidental."""

    level: str | None
    finding: str
    structure: str = ""
    side: str | None = None
    reasons: list[Reason] = Field(default_factory=list)


class ImagingIndication(BaseModel):
    """Whether imaging was indicated (ACR Appropriateness Criteria variant)."""

    indicated: bool | None
    acr_variant: int | None = None
    reasons: list[Reason] = Field(default_factory=list)


class ReasoningResult(BaseModel):
    """Everything the reasoning layer concludes for one patient and one set of findings.

    The top-level keys ``triage``, ``phenotype_primary``, ``pain_generator_top``, ``next_steps``,
    ``flags`` and ``incidental`` use the vocabulary of shared/vignettes/README.md.
    """

    case_id: str | None = None
    triage: Triage
    triage_reasons: list[Reason] = Field(default_factory=list)
    phenotype_primary: str
    phenotype_confidence: float
    low_confidence: bool = False
    phenotypes: list[PhenotypeCall] = Field(default_factory=list)
    phenotypes_secondary: list[str] = Field(default_factory=list)
    pain_generator_top: dict[str, Any] | None = None
    pain_generators: list[ScoredFinding] = Field(default_factory=list)
    symptom_roots: list[str] = Field(default_factory=list)
    next_steps: list[NextStep] = Field(default_factory=list)
    deferred: list[DeferredStep] = Field(default_factory=list)
    flags: list[str] = Field(default_factory=list)
    flag_reasons: dict[str, list[Reason]] = Field(default_factory=dict)
    incidental: list[IncidentalFinding] = Field(default_factory=list)
    imaging_indication: ImagingIndication
    warnings: list[str] = Field(default_factory=list)
    knowledge_versions: dict[str, str] = Field(default_factory=dict)

    def procedures(self) -> list[str]:
        """Names of the recommended procedures, in order."""
        return [s.procedure for s in self.next_steps]
