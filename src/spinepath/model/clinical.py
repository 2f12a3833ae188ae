"""Clinical intake and structured imaging findings: what the reasoning layer reads.

The intake follows the NIH Research Task Force (RTF) minimum dataset for chronic low-back pain
(Deyo 2014, doi:10.1016/j.jpain.2014.03.005) and the BACPAC data elements that build on it
(Batorsky 2023, doi:10.1093/pm/pnad008): duration and frequency, the 2-question chronic-LBP
definition, leg pain and below-knee radiation, neurological examination, tension signs, red flags,
provocation tests, neurogenic claudication, prior surgery and treatments, medications, safety items
(pregnancy, coagulopathy, allergies) and the core outcomes (ODI 0-100, NRS 0-10).

The field names are those of the shared clinical vignettes (shared/vignettes/README.md), so a
vignette file is read as it is. Units: durations in weeks, fractions in [0, 1], sizes in mm, areas
in mm², listhesis in percent of the lower endplate (anterolisthesis positive).

Structured imaging findings per level (``ImagingFindings``) are what a radiologist would type in or
what :func:`spinepath.reasoning.convert.findings_from_pipeline` builds from the imaging pipeline's
:class:`~spinepath.model.findings.Finding` objects.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from spinepath.errors import InputError
from spinepath.model.levels import DISC_LEVELS, VERTEBRAE

LegSide = Literal["left", "right", "bilateral", "none"]
BodySide = Literal["left", "right", "bilateral", "central"]
Severity = Literal["none", "mild", "moderate", "severe"]
HerniationType = Literal["protrusion", "extrusion", "sequestration"]
HerniationZone = Literal[
    "central",
    "left_paracentral",
    "right_paracentral",
    "left_subarticular",
    "right_subarticular",
    "left_foraminal",
    "right_foraminal",
    "left_extraforaminal",
    "right_extraforaminal",
]
RootContactDegree = Literal["contact", "displacement", "compression"]

RED_FLAGS: tuple[str, ...] = (
    "fever",
    "history_of_cancer",
    "unexplained_weight_loss",
    "iv_drug_use",
    "immunosuppression",
    "saddle_anesthesia",
    "bladder_dysfunction",
    "bowel_dysfunction",
    "progressive_neurologic_deficit",
    "major_trauma",
    "minor_trauma_osteoporosis",
    "night_pain",
    "age_over_50_new_pain",
    "chronic_steroids",
)
"""Red flags the intake accepts (AHCPR 1994 Table 1 and ACP/APS 2007, in vignette spelling)."""

ROOTS: tuple[str, ...] = ("L1", "L2", "L3", "L4", "L5", "S1", "S2")


class _Model(BaseModel):
    """Strict on build for known fields; unknown keys are kept (``extra``) and reported."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    def unknown_fields(self, prefix: str = "") -> list[str]:
        """Dotted names of keys that are not part of the schema (recursively)."""
        out = [f"{prefix}{k}" for k in (self.model_extra or {})]
        for name in type(self).model_fields:
            value = getattr(self, name)
            items: list[Any]
            if isinstance(value, _Model):
                items = [value]
            elif isinstance(value, list):
                items = [v for v in value if isinstance(v, _Model)]
            elif isinstance(value, dict):
                items = [v for v in value.values() if isinstance(v, _Model)]
            else:
                items = []
            for item in items:
                out.extend(item.unknown_fields(f"{prefix}{name}."))
        return out


# --------------------------------------------------------------------------------------------
# Clinical intake
# --------------------------------------------------------------------------------------------


class Patient(_Model):
    """Demographics (RTF minimum dataset). ``age`` in years."""

    age: float = Field(ge=0, le=120)
    sex: Literal["F", "M", "X"] | None = None
    bmi_kg_m2: float | None = Field(default=None, ge=10, le=90)


