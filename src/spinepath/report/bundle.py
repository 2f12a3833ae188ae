"""``write_report_bundle``: every output of one analysed study, in one folder.

Order: provenance and study description are completed, key images rendered, DICOM SEG and SR
built (when the source series is DICOM), then report.json (schema-validated), report.html,
report.pdf and fhir.json are written from the same :class:`Report` object, so they agree. An
output that cannot be produced is recorded in ``report.warnings`` with the reason (for example a
NIfTI study has no DICOM images for a SEG to reference), never silently skipped.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from spinepath.errors import InputError
from spinepath.model.report import DicomOutputs, KeyImage, Report, sha256_file
from spinepath.model.study import Plane, Series, Study
from spinepath.model.volume import Volume
from spinepath.report import provenance as P

ALL_OUTPUTS: tuple[str, ...] = ("json", "html", "pdf", "seg", "sr", "fhir")
FILE_NAMES = {
    "json": "report.json",
    "html": "report.html",
    "pdf": "report.pdf",
    "seg": "seg.dcm",
    "sr": "sr.dcm",
    "fhir": "fhir.json",
}
MAX_AXIAL_IMAGES = 5


def _graded_discs(report: Report) -> list[str]:
    from spinepath.model.levels import DISC_LEVELS

    levels = {f.level for f in report.findings}
    return [lv for lv in DISC_LEVELS if lv in levels][:MAX_AXIAL_IMAGES]


def render_key_images(
    report: Report, study: Study, label_map: Volume | None, out_dir: Path
) -> list[KeyImage]:
    """Render the key images into ``out_dir/images`` and return their descriptions."""
    from spinepath.report import images as I

    img_dir = out_dir / "images"
    img_dir.mkdir(parents=True, exist_ok=True)
    roles = P.series_roles(study)
    rendered: list[I.RenderedImage] = []
    for role, title in (("sagittal_t2", "T2"), ("sagittal_t1", "T1")):
        s = roles.get(role)
        if s is not None and s.volume is not None:
            rendered.append(
                I.render_sagittal(s.volume, label_map=label_map, findings=report.findings,
                                  title=f"sagittal {title}", series_uid=s.uid, name=role)
            )
    if not rendered:  # no T2/T1: the first sagittal image series, so the reader sees something
        other = [x for x in study.find(plane=Plane.SAGITTAL) if x.volume is not None]
        if other:
            s = other[0]
            rendered.append(
                I.render_sagittal(s.volume, label_map=label_map, findings=report.findings,
                                  title=f"sagittal {s.kind.value}", series_uid=s.uid,
                                  name="sagittal_other")
            )
    if label_map is not None:
        centroids = I.level_centroids(label_map)
        axial: Series | None = roles.get("axial_t2")
        source = axial or roles.get("sagittal_t2")
        for level in _graded_discs(report):
            if level not in centroids or source is None or source.volume is None:
                continue
            img = I.render_axial(
                source.volume, level, centroids[level], label_map=label_map,
                findings=report.findings, title="T2", series_uid=source.uid,
                reformatted=axial is None, name=f"axial_{level}",
            )
            if img is None:
                report.warnings.append(
                    f"no axial image at {level}: the axial series does not cover that level"
                )
                continue
            rendered.append(img)
    out: list[KeyImage] = []
    for r in rendered:
        path = img_dir / f"{r.name}.png"
        path.write_bytes(r.png)
        out.append(
            KeyImage(file=f"images/{path.name}", caption=r.caption, kind=r.kind,  # type: ignore[arg-type]
                     series_uid=r.series_uid, slice_index=r.slice_index, levels=r.levels,
                     reformatted=r.reformatted, sha256=sha256_file(path))
        )
    return out


def _segment_numbers(specs: list) -> dict[str, int]:
    """Level name -> segment number: discs, vertebrae (body, else whole vertebra), S1 (sacrum)."""
    out: dict[str, int] = {}
    for n, s in enumerate(specs, start=1):
        if s.level is None or s.structure == "posterior":
            continue
        out.setdefault(s.level, n)
    return out


def write_dicom_outputs(
    report: Report,
    study: Study,
    label_map: Volume | None,
    out_dir: Path,
    *,
    semantic_map: Volume | None = None,
    outputs: tuple[str, ...] = ALL_OUTPUTS,
) -> dict[str, Path]:
    """Write seg.dcm and sr.dcm for the sagittal T2 series; reasons go to ``report.warnings``."""
    from spinepath.report.seg import build_segmentation, write_segmentation
    from spinepath.report.sources import read_source_frames
    from spinepath.report.sr import build_sr, write_sr

    written: dict[str, Path] = {}
    source = P.series_roles(study).get("sagittal_t2")
    if source is None:
        for k in ("seg", "sr"):
            if k in outputs:
                report.warnings.append(f"{FILE_NAMES[k]} not written: no sagittal T2 series to "
                                       "reference")
        return written
    try:
        frames = read_source_frames(source)
    except InputError as exc:
        for k in ("seg", "sr"):
            if k in outputs:
                report.warnings.append(f"{FILE_NAMES[k]} not written: {exc}")
        return written
    seg = None
    numbers: dict[str, int] = {}
    report.dicom = DicomOutputs(source_series_uid=source.uid)
    if "seg" in outputs:
        if label_map is None:
            report.warnings.append("seg.dcm not written: no label map was given")
        else:
            try:
                seg, specs = build_segmentation(frames, label_map, provenance=report.provenance,
                                                semantic_map=semantic_map)
            except ValueError as exc:
                report.warnings.append(f"seg.dcm not written: {exc}")
            else:
                written["seg"] = write_segmentation(seg, out_dir / FILE_NAMES["seg"])
                numbers = _segment_numbers(specs)
                report.dicom.seg_sop_instance_uid = str(seg.SOPInstanceUID)
                report.dicom.seg_series_instance_uid = str(seg.SeriesInstanceUID)
                report.dicom.segments = {s.label: n for n, s in enumerate(specs, start=1)}
    if "sr" in outputs:
        if not report.findings:
            report.warnings.append("sr.dcm not written: the report has no findings to measure")
        else:
            sr = build_sr(report, source_images=frames.datasets, seg=seg, segment_numbers=numbers)
            written["sr"] = write_sr(sr, out_dir / FILE_NAMES["sr"])
            report.dicom.sr_sop_instance_uid = str(sr.SOPInstanceUID)
            report.dicom.sr_series_instance_uid = str(sr.SeriesInstanceUID)
    return written


def write_report_bundle(
    report: Report,
    out_dir: Path,
    *,
    study: Study,
    label_map: Volume | None = None,
    semantic_map: Volume | None = None,
    outputs: tuple[str, ...] = ALL_OUTPUTS,
    hash_inputs: bool = True,
) -> dict[str, Path]:
    """Write every output of one analysed study into ``out_dir``.

    Args:
        report: the analysis result (findings, impression, provenance); completed in place with
            the study description, key images, what could not be assessed, DICOM UIDs, times.
        out_dir: output folder (created).
        study: the study the report is about (its series volumes and DICOM files).
        label_map: level map (VerSe ids, discs 100 + id, canal 61) in RAS mm, or None.
        semantic_map: semantic labels (1 body, 2 posterior elements, ...), or None.
        outputs: which of :data:`ALL_OUTPUTS` to write.
        hash_inputs: hash the study's files into the provenance when not yet recorded.

    Returns:
        Output name (``json``, ``html``, ``pdf``, ``seg``, ``sr``, ``fhir``, ``images``) -> path.
    """
    unknown = set(outputs) - set(ALL_OUTPUTS)
    if unknown:
        raise InputError(f"unknown output(s) {sorted(unknown)}; choose from {ALL_OUTPUTS}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    if report.study is None:
        report.study = P.study_info(study)
    if not report.series_used:
        report.series_used = [s.uid for s in P.series_roles(study).values()]
    if not report.patient_id:
        report.patient_id = study.patient_id
    for item, why in P.scope_problems(study, label_map).items():
        report.not_assessed.setdefault(item, why)
    for w in study.warnings:
        if w not in report.warnings:
            report.warnings.append(w)
    if hash_inputs:
        used = [s for s in study.series if s.uid in set(report.series_used)]
        P.record_inputs(report.provenance, study, series=used or None)
    if study.series:
        report.key_images = render_key_images(report, study, label_map, out_dir)
        written["images"] = out_dir / "images"
    if {"seg", "sr"} & set(outputs):
        written.update(write_dicom_outputs(report, study, label_map, out_dir,
                                           semantic_map=semantic_map, outputs=outputs))
    report.provenance.rendered_at = datetime.now(UTC).isoformat()
    written.update(write_documents(report, out_dir, outputs=outputs, image_dir=out_dir))
    return written


def write_documents(
    report: Report, out_dir: Path, *, outputs: tuple[str, ...] = ALL_OUTPUTS,
    image_dir: Path | None = None,
) -> dict[str, Path]:
    """Write report.json, report.html, report.pdf and fhir.json from a report (no study needed).

    ``image_dir`` is where the key images' relative paths point (the folder of report.json).
    """
    from spinepath.report.fhir import write_fhir
    from spinepath.report.html import render_html, write_pdf
    from spinepath.report.schema import write_report_json

    out_dir.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    if "json" in outputs:
        written["json"] = write_report_json(report, out_dir / FILE_NAMES["json"])
    if {"html", "pdf"} & set(outputs):
        page = render_html(report, image_dir=image_dir)
        if "html" in outputs:
            path = out_dir / FILE_NAMES["html"]
            path.write_text(page, encoding="utf-8")
            written["html"] = path
        if "pdf" in outputs:
            written["pdf"] = write_pdf(page, out_dir / FILE_NAMES["pdf"])
    if "fhir" in outputs:
        written["fhir"] = write_fhir(report, out_dir / FILE_NAMES["fhir"])
    return written
