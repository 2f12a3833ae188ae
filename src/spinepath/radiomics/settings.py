"""Extraction settings (IBSI 1 image processing parameters), read from YAML.

Every parameter is named after the IBSI reference manual (Zwanenburg et al., arXiv:1612.07003,
chapter 2 "Image processing"). Lengths are in millimetres, intensities in the image's own units
(Hounsfield units for CT).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from spinepath.errors import InputError

Interpolation = Literal["none", "linear", "cubic_spline", "nearest"]
Discretisation = Literal["none", "fixed_bin_number", "fixed_bin_size"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class InterpolationSettings(_Strict):
    """Grid-aligned interpolation (IBSI 2.4, "align grid centres").

    ``spacing_mm``: new voxel size per array axis (i, j, k) in mm; ``None`` for an axis keeps it
    (this is how 2D in-plane interpolation is expressed: ``[2, 2, null]``). ``image_method``:
    ``linear`` (tri/bilinear) or ``cubic_spline``; ``mask_method``: interpolation of the ROI mask
    before it is thresholded at ``mask_threshold`` (partial volume fraction, IBSI uses 0.5).
    ``round_intensities``: round interpolated intensities to the nearest integer (IBSI CT configs).
    """

    spacing_mm: tuple[float | None, float | None, float | None] | None = None
    image_method: Interpolation = "none"
    mask_method: Interpolation = "linear"
    mask_threshold: float = Field(0.5, gt=0.0, le=1.0)
    round_intensities: bool = False

    @property
    def enabled(self) -> bool:
        """True when the image is resampled."""
        return self.spacing_mm is not None and self.image_method != "none"


class ResegmentationSettings(_Strict):
    """Re-segmentation of the intensity mask (IBSI 2.5): range and/or outlier filtering.

    ``range``: keep voxels with ``lower <= intensity <= upper`` (either bound may be null for an
    open interval). ``outlier_sigma``: keep voxels within mean +/- ``outlier_sigma`` standard
    deviations of the ROI intensities (IBSI uses 3); applied after the range filter.
    """

    range: tuple[float | None, float | None] | None = None
    outlier_sigma: float | None = Field(None, gt=0.0)


class DiscretisationSettings(_Strict):
    """Intensity discretisation (IBSI 2.7).

    ``fixed_bin_number``: ``bin_number`` bins between the ROI minimum and maximum.
    ``fixed_bin_size``: bins of width ``bin_width`` (image units) starting at ``lower_bound``
    (defaults to the lower re-segmentation bound, else the ROI minimum). ``none``: the
    intensities are used as grey levels as they are (they must be positive integers).
    """

    method: Discretisation = "fixed_bin_number"
    bin_number: int | None = Field(32, gt=0)
    bin_width: float | None = Field(None, gt=0.0)
    lower_bound: float | None = None

    @model_validator(mode="after")
    def _check(self) -> DiscretisationSettings:
        if self.method == "fixed_bin_number" and not self.bin_number:
            raise ValueError("fixed_bin_number needs bin_number (e.g. 32)")
        if self.method == "fixed_bin_size" and not self.bin_width:
            raise ValueError("fixed_bin_size needs bin_width in image units (e.g. 25 for HU)")
        return self


class TextureSettings(_Strict):
    """Texture matrix parameters (IBSI 3.6-3.11).

    ``aggregation``: which of the IBSI aggregation methods to compute: ``2D`` (by slice,
    averaged / slice-merged), ``2.5D`` (merged over slices) and ``3D`` (volume).
    Slices are planes of constant index along ``slice_axis`` of the image array.
    """

    aggregation: tuple[Literal["2D", "2.5D", "3D"], ...] = ("3D",)
    slice_axis: int = Field(2, ge=0, le=2)
    glcm_distance: int = Field(1, ge=1)
    ngtdm_distance: int = Field(1, ge=1)
    ngldm_distance: int = Field(1, ge=1)
    ngldm_coarseness: int = Field(0, ge=0)
    gldzm_distance_mask: Literal["morphological", "intensity"] = "morphological"


class RadiomicsSettings(_Strict):
    """All parameters of one extraction (one IBSI "configuration")."""

    name: str = "default"
    description: str = ""
    interpolation: InterpolationSettings = InterpolationSettings()
    resegmentation: ResegmentationSettings = ResegmentationSettings()
    discretisation: DiscretisationSettings = DiscretisationSettings()
    ivh_discretisation: DiscretisationSettings = DiscretisationSettings(
        method="fixed_bin_number", bin_number=1000
    )
    """IVH intensities; ``none`` uses the raw intensities in steps of 1 (integer data, CT)."""
    texture: TextureSettings = TextureSettings()
    families: tuple[str, ...] = (
        "morph",
        "loc",
        "stat",
        "ih",
        "ivh",
        "cm",
        "rlm",
        "szm",
        "dzm",
        "ngt",
        "ngl",
    )
    round_input: bool = False
    """Round the input intensities to the nearest integer before anything else (IBSI CT)."""


CONFIG_DIR = Path(__file__).with_name("configs")


def load_settings(path: str | Path) -> RadiomicsSettings:
    """Read settings from a YAML file, or a shipped configuration name such as ``ibsi_ct_a``."""
    p = Path(path)
    if not p.exists() and not p.suffix:
        p = CONFIG_DIR / f"{path}.yaml"
    if not p.is_file():
        shipped = sorted(f.stem for f in CONFIG_DIR.glob("*.yaml"))
        raise InputError(
            f"radiomics settings file not found: {path}; give a YAML path or one of {shipped}"
        )
    try:
        data = yaml.safe_load(p.read_text()) or {}
        return RadiomicsSettings.model_validate(data)
    except (yaml.YAMLError, ValueError) as exc:
        raise InputError(f"invalid radiomics settings in {p}: {exc}") from exc
