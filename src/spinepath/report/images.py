"""Key images of the report: mid-sagittal T2 / T1 with labelled levels and finding overlays, and
axial slices at the graded disc levels.

Display conventions (radiological): sagittal pictures have the head up and anterior on the left;
axial pictures have anterior up and the patient's right on the picture's left. Pictures are
resampled to square pixels. Overlays: outlines of the labelled structures (neutral colours) and,
at levels with findings, the disc / vertebra outline coloured by severity (green -> amber -> red,
see :func:`spinepath.report.nomenclature.finding_severity`); a ``?`` marks an uncertain grade.

Volumes are :class:`~spinepath.model.volume.Volume` in RAS+ mm; label maps follow
``spinepath.segment.labels`` (level map: VerSe ids, discs 100 + id, canal 61).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from scipy import ndimage

from spinepath.model.findings import Finding
from spinepath.model.volume import Volume
from spinepath.report.nomenclature import finding_severity, is_uncertain
from spinepath.report.seg import CANAL_ID, DISC_OFFSET, VERTEBRA_IDS, disc_name_for_id
from spinepath.report.sources import sample_nearest

DISPLAY_HEIGHT_PX = 420
MAX_WIDTH_PX = 560

_NAME_OF_ID: dict[int, str] = {v: k for k, v in VERTEBRA_IDS.items()}


@dataclass
class RenderedImage:
    """A key image: PNG bytes, caption, what it shows."""

    png: bytes
    caption: str
    kind: str  # "sagittal" | "axial"
    series_uid: str | None
    slice_index: int | None
    levels: list[str] = field(default_factory=list)
    reformatted: bool = False
    name: str = "image"


def window(image: np.ndarray, low_pct: float = 1.0, high_pct: float = 99.5) -> np.ndarray:
    """Intensities scaled to 0..255 between two percentiles of the nonzero pixels."""
    data = image.astype(np.float32)
    nz = data[data != 0]
    values = nz if nz.size else data.ravel()
    lo, hi = (np.percentile(values, [low_pct, high_pct]) if values.size else (0.0, 1.0))
    if hi <= lo:
        hi = lo + 1.0
    return (np.clip((data - lo) / (hi - lo), 0.0, 1.0) * 255).astype(np.uint8)


def level_name(value: int) -> str | None:
    """Name of a level-map value: ``23 -> "L4"``, ``123 -> "L4-L5"``, 61 -> "canal"."""
    if value in _NAME_OF_ID:
        return _NAME_OF_ID[value]
    if value == CANAL_ID:
        return "canal"
    return disc_name_for_id(value)


def level_centroids(label_map: Volume) -> dict[str, np.ndarray]:
    """RAS mm centroid of every labelled vertebra and disc of a level map."""
    arr = label_map.array
    values = [int(v) for v in np.unique(arr) if v != 0 and v != CANAL_ID]
    out: dict[str, np.ndarray] = {}
    if not values:
        return out
    idx = ndimage.center_of_mass(np.ones_like(arr, dtype=np.uint8), arr, values)
    for v, c in zip(values, idx, strict=True):
        name = level_name(v)
        if name is not None:
            out[name] = label_map.world(np.asarray(c, dtype=float))
    return out


# ---- planes -------------------------------------------------------------------------------


@dataclass
class Plane2D:
    """A displayed slice: picture (rows, cols), world RAS of each pixel, pixel size (mm)."""

    picture: np.ndarray
    world: np.ndarray  # (rows, cols, 3)
    spacing: tuple[float, float]  # (row mm, col mm)
    index: int


def sagittal_plane(volume: Volume, x_ras: float | None = None) -> Plane2D:
    """The sagittal slice nearest to RAS x = ``x_ras`` (middle slice when None).

    Rows run superior -> inferior, columns anterior -> posterior.
    """
    can = volume.to_canonical()
    n = can.shape[0]
    i = n // 2 if x_ras is None else int(np.clip(round(can.voxel((x_ras, 0.0, 0.0))[0]), 0, n - 1))
    _, nj, nk = can.shape
    pic = np.flip(np.asarray(can.array[i]).T, axis=(0, 1))
    jj, kk = np.meshgrid(nj - 1 - np.arange(nj), nk - 1 - np.arange(nk), indexing="xy")
    ijk = np.stack([np.full_like(jj, i), jj, kk], axis=-1).astype(float)
    world = ijk @ can.affine[:3, :3].T + can.affine[:3, 3]
    return Plane2D(np.ascontiguousarray(pic), world, (can.spacing[2], can.spacing[1]), i)


def axial_plane(volume: Volume, z_ras: float) -> Plane2D | None:
    """The axial slice nearest to RAS z = ``z_ras``; None when z lies outside the volume.

    Rows run anterior -> posterior, columns patient right -> left (radiological convention).
    """
    can = volume.to_canonical()
    point = np.array([can.affine[0, 3], can.affine[1, 3], z_ras])
    kf = can.voxel(point)[2]
    k = round(kf)
    if not 0 <= k < can.shape[2] or abs(kf - k) > 1.0:
        return None
    ni, nj, _ = can.shape
    pic = np.flip(np.asarray(can.array[:, :, k]).T, axis=(0, 1))
    ii, jj = np.meshgrid(ni - 1 - np.arange(ni), nj - 1 - np.arange(nj), indexing="xy")
    ijk = np.stack([ii, jj, np.full_like(ii, k)], axis=-1).astype(float)
    world = ijk @ can.affine[:3, :3].T + can.affine[:3, 3]
    return Plane2D(np.ascontiguousarray(pic), world, (can.spacing[1], can.spacing[0]), k)


# ---- drawing ------------------------------------------------------------------------------

_NEUTRAL = {"vertebra": (205, 185, 120), "disc": (90, 160, 230), "canal": (230, 215, 80)}


def severity_color(severity: float) -> tuple[int, int, int]:
    """Green (0) -> amber (0.5) -> red (1)."""
    s = float(np.clip(severity, 0.0, 1.0))
    if s < 0.5:
        t = s / 0.5
        return (int(40 + t * (240 - 40)), int(190 + t * (170 - 190)), 60)
    t = (s - 0.5) / 0.5
    return (240, int(170 - t * 130), int(60 - t * 20))


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1
        return ImageFont.load_default()


def _display_size(plane: Plane2D) -> tuple[int, int]:
    rows, cols = plane.picture.shape
    h_mm, w_mm = rows * plane.spacing[0], cols * plane.spacing[1]
    scale = min(DISPLAY_HEIGHT_PX / h_mm, MAX_WIDTH_PX / w_mm)
    return max(round(w_mm * scale), 16), max(round(h_mm * scale), 16)


def _outline(mask: np.ndarray, width: int = 2) -> np.ndarray:
    return mask & ~ndimage.binary_erosion(mask, iterations=width, border_value=0)


def _text(draw: ImageDraw.ImageDraw, xy: tuple[float, float], text: str, fill, size: int) -> None:
    font = _font(size)
    x, y = xy
    for dx, dy in ((-1, 0), (1, 0), (0, -1), (0, 1)):
        draw.text((x + dx, y + dy), text, fill=(0, 0, 0), font=font, anchor="mm")
    draw.text((x, y), text, fill=fill, font=font, anchor="mm")


def render_plane(
    plane: Plane2D,
    *,
    label_map: Volume | None,
    findings: Sequence[Finding] = (),
    title: str = "",
    label_side: str = "anterior",
) -> tuple[Image.Image, list[str]]:
    """Draw a plane with level outlines, level names and finding colours.

    Returns:
        The RGB picture and the level names written on it.
    """
    size = _display_size(plane)
    gray = Image.fromarray(window(plane.picture)).resize(size, Image.Resampling.BILINEAR)
    rgb = np.asarray(gray.convert("RGB")).copy()
    shown: list[str] = []
    worst: dict[str, tuple[float, bool]] = {}
    for f in findings:
        sev, unc = finding_severity(f), is_uncertain(f)
        prev = worst.get(f.level)
        if prev is None or sev > prev[0]:
            worst[f.level] = (sev, unc or (prev[1] if prev else False))
    labels2d = None
    if label_map is not None:
        lab = sample_nearest(label_map, plane.world)
        labels2d = np.asarray(
            Image.fromarray(lab.astype(np.int32)).resize(size, Image.Resampling.NEAREST)
        )
        for value in (int(v) for v in np.unique(labels2d) if v != 0):
            name = level_name(value)
            if name is None:
                continue
            mask = labels2d == value
            kind = "canal" if value == CANAL_ID else ("disc" if value > DISC_OFFSET else "vertebra")
            if name in worst:
                color = severity_color(worst[name][0])
                fill = np.array(color, dtype=float)
                rgb[mask] = (0.72 * rgb[mask] + 0.28 * fill).astype(np.uint8)
                rgb[_outline(mask, 2)] = color
            else:
                rgb[_outline(mask, 1)] = _NEUTRAL[kind]
    img = Image.fromarray(rgb)
    draw = ImageDraw.Draw(img)
    if labels2d is not None:
        w, _ = size
        for value in (int(v) for v in np.unique(labels2d) if v != 0 and v != CANAL_ID):
            name = level_name(value)
            if name is None:
                continue
            ys, xs = np.nonzero(labels2d == value)
            if ys.size < 4:
                continue
            cy, cx = float(ys.mean()), float(xs.mean())
            is_disc = value > DISC_OFFSET
            if label_side == "anterior":  # names left of the structure (anterior side)
                x = max(float(xs.min()) - (34 if is_disc else 16), 20.0)
            else:
                x = cx
            color = severity_color(worst[name][0]) if name in worst else (255, 255, 255)
            text = name + ("?" if name in worst and worst[name][1] else "")
            shown.append(name)
            if not is_disc or name in worst or label_side != "anterior":
                _text(draw, (x, cy), text, color, 13 if is_disc else 15)
            if label_side == "anterior" and name in worst and is_disc:
                mx = min(float(xs.max()) + 40, w - 30)
                draw.ellipse((mx - 5, cy - 5, mx + 5, cy + 5), fill=color, outline=(0, 0, 0))
    if title:
        _text(draw, (size[0] / 2, 12), title, (255, 255, 255), 14)
    return img, sorted(set(shown), key=shown.index)


def _png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=False, compress_level=3)
    return buf.getvalue()


def spine_x(label_map: Volume | None) -> float | None:
    """RAS x (mm) of the spine's midline: the mean x of the canal, else of all labels."""
    if label_map is None:
        return None
    arr = label_map.array
    mask = arr == CANAL_ID
    if not mask.any():
        mask = arr > 0
    if not mask.any():
        return None
    ijk = np.argwhere(mask).mean(axis=0)
    return float(label_map.world(ijk)[0])


