"""Geometry of one level-labelled sagittal slice: masks per level and local spine axes.

Coordinates are millimetres in the picture plane: ``x`` grows posteriorly (columns), ``y`` grows
inferiorly (rows). A local frame at a level is two unit vectors: ``u`` along the spine (pointing
inferior) and ``v`` perpendicular to it (pointing posterior).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from spinepath.segment.labels import CANAL_ID, DISC_OFFSET, VERTEBRA_IDS, disc_id

__all__ = ["CANAL_ID", "DISC_OFFSET", "VERTEBRA_IDS", "LocalFrame", "SagittalSlice", "disc_id"]


@dataclass(frozen=True)
class LocalFrame:
    """A point and two unit vectors (mm): ``u`` inferior along the spine, ``v`` posterior."""

    origin: np.ndarray
    u: np.ndarray
    v: np.ndarray

    def project(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(t, s): coordinates of ``points`` (n, 2) along ``u`` and ``v`` in mm."""
        d = points - self.origin
        return d @ self.u, d @ self.v


def frame_from_axis(origin: np.ndarray, axis: np.ndarray) -> LocalFrame:
    """A frame whose ``u`` follows ``axis`` (turned inferior) and ``v`` points posterior."""
    u = np.asarray(axis, float)
    u = u / np.linalg.norm(u)
    if u[1] < 0:
        u = -u
    v = np.array([u[1], -u[0]])  # rotate u by -90 degrees
    if v[0] < 0:
        v = -v
    return LocalFrame(np.asarray(origin, float), u, v)


@dataclass
class SagittalSlice:
    """A sagittal picture, its level label map and its pixel spacing.

    Attributes:
        image: 2-D intensities (rows S->I, columns A->P).
        labels: level label map of the same shape (VerSe ids; discs 100 + id above; canal 61).
        spacing: (row, column) pixel size in mm.
    """

    image: np.ndarray
    labels: np.ndarray
    spacing: tuple[float, float]

    def __post_init__(self) -> None:
        if self.image.shape != self.labels.shape or self.image.ndim != 2:
            raise ValueError(
                f"image {self.image.shape} and labels {self.labels.shape} must be equal 2-D shapes"
            )

    @property
    def pixel_area_mm2(self) -> float:
        """Area of one pixel in mm2."""
        return float(self.spacing[0] * self.spacing[1])

    def points(self, mask: np.ndarray) -> np.ndarray:
        """Pixel centres of a mask as (n, 2) picture mm (x posterior, y inferior)."""
        rows, cols = np.nonzero(mask)
        return np.column_stack([cols * self.spacing[1], rows * self.spacing[0]])

    def mask(self, value: int) -> np.ndarray:
        """Boolean mask of one label value."""
        return self.labels == value

    def vertebra_mask(self, name: str) -> np.ndarray:
        """Mask of a vertebra by name (``"L4"``); empty when absent."""
        return self.mask(VERTEBRA_IDS[name])

    def disc_mask(self, level: str) -> np.ndarray:
        """Mask of a disc by level (``"L4-L5"``); empty when absent."""
        return self.mask(disc_id(level))

    def centroid(self, mask: np.ndarray) -> np.ndarray | None:
        """Centroid of a mask in picture mm, or None when empty."""
        pts = self.points(mask)
        return pts.mean(axis=0) if len(pts) else None

    def present_vertebrae(self) -> list[str]:
        """Vertebra names present in the label map, cranial to caudal."""
        present = set(np.unique(self.labels).tolist())
        return [n for n, i in VERTEBRA_IDS.items() if i in present]

    def present_discs(self) -> list[str]:
        """Disc levels present in the label map, cranial to caudal."""
        present = set(np.unique(self.labels).tolist())
        names = list(VERTEBRA_IDS)
        return [f"{a}-{b}" for a, b in pairwise(names) if disc_id(f"{a}-{b}") in present]

    def disc_frame(self, level: str) -> LocalFrame | None:
        """Frame at a disc aligned with its two endplates.

        Starts from the axis between the centroids of the bodies above and below (or the disc's
        minor principal axis when a neighbour is missing) and refines it so that ``v`` follows
        the mean direction of the disc's upper and lower boundaries (the endplates).
        """
        upper, lower = level.split("-")
        c_disc = self.centroid(self.disc_mask(level))
        if c_disc is None:
            return None
        c_up = self.centroid(self.vertebra_mask(upper))
        c_low = self.centroid(self.vertebra_mask(lower))
        pts = self.points(self.disc_mask(level))
        if c_up is not None and c_low is not None:
            frame = frame_from_axis(c_disc, c_low - c_up)
        else:
            frame = frame_from_axis(c_disc, principal_axes(pts)[1])
        return refine_to_endplates(pts, frame, float(max(self.spacing)))

    def vertebra_frame(self, name: str) -> LocalFrame | None:
        """Frame of a vertebral body aligned with its endplates.

        Starts from the axis between the centroids of the discs above and below (falling back to
        the neighbouring vertebrae, then the body's principal axes) and refines it so that ``v``
        follows the mean direction of the two endplate lines (:func:`refine_to_endplates`). This
        keeps wedged, slipped or tilted bodies measured in their own frame.
        """
        frame = self._initial_vertebra_frame(name)
        if frame is None:
            return None
        return refine_to_endplates(
            self.points(self.vertebra_mask(name)), frame, float(max(self.spacing))
        )

    def _initial_vertebra_frame(self, name: str) -> LocalFrame | None:
        c = self.centroid(self.vertebra_mask(name))
        if c is None:
            return None
        names = list(VERTEBRA_IDS)
        i = names.index(name)
        above = f"{names[i - 1]}-{name}" if i > 0 else None
        below = f"{name}-{names[i + 1]}" if i + 1 < len(names) else None
        c_above = self.centroid(self.disc_mask(above)) if above else None
        c_below = self.centroid(self.disc_mask(below)) if below else None
        if c_above is not None and c_below is not None:
            return frame_from_axis(c, c_below - c_above)
        n_up = self.centroid(self.vertebra_mask(names[i - 1])) if i > 0 else None
        n_low = self.centroid(self.vertebra_mask(names[i + 1])) if i + 1 < len(names) else None
        if n_up is not None and n_low is not None:
            return frame_from_axis(c, n_low - n_up)
        if n_up is not None:
            return frame_from_axis(c, c - n_up)
        if n_low is not None:
            return frame_from_axis(c, n_low - c)
        return frame_from_axis(c, principal_axes(self.points(self.vertebra_mask(name)))[0])


