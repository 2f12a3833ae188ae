"""Geometry of the phantom's lumbar column, in world RAS+ millimetres.

The column lies in the mid-sagittal plane ``x = 0``: every bony body and disc is a segment
between two *endplates*, each a line segment in the (y, z) plane with a posterior and an anterior
corner (extended laterally by a superellipse cross-section). Everything posterior to the bodies
(canal, dural sac, ligamentum flavum, posterior elements, muscles) is a *sweep*: an axial (z =
const) cross-section placed around the canal centre line ``y_c(z)``, which runs through the
posterior corners of the endplates. Level membership posterior to the bodies comes from the disc
mid-planes (each through the disc centre, normal to the disc axis).

The column is built bottom-up from the S1 superior endplate (sacral slope), stacking disc and body
wedges; then translated so that the L3 body centre lands at a seed-dependent table position.
Sizes are typical adult values (order of magnitude from standard anatomy texts); the seed varies
them by a few percent. This is a test object, not an anatomical atlas.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from spinepath.phantom.spec import PathologySpec

# Typical adult dimensions, mm: body (anterior height, posterior height, AP depth, width);
# disc (anterior height, posterior height) by level.
BODY_DIMS: dict[str, tuple[float, float, float, float]] = {
    "T11": (22.0, 23.0, 29.0, 38.0),
    "T12": (23.5, 24.5, 30.0, 40.0),
    "L1": (25.0, 26.0, 32.0, 42.0),
    "L2": (26.5, 27.0, 34.0, 45.0),
    "L3": (27.0, 27.0, 35.0, 48.0),
    "L4": (27.0, 26.5, 35.0, 50.0),
    "L5": (27.0, 24.0, 35.0, 52.0),
}
DISC_DIMS: dict[str, tuple[float, float]] = {
    "T11-T12": (6.0, 4.5),
    "T12-L1": (7.0, 5.0),
    "L1-L2": (9.0, 6.0),
    "L2-L3": (10.5, 7.0),
    "L3-L4": (11.5, 7.5),
    "L4-L5": (13.0, 8.0),
    "L5-S1": (13.0, 6.5),
}
SACRUM_SEGMENTS: tuple[tuple[str, float, float, float, float], ...] = (
    # name, posterior height, anterior height, depth of the lower boundary, width
    ("S1", 28.0, 26.0, 30.0, 50.0),
    ("S2", 22.0, 18.0, 24.0, 44.0),
    ("S3", 18.0, 14.0, 18.0, 36.0),
)
S1_DEPTH_MM = 33.0

PFIRRMANN_HEIGHT_FACTOR: dict[int, float] = {1: 1.0, 2: 1.0, 3: 0.9, 4: 0.75, 5: 0.45}
"""Disc height relative to normal per Pfirrmann grade (the grading table: normal; normal;
normal to slightly decreased; normal to moderately decreased; collapsed). Chosen values."""

CANAL_HALF_WIDTH_MM = 11.0
"""Half interpedicular width of the bony canal; also the radius of its posterior half."""
CANAL_ANTERIOR_MM = 8.0
"""Distance from the canal centre line forward to the posterior vertebral wall."""
SAC_CENTRE_OFFSET_MM = 1.0
SAC_HALF_WIDTH_MM = 8.5
SAC_HALF_AP_MM = 6.5
LF_DEFAULT_MM = 3.0
"""Normal ligamentum flavum thickness (Chokshi 2010, AJNR 31:1813: mean 3.1 mm)."""
LF_ANGLES_DEG = (8.0, 85.0)
"""Angular extent of each ligamentum flavum half, from the posterior midline, degrees."""
LF_WINDOW_MM = (-8.0, 14.0)
"""Extent of the ligamentum flavum along the disc axis, from the disc mid-plane, mm."""
STENOSIS_PLATEAU_MM = 5.0
STENOSIS_TAPER_MM = 8.0
ZONE_OFFSET_MM = {"central": 0.0, "paracentral": 6.5, "subarticular": 13.0, "foraminal": 20.0}
"""Lateral position (|x| from the midline, mm) of a herniation's apex per Fardon zone."""


def _unit_v(phi: float) -> np.ndarray:
    return np.array([np.cos(phi), -np.sin(phi)])


