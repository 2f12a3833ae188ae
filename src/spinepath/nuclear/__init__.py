"""Molecular imaging of the spine: PET SUVbw from DICOM tags, SPECT normalisation, uptake per
vertebra / disc level from CT labels, and uptake around metallic hardware. See
docs/design/evidence.md (molecular imaging section)."""

from spinepath.nuclear.analysis import analyze_uptake, uptake_findings
from spinepath.nuclear.hardware import METAL_THRESHOLD_HU, find_hardware
from spinepath.nuclear.resample import resample_to
from spinepath.nuclear.spect import normalise_to_reference
from spinepath.nuclear.suv import SUVParameters, pet_to_suv, suv_image

__all__ = [
    "METAL_THRESHOLD_HU",
    "SUVParameters",
    "analyze_uptake",
    "find_hardware",
    "normalise_to_reference",
    "pet_to_suv",
    "resample_to",
    "suv_image",
    "uptake_findings",
]
