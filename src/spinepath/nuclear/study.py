"""Molecular imaging on an ingested study: pick the PET or SPECT series and its CT, then
:func:`spinepath.nuclear.analysis.analyze_uptake`."""

from __future__ import annotations

from typing import Any

import pydicom

from spinepath.errors import InputError
from spinepath.model.study import Series, SeriesKind, Study
from spinepath.model.volume import Volume
from spinepath.nuclear.analysis import analyze_uptake


def _largest(series: list[Series]) -> Series | None:
    with_image = [s for s in series if s.volume is not None]
    return max(with_image, key=lambda s: s.n_instances, default=None)


def emission_and_ct(study: Study) -> tuple[Series, Series]:
    """The emission series (PET preferred over NM) and the CT of a hybrid study.

    Raises:
        InputError: naming what is missing and what the study holds.
    """
    emission = _largest(study.find(kind=SeriesKind.PET)) or _largest(study.find(kind=SeriesKind.NM))
    ct = _largest(study.find(kind=SeriesKind.CT))
    held = ", ".join(f"{s.modality} {s.description!r}" for s in study.series) or "no series"
    if emission is None:
        raise InputError(f"no PET (PT) or SPECT (NM) image series in the study ({held}).")
    if ct is None:
        raise InputError(
            f"no CT series in the study ({held}); uptake per level needs the hybrid CT."
        )
    return emission, ct


def analyze_nuclear_study(
    study: Study,
    *,
    labels: Volume | None = None,
    convention: str = "totalseg",
    reference_level: str | None = None,
    patient_weight_kg: float | None = None,
) -> dict[str, Any]:
    """Uptake per vertebra, per disc level and around hardware for a PET/CT or SPECT/CT study."""
    emission, ct = emission_and_ct(study)
    assert emission.volume is not None and ct.volume is not None
    modality = "PT" if emission.kind == SeriesKind.PET else "NM"
    dataset = None
    if modality == "PT":
        if not emission.files:
            raise InputError("the PET series has no source DICOM file for its SUV tags.")
        dataset = pydicom.dcmread(emission.files[0], stop_before_pixels=True)
    result = analyze_uptake(
        emission.volume,
        ct.volume,
        modality=modality,
        pet_dataset=dataset,
        patient_weight_kg=patient_weight_kg,
        labels=labels,
        convention=convention,
        reference_level=reference_level,
    )
    result["series"] = {"emission": emission.description, "ct": ct.description}
    return result
