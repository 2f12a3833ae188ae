"""Analyse one study and write every output: the library call behind ``spinepath analyze``,
``make demo`` and the server's jobs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from spinepath.errors import InputError
from spinepath.model.report import Report
from spinepath.pipeline import AnalysisOptions, analyze_study_full


@dataclass
class AnalysisOutputs:
    """The report and the files written for it."""

    report: Report
    files: dict[str, Path]


def analyze_to_folder(
    study_path: Path,
    out: Path,
    *,
    clinical: Path | None = None,
    options: AnalysisOptions | None = None,
    formats: tuple[str, ...] | None = None,
    strict: bool = True,
    command: str | None = None,
) -> AnalysisOutputs:
    """Read a study, analyse it (with the clinical intake when given) and write the outputs.

    Args:
        study_path: DICOM folder or .zip, NIfTI file or PNG slice.
        out: output folder (created).
        clinical: clinical intake file (YAML/JSON; vignette fields accepted).
        formats: outputs to write (default: all of :data:`spinepath.report.bundle.ALL_OUTPUTS`).
        strict: refuse inconsistent series (False: leave them out with a warning).
    """
    from spinepath.io import load_study
    from spinepath.report.bundle import ALL_OUTPUTS, write_report_bundle

    wanted = formats or ALL_OUTPUTS
    unknown = sorted(set(wanted) - set(ALL_OUTPUTS))
    if unknown:
        raise InputError(f"unknown format(s) {unknown}; choose from {list(ALL_OUTPUTS)}")
    intake = None
    if clinical is not None:
        from spinepath.model.clinical import load_intake

        intake = load_intake(clinical)
    study = load_study(study_path, strict=strict)
    report, imaging = analyze_study_full(study, intake, options)
    report.provenance.command = command
    if clinical is not None:
        report.provenance.add_input(clinical)
    main = imaging.segmentations.get("sagittal T2") or imaging.segmentations.get("sagittal T1")
    files = write_report_bundle(
        report,
        out,
        study=study,
        label_map=main.segmentation.levels if main else None,
        semantic_map=main.segmentation.semantic if main else None,
        outputs=tuple(wanted),
    )
    return AnalysisOutputs(report, files)