@dataclass(frozen=True)
class Endplate:
    """One endplate: a line segment in the mid-sagittal plane (coordinates (y, z), mm)."""

    vertebra: str
    side: str  # "superior" | "inferior"
    posterior: np.ndarray
    anterior: np.ndarray

    @property
    def name(self) -> str:
        """``"L4.inferior"``."""
        return f"{self.vertebra}.{self.side}"

    @property
    def centre(self) -> np.ndarray:
        """Midpoint (y, z), mm."""
        return (self.posterior + self.anterior) / 2

    @property
    def depth(self) -> float:
        """Anteroposterior length, mm."""
        return float(np.linalg.norm(self.anterior - self.posterior))

    @property
    def v(self) -> np.ndarray:
        """Unit vector toward anterior along the endplate, (y, z)."""
        d = self.anterior - self.posterior
        return d / np.linalg.norm(d)

    @property
    def u(self) -> np.ndarray:
        """Unit normal pointing cranially, (y, z)."""
        v = self.v
        return np.array([-v[1], v[0]])

    def world(self, yz: np.ndarray) -> list[float]:
        """A (y, z) point of this plane as a world RAS [x, y, z] list (x = 0)."""
        return [0.0, float(yz[0]), float(yz[1])]


@dataclass
class Segment:
    """A body (vertebra or sacral segment) or a disc: the space between two endplates.

    Attributes:
        name: ``"L4"`` or ``"L4-L5"``.
        kind: ``"vertebra"`` or ``"disc"``.
        lower, upper: bounding endplates.
        width: left-right width at the mid-sagittal plane, mm.
        label_vertebra: vertebra name whose label the segment carries (sacral segments -> S1).
    """

    name: str
    kind: str
    lower: Endplate
    upper: Endplate
    width: float
    label_vertebra: str = ""

    @property
    def centre(self) -> np.ndarray:
        """Mean of the two endplate midpoints, (y, z) mm."""
        return (self.lower.centre + self.upper.centre) / 2

    @property
    def u(self) -> np.ndarray:
        """Mean cranial axis, unit (y, z)."""
        w = self.lower.u + self.upper.u
        return w / np.linalg.norm(w)

    @property
    def v(self) -> np.ndarray:
        """Mean anterior axis, unit (y, z)."""
        u = self.u
        return np.array([u[1], -u[0]])

    @property
    def depth(self) -> float:
        """Mean AP depth, mm."""
        return (self.lower.depth + self.upper.depth) / 2

    @property
    def heights(self) -> dict[str, float]:
        """Anterior, middle and posterior heights, mm: the distance between the two endplate
        planes along the segment's mean axis ``u``, through the points at ``t = +D/2, 0, -D/2``
        along its mean anterior axis from its centre (perpendicular heights, so a slip does
        not inflate them)."""
        c, u, v = self.centre, self.u, self.v
        out = {}
        for key, t in (("anterior_mm", self.depth / 2), ("middle_mm", 0.0),
                       ("posterior_mm", -self.depth / 2)):
            p0 = c + t * v
            s_lo = -float(np.dot(p0 - self.lower.posterior, self.lower.u)) / float(
                np.dot(u, self.lower.u))
            s_hi = -float(np.dot(p0 - self.upper.posterior, self.upper.u)) / float(
                np.dot(u, self.upper.u))
            out[key] = s_hi - s_lo
        return out


@dataclass
class Herniation:
    """A herniation placed in its disc's frame (see :mod:`spinepath.phantom.render`)."""

    level: str
    type: str
    zone: str
    side: str
    size_mm: float
    x_apex: float  # lateral position of the base centre, mm (RAS x)
    base_half_width_mm: float
    dome_half_width_mm: float
    half_height_mm: float  # craniocaudal half extent of the displaced material
    neck_half_height_mm: float


@dataclass
class Anatomy:
    """The whole phantom geometry plus the pathology parameters the renderer needs."""

    spec: PathologySpec
    vertebrae: dict[str, Segment]
    sacral: list[Segment]
    discs: dict[str, Segment]
    pfirrmann: dict[str, int]
    sac_scale: dict[str, float] = field(default_factory=dict)
    lf_thickness: dict[str, float] = field(default_factory=dict)
    herniations: dict[str, Herniation] = field(default_factory=dict)
    fat_fraction: dict[str, float] = field(default_factory=dict)
    fracture_loss: dict[str, float] = field(default_factory=dict)
    canal_nodes: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))
    psoas_radius: dict[str, float] = field(default_factory=dict)
    intact_heights: dict[str, dict[str, float]] = field(default_factory=dict)
    """Heights (mm) each disc and body would have without degeneration, slip or fracture."""

    # --------------------------------------------------------------- canal centre line
    def canal_y(self, z: np.ndarray) -> np.ndarray:
        """World y (mm) of the canal centre line at world heights ``z`` (mm)."""
        return np.interp(z, self.canal_nodes[:, 1], self.canal_nodes[:, 0])

    def disc_order(self) -> list[str]:
        """Disc names bottom-up."""
        return list(reversed(list(self.discs)))

    def vertebra_order(self) -> list[str]:
        """Vertebra names bottom-up, sacrum (S1) first."""
        return ["S1", *reversed(list(self.vertebrae))]


