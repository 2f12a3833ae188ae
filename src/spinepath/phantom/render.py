"""Rasterise the phantom's anatomy onto an axis-aligned RAS grid.

:func:`render_maps` paints structures in a fixed order (later ones win): body contour and fat,
muscles, foramina, posterior elements, facet joints, canal contents (epidural fat, ligamentum
flavum, dural sac), herniated material, vertebral bodies (cortical rim + marrow, lesions), discs
(annulus, nucleus). It returns the anatomy label map, the lesion map and a tissue-index map
that :mod:`spinepath.phantom.mr` turns into signal per sequence.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from spinepath.phantom import labels as L
from spinepath.phantom import shapes as S
from spinepath.phantom.anatomy import CANAL_HALF_WIDTH_MM, Anatomy, Segment
from spinepath.phantom.mr import Tissue, TissueRegistry, muscle_tissue, nucleus_tissue

# Muscle half-axes (mm, lateral x AP) by vertebral level; interpolated along z.
MULTIFIDUS_RADII = {"T11": (5, 7), "T12": (6, 8), "L1": (7, 9), "L2": (8, 10.5),
                    "L3": (9.5, 12), "L4": (11, 13.5), "L5": (12, 14.5), "S1": (11, 12)}
ERECTOR_RADII = {"T11": (22, 16), "T12": (22, 16), "L1": (22, 16), "L2": (21, 15.5),
                 "L3": (20, 15), "L4": (18, 13.5), "L5": (15, 11), "S1": (10, 8)}
TRANSVERSE_LENGTH = {"T11": 8, "T12": 8, "L1": 14, "L2": 19, "L3": 24, "L4": 21, "L5": 19}
BODY_HALF_AXES = (150.0, 120.0)  # body contour, lateral x AP, mm
BODY_CENTRE_Y = 55.0  # body contour centre, anterior of the canal centre line, mm
SUBCUT_FAT_MM = (20.0, 18.0)  # fat layer thickness (lateral, AP), mm
FACET_CENTRE = (16.5, -11.0)
FACET_RADII = (7.0, 8.0)
FACET_GAP_MM = 1.6


@dataclass
class Maps:
    """Rendered maps on one grid, each of shape (nx, ny, nz)."""

    labels: np.ndarray
    lesions: np.ndarray
    tissue: np.ndarray


def study_tissues(anat: Anatomy) -> TissueRegistry:
    """Register every tissue the study needs (per-disc nuclei, per-muscle fat fractions)."""
    reg = TissueRegistry()
    for disc, grade in anat.pfirrmann.items():
        nuc = nucleus_tissue(grade)
        reg.add(Tissue(f"nucleus:{disc}", nuc.pd, nuc.t1, nuc.t2))
        ann = reg.tissues[reg["annulus"]]
        reg.add(Tissue(f"transition:{disc}", (nuc.pd + ann.pd) / 2, (nuc.t1 + ann.t1) / 2,
                       (nuc.t2 + ann.t2) / 2))
        reg.add(Tissue(f"herniation:{disc}", (nuc.pd + ann.pd) / 2, (nuc.t1 + ann.t1) / 2,
                       0.7 * nuc.t2 + 0.3 * ann.t2))
    for key, ff in anat.fat_fraction.items():
        reg.add(muscle_tissue(f"muscle:{key}", ff))
    return reg


def _level_profile(anat: Anatomy, table: dict[str, tuple[float, float]], z: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray]:
    names = [n for n in anat.vertebra_order() if n in table]
    zs = np.array([_vert_seg(anat, n).centre[1] for n in names])
    order = np.argsort(zs)
    rx = np.array([table[n][0] for n in names])[order]
    ry = np.array([table[n][1] for n in names])[order]
    return np.interp(z, zs[order], rx), np.interp(z, zs[order], ry)


def _vert_seg(anat: Anatomy, name: str) -> Segment:
    return anat.sacral[0] if name == "S1" else anat.vertebrae[name]


def render_maps(anat: Anatomy, reg: TissueRegistry, xs: np.ndarray, ys: np.ndarray,
                zs: np.ndarray) -> Maps:
    """Render labels, lesions and tissue indices at the grid points ``xs x ys x zs`` (world
    RAS mm, 1-D axes of an axis-aligned grid)."""
    shape = (len(xs), len(ys), len(zs))
    x = np.asarray(xs, dtype=np.float64)[:, None, None]
    y = np.asarray(ys, dtype=np.float64)[None, :, None]
    z = np.asarray(zs, dtype=np.float64)[None, None, :]
    lab = np.zeros(shape, np.uint16)
    les = np.zeros(shape, np.uint16)
    tis = np.full(shape, reg["air"], np.uint16)

    def paint(mask: np.ndarray, label: int | None, tissue: str | None,
              lesion: int | None = None) -> None:
        m = np.broadcast_to(mask, shape)
        if label is not None:
            lab[m] = label
        if tissue is not None:
            tis[m] = reg[tissue]
        if lesion is not None:
            les[m] = lesion

    Y = S.canal_coords(anat, y, z)  # (1, ny, nz)
    R = CANAL_HALF_WIDTH_MM

    # --- body contour, subcutaneous fat, abdomen
    bx, by = BODY_HALF_AXES
    outer = (x / bx) ** 2 + ((Y - BODY_CENTRE_Y) / by) ** 2 <= 1
    inner = ((x / (bx - SUBCUT_FAT_MM[0])) ** 2
             + ((Y - BODY_CENTRE_Y) / (by - SUBCUT_FAT_MM[1])) ** 2 <= 1)
    paint(outer, L.SUBCUTANEOUS_FAT, "fat")
    paint(inner, L.SOFT_TISSUE, "soft_tissue")

    # --- paraspinal muscles (sweeps) and the fat around them
    mfx, mfy = _level_profile(anat, MULTIFIDUS_RADII, z)
    esx, esy = _level_profile(anat, ERECTOR_RADII, z)
    pr = np.interp(z, *_psoas_profile(anat))
    for side, sgn in (("left", -1.0), ("right", 1.0)):
        half = (2 * mfx + 2 + 2 * esx) / 2
        env = (((x - sgn * (4 + half)) / (half + 3)) ** 2
               + ((Y + 13 + np.maximum(mfy, esy)) / (np.maximum(mfy, esy) + 4)) ** 2) <= 1
        paint(env & inner, L.PARASPINAL_FAT, "fat")
        mf = ((x - sgn * (4 + mfx)) / mfx) ** 2 + ((Y + 14 + mfy) / mfy) ** 2 <= 1
        es = (((x - sgn * (6 + 2 * mfx + esx)) / esx) ** 2 + ((Y + 12 + esy) / esy) ** 2) <= 1
        paint(es & inner, L.ERECTOR_SPINAE[side], f"muscle:erector_spinae.{side}")
        paint(mf & inner, L.MULTIFIDUS[side], f"muscle:multifidus.{side}")
        prs = np.maximum(pr, 1e-3)
        ps = (((x - sgn * (25 + prs)) / prs) ** 2 + ((Y - 22) / (0.85 * prs)) ** 2 <= 1) & (
            pr > 0.5)
        paint(ps, L.PSOAS[side], f"muscle:psoas.{side}")

    # --- foramina (fat + exiting root) per disc
    for disc in anat.discs:
        g = S.disc_plane_dist(anat, disc, y, z)
        ax = np.abs(x)
        foramen = (ax >= R) & (ax <= R + 9) & (Y >= -7) & (Y <= 8) & (g >= -4) & (g <= 17)
        paint(foramen, L.EPIDURAL_FAT, "fat")
        root = ((ax - (R + 4)) ** 2 + (Y - 1) ** 2 <= 2.6**2) & (g >= 6) & (g <= 15)
        paint(root, L.NERVE_ROOT, "nerve")

    # --- posterior elements per vertebra
    _posterior_elements(anat, paint, x, y, z, Y)

    # --- facet joints per disc
    for disc in anat.discs:
        upper, lower = disc.split("-")
        g = S.disc_plane_dist(anat, disc, y, z)
        win = (g >= -6) & (g <= 14)
        for sgn in (-1.0, 1.0):
            dx, dy = x - sgn * FACET_CENTRE[0], Y - FACET_CENTRE[1]
            ell = (dx / FACET_RADII[0]) ** 2 + (dy / FACET_RADII[1]) ** 2 <= 1
            n = (sgn * dx + dy) / np.sqrt(2.0)  # > 0: anterolateral (lower vertebra's SAP)
            region = ell & win
            paint(region & (n > 0), L.POSTERIOR_OFFSET + L.VERSE_ID[lower], "posterior_bone")
            paint(region & (n <= 0), L.POSTERIOR_OFFSET + L.VERSE_ID[upper], "posterior_bone")
            paint(region & (np.abs(n) < FACET_GAP_MM / 2), L.FACET_OFFSET + L.disc_key(disc),
                  "facet_joint")

    # --- canal contents
    canal = S.canal_mask(anat, x, y, z)
    paint(canal, L.EPIDURAL_FAT, "fat")
    lf = S.lf_masks(anat, x, y, z)
    for disc, lfm in lf.items():
        paint(lfm, L.LIGAMENTUM_FLAVUM_OFFSET + L.disc_key(disc), "ligament")
    paint(S.sac_mask(anat, x, y, z, lf=lf), L.DURAL_SAC, "csf")

    # --- herniated disc material
    for disc, hern in anat.herniations.items():
        paint(S.herniation_mask(anat, hern, x, y, z), L.HERNIATION_OFFSET + L.disc_key(disc),
              f"herniation:{disc}")

    # --- vertebral bodies and sacrum
    fractures = {f.vertebra: f for f in anat.spec.fractures}
    for seg in [*anat.vertebrae.values(), *anat.sacral]:
        vid = L.VERSE_ID[seg.label_vertebra]
        paint(S.segment_mask(seg, x, y, z), vid, "cortex")
        interior = S.segment_mask(seg, x, y, z, shrink=1.0)
        paint(interior, None, "marrow")
        fr = fractures.get(seg.name)
        if fr is not None and fr.acute:
            band = -S.plane_dist(seg.upper, y, z) <= 0.5 * seg.heights["posterior_mm"]
            paint(interior & band, None, "oedema", L.OEDEMA_OFFSET + vid)
    for m in anat.spec.modic:
        name, _, side = m.endplate.partition(".")
        seg = _vert_seg(anat, name)
        interior = S.segment_mask(seg, x, y, z, shrink=1.0)
        off = L.MODIC_SUPERIOR_OFFSET if side == "superior" else L.MODIC_INFERIOR_OFFSET
        paint(interior & S.modic_mask(seg, side, m.depth_mm, x, y, z), None, f"modic{m.type}",
              off + L.VERSE_ID[name])

    # --- discs
    for disc, seg in anat.discs.items():
        k = L.disc_key(disc)
        dmask = S.segment_mask(seg, x, y, z)
        paint(dmask, L.ANNULUS_OFFSET + k, "annulus")
        grade = anat.pfirrmann[disc]
        if grade >= 3:
            paint(dmask & S.nucleus_mask(seg, x, y, z, scale=1.3), None, f"transition:{disc}")
        nuc = dmask & S.nucleus_mask(seg, x, y, z)
        paint(nuc, L.NUCLEUS_OFFSET + k, f"nucleus:{disc}")
        if grade == 2:
            paint(nuc & S.cleft_mask(seg, x, y, z), None, "annulus")
    return Maps(lab, les, tis)


def _psoas_profile(anat: Anatomy) -> tuple[np.ndarray, np.ndarray]:
    names = [n for n in anat.vertebra_order() if n in anat.psoas_radius]
    zs = np.array([_vert_seg(anat, n).centre[1] for n in names])
    r = np.array([anat.psoas_radius[n] for n in names])
    o = np.argsort(zs)
    return zs[o], r[o]


def _posterior_elements(anat: Anatomy, paint, x, y, z, Y) -> None:
    """Laminae, spinous and transverse processes, pedicles (and sacral alae) per vertebra."""
    R = CANAL_HALF_WIDTH_MM
    discs_bottom_up = anat.disc_order()
    verts_bottom_up = anat.vertebra_order()
    rho = np.sqrt(x**2 + Y**2)
    ang = np.degrees(np.arctan2(np.abs(x), -Y))
    ax = np.abs(x)
    for i, name in enumerate(verts_bottom_up):
        seg = _vert_seg(anat, name)
        below = discs_bottom_up[i - 1] if i > 0 else None
        above = discs_bottom_up[i] if i < len(discs_bottom_up) else None
        member = np.ones((1, 1, 1), bool)
        gaps = np.zeros((1, 1, 1), bool)
        sp_gaps = np.zeros((1, 1, 1), bool)
        if below is not None:
            gb = S.disc_plane_dist(anat, below, y, z)
            member = member & (gb > 0)
            gaps = gaps | ((gb >= -6) & (gb <= 8))
            sp_gaps = sp_gaps | (np.abs(gb) <= 7)
        else:
            member = member & (S.plane_dist(anat.sacral[-1].lower, y, z) >= 0)
        if above is not None:
            ga = S.disc_plane_dist(anat, above, y, z)
            member = member & (ga <= 0)
            gaps = gaps | ((ga >= -6) & (ga <= 8))
            sp_gaps = sp_gaps | (np.abs(ga) <= 7)
        else:
            member = member & (S.plane_dist(seg.upper, y, z) <= 4)
        label = L.POSTERIOR_OFFSET + L.VERSE_ID[name]
        lamina = (rho >= R) & (rho <= R + 6) & (ang <= 80) & ~gaps
        spinous = (ax <= 3.5) & (Y <= -R - 3) & (Y >= -45) & ~sp_gaps
        _, s = S.seg_coords(seg, y, z)
        h = seg.heights["posterior_mm"]
        pedicle = (ax >= R - 0.5) & (ax <= R + 7) & (Y >= -3) & (Y <= 10) & (s >= -2) & (
            s <= h / 2 - 2)
        paint(member & (lamina | spinous), label, "posterior_bone")
        paint(pedicle, label, "posterior_bone")
        if name == "S1":
            ala = (ax >= R) & (ax <= 52) & (Y >= -8) & (Y <= 22) & (np.abs(s) <= 10)
            paint(ala, label, "posterior_bone")
        else:
            tp = (ax >= R + 5) & (ax <= R + 5 + TRANSVERSE_LENGTH[name]) & (Y >= -5) & (
                Y <= 1) & (s >= -1) & (s <= 7)
            paint(tp, label, "posterior_bone")
