"""report.json against the published schema; FHIR R4 bundle validation; impression mapping."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from pydantic import BaseModel, ValidationError

from spinepath.errors import AnalysisError, InputError
from spinepath.model.report import SCHEMA_VERSION, Impression, Report
from spinepath.report.fhir import build_bundle, validate_bundle
from spinepath.report.schema import read_report_json, schema_text
from tests.conftest import REPO_ROOT
from tests.report.conftest import Bundle

PUBLISHED = REPO_ROOT / "schemas" / "report.schema.json"


def test_published_schema_is_current() -> None:
    """schemas/report.schema.json is what the model generates (regenerate with
    `spinepath report schema -o schemas/report.schema.json`)."""
    assert PUBLISHED.read_text(encoding="utf-8") == schema_text()
    schema = json.loads(PUBLISHED.read_text(encoding="utf-8"))
    assert schema["x-schema-version"] == SCHEMA_VERSION
    jsonschema.Draft202012Validator.check_schema(schema)


def test_report_json_validates_against_published_schema(bundle: Bundle) -> None:
    data = json.loads(bundle.paths["json"].read_text(encoding="utf-8"))
    schema = json.loads(PUBLISHED.read_text(encoding="utf-8"))
    jsonschema.validate(data, schema, cls=jsonschema.Draft202012Validator)
    assert data["schema_version"] == SCHEMA_VERSION
    prov = data["provenance"]
    assert prov["inputs"] and all(len(h) == 64 for h in prov["inputs"].values())
    assert prov["models"] == {"segmenter.onnx": "0" * 64}
    assert prov["rendered_at"] and prov["finished_at"] and prov["version"]
    assert {k["kind"] for k in data["key_images"]} == {"sagittal", "axial"}
    assert data["dicom"]["seg_sop_instance_uid"] and data["dicom"]["sr_sop_instance_uid"]


def test_report_json_round_trip(bundle: Bundle) -> None:
    again = read_report_json(bundle.paths["json"])
    assert again == bundle.analysed.report


def test_schema_rejects_bad_report(bundle: Bundle, tmp_path: Path) -> None:
    data = json.loads(bundle.paths["json"].read_text(encoding="utf-8"))
    data["impression"]["pain_generators"][0]["probability"] = 1.7
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(InputError, match=r"impression/pain_generators/0/probability"):
        read_report_json(bad)
    del data["study_uid"]
    bad.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(InputError, match="study_uid"):
        read_report_json(bad)


def test_first_version_fields_still_load() -> None:
    """A report with only the original fields (study_uid, findings, provenance...) loads."""
    old = {"study_uid": "1.2.3", "patient_id": "P", "series_used": [], "findings": [],
           "not_assessed": {"x": "y"}, "warnings": [], "provenance": {"software": "spinepath"}}
    r = Report.model_validate(old)
    assert r.status == "preliminary" and r.not_assessed == {"x": "y"}
    with pytest.raises(ValidationError, match="not readable"):
        Report.model_validate({**old, "schema_version": "2.0.0"})
    with pytest.raises(ValidationError, match="signed_by"):
        Report.model_validate({**old, "status": "final"})


def test_fhir_bundle_validates(bundle: Bundle) -> None:
    from fhir.resources.R4B.bundle import Bundle as FhirBundle

    data = json.loads(bundle.paths["fhir"].read_text(encoding="utf-8"))
    validate_bundle(data)
    parsed = FhirBundle.parse_obj(data)
    kinds = [e.resource.resource_type for e in parsed.entry]
    report = bundle.analysed.report
    assert kinds.count("DiagnosticReport") == 1
    assert "Provenance" in kinds and "ImagingStudy" in kinds and "Device" in kinds
    diag = next(e["resource"] for e in data["entry"]
                if e["resource"]["resourceType"] == "DiagnosticReport")
    assert diag["status"] == "preliminary"
    assert diag["code"]["coding"][0]["code"] == "18756-7"
    n_impression = len(report.impression.phenotypes) + len(report.impression.pain_generators)
    assert len(diag["result"]) == len(report.findings) + n_impression
    obs = [e["resource"] for e in data["entry"] if e["resource"]["resourceType"] == "Observation"]
    l45 = [o for o in obs if o.get("bodySite", {}).get("text") == "L4-L5"
           and "valueCodeableConcept" in o and "Pfirrmann" in o["valueCodeableConcept"]["text"]]
    assert l45[0]["bodySite"]["coding"][0]["code"] == "84020006"
    probs = {c["code"]["text"]: c["valueQuantity"]["value"] for c in l45[0]["component"]}
    assert probs["probability of Pfirrmann grade 4"] == pytest.approx(0.55)
    area = [o for o in obs if any(c["code"]["text"] == "dural sac area"
                                  for c in o.get("component", []))]
    q = next(c for c in area[0]["component"] if c["code"]["text"] == "dural sac area")
    assert q["valueQuantity"]["code"] == "mm2"
    assert q["valueQuantity"]["system"] == "http://unitsofmeasure.org"
    prov = next(e["resource"] for e in data["entry"]
                if e["resource"]["resourceType"] == "Provenance")
    digest = report.provenance.inputs_digest
    assert prov["entity"][0]["what"]["identifier"]["value"] == digest


def test_fhir_validation_can_fail(bundle: Bundle) -> None:
    data = build_bundle(bundle.analysed.report)
    obs = next(e["resource"] for e in data["entry"]
               if e["resource"]["resourceType"] == "Observation")
    del obs["code"]  # a required element
    with pytest.raises(AnalysisError, match="FHIR"):
        validate_bundle(data)
    obs["code"] = {"text": "x"}
    validate_bundle(data)
    obs["status"] = "guessed"  # not in the R4 ObservationStatus value set
    with pytest.raises(AnalysisError, match="status"):
        validate_bundle(data)


def test_impression_from_vignette_result() -> None:
    """The minimal vignette result form maps onto the impression."""
    result = {
        "triage": "urgent",
        "phenotype_primary": "cauda_equina",
        "pain_generator_top": {"level": "L4-L5", "structure": "disc", "side": "central"},
        "next_steps": [{"procedure": "urgent_referral"}, "contrast_mri"],
        "flags": ["discordant_imaging"],
        "incidental": [{"level": "L5-S1", "finding": "bulge"}, "L2-L3 Modic 2"],
    }
    im = Impression.from_reasoning(result)
    assert im.triage == "urgent"
    assert im.primary_phenotype is not None and im.primary_phenotype.name == "cauda_equina"
    assert im.pain_generators[0].level == "L4-L5" and im.pain_generators[0].rank == 1
    assert [s.procedure for s in im.next_steps] == ["urgent_referral", "contrast_mri"]
    assert im.flags[0].name == "discordant_imaging"
    assert (im.incidental[1].level, im.incidental[1].finding) == ("L2-L3", "Modic 2")

    class Result(BaseModel):
        triage: str
        phenotype_primary: str

    assert Impression.from_reasoning(Result(triage="routine", phenotype_primary="facetogenic")
                                     ).primary_phenotype.name == "facetogenic"
    with pytest.raises(ValidationError):
        Impression.from_reasoning({"triage": "soon"})
