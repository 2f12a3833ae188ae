"""IBSI 1 image processing: cropping, grid-aligned interpolation, re-segmentation, discretisation.

Follows chapter 2 of the IBSI reference manual (Zwanenburg et al., arXiv:1612.07003): the image
and the ROI mask are interpolated onto a grid whose centre coincides with the original grid's
centre ("align grid centres"), the mask is thresholded at a partial-volume fraction, the
intensity mask is re-segmented by range and/or outliers, and intensities are discretised with a
fixed bin number or a fixed bin size.

All arrays are indexed ``[i, j, k]`` like :class:`spinepath.model.Volume`; spacings are in mm.
Work is done on a crop around the ROI bounding box so the cost follows the ROI, not the image.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from spinepath.errors import AnalysisError
from spinepath.radiomics.settings import (
    DiscretisationSettings,
    InterpolationSettings,
    RadiomicsSettings,
    ResegmentationSettings,
)

LOCAL_PEAK_RADIUS_MM = (3.0 * 1000.0 / (4.0 * np.pi)) ** (1.0 / 3.0)
"""Radius (mm) of the 1 cm^3 sphere used by the local intensity features (IBSI 3.2)."""


@dataclass
class RoiData:
    """The processed image and masks, cropped around the ROI.

    Attributes:
        image: intensities (image units) on the processed grid, float64.
        valid: True where ``image`` lies inside the (interpolated) image grid; the crop margin
            may reach past the image border.
        morph_mask: ROI morphological mask (after interpolation, before re-segmentation).
        int_mask: ROI intensity mask (after re-segmentation).
        spacing: voxel size per axis, mm.
        range_: re-segmentation range actually applied ``(lower, upper)``, None for open ends.
    """

    image: np.ndarray
    valid: np.ndarray
    morph_mask: np.ndarray
    int_mask: np.ndarray
    spacing: tuple[float, float, float]
    range_: tuple[float | None, float | None]

    @property
    def values(self) -> np.ndarray:
        """Intensities of the voxels in the intensity mask (1-D)."""
        return self.image[self.int_mask]


def _bbox(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    idx = np.nonzero(mask)
    if len(idx[0]) == 0:
        raise AnalysisError("the ROI mask is empty; give a mask with at least one voxel")
    lo = np.array([int(a.min()) for a in idx])
    hi = np.array([int(a.max()) for a in idx])
    return lo, hi


def _crop(arrays: list[np.ndarray], lo: np.ndarray, hi: np.ndarray, margin: np.ndarray):
    """Crop arrays to ``[lo - margin, hi + margin]``, padding past the border (valid mask tells)."""
    shape = np.array(arrays[0].shape)
    start = lo - margin
    stop = hi + margin + 1
    src_lo = np.maximum(start, 0)
    src_hi = np.minimum(stop, shape)
    pad = [(int(a), int(b)) for a, b in zip(src_lo - start, stop - src_hi, strict=True)]
    sl = tuple(slice(int(a), int(b)) for a, b in zip(src_lo, src_hi, strict=True))
    out = [np.pad(a[sl], pad, mode="edge") for a in arrays]
    valid = np.pad(np.ones([b - a for a, b in zip(src_lo, src_hi, strict=True)], bool), pad)
    return out, valid, start


def _aligned_grid(n: int, spacing: float, new_spacing: float) -> tuple[int, float]:
    """Number of new grid points and the position of the first one (original index units)."""
    n_new = int(np.ceil(n * spacing / new_spacing - 1e-9))
    step = new_spacing / spacing
    first = (n - 1) / 2.0 - (n_new - 1) / 2.0 * step
    return n_new, first


_ORDER = {"nearest": 0, "linear": 1, "cubic_spline": 3}


def interpolate(
    image: np.ndarray,
    mask: np.ndarray,
    spacing: tuple[float, float, float],
    settings: InterpolationSettings,
    margin_mm: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[float, float, float]]:
    """Grid-aligned interpolation of image and mask around the ROI.

    Returns ``(image, valid, mask, new_spacing)`` on the new grid, restricted to the ROI
    bounding box plus ``margin_mm``. The new grid is that of the whole image (IBSI "align grid
    centres"), only the part near the ROI is evaluated.
    """
    lo, hi = _bbox(mask)
    new_spacing = tuple(
        float(s if ns is None else ns)
        for s, ns in zip(spacing, settings.spacing_mm or (None, None, None), strict=True)
    )
    axes_coords = []
    for ax in range(3):
        n_new, first = _aligned_grid(image.shape[ax], spacing[ax], new_spacing[ax])
        step = new_spacing[ax] / spacing[ax]
        pos = first + step * np.arange(n_new)
        m = margin_mm / spacing[ax]
        keep = (pos >= lo[ax] - m) & (pos <= hi[ax] + m)
        keep &= (pos >= -0.5) & (pos <= image.shape[ax] - 0.5)
        axes_coords.append(pos[keep])
    # Crop the source with enough margin for the spline prefilter to settle.
    src_margin = np.array([12, 12, 12])
    src_lo = np.array([int(np.floor(c.min())) for c in axes_coords])
    src_hi = np.array([int(np.ceil(c.max())) for c in axes_coords])
    (img_c, msk_c), _, start = _crop([image, mask.astype(np.float64)], src_lo, src_hi, src_margin)
    grids = np.meshgrid(*[c - s for c, s in zip(axes_coords, start, strict=True)], indexing="ij")
    coords = np.stack(grids)
    order = _ORDER[settings.image_method]
    new_img = ndimage.map_coordinates(img_c, coords, order=order, mode="nearest")
    m_order = _ORDER[settings.mask_method]
    new_msk = ndimage.map_coordinates(msk_c, coords, order=m_order, mode="nearest")
    if settings.round_intensities:
        new_img = np.round(new_img)
    new_mask = new_msk >= settings.mask_threshold - 1e-9
    valid = np.ones(new_img.shape, bool)
    return new_img, valid, new_mask, new_spacing  # type: ignore[return-value]


def resegment(
    image: np.ndarray, mask: np.ndarray, settings: ResegmentationSettings
) -> tuple[np.ndarray, tuple[float | None, float | None]]:
    """The intensity mask after range and outlier re-segmentation (IBSI 2.5)."""
    out = mask.copy()
    lower = upper = None
    if settings.range is not None:
        lower, upper = settings.range
        if lower is not None:
            out &= image >= lower
        if upper is not None:
            out &= image <= upper
    if settings.outlier_sigma is not None:
        vals = image[out]
        if vals.size:
            mu, sd = float(vals.mean()), float(vals.std())
            k = settings.outlier_sigma
            out &= (image >= mu - k * sd) & (image <= mu + k * sd)
    if not out.any():
        raise AnalysisError(
            "re-segmentation removed every ROI voxel; widen the range or the outlier limit"
        )
    return out, (lower, upper)


@dataclass
class Discretised:
    """Discretised grey levels (1..n_levels inside the intensity mask, 0 outside).

    ``bin_lower`` and ``bin_width`` describe fixed-bin-size bins (None otherwise), so that the
    centre of grey level ``g`` is ``bin_lower + (g - 0.5) * bin_width``.
    """

    levels: np.ndarray
    n_levels: int
    method: str
    bin_lower: float | None = None
    bin_width: float | None = None


def discretise(
    image: np.ndarray,
    mask: np.ndarray,
    settings: DiscretisationSettings,
    range_: tuple[float | None, float | None] = (None, None),
) -> Discretised:
    """Discretise the intensities inside ``mask`` (IBSI 2.7)."""
    vals = image[mask]
    q = np.zeros(image.shape, np.int32)
    if settings.method == "fixed_bin_number":
        ng = int(settings.bin_number or 0)
        vmin, vmax = float(vals.min()), float(vals.max())
        if vmax > vmin:
            d = np.floor(ng * (vals - vmin) / (vmax - vmin)).astype(np.int64) + 1
            d[vals >= vmax] = ng
        else:
            d = np.ones(vals.shape, np.int64)
        q[mask] = d
        return Discretised(q, ng, settings.method)
    if settings.method == "fixed_bin_size":
        w = float(settings.bin_width or 0.0)
        lower = settings.lower_bound
        if lower is None:
            lower = range_[0] if range_[0] is not None else float(vals.min())
        d = np.floor((vals - lower) / w + 1e-9).astype(np.int64) + 1
        if d.min() < 1:
            raise AnalysisError(
                f"fixed bin size: intensities below the lower bound {lower}; set lower_bound "
                "to at most the ROI minimum or re-segment by range first"
            )
        q[mask] = d
        return Discretised(q, int(d.max()), settings.method, float(lower), w)
    # method "none": intensities are the grey levels
    d = np.round(vals).astype(np.int64)
    if d.min() < 1:
        raise AnalysisError(
            "discretisation 'none' needs positive integer intensities; choose fixed_bin_number "
            "or fixed_bin_size"
        )
    q[mask] = d
    return Discretised(q, int(d.max()), settings.method)


def preprocess(
    image: np.ndarray,
    mask: np.ndarray,
    spacing: tuple[float, float, float],
    settings: RadiomicsSettings,
) -> RoiData:
    """Crop, interpolate, round and re-segment: the ROI ready for feature computation."""
    image = np.asarray(image, dtype=np.float64)
    mask = np.asarray(mask) > 0
    if image.shape != mask.shape:
        raise AnalysisError(
            f"image shape {image.shape} and mask shape {mask.shape} differ; give a mask on the "
            "image grid"
        )
    if settings.round_input:
        image = np.round(image)
    margin_mm = LOCAL_PEAK_RADIUS_MM + 2.0 * max(spacing)
    if settings.interpolation.enabled:
        img, valid, msk, new_spacing = interpolate(
            image, mask, spacing, settings.interpolation, margin_mm
        )
    else:
        lo, hi = _bbox(mask)
        margin = np.ceil(margin_mm / np.asarray(spacing)).astype(int)
        (img, msk), valid, _ = _crop([image, mask], lo, hi, margin)
        msk = msk & valid
        new_spacing = tuple(float(s) for s in spacing)
    if not msk.any():
        raise AnalysisError("the ROI vanished after interpolation; the ROI is too small")
    int_mask, range_ = resegment(img, msk, settings.resegmentation)
    return RoiData(img, valid, msk, int_mask, new_spacing, range_)  # type: ignore[arg-type]