class LegPain(_Model):
    """Leg pain: side, distribution (free words naming body regions), radiation below the knee."""

    side: LegSide = "none"
    distribution: list[str] = Field(default_factory=list)
    below_knee: bool | None = None

    @field_validator("distribution", mode="before")
    @classmethod
    def _listify(cls, v: Any) -> Any:
        return [v] if isinstance(v, str) else v


class MuscleWeakness(_Model):
    """A weak muscle or movement on one side (e.g. extensor hallucis longus, left)."""

    muscle: str
    side: BodySide
    mrc_grade: int | None = Field(default=None, ge=0, le=5)


class SensoryLoss(_Model):
    """An area of sensory loss (e.g. dorsum of foot, left)."""

    region: str
    side: BodySide


class NeuroExam(_Model):
    """Neurological examination.

    ``reflexes`` maps e.g. ``achilles_right`` -> normal / reduced / absent.
    """

    weakness: list[MuscleWeakness] = Field(default_factory=list)
    reflexes: dict[str, str] = Field(default_factory=dict)
    sensory_loss: list[SensoryLoss] = Field(default_factory=list)


class Provocation(_Model):
    """Provocation findings: facet loading, the sacroiliac cluster (0-5 positive), Fortin area."""

    extension_rotation_pain: bool | None = None
    sij_positive_tests: int | None = Field(default=None, ge=0, le=5)
    fortin_area: bool | None = None
    buttock_predominant: bool | None = None


class PriorSurgery(_Model):
    """A previous spine operation: level (``L4-L5`` or ``L4``), procedure, years ago."""

    level: str | None = None
    procedure: str = ""
    years_ago: float | None = Field(default=None, ge=0)


class ClinicalHistory(_Model):
    """History and examination (RTF minimum dataset + BACPAC + vignette fields).

    Durations in weeks; ``pain_days_fraction_6mo`` is the fraction of days with pain over the
    last 6 months (RTF question 2); ``odi`` 0-100; ``nrs`` 0-10 (1-week recall).
    """

    duration_weeks: float | None = Field(default=None, ge=0)
    pain_days_fraction_6mo: float | None = Field(default=None, ge=0, le=1)
    axial_pain: bool | None = None
    leg_pain: LegPain = Field(default_factory=LegPain)
    neuro: NeuroExam = Field(default_factory=NeuroExam)
    slr: dict[Literal["left", "right"], Literal["positive", "negative"]] = Field(
        default_factory=dict
    )
    femoral_stretch: dict[Literal["left", "right"], Literal["positive", "negative"]] = Field(
        default_factory=dict
    )
    red_flags: list[str] = Field(default_factory=list)
    provocation: Provocation = Field(default_factory=Provocation)
    neurogenic_claudication: bool | None = None
    conservative_care_weeks: float | None = Field(default=None, ge=0)
    prior_surgery: list[PriorSurgery] = Field(default_factory=list)
    prior_injections: list[str] = Field(default_factory=list)
    medications: list[str] = Field(default_factory=list)
    opioid_use: bool | None = None
    allergies: list[str] = Field(default_factory=list)
    pregnancy: bool | None = None
    coagulopathy: bool | None = None
    contrast_allergy: bool | None = None
    osteoporosis: bool | None = None
    diabetes_uncontrolled: bool | None = None
    odi: float | None = Field(default=None, ge=0, le=100)
    nrs: float | None = Field(default=None, ge=0, le=10)
    impact_stratification_score: int | None = Field(default=None, ge=8, le=50)
    depression_bdi: int | None = Field(default=None, ge=0, le=63)
    focal_tenderness: str | None = None
    improving: bool | None = None
    inflammatory_back_pain: bool | None = None
    employment_status: str | None = None
    compensation_claim: bool | None = None

    @field_validator("red_flags")
    @classmethod
    def _known_flags(cls, v: list[str]) -> list[str]:
        unknown = [f for f in v if f not in RED_FLAGS]
        if unknown:
            raise ValueError(
                f"unknown red flag(s) {unknown}; use names from {', '.join(RED_FLAGS)}"
            )
        return v

    @field_validator("medications", "allergies", "prior_injections", mode="before")
    @classmethod
    def _lower_list(cls, v: Any) -> Any:
        if isinstance(v, str):
            v = [v]
        return [str(x).strip().lower() for x in v] if isinstance(v, list) else v