def _step_up(e: Endplate, h_post: float, h_ant: float, shift: float, depth_next: float,
             vertebra: str, side: str) -> Endplate:
    """Endplate above ``e`` across a wedge of posterior height ``h_post`` and anterior height
    about ``h_ant``; ``shift`` (mm) slides it anteriorly along ``e`` (listhesis)."""
    phi = float(np.arctan2(-e.v[1], e.v[0]))
    delta = float(np.arctan((h_ant - h_post) / e.depth))
    p = e.posterior + h_post * e.u + shift * e.v
    v2 = _unit_v(phi - delta)
    return Endplate(vertebra, side, p, p + depth_next * v2)


def _step_down(e: Endplate, h_post: float, h_ant: float, depth_next: float,
               vertebra: str, side: str) -> Endplate:
    phi = float(np.arctan2(-e.v[1], e.v[0]))
    delta = float(np.arctan((h_ant - h_post) / e.depth))
    p = e.posterior - h_post * e.u
    v2 = _unit_v(phi + delta)
    return Endplate(vertebra, side, p, p + depth_next * v2)


def build_anatomy(spec: PathologySpec, rng: np.random.Generator) -> Anatomy:
    """Build the column geometry for ``spec``; ``rng`` draws the seed's anatomical variation."""
    scale = float(rng.uniform(0.94, 1.06))
    lordosis = float(rng.uniform(0.85, 1.15))
    sacral_slope = np.deg2rad(float(rng.uniform(36.0, 44.0)))

    names = ["L5", "L4", "L3", "L2", "L1", "T12", "T11"]
    if not spec.include_t12:
        names = names[:5]
    fracture = {f.vertebra: f for f in spec.fractures}

    s1_sup = Endplate("S1", "superior", np.zeros(2), S1_DEPTH_MM * scale * _unit_v(sacral_slope))
    # Sacrum, downward.
    sacral: list[Segment] = []
    top = s1_sup
    for name, hp, ha, depth, width in SACRUM_SEGMENTS:
        low = _step_down(top, hp * scale, ha * scale, depth * scale, name, "inferior")
        sacral.append(Segment(name, "vertebra", low, top, width * scale, "S1"))
        top = Endplate(name, "superior", low.posterior, low.anterior)

    vertebrae: dict[str, Segment] = {}
    discs: dict[str, Segment] = {}
    pfirrmann: dict[str, int] = {}
    intact: dict[str, dict[str, float]] = {}
    below = s1_sup
    lower_name = "S1"
    for name in names:
        disc = f"{name}-{lower_name}"
        grade = int(spec.pfirrmann.get(disc, 1))
        pfirrmann[disc] = grade
        f_h = PFIRRMANN_HEIGHT_FACTOR[grade]
        ha, hp = DISC_DIMS[disc]
        ha = hp + (ha - hp) * lordosis
        shift = spec.listhesis_pct.get(disc, 0.0) / 100.0 * below.depth
        bha, bhp, bdepth, bwidth = BODY_DIMS[name]
        inf = _step_up(below, hp * f_h * scale, ha * f_h * scale, shift, bdepth * scale,
                       name, "inferior")
        hp_b, ha_b = bhp * scale, bha * scale
        if name in fracture:
            fr = fracture[name]
            loss = fr.height_loss_pct / 100.0
            ha_b = ha_b * (1 - loss)
            if fr.shape == "crush":
                hp_b = hp_b * (1 - loss)
        sup = _step_up(inf, hp_b, ha_b, 0.0, bdepth * scale, name, "superior")
        intact_inf = _step_up(below, hp * scale, ha * scale, 0.0, bdepth * scale, name, "x")
        intact_sup = _step_up(inf, bhp * scale, bha * scale, 0.0, bdepth * scale, name, "x")
        intact[disc] = Segment(disc, "disc", below, intact_inf, 1.0).heights
        intact[name] = Segment(name, "vertebra", inf, intact_sup, 1.0).heights
        width_disc = (bwidth * scale + (sacral[0].width if lower_name == "S1"
                                        else vertebrae[lower_name].width)) / 2
        discs[disc] = Segment(disc, "disc", below, inf, width_disc)
        vertebrae[name] = Segment(name, "vertebra", inf, sup, bwidth * scale, name)
        below = sup
        lower_name = name

    # Order cranial -> caudal for readability.
    vertebrae = dict(reversed(list(vertebrae.items())))
    discs = dict(reversed(list(discs.items())))

    anat = Anatomy(spec=spec, vertebrae=vertebrae, sacral=sacral, discs=discs,
                   pfirrmann=pfirrmann, intact_heights=intact)
    # Place: L3 body centre at a seed-dependent table position.
    offset = np.array([rng.uniform(-10, 10), rng.uniform(-15, 15)]) - vertebrae["L3"].centre
    _translate(anat, offset)
    _canal(anat)
    anat.fracture_loss = {f.vertebra: f.height_loss_pct for f in spec.fractures}
    ff = dict(DEFAULT_FAT_FRACTION_SIDES)
    for key, val in spec.fat_fraction.items():
        muscle, _, side = key.partition(".")
        for s in ("left", "right") if not side else (side,):
            ff[f"{muscle}.{s}"] = float(val)
    anat.fat_fraction = ff
    for disc in anat.discs:
        anat.lf_thickness[disc] = float(spec.lf_thickness_mm.get(disc, LF_DEFAULT_MM))
    for h in spec.herniations:
        anat.herniations[h.level] = _place_herniation(anat, h)
    # Psoas grows caudally: radius (mm) by vertebra.
    anat.psoas_radius = {"T11": 0.0, "T12": 3.0, "L1": 7.0, "L2": 10.0, "L3": 13.5, "L4": 16.5,
                         "L5": 18.0, "S1": 16.0}
    # Dural sac scale per stenotic disc, solved so that the measured area equals the spec.
    from spinepath.phantom.truth import solve_sac_scale

    for disc, area in spec.stenosis_area_mm2.items():
        anat.sac_scale[disc] = solve_sac_scale(anat, disc, area)
    return anat


