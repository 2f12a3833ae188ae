"""Implicit shapes of the phantom: boolean masks over broadcastable world coordinates.

Every function takes world RAS+ coordinates ``x, y, z`` in mm as numpy arrays that broadcast
against each other (e.g. shapes ``(nx,1,1)``, ``(1,ny,1)``, ``(1,1,nz)``) and returns a boolean
array of the broadcast shape (or a smaller broadcastable one). The renderer and the ground-truth
measurements call the same functions, so the truth is the geometry that was drawn.
"""

from __future__ import annotations

import numpy as np

from spinepath.phantom.anatomy import (
    CANAL_HALF_WIDTH_MM,
    LF_ANGLES_DEG,
    LF_WINDOW_MM,
    SAC_CENTRE_OFFSET_MM,
    SAC_HALF_AP_MM,
    SAC_HALF_WIDTH_MM,
    STENOSIS_PLATEAU_MM,
    STENOSIS_TAPER_MM,
    Anatomy,
    Endplate,
    Herniation,
    Segment,
)

Arr = np.ndarray


def plane_dist(e: Endplate, y: Arr, z: Arr) -> Arr:
    """Signed distance (mm) above endplate ``e``'s plane (positive = cranial)."""
    u = e.u
    return (y - e.posterior[0]) * u[0] + (z - e.posterior[1]) * u[1]


def seg_coords(seg: Segment, y: Arr, z: Arr) -> tuple[Arr, Arr]:
    """(t, s): anterior and cranial coordinates (mm) in ``seg``'s mean frame about its centre."""
    c, u, v = seg.centre, seg.u, seg.v
    dy, dz = y - c[0], z - c[1]
    return dy * v[0] + dz * v[1], dy * u[0] + dz * u[1]


def _superellipse(x: Arr, t: Arr, half_w: float, half_d: float) -> Arr:
    ax = np.abs(x) / half_w
    at = np.abs(t) / half_d
    # Posterior half flatter (exponent 4) than the rounded anterior half (exponent 2).
    return np.where(t < 0, ax**4 + at**4, ax**2 + at**2) <= 1.0


def _within(mask2d: Arr, fn, x: Arr, y: Arr, z: Arr) -> Arr:
    """Evaluate ``fn(x, y, z)`` only inside the (y, z) bounding box of ``mask2d`` (a mask that
    does not depend on x) and AND it with the mask; 3-D inputs only. Saves most of the work
    for small structures on big grids."""
    shape = np.broadcast_shapes(np.shape(x), np.shape(y), np.shape(z))
    out = np.zeros(shape, bool)
    m = np.broadcast_to(mask2d, (1, *shape[1:]))
    if not m.any():
        return out
    i1 = np.nonzero(m.any(axis=(0, 2)))[0]
    i2 = np.nonzero(m.any(axis=(0, 1)))[0]
    s1, s2 = slice(i1[0], i1[-1] + 1), slice(i2[0], i2[-1] + 1)

    def sub(a: Arr) -> Arr:
        a = np.asarray(a)
        return a[:, s1 if a.shape[1] > 1 else slice(None), s2 if a.shape[2] > 1 else slice(None)]

    out[:, s1, s2] = fn(x, sub(y), sub(z)) & m[:, s1, s2]
    return out


def segment_mask(seg: Segment, x: Arr, y: Arr, z: Arr, shrink: float = 0.0) -> Arr:
    """Body or disc between its endplates with a superellipse cross-section; ``shrink`` (mm)
    moves every face inward (used for the cancellous interior inside a cortical rim)."""
    t, _ = seg_coords(seg, y, z)
    hd, hw = seg.depth / 2 - shrink, seg.width / 2 - shrink
    inside = ((plane_dist(seg.lower, y, z) >= shrink) & (plane_dist(seg.upper, y, z) <= -shrink)
              & (np.abs(t) <= hd))

    def cross(xx: Arr, yy: Arr, zz: Arr) -> Arr:
        tt, _ = seg_coords(seg, yy, zz)
        return _superellipse(xx, tt, hw, hd)

    return _within(inside, cross, x, y, z)


def nucleus_mask(disc: Segment, x: Arr, y: Arr, z: Arr, scale: float = 1.0) -> Arr:
    """Nucleus pulposus: an ellipsoid in the disc's frame, slightly posterior of centre
    (``scale`` > 1 gives the blurred transition zone of degenerated discs)."""
    t, s = seg_coords(disc, y, z)
    h = disc.heights["middle_mm"]
    d, w = disc.depth, disc.width
    return (((t + 0.06 * d) / (0.30 * d * scale)) ** 2 + (x / (0.30 * w * scale)) ** 2
            + (s / (0.33 * h * scale)) ** 2) <= 1.0


