"""IBSI 1 radiomics: image processing and the eleven feature families.

Written from the IBSI reference manual (Zwanenburg et al., "The Image Biomarker
Standardisation Initiative", arXiv:1612.07003; Radiology 2020;295:328-338). Entry point::

    from spinepath.radiomics import extract_features, ibsi_code
    feats = extract_features(image_volume, mask, "ibsi_ct_c")   # {tag: value}
    ibsi_code("cm_contrast_3D_avg")                              # "ACUI/ITBB"

Settings come from YAML (:func:`load_settings`); the IBSI CT phantom configurations A-E and the
digital phantom ship as ``ibsi_ct_a`` ... ``ibsi_ct_e`` and ``digital_phantom``.
"""

from spinepath.radiomics.codes import AGGREGATION_CODES, FAMILY_CODES, FEATURE_CODES, ibsi_code
from spinepath.radiomics.extract import extract_features, extract_from_arrays
from spinepath.radiomics.settings import RadiomicsSettings, load_settings

__all__ = [
    "AGGREGATION_CODES",
    "FAMILY_CODES",
    "FEATURE_CODES",
    "RadiomicsSettings",
    "extract_features",
    "extract_from_arrays",
    "ibsi_code",
    "load_settings",
]