DEFAULT_FAT_FRACTION_SIDES = {
    f"{m}.{s}": v for m, v in
    {"psoas": 0.03, "erector_spinae": 0.06, "multifidus": 0.08}.items()
    for s in ("left", "right")
}


def _translate(anat: Anatomy, offset: np.ndarray) -> None:
    def mv(e: Endplate) -> Endplate:
        return Endplate(e.vertebra, e.side, e.posterior + offset, e.anterior + offset)

    for seg in [*anat.vertebrae.values(), *anat.sacral, *anat.discs.values()]:
        seg.lower = mv(seg.lower)
        seg.upper = mv(seg.upper)


def _canal(anat: Anatomy) -> None:
    """Canal centre line nodes (y, z): posterior endplate corners moved back by
    CANAL_ANTERIOR_MM along y, extended far beyond both ends of the column."""
    pts = []
    for seg in [*anat.vertebrae.values(), *anat.sacral]:
        pts += [seg.lower.posterior, seg.upper.posterior]
    arr = np.array(pts)
    arr[:, 0] -= CANAL_ANTERIOR_MM
    arr = arr[np.argsort(arr[:, 1])]
    # Deduplicate equal heights (shared endplates).
    keep = np.concatenate([[True], np.diff(arr[:, 1]) > 1e-6])
    arr = arr[keep]
    top_seg = next(iter(anat.vertebrae.values()))
    up = np.array([top_seg.u[0], top_seg.u[1]])
    bottom = anat.sacral[-1]
    down = -bottom.u
    ext_top = arr[-1] + 400 * up / up[1]
    ext_bot = arr[0] + 400 * down / -down[1]
    anat.canal_nodes = np.vstack([ext_bot, arr, ext_top])


def _place_herniation(anat: Anatomy, h) -> Herniation:
    disc = anat.discs[h.level]
    sign = {"left": -1.0, "right": 1.0, "central": 0.0}[h.side]
    x = sign * ZONE_OFFSET_MM[h.zone]
    hmid = disc.heights["middle_mm"]
    s = h.size_mm
    if h.type == "protrusion":
        base = 1.3 * s + 3.0
        return Herniation(h.level, h.type, h.zone, h.side, s, x, base, base,
                          0.35 * hmid, 0.35 * hmid)
    # Extrusion: a narrow neck at the disc margin and a wider dome beyond it.
    neck = max(0.22 * s, 1.2)
    dome = max(0.55 * s, neck + 1.5)
    return Herniation(h.level, h.type, h.zone, h.side, s, x, neck, dome,
                      max(0.6 * s, 0.45 * hmid), 0.3 * hmid)
