"""Report outputs of one analysed study: report.json (versioned JSON Schema), report.html and
report.pdf, DICOM SEG and SR (TID 1500), a FHIR R4 bundle, all carrying the same provenance.

Entry points: :func:`write_report_bundle` (everything, after an analysis) and
:func:`write_documents` (re-render JSON / HTML / PDF / FHIR from a saved report).
"""

from spinepath.report.bundle import ALL_OUTPUTS, write_documents, write_report_bundle
from spinepath.report.schema import read_report_json, report_json_schema, write_report_json

__all__ = [
    "ALL_OUTPUTS",
    "read_report_json",
    "report_json_schema",
    "write_documents",
    "write_report_bundle",
    "write_report_json",
]
