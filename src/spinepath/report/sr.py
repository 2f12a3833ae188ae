"""DICOM Comprehensive 3D SR: a TID 1500 Measurement Report (highdicom) of the per-level findings.

One measurement group per level (disc level or vertebra) that has findings:

* a TID 1411 volumetric ROI group referencing the level's SEG segment (which references the
  source series) when the SEG holds that level, else a TID 1501 group referencing source images;
* tracking identifier = the level name (``L4-L5``) with a fresh UID; finding type and finding site
  = the level's SNOMED concept (DICOM CID 7603 / 7604);
* measurements in UCUM units (mm, mm2, ...); each grade as a qualitative evaluation (``Pfirrmann
  grade`` = ``Pfirrmann grade 3``) plus the probability of the reported class as a measurement
  (unit ``1``), so the uncertainty travels with the grade;
* algorithm identification (TID 4019): spinepath, its version, and parameters holding the model
  hashes and the digest of the input hashes (provenance).

The document is PRELIMINARY / UNVERIFIED / PARTIAL until the report is signed.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from pydicom.dataset import Dataset

from spinepath.model.findings import Finding
from spinepath.model.report import Report
from spinepath.report import codes as C
from spinepath.report.nomenclature import finding_term

PROBABILITY_PREFIX = "probability of "


def _algorithm(report: Report):
    import highdicom as hd
    from pydicom.sr.codedict import codes

    prov = report.provenance
    params = [f"inputs_sha256={prov.inputs_digest}", f"report_id={report.report_id}"]
    params += [f"model:{k}={v}" for k, v in sorted(prov.models.items())]
    params += [f"{k}={v}" for k, v in sorted(prov.parameters.items())][:20]
    return hd.sr.AlgorithmIdentification(
        name="spinepath",
        version=prov.version,
        parameters=[p[:64] for p in params],
        family=codes.cid7162.ArtificialIntelligence,
        manufacturer="spinepath",
    )


def _device_uid() -> str:
    from pydicom.uid import generate_uid

    return generate_uid(entropy_srcs=["spinepath analysis device"])


def _group_items(findings: list[Finding], algo) -> tuple[list, list]:
    import highdicom as hd

    measurements = []
    evaluations = []
    for f in findings:
        for m in f.measurements:
            measurements.append(
                hd.sr.Measurement(
                    name=C.measurement_concept(m.name).hd(),
                    value=float(m.value),
                    unit=C.unit_concept(m.unit).hd(),
                    algorithm_id=algo,
                )
            )
        if f.grade is not None:
            g = f.grade
            evaluations.append(
                hd.sr.QualitativeEvaluation(
                    name=C.grade_name_concept(g.system).hd(),
                    value=C.grade_value_concept(g.system, g.value).hd(),
                )
            )
            if g.probabilities:
                measurements.append(
                    hd.sr.Measurement(
                        name=C.private(f"{PROBABILITY_PREFIX}{g.system} grade", "p").hd(),
                        value=float(g.confidence),
                        unit=C.unit_concept("probability").hd(),
                        algorithm_id=algo,
                    )
                )
        else:
            evaluations.append(
                hd.sr.QualitativeEvaluation(
                    name=C.private("finding").hd(),
                    value=C.private(finding_term(f)).hd(),
                )
            )
    return measurements, evaluations


def build_sr(
    report: Report,
    *,
    source_images: list[Dataset],
    seg: Dataset | None = None,
    segment_numbers: dict[str, int] | None = None,
    series_number: int = 9002,
) -> Dataset:
    """Build the TID 1500 Comprehensive 3D SR of a report's findings.

    Args:
        report: the report (findings, status, provenance).
        source_images: headers of the source series (evidence; referenced by groups without a
            segment).
        seg: the Segmentation written with the report, or None.
        segment_numbers: level name (``L4-L5``, ``L4``) -> segment number in ``seg``.

    Raises:
        ValueError: when the report has no finding at a named level (nothing to measure).
    """
    import highdicom as hd
    from pydicom.sr.codedict import codes
    from pydicom.uid import generate_uid

    by_level: dict[str, list[Finding]] = defaultdict(list)
    for f in report.findings:
        by_level[f.level].append(f)
    if not by_level:
        raise ValueError("the report has no findings; a measurement report would be empty.")
    algo = _algorithm(report)
    segment_numbers = segment_numbers or {}
    groups = []
    mid = source_images[len(source_images) // 2]
    for level, findings in by_level.items():
        site = C.site_concept(level).hd()
        measurements, evaluations = _group_items(findings, algo)
        tracking = hd.sr.TrackingIdentifier(uid=generate_uid(), identifier=level)
        common = {
            "tracking_identifier": tracking,
            "finding_type": site,
            "finding_sites": [hd.sr.FindingSite(anatomic_location=site)],
            "algorithm_id": algo,
            "measurements": measurements or None,
            "qualitative_evaluations": evaluations or None,
        }
        if seg is not None and level in segment_numbers:
            ref = hd.sr.ReferencedSegment(
                sop_class_uid=seg.SOPClassUID,
                sop_instance_uid=seg.SOPInstanceUID,
                segment_number=segment_numbers[level],
                source_series=hd.sr.SourceSeriesForSegmentation(mid.SeriesInstanceUID),
            )
            groups.append(
                hd.sr.VolumetricROIMeasurementsAndQualitativeEvaluations(
                    referenced_segment=ref, **common
                )
            )
        else:
            groups.append(
                hd.sr.MeasurementsAndQualitativeEvaluations(
                    source_images=[hd.sr.SourceImageForMeasurementGroup.from_source_image(mid)],
                    **common,
                )
            )
    observer = hd.sr.ObserverContext(
        observer_type=codes.DCM.Device,
        observer_identifying_attributes=hd.sr.DeviceObserverIdentifyingAttributes(
            uid=_device_uid(),
            name="spinepath",
            manufacturer_name="spinepath",
            model_name=f"spinepath {report.provenance.version}",
        ),
    )
    procedure = (
        codes.cid100.CTUnspecifiedBodyRegion
        if str(getattr(mid, "Modality", "MR")) == "CT"
        else codes.cid100.MRIUnspecifiedBodyRegion
    )
    content = hd.sr.MeasurementReport(
        observation_context=hd.sr.ObservationContext(observer_device_context=observer),
        procedure_reported=procedure,
        imaging_measurements=groups,
        title=codes.cid7021.ImagingMeasurementReport,
    )
    final = report.status in ("final", "amended")
    evidence = [*source_images, *([seg] if seg is not None else [])]
    sr = hd.sr.Comprehensive3DSR(
        evidence=evidence,
        content=content,
        series_instance_uid=generate_uid(),
        series_number=series_number,
        sop_instance_uid=generate_uid(),
        instance_number=1,
        manufacturer="spinepath",
        is_complete=final,
        is_final=final,
        is_verified=final,
        verifying_observer_name=report.signed_by if final else None,
        verifying_organization="spinepath user" if final else None,
        series_description=f"spinepath measurements ({report.status})",
    )
    sr.SoftwareVersions = report.provenance.version
    _declare_private_scheme(sr)
    return sr


def _declare_private_scheme(ds: Dataset) -> None:
    """Add the private coding scheme to the CodingSchemeIdentificationSequence (PS3.3 C.12.1)."""
    item = Dataset()
    item.CodingSchemeDesignator = C.PRIVATE_SCHEME
    item.CodingSchemeName = C.PRIVATE_SCHEME_NAME
    item.CodingSchemeResponsibleOrganization = "spinepath project"
    seq = list(getattr(ds, "CodingSchemeIdentificationSequence", []))
    if not any(getattr(i, "CodingSchemeDesignator", "") == C.PRIVATE_SCHEME for i in seq):
        seq.append(item)
    ds.CodingSchemeIdentificationSequence = seq


def write_sr(sr: Dataset, path: Path) -> Path:
    """Save an SR dataset as a DICOM file."""
    sr.save_as(path, enforce_file_format=True)
    return path


@dataclass
class LevelGroup:
    """What an SR measurement group holds, decoded (for round trips and downstream readers)."""

    level: str
    measurements: list[tuple[str, float, str]] = field(default_factory=list)  # name, value, unit
    evaluations: list[tuple[str, str]] = field(default_factory=list)  # name, value meaning
    segment_number: int | None = None
    finding_site: str | None = None


def read_sr(path: Path) -> tuple[Dataset, list[LevelGroup]]:
    """Read an SR written by :func:`build_sr` back through highdicom.

    Returns:
        The SR dataset and one :class:`LevelGroup` per measurement group.
    """
    import highdicom as hd

    sr = hd.sr.srread(path)
    report = hd.sr.MeasurementReport.from_sequence([sr])
    out: list[LevelGroup] = []
    groups = [
        *report.get_volumetric_roi_measurement_groups(),
        *report.get_image_measurement_groups(),
    ]
    for g in groups:
        level = str(g.tracking_identifier)
        item = LevelGroup(level=level)
        for m in g.get_measurements():
            item.measurements.append((m.name.meaning, float(m.value), m.unit.value))
        for q in g.get_qualitative_evaluations():
            item.evaluations.append((q.name.meaning, q.value.meaning))
        seg_ref = getattr(g, "referenced_segment", None)
        if seg_ref is not None:
            item.segment_number = int(seg_ref.referenced_segment_numbers[0])
        if g.finding_sites:
            item.finding_site = g.finding_sites[0].value.meaning
        out.append(item)
    return sr, out