def cleft_mask(disc: Segment, x: Arr, y: Arr, z: Arr) -> Arr:
    """Horizontal intranuclear cleft band (Pfirrmann II), 1.2 mm thick, at the disc mid-plane."""
    _, s = seg_coords(disc, y, z)
    return np.abs(s) < 0.6


def herniation_mask(anat: Anatomy, hern: Herniation, x: Arr, y: Arr, z: Arr) -> Arr:
    """Displaced disc material beyond the disc margin (may include the disc itself near the
    base; the renderer paints the disc over it)."""
    disc = anat.discs[hern.level]
    t, s = seg_coords(disc, y, z)
    hw, hd = disc.width / 2, disc.depth / 2
    xa = hern.x_apex
    rel = min(abs(xa) / hw, 0.98)
    tb = -hd * (1 - rel**4) ** 0.25
    # Outward normal of the posterior superellipse at the base point.
    g = np.array([4 * np.sign(xa) * rel**3 / hw, -4 * (abs(tb) / hd) ** 3 / hd])
    if not np.any(g):
        g = np.array([0.0, -1.0])
    d = g / np.linalg.norm(g)
    e = np.array([-d[1], d[0]])
    alpha = (x - xa) * d[0] + (t - tb) * d[1]
    beta = (x - xa) * e[0] + (t - tb) * e[1]
    size = hern.size_mm
    if hern.type == "protrusion":
        dome = ((alpha / size) ** 2 + (beta / hern.base_half_width_mm) ** 2
                + (s / hern.half_height_mm) ** 2) <= 1.0
        return dome & (alpha >= -3.0)
    r_a = 0.45 * size
    a_c = size - r_a
    dome = (((alpha - a_c) / r_a) ** 2 + (beta / hern.dome_half_width_mm) ** 2
            + (s / hern.half_height_mm) ** 2) <= 1.0
    neck = ((alpha >= -3.0) & (alpha <= a_c)
            & ((beta / hern.base_half_width_mm) ** 2 + (s / hern.neck_half_height_mm) ** 2
               <= 1.0))
    return dome | neck


# ----------------------------------------------------------------------------- sweeps
def canal_coords(anat: Anatomy, y: Arr, z: Arr) -> Arr:
    """Y: anteroposterior offset (mm) from the canal centre line at height z."""
    return y - anat.canal_y(z)


def sacral_taper(anat: Anatomy, z: Arr) -> Arr:
    """1 above the S1 lower boundary, falling to 0 at the S2 lower boundary (thecal sac end)."""
    z_hi = float(anat.sacral[0].lower.posterior[1])
    z_lo = float(anat.sacral[1].lower.posterior[1])
    return np.clip((z - z_lo) / (z_hi - z_lo), 0.0, 1.0)


def canal_cross_z(anat: Anatomy, disc: str) -> float:
    """World z (mm) where the disc's mid-plane meets the canal centre line."""
    seg = anat.discs[disc]
    lo, hi = seg.centre[1] - 60.0, seg.centre[1] + 60.0

    def g(zz: float) -> float:
        yy = float(anat.canal_y(np.array(zz)))
        return (yy - seg.centre[0]) * seg.u[0] + (zz - seg.centre[1]) * seg.u[1]

    for _ in range(60):
        mid = (lo + hi) / 2
        if g(mid) > 0:
            hi = mid
        else:
            lo = mid
    return (lo + hi) / 2


def sac_scale_z(anat: Anatomy, z: Arr, override: dict[str, float] | None = None) -> Arr:
    """Narrowing factor of the dural sac area at height z (1 = normal)."""
    scales = dict(anat.sac_scale)
    if override:
        scales.update(override)
    out = np.ones_like(np.asarray(z, dtype=float))
    for disc, k in scales.items():
        zc = canal_cross_z(anat, disc)
        dz = np.abs(z - zc)
        w = np.where(dz <= STENOSIS_PLATEAU_MM, 1.0,
                     np.where(dz >= STENOSIS_PLATEAU_MM + STENOSIS_TAPER_MM, 0.0,
                              0.5 * (1 + np.cos(np.pi * (dz - STENOSIS_PLATEAU_MM)
                                                / STENOSIS_TAPER_MM))))
        out = out * (1 - (1 - k) * w)
    return out


def canal_mask(anat: Anatomy, x: Arr, y: Arr, z: Arr) -> Arr:
    """Bony spinal canal: half-ellipse in front of the centre line, half-disc behind it."""
    Y = canal_coords(anat, y, z)
    f = 0.6 + 0.4 * sacral_taper(anat, z)
    r = CANAL_HALF_WIDTH_MM * f
    ant = (x / r) ** 2 + (Y / 8.0) ** 2 <= 1.0
    post = x**2 + Y**2 <= r**2
    return np.where(Y >= 0, ant, post)


