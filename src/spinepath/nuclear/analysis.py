"""Molecular imaging of the spine end to end: PET (SUVbw) or SPECT (ratio to a reference) on the
CT grid, uptake per vertebra and per disc level, and uptake around metallic hardware.

Coordinate frames: every volume carries its RAS affine (spinepath.model.volume); the CT is brought
to canonical RAS, the emission image and any imported label map are resampled onto that grid
through the affines (PET/SPECT and CT of one hybrid acquisition share the scanner frame; no
registration is done).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

import numpy as np
from scipy import ndimage

from spinepath import __version__
from spinepath.errors import InputError
from spinepath.model.findings import Finding, Measurement
from spinepath.model.levels import VERTEBRAE
from spinepath.model.volume import Volume
from spinepath.nuclear.hardware import METAL_THRESHOLD_HU, find_hardware, shell_around
from spinepath.nuclear.levels import (
    BONE_THRESHOLD_HU,
    bone_segments,
    disc_level_regions,
    level_names,
)
from spinepath.nuclear.resample import resample_to
from spinepath.nuclear.spect import normalise_to_reference
from spinepath.nuclear.suv import pet_to_suv
from spinepath.nuclear.uptake import (
    RegionUptake,
    labelled_uptake,
    median_background,
    region_uptake,
    with_tbr,
)

Modality = Literal["PT", "NM"]

HARDWARE_CAVEAT = (
    "Uptake next to metal on CT-attenuation-corrected PET/SPECT can be overestimated by "
    "attenuation-correction artefacts; review the non-attenuation-corrected images."
)


def analyze_uptake(
    emission: Volume,
    ct: Volume,
    *,
    modality: Modality = "PT",
    pet_dataset: Any = None,
    patient_weight_kg: float | None = None,
    labels: Volume | None = None,
    convention: str | dict[int, str] = "totalseg",
    reference_level: str | None = None,
    lowest_level: str | None = None,
    shell_mm: float = 5.0,
    metal_threshold_hu: float = METAL_THRESHOLD_HU,
    bone_threshold_hu: float = BONE_THRESHOLD_HU,
) -> dict[str, Any]:
    """Uptake per vertebra, per disc level and around hardware.

    Args:
        emission: PET in Bq/mL (``modality="PT"``) or SPECT counts (``"NM"``).
        ct: the CT of the hybrid study, HU.
        pet_dataset: a pydicom Dataset of the PET series (SUV tags); required for PT.
        patient_weight_kg: overrides PatientWeight.
        labels: vertebra label map (any grid; nearest-neighbour resampled to the CT). Without
            it the CT bone threshold fallback of :func:`spinepath.nuclear.levels.bone_segments`
            is used.
        convention: label convention of ``labels`` ("totalseg", "verse" or a value->name dict).
        reference_level: SPECT: the vertebra whose mean counts define ratio 1 (default: all
            labelled bone). PET and SPECT: the background for TBR (default: median of the
            vertebrae's means).
        lowest_level: name of the caudal-most bone segment in the threshold fallback.
        shell_mm: thickness of the shell around metal, mm.
        metal_threshold_hu, bone_threshold_hu: CT thresholds (see hardware.py / levels.py).

    Returns:
        JSON-ready dict: ``vertebrae``, ``disc_levels``, ``hardware`` (components and regions),
        ``units``, ``background``, ``suv_parameters`` (PT), ``notes`` and ``provenance``.
    """
    notes: list[str] = []
    ct_c = ct.to_canonical()
    suv_params: dict[str, Any] | None = None
    if modality == "PT":
        if pet_dataset is None:
            raise InputError("PET needs its DICOM dataset (pet_dataset) for the SUV tags")
        image, params = pet_to_suv(emission, pet_dataset, patient_weight_kg=patient_weight_kg)
        units = "SUVbw (g/mL)"
        suv_params = {
            "injected_dose_bq": params.injected_dose_bq,
            "half_life_s": params.half_life_s,
            "injection_time": params.injection_time.isoformat(),
            "reference_time": params.reference_time.isoformat(),
            "decay_correction": params.decay_correction,
            "patient_weight_kg": params.patient_weight_kg,
            "decayed_dose_bq": params.decayed_dose_bq(),
            "suv_factor_ml_per_bq_times_g_per_ml": params.suv_factor(),
        }
        notes.extend(params.notes)
    elif modality == "NM":
        image, units = emission, "counts"
    else:
        raise InputError(f"modality must be PT or NM, got {modality!r}")
    on_ct = resample_to(image, ct_c, order=1)

    if labels is not None:
        lab = resample_to(labels, ct_c, order=0).array.astype(np.int32)
        names = level_names(lab, convention)
        if not names:
            raise InputError(
                f"no label value of the label map is a vertebra under convention {convention!r}"
            )
        kind = "vertebra"
        label_source = "imported label map"
    else:
        lab, names = bone_segments(ct_c, threshold_hu=bone_threshold_hu, lowest=lowest_level)
        kind = "bone_segment" if lowest_level is None else "vertebra"
        label_source = f"CT bone threshold {bone_threshold_hu} HU (no label map)"
        notes.append("levels from a CT bone threshold: boundaries are approximate")
    names = dict(sorted(names.items(), key=lambda kv: _order(kv[1])))

    if modality == "NM":
        by_name = {n: v for v, n in names.items()}
        if reference_level is not None and reference_level not in by_name:
            raise InputError(f"reference level {reference_level!r} not in {list(by_name)}")
        ref_mask = lab == by_name[reference_level] if reference_level else np.isin(lab, list(names))
        on_ct, ref_mean = normalise_to_reference(on_ct, ref_mask)
        units = f"ratio to mean counts of {reference_level or 'all labelled bone'}"
        notes.append(f"SPECT reference mean {ref_mean:.4g} counts/voxel")

    vertebrae = labelled_uptake(on_ct, lab, names, kind)
    if reference_level is not None:
        ref = next((r for r in vertebrae if r.name == reference_level), None)
        if ref is None:
            raise InputError(f"reference level {reference_level!r} not found")
        background, bg_source = ref.mean, f"mean of {reference_level}"
    else:
        background, bg_source = median_background(vertebrae), "median of vertebral means"
    vertebrae = with_tbr(vertebrae, background)

    discs: list[RegionUptake] = []
    if kind == "vertebra":
        for name, region in disc_level_regions(lab, names, ct_c.spacing).items():
            discs.append(region_uptake(on_ct, region, name, "disc_level", background))

    hw_labels, components = find_hardware(ct_c, threshold_hu=metal_threshold_hu)
    hw_regions: list[RegionUptake] = []
    hw_info = [c.as_dict() for c in components]
    if components:
        to_spine = ndimage.distance_transform_edt(~np.isin(lab, list(names)), sampling=ct_c.spacing)
        for info, comp in zip(hw_info, components, strict=True):
            d = float(to_spine[hw_labels == comp.label].min())
            info["distance_to_labelled_bone_mm"] = d
            info["spinal"] = d <= 10.0
    for comp in components:
        metal = hw_labels == comp.label
        shell = shell_around(metal, ct_c.spacing, outer_mm=shell_mm) & (hw_labels == 0)
        if not shell.any():
            continue
        hw_regions.append(
            region_uptake(
                on_ct, shell, f"hardware {comp.label} ({comp.kind})", "hardware_shell", background
            )
        )
        for value, name in names.items():
            part = shell & (lab == value)
            if part.sum() >= 3:
                hw_regions.append(
                    region_uptake(
                        on_ct, part, f"hardware {comp.label} @ {name}", "hardware_level", background
                    )
                )
    if components:
        notes.append(HARDWARE_CAVEAT)

    return {
        "modality": modality,
        "units": units,
        "label_source": label_source,
        "background": {"value": background, "source": bg_source},
        "vertebrae": [r.as_dict() for r in vertebrae],
        "disc_levels": [r.as_dict() for r in discs],
        "hardware": {
            "threshold_hu": metal_threshold_hu,
            "shell_mm": shell_mm,
            "components": hw_info,
            "regions": [r.as_dict() for r in hw_regions],
        },
        "suv_parameters": suv_params,
        "notes": notes,
        "provenance": {
            "software": f"spinepath {__version__}",
            "time": datetime.now(UTC).isoformat(timespec="seconds"),
            "ct_grid_spacing_mm": list(ct_c.spacing),
            "emission_spacing_mm": list(emission.spacing),
        },
    }


def _order(name: str) -> tuple[int, str]:
    return (VERTEBRAE.index(name), name) if name in VERTEBRAE else (len(VERTEBRAE), name)


def uptake_findings(result: dict[str, Any]) -> list[Finding]:
    """Findings for the reasoning layer: one per vertebra / disc level / hardware-at-level
    region, with SUVmax, SUVmean and TBR measurements (units as in ``result['units']``)."""
    unit = "g/mL" if result["modality"] == "PT" else "ratio"
    method = f"spinepath.nuclear ({result['label_source']})"
    findings: list[Finding] = []
    rows = (
        result["vertebrae"]
        + result["disc_levels"]
        + [r for r in result["hardware"]["regions"] if r["kind"] == "hardware_level"]
    )
    for r in rows:
        if r["kind"] == "hardware_level":
            level, kind = r["name"].rsplit("@ ", 1)[1], "peri_hardware_uptake"
            structure = "vertebral_body"
        elif r["kind"] == "disc_level":
            level, kind, structure = r["name"], "tracer_uptake", "disc"
        else:
            level, kind, structure = r["name"], "tracer_uptake", "vertebral_body"
        if level not in VERTEBRAE and "-" not in level:
            continue  # unnamed bone segments cannot be placed at a level
        m = [
            Measurement(
                name="suv_max" if unit == "g/mL" else "uptake_max",
                value=r["suv_max"],
                unit=unit,
                level=level,
                method=method,
            ),
            Measurement(
                name="suv_mean" if unit == "g/mL" else "uptake_mean",
                value=r["suv_mean"],
                unit=unit,
                level=level,
                method=method,
            ),
        ]
        if r["tbr"] is not None:
            m.append(
                Measurement(
                    name="target_to_background",
                    value=r["tbr"],
                    unit="ratio",
                    level=level,
                    method=method,
                )
            )
        findings.append(
            Finding(
                level=level,
                structure=structure,
                kind=kind,
                measurements=m,
                description=r["name"],
                source="nuclear",
            )
        )
    return findings