class ClinicalIntake(_Model):
    """One patient's intake: demographics and clinical history."""

    patient: Patient
    clinical: ClinicalHistory = Field(default_factory=ClinicalHistory)


# --------------------------------------------------------------------------------------------
# Structured imaging findings
# --------------------------------------------------------------------------------------------


class RootContact(_Model):
    """A nerve root touched by displaced disc material (root L1..S2, side, degree)."""

    root: str
    side: Literal["left", "right"]
    degree: RootContactDegree = "contact"

    @field_validator("root")
    @classmethod
    def _root(cls, v: str) -> str:
        if v not in ROOTS:
            raise ValueError(f"unknown root {v!r}; expected one of {ROOTS}")
        return v


class Herniation(_Model):
    """Disc herniation (Fardon 2014 nomenclature 2.0): type, axial zone, size in mm."""

    type: HerniationType
    zone: HerniationZone = "central"
    size_mm: float | None = Field(default=None, ge=0)
    root_contact: list[RootContact] = Field(default_factory=list)


class DiscFindings(_Model):
    """Disc: Pfirrmann 1-5, height loss, bulge, herniation, HIZ, annular fissure, fluid signal."""

    pfirrmann: int | None = Field(default=None, ge=1, le=5)
    height_loss: Severity | None = None
    bulge: bool | None = None
    herniation: Herniation | None = None
    hiz: bool | None = None
    annular_fissure: bool | None = None
    t2_hyperintense_disc: bool | None = None


class EndplateFindings(_Model):
    """Endplates: Modic type 0-3, extent in percent of the endplate, erosion, Schmorl node."""

    modic: int | None = Field(default=None, ge=0, le=3)
    modic_extent_pct: float | None = Field(default=None, ge=0, le=100)
    erosion: bool | None = None
    schmorl: bool | None = None


class CanalFindings(_Model):
    """Central canal: stenosis grade and dural sac cross-sectional area (mm²)."""

    stenosis: Severity | None = None
    dural_sac_area_mm2: float | None = Field(default=None, ge=0)


class SideGrades(_Model):
    """A 0-3 grade per side (Lee foraminal, lateral recess)."""

    left: int | None = Field(default=None, ge=0, le=3)
    right: int | None = Field(default=None, ge=0, le=3)


class FacetFindings(_Model):
    """Facets: Weishaupt 0-3 per side, effusion, synovial cyst side (or none)."""

    left: int | None = Field(default=None, ge=0, le=3)
    right: int | None = Field(default=None, ge=0, le=3)
    effusion: bool | None = None
    synovial_cyst: Literal["left", "right", "bilateral", "none"] | None = None


class LevelFindings(_Model):
    """Everything reported at one disc level / motion segment."""

    disc: DiscFindings = Field(default_factory=DiscFindings)
    endplates: EndplateFindings = Field(default_factory=EndplateFindings)
    canal: CanalFindings = Field(default_factory=CanalFindings)
    foramina: SideGrades = Field(default_factory=SideGrades)
    lateral_recess: SideGrades = Field(default_factory=SideGrades)
    facets: FacetFindings = Field(default_factory=FacetFindings)
    lf_thickness_mm: float | None = Field(default=None, ge=0)
    listhesis_pct: float | None = None
    spondylolysis: bool | None = None


class VertebraFindings(_Model):
    """One vertebra: Genant grade 0-3, marrow oedema, marrow replacement, retropulsion."""

    genant: float | None = Field(default=None, ge=0, le=3)
    marrow_edema: bool | None = None
    marrow_replacement: bool | None = None
    posterior_wall_retropulsion: bool | None = None