def render_sagittal(
    volume: Volume,
    *,
    label_map: Volume | None,
    findings: Sequence[Finding],
    title: str,
    series_uid: str | None,
    name: str,
) -> RenderedImage:
    """Mid-sagittal key image (slice through the spine's midline when labels are given)."""
    plane = sagittal_plane(volume, spine_x(label_map))
    img, shown = render_plane(plane, label_map=label_map, findings=findings, title=title)
    caption = f"{title}, mid-sagittal slice {plane.index + 1}"
    if label_map is None:
        caption += " (levels not labelled: no label map)"
    return RenderedImage(_png(img), caption, "sagittal", series_uid, plane.index, shown,
                         name=name)


def render_axial(
    volume: Volume,
    level: str,
    centroid_ras: np.ndarray,
    *,
    label_map: Volume | None,
    findings: Sequence[Finding],
    title: str,
    series_uid: str | None,
    reformatted: bool,
    name: str,
) -> RenderedImage | None:
    """Axial key image at a disc level (None when the volume does not reach it)."""
    plane = axial_plane(volume, float(centroid_ras[2]))
    if plane is None:
        return None
    at_level = [f for f in findings if f.level == level]
    img, _ = render_plane(
        plane, label_map=label_map, findings=at_level, title=f"{level} {title}", label_side="c"
    )
    caption = f"{level}: axial {title} slice {plane.index + 1}"
    if reformatted:
        caption += " (reformatted from the sagittal series: coarse left-right resolution)"
    return RenderedImage(_png(img), caption, "axial", series_uid, plane.index, [level],
                         reformatted=reformatted, name=name)
