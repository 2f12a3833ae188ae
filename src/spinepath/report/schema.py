"""report.json: its published JSON Schema, writing and reading with validation.

The schema is generated from the pydantic :class:`~spinepath.model.report.Report` model (JSON
Schema draft 2020-12), carries :data:`~spinepath.model.report.SCHEMA_VERSION`, and is published
in the repository as ``schemas/report.schema.json`` (``spinepath report schema -o ...`` writes
it; a test fails when the published file and the model drift apart).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from spinepath.errors import InputError
from spinepath.model.report import SCHEMA_ID, SCHEMA_VERSION, Report

DIALECT = "https://json-schema.org/draft/2020-12/schema"


def report_json_schema() -> dict[str, Any]:
    """The JSON Schema of report.json (a dict)."""
    schema = Report.model_json_schema(mode="serialization")
    return {
        "$schema": DIALECT,
        "$id": SCHEMA_ID,
        "title": "spinepath report",
        "description": (
            "The whole result of one lumbar spine study: series used, per-level findings with "
            "grades and probabilities, impression, key images, DICOM references and provenance."
        ),
        "x-schema-version": SCHEMA_VERSION,
        **{k: v for k, v in schema.items() if k not in ("title", "description")},
    }


def schema_text() -> str:
    """The schema as the published file's text (sorted keys, 2-space indent, final newline)."""
    return json.dumps(report_json_schema(), indent=2, sort_keys=True) + "\n"


def validate_report_data(data: Any) -> None:
    """Validate decoded report.json data against the schema.

    Raises:
        InputError: naming the first offending field and the constraint it breaks.
    """
    import jsonschema

    validator = jsonschema.Draft202012Validator(report_json_schema())
    errors = list(validator.iter_errors(data))
    if errors:
        e = jsonschema.exceptions.best_match(errors)
        while e.context:  # descend anyOf/oneOf to the most specific cause
            e = jsonschema.exceptions.best_match(e.context)
        where = "/".join(str(p) for p in e.absolute_path) or "(top level)"
        message = e.message if len(e.message) <= 200 else e.message[:200] + "..."
        raise InputError(
            f"report.json does not match schema {SCHEMA_VERSION} at {where}: {message} "
            f"({len(errors)} problem(s) in all)"
        )


def report_to_data(report: Report) -> dict[str, Any]:
    """The report as JSON-ready data."""
    return report.model_dump(mode="json")


def write_report_json(report: Report, path: Path) -> Path:
    """Write report.json (validated against the schema first)."""
    data = report_to_data(report)
    validate_report_data(data)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def read_report_json(path: Path) -> Report:
    """Read and validate a report.json.

    Raises:
        InputError: when the file is missing, not JSON, or does not match the schema.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path} does not exist; give the report.json an analysis wrote.")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(f"{path} is not JSON ({exc}).") from exc
    validate_report_data(data)
    from pydantic import ValidationError

    try:
        return Report.model_validate(data)
    except ValidationError as exc:
        raise InputError(f"{path} is not a valid spinepath report: {exc}") from exc
