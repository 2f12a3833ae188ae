"""fhir.json: a FHIR R4 Bundle (type ``collection``) with the report's resources.

Resources: Patient (identifier only), ImagingStudy (DICOM study and series UIDs), Device
(spinepath and its version), one Observation per finding (level as SNOMED body site,
measurements as UCUM ``valueQuantity`` / components, the grade as ``valueCodeableConcept`` with
the probability of every class as components), Observations for the impression (phenotype, pain
generators), a DiagnosticReport (LOINC 18756-7 "MRI Spine Report", DICOM CID 7000) that lists
them with the impression as its conclusion, and a Provenance resource (input digest, models,
software, timestamps). Status ``preliminary`` until the report is signed.

Validation uses the R4B models of ``fhir.resources`` (R4B only adds to R4; the resources used
here - Patient, ImagingStudy, Device, Observation, DiagnosticReport, Provenance, Bundle - have the
same R4 structure).
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from spinepath.errors import AnalysisError
from spinepath.model.findings import Finding
from spinepath.model.report import Report
from spinepath.report import codes as C
from spinepath.report.nomenclature import finding_text, grade_text

LOINC = "http://loinc.org"
DICOM_UID_SYSTEM = "urn:dicom:uid"
OBS_CATEGORY = {
    "coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                "code": "imaging", "display": "Imaging"}]
}  # fmt: skip
REPORT_CATEGORY = {
    "coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0074", "code": "RAD",
                "display": "Radiology"}]
}  # fmt: skip
REPORT_CODE = {
    "coding": [{"system": LOINC, "code": "18756-7", "display": "MRI Spine Report"}],
    "text": "MRI lumbar spine structured report",
}
SPINEPATH_CODES = "urn:spinepath:codes"
_RESULT_STATUS = frozenset({"registered", "preliminary", "final", "amended", "corrected",
                            "cancelled", "entered-in-error", "unknown"})
REQUIRED_STATUS: dict[str, frozenset[str]] = {
    "Observation": _RESULT_STATUS,
    "DiagnosticReport": _RESULT_STATUS | {"partial", "appended"},
    "ImagingStudy": frozenset({"registered", "available", "cancelled", "entered-in-error",
                               "unknown"}),
}
"""FHIR R4 required bindings of ``status`` (ObservationStatus, DiagnosticReportStatus,
ImagingStudyStatus): fhir.resources checks types and cardinality, not value sets."""


def _urn() -> str:
    return f"urn:uuid:{uuid.uuid4()}"


def _status(report: Report) -> str:
    return {"preliminary": "preliminary", "final": "final", "amended": "amended"}[report.status]


def _quantity(value: float, unit: str) -> dict[str, Any]:
    u = C.unit_concept(unit)
    return {"value": round(float(value), 4), "unit": u.meaning, "system": C.UCUM_SYSTEM,
            "code": u.value}


def _finding_observation(f: Finding, report: Report, refs: dict[str, str]) -> dict[str, Any]:
    site = C.site_concept(f.level)
    obs: dict[str, Any] = {
        "resourceType": "Observation",
        "status": _status(report),
        "category": [OBS_CATEGORY],
        "code": {
            "coding": [{"system": SPINEPATH_CODES, "code": f"{f.structure}.{f.kind}",
                        "display": finding_text(f).split(",")[0]}],
            "text": finding_text(f, with_level=True),
        },
        "subject": {"reference": refs["patient"]},
        "device": {"reference": refs["device"]},
        "derivedFrom": [{"reference": refs["study"]}],
        "bodySite": {"coding": [site.fhir()], "text": f.level},
        "method": {"text": (f.grade.method if f.grade and f.grade.method else f.source)},
    }
    if report.provenance.finished_at:
        obs["effectiveDateTime"] = report.provenance.finished_at
    components: list[dict[str, Any]] = []
    if f.grade is not None:
        g = f.grade
        obs["valueCodeableConcept"] = {
            "coding": [{"system": SPINEPATH_CODES, "code": f"{g.system}-{g.value}",
                        "display": grade_text(g)}],
            "text": grade_text(g),
        }
        for cls, p in sorted(g.probabilities.items()):
            components.append({
                "code": {"text": f"probability of {g.system} grade {cls}"},
                "valueQuantity": _quantity(p, "probability"),
            })
        if g.low_confidence or (g.probabilities and g.confidence < 0.6):
            obs["interpretation"] = [{"text": "uncertain grade: review"}]
        for m in f.measurements:
            components.append({"code": {"text": m.name.replace("_", " ")},
                               "valueQuantity": _quantity(m.value, m.unit)})
    elif len(f.measurements) == 1:
        m = f.measurements[0]
        obs["valueQuantity"] = _quantity(m.value, m.unit)
    else:
        obs["valueString"] = finding_text(f)
        for m in f.measurements:
            components.append({"code": {"text": m.name.replace("_", " ")},
                               "valueQuantity": _quantity(m.value, m.unit)})
    if components:
        obs["component"] = components
    if f.side:
        obs["note"] = [{"text": f"side: {f.side}"}]
    return obs


def _impression_observations(report: Report, refs: dict[str, str]) -> list[dict[str, Any]]:
    im = report.impression
    if im is None:
        return []
    out = []
    base = {"resourceType": "Observation", "status": _status(report), "category": [OBS_CATEGORY],
            "subject": {"reference": refs["patient"]}, "device": {"reference": refs["device"]}}
    for p in im.phenotypes:
        obs = {**base, "code": {"coding": [{"system": SPINEPATH_CODES, "code": "phenotype",
                                            "display": "Low back pain phenotype"}]},
               "valueCodeableConcept": {"coding": [{"system": SPINEPATH_CODES,
                                                    "code": p.name, "display": p.name}],
                                        "text": p.name + (" (primary)" if p.primary else "")}}
        if p.confidence is not None:
            obs["component"] = [{"code": {"text": "confidence"},
                                 "valueQuantity": _quantity(p.confidence, "probability")}]
        if p.reasons:
            obs["note"] = [{"text": r} for r in p.reasons]
        out.append(obs)
    for g in im.pain_generators:
        obs = {**base, "code": {"coding": [{"system": SPINEPATH_CODES, "code": "pain-generator",
                                            "display": "Candidate pain generator"}]},
               "valueString": " ".join(x for x in (g.level, g.structure, g.side, g.root and
                                                   f"{g.root} root") if x),
               "bodySite": {"coding": [C.site_concept(g.level).fhir()], "text": g.level or ""}}
        comps = [{"code": {"text": "rank"}, "valueInteger": g.rank}]
        if g.probability is not None:
            comps.append({"code": {"text": "probability"},
                          "valueQuantity": _quantity(g.probability, "probability")})
        obs["component"] = comps
        if g.reasons:
            obs["note"] = [{"text": r} for r in g.reasons]
        out.append(obs)
    return out


def _conclusion(report: Report) -> str:
    im = report.impression
    parts: list[str] = []
    if im is not None:
        if im.triage:
            parts.append(f"Triage: {im.triage}.")
        if im.primary_phenotype:
            parts.append(f"Phenotype: {im.primary_phenotype.name}.")
        if im.pain_generators:
            g = im.pain_generators[0]
            parts.append("Most likely pain generator: " + " ".join(
                x for x in (g.level, g.structure, g.side) if x) + ".")
        if im.next_steps:
            parts.append("Next steps: " + ", ".join(s.procedure for s in im.next_steps) + ".")
        if im.flags:
            parts.append("Flags: " + ", ".join(f.name for f in im.flags) + ".")
    if report.not_assessed:
        parts.append("Not assessed: " + "; ".join(report.not_assessed) + ".")
    return " ".join(parts) or "Imaging findings only."


def build_bundle(report: Report) -> dict[str, Any]:
    """The FHIR R4 Bundle of a report, as JSON-ready data."""
    prov = report.provenance
    refs = {k: _urn() for k in ("patient", "study", "device", "report", "provenance")}
    patient = {"resourceType": "Patient",
               "identifier": [{"system": "urn:spinepath:patient-id",
                               "value": report.patient_id or "unknown"}]}
    if report.study and report.study.patient_sex in ("F", "M"):
        patient["gender"] = {"F": "female", "M": "male"}[report.study.patient_sex]
    series = []
    if report.study:
        for s in report.study.series:
            modality = {"system": "http://dicom.nema.org/resources/ontology/DCM",
                        "code": s.modality or "OT"}
            item: dict[str, Any] = {"uid": s.uid, "modality": modality}
            if s.description:
                item["description"] = s.description
            if s.number is not None:
                item["number"] = s.number
            item["numberOfInstances"] = s.n_instances
            series.append(item)
    study = {"resourceType": "ImagingStudy", "status": "available",
             "identifier": [{"system": DICOM_UID_SYSTEM, "value": f"urn:oid:{report.study_uid}"}],
             "subject": {"reference": refs["patient"]}}
    if series:
        study["series"] = series
    device = {"resourceType": "Device",
              "deviceName": [{"name": "spinepath", "type": "manufacturer-name"}],
              "version": [{"value": prov.version}],
              "note": [{"text": f"models: {json.dumps(prov.models, sort_keys=True)}"},
                       {"text": f"parameters: {json.dumps(prov.parameters, sort_keys=True)}"}]}
    observations = [_finding_observation(f, report, refs) for f in report.findings]
    observations += _impression_observations(report, refs)
    obs_urns = [_urn() for _ in observations]
    diag: dict[str, Any] = {
        "resourceType": "DiagnosticReport",
        "identifier": [{"system": "urn:spinepath:report-id", "value": report.report_id}],
        "status": _status(report),
        "category": [REPORT_CATEGORY],
        "code": REPORT_CODE,
        "subject": {"reference": refs["patient"]},
        "issued": report.created_at,
        "performer": [{"reference": refs["device"], "display": f"spinepath {prov.version}"}],
        "imagingStudy": [{"reference": refs["study"]}],
        "result": [{"reference": u} for u in obs_urns],
        "conclusion": _conclusion(report),
    }
    if report.signed_by:
        diag["resultsInterpreter"] = [{"display": report.signed_by}]
    provenance = {
        "resourceType": "Provenance",
        "target": [{"reference": refs["report"]}] + [{"reference": u} for u in obs_urns],
        "recorded": prov.rendered_at or prov.finished_at or prov.started_at,
        "agent": [{"type": {"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/provenance-participant-type",
            "code": "assembler", "display": "Assembler"}]},
            "who": {"reference": refs["device"]}}],
        "entity": [{"role": "source", "what": {
            "identifier": {"system": "urn:spinepath:inputs-sha256", "value": prov.inputs_digest},
            "display": f"{len(prov.inputs)} input file(s), SHA-256 digest of their hashes"}}]
        + [{"role": "source", "what": {
            "identifier": {"system": "urn:spinepath:model-sha256", "value": h},
            "display": f"model {name}"}} for name, h in sorted(prov.models.items())],
    }
    if prov.started_at and prov.finished_at:
        provenance["occurredPeriod"] = {"start": prov.started_at, "end": prov.finished_at}
    entries = [(refs["patient"], patient), (refs["study"], study), (refs["device"], device),
               (refs["report"], diag)]
    entries += list(zip(obs_urns, observations, strict=True))
    entries.append((refs["provenance"], provenance))
    return {
        "resourceType": "Bundle",
        "identifier": {"system": "urn:spinepath:report-id", "value": report.report_id},
        "type": "collection",
        "timestamp": prov.rendered_at or report.created_at,
        "entry": [{"fullUrl": u, "resource": r} for u, r in entries],
    }


def validate_bundle(data: dict[str, Any]) -> None:
    """Validate a bundle and each resource against the FHIR R4(B) models of fhir.resources.

    Raises:
        AnalysisError: naming the resource and the problem.
    """
    from fhir.resources.R4B import get_fhir_model_class

    for e in data.get("entry", []):  # required value-set bindings the models do not check
        res = e.get("resource", {})
        allowed = REQUIRED_STATUS.get(res.get("resourceType", ""))
        if allowed and res.get("status") not in allowed:
            raise AnalysisError(
                f"the FHIR bundle does not validate against FHIR R4: {res['resourceType']}.status "
                f"{res.get('status')!r} is not one of {sorted(allowed)}"
            )
    try:
        get_fhir_model_class("Bundle").parse_obj(data)
        for e in data.get("entry", []):
            res = e["resource"]
            get_fhir_model_class(res["resourceType"]).parse_obj(res)
    except Exception as exc:  # pydantic ValidationError and fhir.resources' own errors
        raise AnalysisError(f"the FHIR bundle does not validate against FHIR R4: {exc}") from exc


def write_fhir(report: Report, path: Path) -> Path:
    """Write fhir.json (validated first)."""
    data = build_bundle(report)
    validate_bundle(data)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path