def endplate_lines(
    points: np.ndarray, frame: LocalFrame, pixel_mm: float, *, margin: float = 0.15
) -> tuple[tuple[float, float], tuple[float, float]] | None:
    """Least-squares lines ``t = a + b s`` through the superior and inferior boundary of a body.

    The boundary is sampled in strips of about one pixel along ``v`` over the central part of the
    body (``margin`` of the AP extent left out at each end, where corners are rounded).
    Returns ((a_sup, b_sup), (a_inf, b_inf)) or None when too few strips.
    """
    t, s = frame.project(points)
    lo, hi = s.min(), s.max()
    span = hi - lo
    if span <= 0:
        return None
    width = max(pixel_mm, span / 40)
    edges = np.arange(lo + margin * span, hi - margin * span + 1e-9, width)
    sup, inf = [], []
    for a, b in pairwise(edges):
        inside = (s >= a) & (s < b)
        if np.count_nonzero(inside) < 2:
            continue
        centre = (a + b) / 2
        sup.append((centre, float(t[inside].min())))
        inf.append((centre, float(t[inside].max())))
    if len(sup) < 3:
        return None
    fits = []
    for pts in (np.array(sup), np.array(inf)):
        slope, intercept = np.polyfit(pts[:, 0], pts[:, 1], 1)
        fits.append((float(intercept), float(slope)))
    return fits[0], fits[1]


def refine_to_endplates(
    points: np.ndarray, frame: LocalFrame, pixel_mm: float, *, iterations: int = 2
) -> LocalFrame:
    """Rotate a frame so that ``v`` follows the mean slope of the two endplate lines."""
    for _ in range(iterations):
        lines = endplate_lines(points, frame, pixel_mm)
        if lines is None:
            break
        slope = (lines[0][1] + lines[1][1]) / 2
        v = frame.v + slope * frame.u
        v = v / np.linalg.norm(v)
        u = np.array([-v[1], v[0]])
        if u @ frame.u < 0:
            u = -u
        frame = LocalFrame(frame.origin, u, v)
    return frame


def principal_axes(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(major, minor) unit axes of a point cloud (n, 2)."""
    centred = points - points.mean(axis=0)
    if len(points) < 3:
        return np.array([1.0, 0.0]), np.array([0.0, 1.0])
    _, vecs = np.linalg.eigh(np.cov(centred.T))
    return vecs[:, 1], vecs[:, 0]


def strip_extent(
    t: np.ndarray, s: np.ndarray, s_centre: float, width: float, pixel_area: float
) -> float:
    """Extent along ``u`` (mm) of a mask within a strip ``|s - s_centre| <= width/2``.

    Computed as the strip's mask area divided by its width, which is robust to ragged edges and
    sub-pixel positions (units: mm from mm2 / mm).
    """
    inside = np.abs(s - s_centre) <= width / 2
    return float(np.count_nonzero(inside) * pixel_area / width)
