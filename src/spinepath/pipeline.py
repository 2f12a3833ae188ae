"""``analyze_study``: one study end to end. The CLI, the server, the DICOM node and the Dask batch
all call this function; no other module re-implements a stage.

Stages (each a library call): choose series -> segment + label levels (per sagittal series) ->
crops + measurements -> learned and rule grades -> findings -> (clinical reasoning) -> Report.
Stages that cannot run on a study (no sagittal T2, no spine found, no axial images) are listed in
``Report.not_assessed`` with the reason, never silently skipped.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spinepath.errors import AnalysisError, InputError
from spinepath.model.findings import Finding, Measurement
from spinepath.model.report import Provenance, Report
from spinepath.model.study import Plane, Series, SeriesKind, Study


@dataclass(frozen=True)
class AnalysisOptions:
    """Options of one analysis run (recorded in the report's provenance).

    Attributes:
        segmentation: an external label map (NIfTI) for the sagittal T2 instead of the model.
        convention: label convention of ``segmentation`` (guessed when None).
    """

    segmentation: Path | None = None
    convention: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def as_parameters(self) -> dict[str, Any]:
        """JSON-ready parameters for provenance."""
        return {
            "segmentation": str(self.segmentation) if self.segmentation else None,
            "convention": self.convention,
            **self.extra,
        }


@dataclass
class SeriesChoice:
    """The series the pipeline uses, by role."""

    sagittal_t2: Series | None = None
    sagittal_t1: Series | None = None
    sagittal_stir: Series | None = None
    axial_t2: Series | None = None

    def roles(self) -> dict[str, Series]:
        """Role name -> series, for the chosen ones."""
        pairs = {
            "sagittal T2": self.sagittal_t2,
            "sagittal T1": self.sagittal_t1,
            "sagittal STIR": self.sagittal_stir,
            "axial T2": self.axial_t2,
        }
        return {k: v for k, v in pairs.items() if v is not None}


def choose_series(study: Study) -> SeriesChoice:
    """Pick the best series for each role (most confident classification, then most slices)."""
    return SeriesChoice(
        sagittal_t2=study.best(SeriesKind.T2, Plane.SAGITTAL)
        or study.best(SeriesKind.T2_FS, Plane.SAGITTAL),
        sagittal_t1=study.best(SeriesKind.T1, Plane.SAGITTAL),
        sagittal_stir=study.best(SeriesKind.STIR, Plane.SAGITTAL)
        or study.best(SeriesKind.T2_FS, Plane.SAGITTAL),
        axial_t2=study.best(SeriesKind.T2, Plane.AXIAL),
    )


def _renamed(ms: list[Measurement], suffix: str) -> list[Measurement]:
    return [m.model_copy(update={"name": f"{m.name}_{suffix}"}) for m in ms]


THREADS_ENV = "SPINEPATH_THREADS"
"""Environment variable: threads each model run may use (the batch sets it per worker)."""


def compute_threads() -> int:
    """Threads for model inference: ``$SPINEPATH_THREADS`` or 2 (this machine's cores)."""
    try:
        return max(1, int(os.environ.get(THREADS_ENV, "2")))
    except ValueError:
        return 2


@dataclass
class ImagingResult:
    """What the imaging stages produced for one study (kept for the report writers)."""

    findings: list[Finding] = field(default_factory=list)
    segmentations: dict[str, Any] = field(default_factory=dict)  # role -> SeriesGradingInputs
    not_assessed: dict[str, str] = field(default_factory=dict)
    models: dict[str, Path] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


STIR_ITEM = "marrow oedema (STIR)"
"""The not-assessed item of the STIR endplate marrow oedema."""


def _stir_inputs(
    choice: SeriesChoice, result: ImagingResult, segmenter: Any, crop_shape: tuple[int, int]
) -> Any | None:
    """Segment the sagittal STIR (or fat-saturated T2) like the T1, for its endplate-zone /
    marrow ratios; reuses the T2's segmentation when the same series fills both roles. Records
    the reason in ``result.not_assessed`` and returns None when it cannot be segmented."""
    from spinepath.grade.series_inputs import series_inputs

    series = choice.sagittal_stir
    if series is None:
        return None
    if series is choice.sagittal_t2 and "sagittal T2" in result.segmentations:
        stir = result.segmentations["sagittal T2"]
    else:
        try:
            stir = series_inputs(series, segmenter=segmenter, crop_shape=crop_shape)
        except (AnalysisError, InputError, ValueError) as exc:
            result.not_assessed[STIR_ITEM] = f"the sagittal STIR could not be segmented: {exc}"
            return None
    result.segmentations["sagittal STIR"] = stir
    return stir


def imaging_findings(choice: SeriesChoice, options: AnalysisOptions) -> ImagingResult:
    """Segment, measure and grade the sagittal series; findings per level. The sagittal STIR (or
    fat-saturated T2), when present, is segmented too and its endplate-zone / marrow ratios join
    the measurements with the suffix ``_stir`` (endplate marrow oedema, support of Modic 1)."""
    from spinepath.grade.findings import disc_level_findings, vertebra_findings
    from spinepath.grade.learned import DiscGraderModel
    from spinepath.grade.series_inputs import series_inputs
    from spinepath.segment.onnx_model import OnnxSegmenter

    result = ImagingResult()
    segmenter = OnnxSegmenter(threads=compute_threads())
    grader = DiscGraderModel(threads=compute_threads())
    result.models["segmenter"] = Path(segmenter.model_path)
    t0 = time.perf_counter()
    for role, series in (("sagittal T2", choice.sagittal_t2), ("sagittal T1", choice.sagittal_t1)):
        if series is None:
            continue
        try:
            if role == "sagittal T2" and options.segmentation is not None:
                from spinepath.segment.run import imported_segmentation

                seg = imported_segmentation(series, options.segmentation, options.convention)
                result.segmentations[role] = series_inputs(
                    series, segmentation=seg, crop_shape=grader.crop_shape
                )
            else:
                result.segmentations[role] = series_inputs(
                    series, segmenter=segmenter, crop_shape=grader.crop_shape
                )
        except (AnalysisError, InputError) as exc:
            result.not_assessed[f"{role} segmentation"] = str(exc)
    t2 = result.segmentations.get("sagittal T2")
    t1 = result.segmentations.get("sagittal T1")
    main = t2 or t1
    stir = None
    if main is not None and choice.sagittal_stir is not None:
        stir = _stir_inputs(choice, result, segmenter, grader.crop_shape)
    result.seconds["segmentation"] = time.perf_counter() - t0
    if main is None:
        result.not_assessed["per-level findings"] = (
            "no sagittal series could be segmented, so no level was identified"
        )
        return result
    t0 = time.perf_counter()
    probs: dict[str, dict[str, list[float]]] = {}
    if t2 is not None:
        result.models["disc grader"] = grader.path
        probs = grader.predict(t2.inputs.crops, t1.inputs.crops if t1 else {})
    else:
        result.not_assessed["learned disc grades"] = (
            "the disc grader needs a sagittal T2; only geometry and rule grades from the T1"
        )
    ms = list(main.inputs.measurements)
    if t1 is not None and t2 is not None:
        ms += _renamed(
            [m for m in t1.inputs.measurements if m.name.startswith(("endplate_", "listhesis_"))],
            "t1",
        )
    if stir is not None:
        ms += _renamed(
            [m for m in stir.inputs.measurements if m.name.startswith("endplate_")], "stir"
        )
    labelling = main.segmentation.labelling
    for level in labelling.disc_names:
        result.findings.extend(
            disc_level_findings(
                level, probs.get(level), ms, has_t1=t1 is not None and level in t1.inputs.crops
            )
        )
    names = [v.name for v in labelling.vertebrae]
    posterior = {m.level: m.value for m in ms if m.name == "vertebral_height_posterior_mm"}
    discs = set(labelling.disc_names)
    for i, name in enumerate(names):
        if name == "S1" or i == 0 or i + 1 >= len(names):
            continue
        if f"{names[i - 1]}-{name}" not in discs or f"{name}-{names[i + 1]}" not in discs:
            continue  # heights need the body bounded by both of its discs
        neighbours = [
            posterior[n]
            for n in names[max(i - 1, 0) : i + 2]
            if n != name and n in posterior and n != "S1"
        ]
        ref = sum(neighbours) / len(neighbours) if neighbours else None
        result.findings.extend(vertebra_findings(name, ms, ref))
    if labelling.uncertain:
        result.not_assessed["level numbering certainty"] = (
            "levels may be misnumbered: " + "; ".join(labelling.reasons)
        )
    result.seconds["grading"] = time.perf_counter() - t0
    return result


AXIAL_ITEMS = (
    "dural sac area",
    "foraminal stenosis (Lee)",
    "lateral recess",
    "facet joints (Weishaupt)",
    "ligamentum flavum thickness",
    "herniation zone (axial)",
    "paraspinal muscle fat (Goutallier)",
)


def analyze_study(
    study: Study, clinical: Any | None = None, options: AnalysisOptions | None = None
) -> Report:
    """Run every available stage on one study and return its Report.

    Args:
        study: the ingested study.
        clinical: a :class:`spinepath.model.clinical.ClinicalIntake` (or None: no reasoning).
        options: analysis options.
    """
    report, _ = analyze_study_full(study, clinical, options)
    return report


def analyze_study_full(
    study: Study, clinical: Any | None = None, options: AnalysisOptions | None = None
) -> tuple[Report, ImagingResult]:
    """:func:`analyze_study` plus the intermediate imaging result (segmentations for writers)."""
    options = options or AnalysisOptions()
    provenance = Provenance(parameters=options.as_parameters())
    for series in study.series:
        for path in series.files:
            if path.is_file():
                provenance.add_input(path)
    from spinepath.report.provenance import study_info

    choice = choose_series(study)
    report = Report(
        study_uid=study.study_uid,
        patient_id=study.patient_id,
        study=study_info(study),
        series_used=[s.uid for s in choice.roles().values()],
        warnings=list(study.warnings),
        provenance=provenance,
    )
    imaging = ImagingResult()
    if choice.sagittal_t2 is None and choice.sagittal_t1 is None:
        kinds = ", ".join(f"{s.plane.value} {s.kind.value}" for s in study.series) or "none"
        report.not_assessed["per-level findings"] = (
            f"no sagittal T2 or T1 series was found (series present: {kinds}); the per-level "
            "findings need a sagittal T2 (best) or T1."
        )
    else:
        imaging = imaging_findings(choice, options)
        report.findings = imaging.findings
        report.not_assessed.update(imaging.not_assessed)
        for name, path in imaging.models.items():
            provenance.add_model(path, name)
        if (
            "sagittal T2 segmentation" in imaging.not_assessed
            and "no lumbar spine" in imaging.not_assessed["sagittal T2 segmentation"]
        ):
            report.warnings.append(
                "this study does not look like a lumbar spine MRI: "
                + imaging.not_assessed["sagittal T2 segmentation"]
            )
    if choice.sagittal_stir is None:
        report.not_assessed[STIR_ITEM] = "no sagittal STIR or fat-saturated T2"
    for item in AXIAL_ITEMS:
        report.not_assessed[item] = (
            "needs axial images and an axial segmentation, which this version does not provide"
            if choice.axial_t2 is not None
            else "no axial T2 series in the study"
        )
    if clinical is not None:
        report.impression = reasoning_impression(clinical, report.findings)
    provenance.parameters["seconds"] = {k: round(v, 2) for k, v in imaging.seconds.items()}
    provenance.finish()
    return report, imaging


def reasoning_impression(clinical: Any, findings: list[Finding]) -> Any:
    """Run the clinical reasoning on the pipeline's findings and shape it for the report."""
    from spinepath.model.report import Impression
    from spinepath.reasoning import findings_from_pipeline, reason

    imaging = findings_from_pipeline(findings)
    return Impression.from_reasoning(reason(clinical, imaging))


def analyze_path(
    path: Path, *, clinical: Any | None = None, options: AnalysisOptions | None = None
) -> Report:
    """Read a study from ``path`` and analyse it (the batch and the CLI call this)."""
    from spinepath.io import load_study

    return analyze_study(load_study(path), clinical, options)