class SIJSide(_Model):
    """One sacroiliac joint: bone marrow oedema, sclerosis, erosion."""

    edema: bool | None = None
    sclerosis: bool | None = None
    erosion: bool | None = None


class SIJFindings(_Model):
    """Both sacroiliac joints."""

    left: SIJSide = Field(default_factory=SIJSide)
    right: SIJSide = Field(default_factory=SIJSide)


class ParaspinalFindings(_Model):
    """Paraspinal muscles: Goutallier grade 0-4."""

    goutallier: int | None = Field(default=None, ge=0, le=4)


class ImagingFindings(_Model):
    """Structured findings of one study, per disc level and per vertebra."""

    modality: Literal["MRI", "CT"] = "MRI"
    contrast: bool = False
    hardware_artifact: bool = False
    dynamic_instability: bool | None = None
    levels: dict[str, LevelFindings] = Field(default_factory=dict)
    vertebrae: dict[str, VertebraFindings] = Field(default_factory=dict)
    sij: SIJFindings | None = None
    paraspinal: ParaspinalFindings | None = None

    @field_validator("levels")
    @classmethod
    def _disc_names(cls, v: dict[str, LevelFindings]) -> dict[str, LevelFindings]:
        bad = [k for k in v if k not in DISC_LEVELS]
        if bad:
            raise ValueError(f"unknown disc level(s) {bad}; expected names like 'L4-L5'")
        return v

    @field_validator("vertebrae")
    @classmethod
    def _vertebra_names(cls, v: dict[str, VertebraFindings]) -> dict[str, VertebraFindings]:
        bad = [k for k in v if k not in VERTEBRAE]
        if bad:
            raise ValueError(f"unknown vertebra name(s) {bad}; expected names like 'L1'")
        return v


class Case(_Model):
    """A case file: intake + imaging findings (+ an ``expected`` block in vignettes)."""

    id: str | None = None
    title: str | None = None
    patient: Patient
    clinical: ClinicalHistory = Field(default_factory=ClinicalHistory)
    imaging: ImagingFindings = Field(default_factory=ImagingFindings)
    expected: dict[str, Any] | None = None

    @property
    def intake(self) -> ClinicalIntake:
        """The clinical part as a :class:`ClinicalIntake`."""
        return ClinicalIntake(patient=self.patient, clinical=self.clinical)


def _read_mapping(path: Path) -> dict[str, Any]:
    """Read a YAML or JSON file holding one mapping."""
    import json

    import yaml

    path = Path(path)
    if not path.is_file():
        raise InputError(f"case file {path} does not exist; give the path of a .yaml or .json file")
    text = path.read_text(encoding="utf-8")
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise InputError(f"{path} is not valid YAML/JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise InputError(f"{path} must hold a mapping with 'patient' and 'clinical' keys")
    return data


def _validate(model: type[_Model], data: dict[str, Any], path: Path) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        lines = [
            f"  {'.'.join(str(p) for p in e['loc'])}: {e['msg']} (got {e.get('input')!r})"
            for e in exc.errors()
        ]
        raise InputError(f"{path} does not fit the intake schema:\n" + "\n".join(lines)) from None


def load_case(path: str | Path) -> Case:
    """Read a case (vignette) file in YAML or JSON; raise :class:`InputError` with the fix."""
    p = Path(path)
    return _validate(Case, _read_mapping(p), p)


def load_intake(path: str | Path) -> ClinicalIntake:
    """Read a clinical intake (``patient`` + ``clinical``) from YAML or JSON.

    Other top-level keys (``imaging``, ``expected``, ``id``) are ignored.
    """
    p = Path(path)
    data = _read_mapping(p)
    return _validate(
        ClinicalIntake, {k: data[k] for k in ("patient", "clinical") if k in data}, p
    )
