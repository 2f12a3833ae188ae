"""Report and Provenance: the envelope every output carries.

A :class:`Report` is the whole result for one study: the series used, the per-level findings
(measurements in mm / mm², grades with class probabilities), what could not be assessed and why,
the clinical impression (triage, phenotypes, pain-generator ranking with reasons, next steps with
their conditions and contraindications, flags), the key images and the provenance. It is what
``report.json`` holds; its JSON Schema is published as ``schemas/report.schema.json`` and carries
:data:`SCHEMA_VERSION`.

Field names of the first version (``study_uid``, ``patient_id``, ``series_used``, ``findings``,
``not_assessed``, ``warnings``, ``provenance``) are kept; later fields are optional with defaults,
so older reports still load.
"""

from __future__ import annotations

import hashlib
import platform
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from spinepath import __version__
from spinepath.model.findings import Finding

SCHEMA_VERSION = "1.0.0"
"""Version of the report.json layout (semantic versioning: a major bump breaks readers)."""

SCHEMA_ID = f"https://spinepath.invalid/schemas/report/{SCHEMA_VERSION}/report.schema.json"
"""``$id`` of the published JSON Schema (an identifier only; nothing is fetched from it)."""


def sha256_file(path: Path, *, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def _now() -> str:
    return datetime.now(UTC).isoformat()


class Provenance(BaseModel):
    """What produced an output: inputs (hashed), software, models, parameters, time.

    Attributes:
        inputs: input file path -> SHA-256 (hex) of its bytes.
        models: model file name -> SHA-256 (hex) of the model file.
        parameters: every option that changes the result (so a report can be replayed).
        started_at / finished_at: ISO 8601 UTC timestamps of the analysis.
        rendered_at: ISO 8601 UTC time the outputs were written (set by the report writer).
        platform: operating system and machine the analysis ran on.
        command: the command line, when run from the CLI.
    """

    software: str = "spinepath"
    version: str = __version__
    python: str = Field(default_factory=platform.python_version)
    platform: str = Field(default_factory=lambda: f"{platform.system()} {platform.machine()}")
    started_at: str = Field(default_factory=_now)
    finished_at: str | None = None
    rendered_at: str | None = None
    inputs: dict[str, str] = Field(default_factory=dict, description="path -> sha256")
    models: dict[str, str] = Field(default_factory=dict, description="model name -> sha256")
    parameters: dict[str, Any] = Field(default_factory=dict)
    command: str | None = None

    def add_input(self, path: Path) -> None:
        """Hash a file and record it as an input."""
        self.inputs[str(path)] = sha256_file(path)

    def add_model(self, path: Path, name: str | None = None) -> None:
        """Hash a model file and record it under ``name`` (default: the file name)."""
        self.models[name or Path(path).name] = sha256_file(path)

    def finish(self) -> None:
        """Stamp the finishing time."""
        self.finished_at = _now()

    @property
    def inputs_digest(self) -> str:
        """One SHA-256 over all input hashes (sorted by path): a short id of the input set."""
        h = hashlib.sha256()
        for path in sorted(self.inputs):
            h.update(f"{path}\0{self.inputs[path]}\n".encode())
        return h.hexdigest()


# --------------------------------------------------------------------------------------------
# Study description
# --------------------------------------------------------------------------------------------


class SeriesInfo(BaseModel):
    """One series of the study as the report lists it.

    ``role`` says what the analysis used it for (``sagittal_t2``, ``sagittal_t1``, ``axial_t2``,
    ...) or ``unused``.
    """

    uid: str
    description: str = ""
    modality: str = ""
    plane: str = "unknown"
    kind: str = "other"
    number: int | None = None
    n_instances: int = 0
    role: str = "unused"


class StudyInfo(BaseModel):
    """Identification of the study the report is about (age in years)."""

    study_uid: str
    patient_id: str = ""
    patient_age_years: float | None = Field(default=None, ge=0, le=130)
    patient_sex: str | None = None
    study_date: str | None = None
    source: str | None = None
    body_part: str | None = Field(
        default=None, description="what the study shows, e.g. 'lumbar spine' (None: not checked)"
    )
    series: list[SeriesInfo] = Field(default_factory=list)


# --------------------------------------------------------------------------------------------
# Impression: what the reasoning layer concluded, as the report shows it
# --------------------------------------------------------------------------------------------

Triage = Literal["urgent", "routine"]


class PhenotypeCall(BaseModel):
    """A pain phenotype (vignette vocabulary: radicular, facetogenic, ...) with its confidence."""

    name: str
    primary: bool = False
    confidence: float | None = Field(default=None, ge=0, le=1)
    reasons: list[str] = Field(default_factory=list)


class PainGeneratorEntry(BaseModel):
    """One candidate pain generator in rank order; ``probability`` in [0, 1]."""

    rank: int = Field(ge=1)
    structure: str
    level: str | None = None
    side: str | None = None
    root: str | None = None
    probability: float | None = Field(default=None, ge=0, le=1)
    likely_incidental: bool = False
    reasons: list[str] = Field(default_factory=list)


class NextStep(BaseModel):
    """A recommended next step: procedure (vignette vocabulary), target, conditions, cautions."""

    procedure: str
    order: int = Field(default=1, ge=1)
    level: str | None = None
    root: str | None = None
    side: str | None = None
    guidance: str | None = None
    conditional: bool = False
    conditions: list[str] = Field(default_factory=list)
    contraindications: list[str] = Field(default_factory=list)
    precautions: list[str] = Field(default_factory=list)
    evidence: str | None = None
    reasons: list[str] = Field(default_factory=list)


class ReportFlag(BaseModel):
    """A flag raised by the reasoning (red flag, discordant imaging, anticoagulants, ...)."""

    name: str
    severity: Literal["info", "caution", "urgent"] = "caution"
    reason: str = ""


class IncidentalFinding(BaseModel):
    """A finding labelled likely incidental (common in people without pain, or discordant)."""

    finding: str
    level: str | None = None
    reason: str = ""


class Impression(BaseModel):
    """The clinical impression shown at the top of the report."""

    model_config = ConfigDict(extra="forbid")

    triage: Triage | None = None
    triage_reasons: list[str] = Field(default_factory=list)
    imaging_indicated: bool | None = None
    phenotypes: list[PhenotypeCall] = Field(default_factory=list)
    pain_generators: list[PainGeneratorEntry] = Field(default_factory=list)
    next_steps: list[NextStep] = Field(default_factory=list)
    flags: list[ReportFlag] = Field(default_factory=list)
    incidental: list[IncidentalFinding] = Field(default_factory=list)
    summary: str = ""

    @property
    def primary_phenotype(self) -> PhenotypeCall | None:
        """The phenotype marked primary (else the first listed), or None."""
        for p in self.phenotypes:
            if p.primary:
                return p
        return self.phenotypes[0] if self.phenotypes else None

    @classmethod
    def from_reasoning(cls, result: Any) -> Impression:
        """Build from a reasoning result: a pydantic model or a dict in the vignette vocabulary.

        Reads the keys of ``shared/vignettes/README.md`` (``triage``, ``phenotype_primary``,
        ``pain_generator_top``, ``next_steps``, ``flags``, ``incidental``) and the richer ones a
        reasoning result may carry (``phenotypes``, ``pain_generators``, ``triage_reasons``,
        ``imaging_indicated``, ``reasons``). See :mod:`spinepath.report.impression`.
        """
        from spinepath.report.impression import impression_from_reasoning

        return impression_from_reasoning(result)


# --------------------------------------------------------------------------------------------
# Key images and DICOM references
# --------------------------------------------------------------------------------------------


class KeyImage(BaseModel):
    """A rendered key image (PNG next to report.json) and what it shows."""

    file: str = Field(description="path relative to the report folder, e.g. images/sag_t2.png")
    caption: str
    kind: Literal["sagittal", "axial"]
    series_uid: str | None = None
    slice_index: int | None = Field(default=None, description="index along the slice axis")
    levels: list[str] = Field(default_factory=list)
    reformatted: bool = False
    sha256: str | None = None


class DicomOutputs(BaseModel):
    """UIDs of the DICOM objects written with the report (so FHIR and HTML can point at them)."""

    seg_sop_instance_uid: str | None = None
    seg_series_instance_uid: str | None = None
    sr_sop_instance_uid: str | None = None
    sr_series_instance_uid: str | None = None
    source_series_uid: str | None = None
    segments: dict[str, int] = Field(
        default_factory=dict, description="segment label -> segment number"
    )


class Report(BaseModel):
    """The whole result for one study.

    ``status`` is ``preliminary`` until a person signs it (``signed_by``, ``signed_at``); DICOM SR
    and FHIR outputs carry the same status.
    """

    schema_version: str = SCHEMA_VERSION
    report_id: str = Field(default_factory=lambda: str(uuid.uuid4()))
    created_at: str = Field(default_factory=_now)
    status: Literal["preliminary", "final", "amended"] = "preliminary"
    signed_by: str | None = None
    signed_at: str | None = None
    study_uid: str
    patient_id: str = ""
    study: StudyInfo | None = None
    series_used: list[str] = Field(default_factory=list)
    findings: list[Finding] = Field(default_factory=list)
    not_assessed: dict[str, str] = Field(default_factory=dict, description="item -> why")
    warnings: list[str] = Field(default_factory=list)
    impression: Impression | None = None
    key_images: list[KeyImage] = Field(default_factory=list)
    dicom: DicomOutputs = Field(default_factory=DicomOutputs)
    provenance: Provenance = Field(default_factory=Provenance)

    @field_validator("schema_version")
    @classmethod
    def _known_major(cls, v: str) -> str:
        if v.split(".")[0] != SCHEMA_VERSION.split(".")[0]:
            raise ValueError(
                f"report schema version {v} is not readable by this spinepath "
                f"(reads {SCHEMA_VERSION.split('.')[0]}.x); re-run the analysis"
            )
        return v

    @model_validator(mode="after")
    def _signed_when_final(self) -> Report:
        if self.status in ("final", "amended") and not self.signed_by:
            raise ValueError(f"a {self.status} report needs signed_by (who verified it)")
        return self

    def sign(self, who: str) -> None:
        """Mark the report final, signed by ``who`` now."""
        self.signed_by = who
        self.signed_at = _now()
        self.status = "final"
