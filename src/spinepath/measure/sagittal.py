"""Disc, vertebra, alignment and canal measurements on one level-labelled sagittal slice.

Definitions (all in the local frame of :mod:`spinepath.measure.frame`; mm unless stated):

* Disc heights: extent of the disc along the spine axis ``u`` in strips at 10 %, 50 % and 90 % of
  the disc's antero-posterior length (anterior, middle, posterior height), strip width 2 mm.
* Disc height index (DHI): mean of the three disc heights divided by the mean middle height of the
  two adjacent vertebral bodies (a ratio; cf. Frobin et al., Clin Biomech 1997 for height indices
  normalised by vertebral dimensions).
* Signal intensity ratio: mean intensity of the central nucleus region (middle 50 % of the disc
  along both axes) divided by the CSF intensity (mean of canal pixels between the 50th and 95th
  percentile within 15 mm of the disc centre along the spine; the brighter half of the canal is
  CSF on T2, roots and cord are darker) and by the central marrow of the body above.
* Signal homogeneity: coefficient of variation of the disc intensities (unitless).
* Posterior displacement: how far disc tissue extends posterior to the line joining the
  posterior-inferior corner of the body above and the posterior-superior corner of the body below.
* Vertebral heights: anterior and posterior heights between the fitted endplate lines at the
  body's anterior and posterior margins, middle height from a strip through the centre (so a
  central depression counts); ratios anterior/posterior and middle/posterior (Genant 1993).
* Endplate signal: mean intensity of the 4 mm body zone next to each endplate divided by the
  mean of the central body marrow, and the percentage of 2 mm strips along the endplate whose zone
  intensity differs from the marrow by more than 20 %.
* Listhesis: displacement of the posterior-inferior corner of the upper body relative to the
  posterior-superior corner of the lower body along the lower body's AP axis (each corner where the
  fitted posterior-wall line meets the fitted endplate line), in mm and in % of the lower
  body's superior endplate length (anterolisthesis positive; Meyerding 1932 uses the same ratio).
* Canal AP diameter: extent of the canal along ``v`` in a 2 mm strip through the disc centre.
* High-intensity zone (HIZ; Aprill & Bogduk, Br J Radiol 1992): a focus in the posterior part of
  the disc (posterior ``posterior_fraction`` of its AP length) at least as bright as the nucleus
  reference (median of the disc's central third along the AP axis; brightness judged on the 3 x 3
  in-disc mean), not joined to the central region through pixels that bright (4-connectivity) and
  not touching the disc's edge, so the focus is ringed by darker annulus.
  Its ratio is the focus mean / nucleus reference; present when the ratio reaches the bound and
  the area lies within the bounds. Thresholds: ``hiz`` in ``spinepath/grade/criteria.yaml``
  (provisional).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from spinepath.measure.frame import LocalFrame, SagittalSlice, strip_extent
from spinepath.model.findings import Measurement

STRIP_MM = 2.0
ENDPLATE_ZONE_MM = 4.0
CSF_WINDOW_MM = 15.0
FRACTIONS = {"anterior": 0.1, "middle": 0.5, "posterior": 0.9}


def _heights(
    sl: SagittalSlice, mask: np.ndarray, frame: LocalFrame
) -> tuple[dict[str, float], float, float, float]:
    """Heights at anterior/middle/posterior fractions; AP length; s_min; s_max."""
    t, s = frame.project(sl.points(mask))
    s_min, s_max = float(s.min()), float(s.max())
    length = s_max - s_min + sl.spacing[1]
    width = max(STRIP_MM, 2 * max(sl.spacing))
    out = {
        name: strip_extent(t, s, s_min + f * (s_max - s_min), width, sl.pixel_area_mm2)
        for name, f in FRACTIONS.items()
    }
    return out, length, s_min, s_max


def _margin_heights(
    sl: SagittalSlice, mask: np.ndarray, frame: LocalFrame
) -> dict[str, float] | None:
    """Vertebral body heights at the anterior and posterior margins between the fitted
    endplate lines (Genant's anterior and posterior heights), and the middle height from a strip
    (so central endplate depressions count). None when the lines cannot be fitted."""
    from spinepath.measure.frame import endplate_lines

    pts = sl.points(mask)
    lines = endplate_lines(pts, frame, float(max(sl.spacing)))
    if lines is None:
        return None
    t, s = frame.project(pts)
    (a_sup, b_sup), (a_inf, b_inf) = lines
    pixel = float(np.mean(sl.spacing))

    def between(x: float) -> float:
        return float((a_inf + b_inf * x) - (a_sup + b_sup * x) + pixel)

    width = max(STRIP_MM, 2 * max(sl.spacing))
    middle = strip_extent(t, s, float(s.min() + s.max()) / 2, width, sl.pixel_area_mm2)
    return {
        "anterior": between(float(s.min())),
        "middle": middle,
        "posterior": between(float(s.max())),
    }


def _central_values(
    sl: SagittalSlice, mask: np.ndarray, frame: LocalFrame, fraction: float = 0.5
) -> np.ndarray:
    """Intensities of the central part of a mask (middle ``fraction`` along u and v)."""
    pts = sl.points(mask)
    t, s = frame.project(pts)
    keep = (np.abs(t - np.median(t)) <= fraction / 2 * (np.ptp(t) + 1e-6)) & (
        np.abs(s - np.median(s)) <= fraction / 2 * (np.ptp(s) + 1e-6)
    )
    rows, cols = np.nonzero(mask)
    return sl.image[rows[keep], cols[keep]].astype(float)


def _corner(
    sl: SagittalSlice, mask: np.ndarray, frame: LocalFrame, *, inferior: bool
) -> np.ndarray:
    """Posterior-inferior (``inferior``) or posterior-superior corner of a body, picture mm.

    Taken as radiologists draw it: the intersection of the line along the posterior wall with the
    line along the endplate, both fitted over the central part of the body, so rounded,
    osteophytic or partly hidden corners do not move it. Falls back to the extreme point.
    """
    from spinepath.measure.frame import endplate_lines

    pts = sl.points(mask)
    t, s = frame.project(pts)
    lines = endplate_lines(pts, frame, float(max(sl.spacing)))
    wall = _posterior_wall(t, s, float(max(sl.spacing)))
    if lines is None or wall is None:
        score = s + (t if inferior else -t)
        return pts[int(np.argmax(score))]
    a, b = lines[1] if inferior else lines[0]
    c, d = wall
    denominator = 1 - d * b
    if abs(denominator) < 1e-6:
        score = s + (t if inferior else -t)
        return pts[int(np.argmax(score))]
    s_c = (c + d * a) / denominator
    t_c = a + b * s_c
    return frame.origin + t_c * frame.u + s_c * frame.v


def _posterior_wall(t: np.ndarray, s: np.ndarray, pixel_mm: float) -> tuple[float, float] | None:
    """Line ``s = c + d t`` through the most posterior body point of each strip along ``u``,
    over the central 60 % of the body's height."""
    lo, hi = t.min(), t.max()
    span = hi - lo
    width = max(pixel_mm, span / 30)
    edges = np.arange(lo + 0.2 * span, hi - 0.2 * span + 1e-9, width)
    pts = []
    for a, b in itertools.pairwise(edges):
        inside = (t >= a) & (t < b)
        if np.count_nonzero(inside) >= 2:
            pts.append(((a + b) / 2, float(s[inside].max())))
    if len(pts) < 3:
        return None
    arr = np.array(pts)
    d, c = np.polyfit(arr[:, 0], arr[:, 1], 1)
    return float(c), float(d)


def csf_intensity(sl: SagittalSlice, centre: np.ndarray, frame: LocalFrame) -> float | None:
    """CSF intensity near a point: mean of canal pixels between the 50th and 95th percentile
    within ``CSF_WINDOW_MM`` along the spine."""
    canal = sl.labels == 61
    if not canal.any():
        return None
    pts = sl.points(canal)
    t, _ = LocalFrame(centre, frame.u, frame.v).project(pts)
    rows, cols = np.nonzero(canal)
    near = np.abs(t) <= CSF_WINDOW_MM
    if np.count_nonzero(near) < 5:
        return None
    values = sl.image[rows[near], cols[near]].astype(float)
    lo, hi = np.percentile(values, [50, 95])
    sel = values[(values >= lo) & (values <= hi)]
    return float(sel.mean()) if sel.size else None


def measure_disc(sl: SagittalSlice, level: str) -> list[Measurement]:
    """Disc measurements at ``level`` (see module docstring)."""
    mask = sl.disc_mask(level)
    frame = sl.disc_frame(level)
    if frame is None or np.count_nonzero(mask) < 4:
        return []
    out: list[Measurement] = []
    heights, length, _, _ = _heights(sl, mask, frame)
    for name, value in heights.items():
        out.append(
            Measurement(
                name=f"disc_height_{name}_mm",
                value=value,
                unit="mm",
                level=level,
                method="strip area / strip width along the local spine axis",
            )
        )
    out.append(Measurement(name="disc_ap_length_mm", value=length, unit="mm", level=level))
    out.append(
        Measurement(
            name="disc_area_mm2",
            value=float(mask.sum()) * sl.pixel_area_mm2,
            unit="mm2",
            level=level,
        )
    )
    upper, lower = level.split("-")
    body_mid = []
    for name in (upper, lower):
        vmask = sl.vertebra_mask(name)
        vframe = sl.vertebra_frame(name)
        if vframe is not None and np.count_nonzero(vmask) >= 4:
            middle = _heights(sl, vmask, vframe)[0]["middle"]
            if middle > 0:
                body_mid.append(middle)
    if body_mid:
        dhi = float(np.mean(list(heights.values())) / np.mean(body_mid))
        out.append(
            Measurement(
                name="disc_height_index",
                value=dhi,
                unit="ratio",
                level=level,
                method="mean disc height / mean middle height of adjacent bodies",
            )
        )
    nucleus = _central_values(sl, mask, frame)
    values = sl.image[mask].astype(float)
    if nucleus.size and values.mean() > 0:
        out.append(
            Measurement(
                name="disc_signal_cv",
                value=float(values.std() / values.mean()),
                unit="ratio",
                level=level,
            )
        )
        csf = csf_intensity(sl, frame.origin, frame)
        if csf and csf > 0:
            out.append(
                Measurement(
                    name="disc_signal_ratio_csf",
                    value=float(nucleus.mean() / csf),
                    unit="ratio",
                    level=level,
                    method="nucleus mean / CSF (canal 50-95th percentile)",
                )
            )
        upper_mask = sl.vertebra_mask(upper)
        uframe = sl.vertebra_frame(upper)
        if uframe is not None and np.count_nonzero(upper_mask) >= 4:
            marrow = _central_values(sl, upper_mask, uframe)
            if marrow.size and marrow.mean() > 0:
                out.append(
                    Measurement(
                        name="disc_signal_ratio_body",
                        value=float(nucleus.mean() / marrow.mean()),
                        unit="ratio",
                        level=level,
                    )
                )
    out.extend(_high_intensity_zone(sl, level, mask, frame))
    corners = _posterior_corners(sl, level)
    out.extend(_posterior_displacement(sl, level, mask, frame, corners))
    out.extend(_listhesis(sl, level, corners))
    out.extend(_canal_at(sl, level, frame))
    return out


def _masked_mean3(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Mean of each pixel's 3 x 3 neighbourhood over the pixels of ``mask`` only (so tissue
    outside the mask does not bleed in); 0 outside the mask."""
    weights = ndimage.uniform_filter(mask.astype(float), 3, mode="constant")
    sums = ndimage.uniform_filter(np.where(mask, image, 0.0), 3, mode="constant")
    return np.where(mask, sums / np.maximum(weights, 1e-9), 0.0)


def _hiz_foci(
    sl: SagittalSlice, mask: np.ndarray, frame: LocalFrame, posterior_fraction: float
) -> list[tuple[float, float]]:
    """(mean intensity / nucleus reference, area in mm2) of every focus in the posterior part of
    the disc that is at least as bright as the nucleus reference, not connected to the disc's
    central third through pixels that bright (4-connectivity) and not touching the disc's edge
    (ringed by annulus). Brightness for finding foci is the 3 x 3 in-disc mean (single noisy
    pixels do not make a focus); the ratio uses the raw intensities. Empty when there is none.

    The nucleus reference is the median intensity of the central third of the disc along its AP
    axis ``v``; the posterior part is the last ``posterior_fraction`` of the AP length.
    """
    rows, cols = np.nonzero(mask)
    _, s = frame.project(sl.points(mask))
    s_min, span = float(s.min()), float(np.ptp(s))
    central = np.zeros_like(mask)
    posterior = np.zeros_like(mask)
    in_central = (s >= s_min + span / 3) & (s <= s_min + 2 * span / 3)
    central[rows[in_central], cols[in_central]] = True
    in_posterior = s >= s_min + (1 - posterior_fraction) * span
    posterior[rows[in_posterior], cols[in_posterior]] = True
    image = sl.image.astype(float)
    if span <= 0 or not central.any():
        return []
    reference = float(np.median(image[central]))
    if reference <= 0:
        return []
    bright = mask & (_masked_mean3(image, mask) >= reference)
    joined, _ = ndimage.label(bright)  # 4-connectivity: a diagonal touch does not join
    central_ids = np.unique(joined[central & bright])
    nucleus = np.isin(joined, central_ids[central_ids > 0])
    edge = mask & ~ndimage.binary_erosion(mask)
    foci, n = ndimage.label(bright & posterior & ~nucleus, structure=np.ones((3, 3)))
    out = []
    for k in range(1, n + 1):
        focus = foci == k
        if (focus & edge).any():
            continue
        ratio = float(image[focus].mean() / reference)
        out.append((ratio, float(np.count_nonzero(focus)) * sl.pixel_area_mm2))
    return out


def _high_intensity_zone(
    sl: SagittalSlice, level: str, mask: np.ndarray, frame: LocalFrame
) -> list[Measurement]:
    """HIZ measurements of one disc (see module docstring): presence (0/1), focus area (mm2,
    0 when absent) and, when a separated focus exists, the brightest one's mean / nucleus
    reference (among foci of admissible area when there are any)."""
    from spinepath.grade.rules import criteria

    entry = criteria()["hiz"]
    foci = _hiz_foci(sl, mask, frame, float(entry["posterior_fraction"]))
    sized = [f for f in foci if entry["min_area_mm2"] <= f[1] <= entry["max_area_mm2"]]
    best = max(sized or foci, default=None)
    present = bool(sized) and best is not None and best[0] >= float(entry["bounds"][0])
    method = (
        f"focus in the posterior {100 * float(entry['posterior_fraction']):g} % of the disc, "
        "separated from its central third (Aprill & Bogduk 1992; provisional thresholds)"
    )
    out = [
        Measurement(
            name="disc_hiz_present", value=float(present), unit="1", level=level, method=method
        ),
        Measurement(
            name="disc_hiz_area_mm2",
            value=best[1] if present and best is not None else 0.0,
            unit="mm2",
            level=level,
            method=method,
        ),
    ]
    if best is not None:
        out.append(
            Measurement(
                name="disc_hiz_ratio_to_nucleus",
                value=best[0],
                unit="ratio",
                level=level,
                method="focus mean / median of the disc's central third (AP axis)",
            )
        )
    return out


@dataclass(frozen=True)
class _Corners:
    """The posterior corners at a disc level and the lower body (mask, frame)."""

    upper_inferior: np.ndarray
    lower_superior: np.ndarray
    lower_mask: np.ndarray
    lower_frame: LocalFrame


def _posterior_corners(sl: SagittalSlice, level: str) -> _Corners | None:
    """Posterior-inferior corner of the body above ``level`` and posterior-superior corner of the
    body below, or None when either body is missing."""
    upper, lower = level.split("-")
    um, lm = sl.vertebra_mask(upper), sl.vertebra_mask(lower)
    uf, lf = sl.vertebra_frame(upper), sl.vertebra_frame(lower)
    if uf is None or lf is None or um.sum() < 4 or lm.sum() < 4:
        return None
    return _Corners(_corner(sl, um, uf, inferior=True), _corner(sl, lm, lf, inferior=False), lm, lf)


def _posterior_displacement(
    sl: SagittalSlice, level: str, mask: np.ndarray, frame: LocalFrame, corners: _Corners | None
) -> list[Measurement]:
    if corners is None:
        return []
    a, b = corners.upper_inferior, corners.lower_superior
    line = b - a
    norm = np.linalg.norm(line)
    if norm == 0:
        return []
    normal = np.array([line[1], -line[0]]) / norm
    if normal @ frame.v < 0:
        normal = -normal
    beyond = (sl.points(mask) - a) @ normal
    return [
        Measurement(
            name="disc_posterior_displacement_mm",
            value=float(max(beyond.max(), 0.0)),
            unit="mm",
            level=level,
            method="disc beyond the line joining the adjacent posterior body corners",
        )
    ]


def _listhesis(sl: SagittalSlice, level: str, corners: _Corners | None) -> list[Measurement]:
    if corners is None:
        return []
    a, b = corners.upper_inferior, corners.lower_superior
    lm, lf = corners.lower_mask, corners.lower_frame
    from spinepath.measure.frame import endplate_lines

    t, s = lf.project(sl.points(lm))
    top = t <= np.percentile(t, 15)
    endplate = float(np.ptp(s[top]) + sl.spacing[1]) if top.any() else float(np.ptp(s))
    axis = lf.v
    lines = endplate_lines(sl.points(lm), lf, float(max(sl.spacing)))
    if lines is not None:  # along the lower body's superior endplate itself
        axis = lf.v + lines[0][1] * lf.u
        axis = axis / np.linalg.norm(axis)
    shift_mm = float((b - a) @ axis)  # > 0: upper corner anterior of the lower one
    return [
        Measurement(
            name="listhesis_mm",
            value=shift_mm,
            unit="mm",
            level=level,
            method="posterior corners, along the lower superior endplate; anterior positive",
        ),
        Measurement(
            name="listhesis_pct",
            value=100.0 * shift_mm / endplate,
            unit="%",
            level=level,
            method="% of the lower body's superior endplate length (Meyerding)",
        ),
    ]


def _canal_at(sl: SagittalSlice, level: str, frame: LocalFrame) -> list[Measurement]:
    canal = sl.labels == 61
    if not canal.any():
        return []
    t, s = frame.project(sl.points(canal))
    inside = (np.abs(t) <= STRIP_MM / 2) & (s > 0)
    if not inside.any():
        return []
    width = STRIP_MM
    ap = float(np.count_nonzero(inside) * sl.pixel_area_mm2 / width)
    return [
        Measurement(
            name="canal_ap_diameter_mm",
            value=ap,
            unit="mm",
            level=level,
            method="canal extent along the AP axis in a 2 mm strip at the disc centre",
        )
    ]


def touches_border(mask: np.ndarray) -> bool:
    """True when a mask reaches the edge of the picture (the structure may be cut off)."""
    return bool(mask[0].any() or mask[-1].any() or mask[:, 0].any() or mask[:, -1].any())


def measure_vertebra(sl: SagittalSlice, name: str) -> list[Measurement]:
    """Vertebral body heights, ratios and endplate-zone signal of vertebra ``name``."""
    mask = sl.vertebra_mask(name)
    frame = sl.vertebra_frame(name)
    if frame is None or np.count_nonzero(mask) < 4 or touches_border(mask):
        return []  # a body cut by the field of view cannot be measured
    heights, length, _, _ = _heights(sl, mask, frame)
    heights = _margin_heights(sl, mask, frame) or heights
    out = [
        Measurement(name=f"vertebral_height_{k}_mm", value=v, unit="mm", level=name)
        for k, v in heights.items()
    ]
    out.append(Measurement(name="vertebral_ap_length_mm", value=length, unit="mm", level=name))
    if heights["posterior"] > 0:
        out.append(
            Measurement(
                name="vertebral_ratio_anterior_posterior",
                value=heights["anterior"] / heights["posterior"],
                unit="ratio",
                level=name,
            )
        )
        out.append(
            Measurement(
                name="vertebral_ratio_middle_posterior",
                value=heights["middle"] / heights["posterior"],
                unit="ratio",
                level=name,
            )
        )
    out.extend(_endplate_signal(sl, name, mask, frame))
    return out


def _endplate_signal(
    sl: SagittalSlice, name: str, mask: np.ndarray, frame: LocalFrame
) -> list[Measurement]:
    pts = sl.points(mask)
    t, s = frame.project(pts)
    rows, cols = np.nonzero(mask)
    values = sl.image[rows, cols].astype(float)
    marrow = _central_values(sl, mask, frame)
    if not marrow.size or marrow.mean() <= 0:
        return []
    ref = float(marrow.mean())
    out: list[Measurement] = []
    for side, zone in (
        ("superior", t <= t.min() + ENDPLATE_ZONE_MM),
        ("inferior", t >= t.max() - ENDPLATE_ZONE_MM),
    ):
        if np.count_nonzero(zone) < 4:
            continue
        ratio = float(values[zone].mean() / ref)
        edges = np.arange(s.min(), s.max() + STRIP_MM, STRIP_MM)
        idx = np.digitize(s[zone], edges)
        strips = [values[zone][idx == i].mean() / ref for i in np.unique(idx)]
        extent = 100.0 * float(np.mean([abs(r - 1) > 0.2 for r in strips]))
        out.append(
            Measurement(
                name=f"endplate_signal_ratio_{side}",
                value=ratio,
                unit="ratio",
                level=name,
                method=f"{ENDPLATE_ZONE_MM:g} mm zone / central marrow",
            )
        )
        out.append(
            Measurement(
                name=f"endplate_signal_extent_{side}_pct",
                value=extent,
                unit="%",
                level=name,
                method="2 mm strips differing > 20 % from marrow",
            )
        )
    return out


def measure_sagittal(sl: SagittalSlice) -> list[Measurement]:
    """Every disc and vertebra measurement available on a level-labelled sagittal slice."""
    out: list[Measurement] = []
    for level in sl.present_discs():
        out.extend(measure_disc(sl, level))
    for name in sl.present_vertebrae():
        out.extend(measure_vertebra(sl, name))
    return out
