"""Speed: all outputs of one analysed study in under 5 s (issue: 'after analysis')."""

from __future__ import annotations

from tests.report.conftest import Bundle


def test_all_outputs_under_five_seconds(bundle: Bundle) -> None:
    assert {"json", "html", "pdf", "seg", "sr", "fhir"} <= set(bundle.paths)
    assert bundle.seconds < 5.0, f"writing the report bundle took {bundle.seconds:.2f} s"
