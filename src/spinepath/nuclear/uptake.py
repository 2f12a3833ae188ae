"""Uptake statistics in regions: SUVmax, SUVmean, SUVpeak and target-to-background ratio."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from spinepath.errors import AnalysisError
from spinepath.model.volume import Volume


@dataclass(frozen=True)
class RegionUptake:
    """Uptake in one region (values in the image's units: SUVbw, or ratio for SPECT).

    Attributes:
        name: region name (``"L4"``, ``"L4-L5"``, ``"hardware 1 @ L4"``).
        kind: ``vertebra``, ``disc_level``, ``bone_segment``, ``hardware_shell`` or
            ``hardware_level``.
        volume_ml: region volume, mL.
        max: maximum voxel value (SUVmax).
        mean: mean voxel value (SUVmean).
        peak: mean over a ~1 mL sphere around the hottest voxel inside the region (SUVpeak
            approximation, PERCIST-style 1.2 cm diameter sphere).
        tbr: target-to-background ratio ``max / background`` (None when no background).
    """

    name: str
    kind: str
    volume_ml: float
    max: float
    mean: float
    peak: float
    tbr: float | None

    def as_dict(self) -> dict[str, object]:
        """JSON-ready dict with SUV-style key names."""
        return {
            "name": self.name,
            "kind": self.kind,
            "volume_ml": self.volume_ml,
            "suv_max": self.max,
            "suv_mean": self.mean,
            "suv_peak": self.peak,
            "tbr": self.tbr,
        }


def _peak(image: Volume, mask: np.ndarray, radius_mm: float = 6.2) -> float:
    values = np.where(mask, image.array, -np.inf)
    hot = np.unravel_index(int(np.argmax(values)), mask.shape)
    spacing = np.asarray(image.spacing)
    half = np.ceil(radius_mm / spacing).astype(int)
    lo = np.maximum(np.asarray(hot) - half, 0)
    hi = np.minimum(np.asarray(hot) + half + 1, mask.shape)
    box = tuple(slice(int(a), int(b)) for a, b in zip(lo, hi, strict=True))
    grids = np.meshgrid(
        *[(np.arange(a, b) - h) * s for a, b, h, s in zip(lo, hi, hot, spacing, strict=True)],
        indexing="ij",
    )
    sphere = sum(g**2 for g in grids) <= radius_mm**2
    return float(image.array[box][sphere].mean())


def region_uptake(
    image: Volume, mask: np.ndarray, name: str, kind: str, background: float | None = None
) -> RegionUptake:
    """Statistics of ``image`` (already on the mask's grid) inside ``mask``."""
    mask = np.asarray(mask, dtype=bool)
    if mask.shape != image.shape:
        raise AnalysisError(f"region {name}: mask shape {mask.shape} != image {image.shape}")
    if not mask.any():
        raise AnalysisError(f"region {name} is empty")
    values = image.array[mask]
    voxel_ml = float(abs(np.linalg.det(image.affine[:3, :3]))) / 1000.0
    vmax = float(values.max())
    return RegionUptake(
        name=name,
        kind=kind,
        volume_ml=float(mask.sum() * voxel_ml),
        max=vmax,
        mean=float(values.mean()),
        peak=_peak(image, mask),
        tbr=(vmax / background) if background and background > 0 else None,
    )


def labelled_uptake(
    image: Volume, labels: np.ndarray, names: dict[int, str], kind: str = "vertebra"
) -> list[RegionUptake]:
    """Uptake per labelled region, cranial to caudal in ``names`` order (no TBR yet)."""
    present = set(np.unique(labels).tolist())
    out = []
    for value, name in names.items():
        if value in present:
            out.append(region_uptake(image, labels == value, name, kind))
    return out


def median_background(regions: list[RegionUptake]) -> float:
    """Background = median of the regions' means (robust 'normal bone' reference: most levels
    are normal, so a single hot level does not move it)."""
    if not regions:
        raise AnalysisError("no regions to take a background from")
    return float(np.median([r.mean for r in regions]))


def with_tbr(regions: list[RegionUptake], background: float) -> list[RegionUptake]:
    """The same regions with ``tbr = max / background``."""
    return [
        RegionUptake(
            r.name,
            r.kind,
            r.volume_ml,
            r.max,
            r.mean,
            r.peak,
            r.max / background if background > 0 else None,
        )
        for r in regions
    ]


def mask_of(labels: np.ndarray, values: list[int]) -> np.ndarray:
    """Union of the given label values."""
    return np.isin(labels, values)


def dilate_mm(mask: np.ndarray, spacing: tuple[float, float, float], mm: float) -> np.ndarray:
    """Dilation of ``mask`` by a ball of ``mm`` (anisotropic voxels)."""
    return ndimage.distance_transform_edt(~mask, sampling=spacing) <= mm
