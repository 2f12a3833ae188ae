"""``extract_features``: one ROI in, IBSI 1 features out."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from spinepath.errors import InputError
from spinepath.model.volume import Volume
from spinepath.radiomics.morphology import local_intensity_features, morphology_features
from spinepath.radiomics.preprocess import RoiData, discretise, preprocess
from spinepath.radiomics.settings import RadiomicsSettings, load_settings
from spinepath.radiomics.statistics import (
    intensity_histogram,
    intensity_statistics,
    intensity_volume_histogram,
)
from spinepath.radiomics.texture.glcm import glcm
from spinepath.radiomics.texture.glrlm import glrlm
from spinepath.radiomics.texture.neighbourhood import neighbourhood_features
from spinepath.radiomics.texture.zones import size_and_distance_zones


def _ivh(roi: RoiData, settings: RadiomicsSettings) -> dict[str, float]:
    ivh = settings.ivh_discretisation
    lo, hi = roi.range_
    x = roi.values
    if ivh.method == "fixed_bin_number":
        d = discretise(roi.image, roi.int_mask, ivh, roi.range_)
        return intensity_volume_histogram(d.levels[roi.int_mask], 1.0, 1.0, float(d.n_levels))
    if ivh.method == "fixed_bin_size":
        d = discretise(roi.image, roi.int_mask, ivh, roi.range_)
        w, b0 = float(d.bin_width), float(d.bin_lower)  # type: ignore[arg-type]
        centres = b0 + (d.levels[roi.int_mask] - 0.5) * w
        i_min = b0 + 0.5 * w
        top = hi if hi is not None else float(x.max())
        i_max = b0 + (np.floor((top - b0) / w + 1e-9) + 0.5) * w
        return intensity_volume_histogram(centres, w, i_min, float(i_max))
    i_min = float(lo) if lo is not None else float(x.min())
    i_max = float(hi) if hi is not None else float(x.max())
    return intensity_volume_histogram(x, 1.0, i_min, i_max)


def extract_from_arrays(
    image: np.ndarray,
    mask: np.ndarray,
    spacing: tuple[float, float, float],
    settings: RadiomicsSettings,
) -> dict[str, float]:
    """Features from a plain image array, ROI mask and voxel spacing (mm per array axis)."""
    roi = preprocess(image, mask, spacing, settings)
    fam = set(settings.families)
    out: dict[str, float] = {}
    if "morph" in fam:
        out.update(morphology_features(roi))
    if "loc" in fam:
        out.update(local_intensity_features(roi))
    if "stat" in fam:
        out.update(intensity_statistics(roi.values))
    if "ivh" in fam:
        out.update(_ivh(roi, settings))
    texture = {"cm", "rlm", "szm", "dzm", "ngt", "ngl"} & fam
    if "ih" in fam or texture:
        disc = discretise(roi.image, roi.int_mask, settings.discretisation, roi.range_)
        if "ih" in fam:
            out.update(intensity_histogram(disc, roi.int_mask))
        if texture:
            out.update(_texture(roi, disc.levels, disc.n_levels, settings, texture))
    return out


def _texture(roi: RoiData, levels: np.ndarray, ng: int, settings: RadiomicsSettings, fam) -> dict:
    t = settings.texture
    idx = np.argwhere(roi.morph_mask | roi.int_mask)
    sl = tuple(slice(a, b + 1) for a, b in zip(idx.min(0), idx.max(0), strict=True))
    q = np.moveaxis(levels[sl], t.slice_axis, 2)
    dmask_src = roi.morph_mask if t.gldzm_distance_mask == "morphological" else roi.int_mask
    dmask = np.moveaxis(dmask_src[sl], t.slice_axis, 2)
    agg = t.aggregation
    out: dict[str, float] = {}
    if "cm" in fam:
        out.update(glcm(q, ng, agg, t.glcm_distance))
    if "rlm" in fam:
        out.update(glrlm(q, ng, agg))
    if {"szm", "dzm"} & fam:
        out.update(size_and_distance_zones(q, ng, agg, dmask, tuple({"szm", "dzm"} & fam)))
    if {"ngt", "ngl"} & fam:
        out.update(
            neighbourhood_features(
                q,
                ng,
                agg,
                t.ngtdm_distance,
                t.ngldm_distance,
                t.ngldm_coarseness,
                tuple({"ngt", "ngl"} & fam),
            )
        )
    return out


def extract_features(
    image: Volume,
    mask: Volume | np.ndarray,
    settings: RadiomicsSettings | str | Path | None = None,
) -> dict[str, float]:
    """IBSI 1 features of the ROI ``mask`` in ``image``.

    Args:
        image: the image; intensities in its own units (HU for CT), geometry from its affine.
        mask: ROI on the same grid (non-zero = inside), as a Volume or an array of the same shape.
        settings: a :class:`RadiomicsSettings`, a YAML path, a shipped configuration name
            (``"ibsi_ct_a"`` ... ``"ibsi_ct_e"``, ``"default_mr"``), or None for the defaults.

    Returns:
        ``{tag: value}``; tags follow the IBSI manual (``morph_volume``, ``cm_contrast_3D_avg``),
        their permanent IBSI codes are given by :func:`spinepath.radiomics.ibsi_code`.
        Units: mm, mm^2, mm^3 for morphology, the image's intensity units for statistics.
    """
    if settings is None:
        settings = RadiomicsSettings()
    elif not isinstance(settings, RadiomicsSettings):
        settings = load_settings(settings)
    m = mask.array if isinstance(mask, Volume) else np.asarray(mask)
    if m.shape != image.shape:
        raise InputError(
            f"mask shape {m.shape} differs from image shape {image.shape}; resample the mask "
            "onto the image grid first"
        )
    return extract_from_arrays(image.array, m, image.spacing, settings)