def sac_ellipse(anat: Anatomy, x: Arr, y: Arr, z: Arr,
                override: dict[str, float] | None = None) -> Arr:
    """Dural sac ellipse before the ligamentum flavum and herniations are taken out."""
    Y = canal_coords(anat, y, z)
    k = sac_scale_z(anat, z, override) * sacral_taper(anat, z)
    a = SAC_HALF_WIDTH_MM * np.sqrt(k)
    b = SAC_HALF_AP_MM * k**1.5
    a = np.maximum(a, 1e-6)
    b = np.maximum(b, 1e-6)
    return (x / a) ** 2 + ((Y - SAC_CENTRE_OFFSET_MM) / b) ** 2 <= 1.0


def disc_plane_dist(anat: Anatomy, disc: str, y: Arr, z: Arr) -> Arr:
    """Signed distance (mm) from the disc's mid-plane along its axis (positive = cranial)."""
    seg = anat.discs[disc]
    return (y - seg.centre[0]) * seg.u[0] + (z - seg.centre[1]) * seg.u[1]


def lf_masks(anat: Anatomy, x: Arr, y: Arr, z: Arr) -> dict[str, Arr]:
    """Ligamentum flavum per disc: a ring sector of radial thickness t inside the posterior
    canal wall (radius CANAL_HALF_WIDTH_MM), both sides, in the interlaminar window
    (LF_WINDOW_MM along the disc axis)."""
    Y = canal_coords(anat, y, z)
    r = CANAL_HALF_WIDTH_MM
    near = (Y < 0) & (-r < Y)
    out = {}
    for disc in anat.discs:
        t = anat.lf_thickness[disc]
        g = disc_plane_dist(anat, disc, y, z)
        win = near & (g >= LF_WINDOW_MM[0]) & (g <= LF_WINDOW_MM[1])

        def ring(xx: Arr, yy: Arr, zz: Arr, t: float = t) -> Arr:
            YY = canal_coords(anat, yy, zz)
            rho = np.sqrt(xx**2 + YY**2)
            ang = np.degrees(np.arctan2(np.abs(xx), -YY))  # 0 = posterior midline
            return ((rho <= r) & (rho >= r - t) & (ang >= LF_ANGLES_DEG[0])
                    & (ang <= LF_ANGLES_DEG[1]))

        out[disc] = _within(win, ring, x, y, z)
    return out


def lf_mask(anat: Anatomy, disc: str, x: Arr, y: Arr, z: Arr) -> Arr:
    """Ligamentum flavum at one disc (see :func:`lf_masks`)."""
    return lf_masks(anat, x, y, z)[disc]


def sac_mask(anat: Anatomy, x: Arr, y: Arr, z: Arr,
             override: dict[str, float] | None = None,
             lf: dict[str, Arr] | None = None) -> Arr:
    """The dural sac as drawn: its ellipse minus ligamentum flavum and herniated material
    (``lf``: precomputed :func:`lf_masks` on the same points)."""
    m = sac_ellipse(anat, x, y, z, override)
    for lfm in (lf or lf_masks(anat, x, y, z)).values():
        m = m & ~lfm
    for hern in anat.herniations.values():
        m = m & ~herniation_mask(anat, hern, x, y, z)
    return m


def visible_sac_mask(anat: Anatomy, x: Arr, y: Arr, z: Arr,
                     override: dict[str, float] | None = None) -> Arr:
    """The sac as it ends up in the label map: :func:`sac_mask` minus bodies and discs (drawn
    after it; a slipped disc can bulge into the canal)."""
    m = sac_mask(anat, x, y, z, override)
    for seg in [*anat.vertebrae.values(), *anat.sacral, *anat.discs.values()]:
        m = m & ~segment_mask(seg, x, y, z)
    return m


def modic_mask(vert: Segment, endplate: str, depth_mm: float, x: Arr, y: Arr, z: Arr) -> Arr:
    """Marrow next to an endplate of ``vert`` (``superior``/``inferior``), reaching ``depth_mm``
    into the body over the central part of the endplate (ellipse of 0.42 x depth, 0.4 x width)."""
    e = vert.upper if endplate == "superior" else vert.lower
    dist = -plane_dist(e, y, z) if endplate == "superior" else plane_dist(e, y, z)
    c, v = e.centre, e.v
    t = (y - c[0]) * v[0] + (z - c[1]) * v[1]
    return ((dist >= 0) & (dist <= depth_mm)
            & ((t / (0.42 * e.depth)) ** 2 + (x / (0.4 * vert.width)) ** 2 <= 1.0))
