"""``generate_study``: a whole phantom study in memory (images, label maps, affines, truth).

Series (all 1.5 T turbo spin echo, magnitude):

====  ===========  =====================  ===============================================
 no.  name         geometry               parameters (ms)
====  ===========  =====================  ===============================================
 1    sag_t1       15 sagittal, 4 mm      TR 550, TE 10
 2    sag_t2       thick, 4.4 mm apart,   TR 3500, TE 100
 3    sag_stir     320 x 320 x 0.875 mm   TR 4000, TE 60, TI 160
 4    ax_t2        true axial, 4 mm,      TR 4000, TE 100; one slice centred on the
                   256 x 256 x 0.7 mm     L4-L5 canal plane
====  ===========  =====================  ===============================================

Arrays are canonical RAS (axis 0 toward Right, 1 Anterior, 2 Superior) with diagonal affines;
label maps hold the labels at slice centres, images average three sub-slices across the slice
thickness (partial volume), then a bias field and Rician noise are applied.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from spinepath.model.study import Plane
from spinepath.model.volume import Volume
from spinepath.phantom import shapes as S
from spinepath.phantom.anatomy import Anatomy, build_anatomy
from spinepath.phantom.labels import label_table
from spinepath.phantom.mr import (
    AX_T2,
    SAG_STIR,
    SAG_T1,
    SAG_T2,
    Sequence,
    add_rician_noise,
    bias_field,
)
from spinepath.phantom.render import Maps, render_maps, study_tissues
from spinepath.phantom.spec import PathologySpec
from spinepath.phantom.truth import ground_truth

PHANTOM_VERSION = "1"
SIGNAL_SCALE = 1000.0
"""Noise-free signal (about 0-1) is multiplied by this before noise and quantisation."""
NOISE_SIGMA = 0.018
"""Rician noise std per channel, in units of the noise-free signal (SNR ~30 in marrow)."""
SUBSLICES = 3


@dataclass
class GridSpec:
    """An axis-aligned RAS grid: voxel centres along each axis, world mm."""

    xs: np.ndarray
    ys: np.ndarray
    zs: np.ndarray
    slice_axis: int
    slice_thickness_mm: float

    @property
    def affine(self) -> np.ndarray:
        """Voxel index -> world RAS mm."""
        a = np.eye(4)
        for i, ax in enumerate((self.xs, self.ys, self.zs)):
            a[i, i] = float(ax[1] - ax[0]) if len(ax) > 1 else 1.0
            a[i, 3] = float(ax[0])
        return a

    @property
    def shape(self) -> tuple[int, int, int]:
        """Voxels per axis."""
        return len(self.xs), len(self.ys), len(self.zs)


@dataclass
class PhantomSeries:
    """One series: image and label maps on one grid, with its acquisition description."""

    key: str
    number: int
    description: str
    plane: Plane
    sequence: Sequence
    image: Volume
    labels: Volume
    lesions: Volume
    slice_thickness_mm: float
    rescale_slope: float = 1.0
    rescale_intercept: float = 0.0
    stored: np.ndarray | None = None  # uint16 stored values (image = stored*slope+intercept)


@dataclass
class PhantomStudy:
    """A generated study: series, ground truth, label table, and the anatomy behind them."""

    seed: int
    spec: PathologySpec
    anatomy: Anatomy
    series: dict[str, PhantomSeries]
    truth: dict[str, Any]
    label_table: dict[int, str] = field(default_factory=dict)


def _grids(anat: Anatomy) -> tuple[GridSpec, GridSpec]:
    l3 = anat.vertebrae["L3"].centre
    canal_l3 = float(anat.canal_y(np.array(l3[1])))
    # Sagittal: 15 slices, 4 mm thick every 4.4 mm; 320 x 320 at 0.875 mm (FOV 280 mm).
    n_in, d_in = 320, 0.875
    xs = (np.arange(15) - 7) * 4.4
    yc, zc = canal_l3 + 30.0, l3[1] - 5.0
    ys = yc + (np.arange(n_in) - (n_in - 1) / 2) * d_in
    zs = zc + (np.arange(n_in) - (n_in - 1) / 2) * d_in
    sag = GridSpec(xs, ys, zs, 0, 4.0)
    # Axial: through L3-L4 .. L5-S1; one slice on the L4-L5 canal plane.
    z45 = S.canal_cross_z(anat, "L4-L5")
    zlist = []
    for d in ("L3-L4", "L4-L5", "L5-S1"):
        zlist += [S.canal_cross_z(anat, d), float(anat.discs[d].centre[1])]
    z_lo, z_hi = min(zlist) - 8.0, max(zlist) + 8.0
    m_lo, m_hi = int(np.floor((z_lo - z45) / 4.0)), int(np.ceil((z_hi - z45) / 4.0))
    azs = z45 + 4.0 * np.arange(m_lo, m_hi + 1)
    n_ax, d_ax = 256, 0.7
    ayc = float(anat.canal_y(np.array(z45))) + 15.0
    axs = (np.arange(n_ax) - (n_ax - 1) / 2) * d_ax
    ays = ayc + (np.arange(n_ax) - (n_ax - 1) / 2) * d_ax
    ax = GridSpec(axs, ays, azs, 2, 4.0)
    return sag, ax


def _render_series_maps(anat: Anatomy, reg, grid: GridSpec, subslices: int
                        ) -> tuple[Maps, list[np.ndarray]]:
    """Maps at slice centres and tissue maps at ``subslices`` positions across the thickness."""
    offsets = (np.arange(subslices) - (subslices - 1) / 2) * grid.slice_thickness_mm / subslices
    tissue_maps = []
    centre: Maps | None = None
    for off in offsets:
        axes = [grid.xs, grid.ys, grid.zs]
        axes[grid.slice_axis] = axes[grid.slice_axis] + off
        maps = render_maps(anat, reg, *axes)
        tissue_maps.append(maps.tissue)
        if abs(off) < 1e-9:
            centre = maps
    if centre is None:  # even number of sub-slices: render the centre separately
        centre = render_maps(anat, reg, grid.xs, grid.ys, grid.zs)
    return centre, tissue_maps


def _image(reg, tissue_maps: list[np.ndarray], seq: Sequence, grid: GridSpec,
           rng: np.random.Generator, noise: bool) -> np.ndarray:
    lut = reg.lut(seq)
    img = np.zeros(grid.shape, np.float32)
    for t in tissue_maps:
        img += lut[t]
    img /= len(tissue_maps)
    x = grid.xs[:, None, None]
    y = grid.ys[None, :, None]
    z = grid.zs[None, None, :]
    centre = np.array([grid.xs.mean(), grid.ys.mean(), grid.zs.mean()])
    img = img * bias_field(rng, x, y, z, centre) * SIGNAL_SCALE
    if noise:
        img = add_rician_noise(img, NOISE_SIGMA * SIGNAL_SCALE, rng)
    return img


def generate_study(seed: int = 0, pathologies: PathologySpec | list[str] | None = None, *,
                   noise: bool = True, subslices: int = SUBSLICES) -> PhantomStudy:
    """Generate a phantom study in memory.

    Args:
        seed: random seed; the same seed and pathologies give identical arrays and truth.
        pathologies: a :class:`PathologySpec`, CLI-style strings, or None (healthy spine).
        noise: add Rician noise (turn off for exact signal tests).
        subslices: sub-slices averaged across the slice thickness (partial volume).

    Returns:
        A :class:`PhantomStudy` with images (MR arbitrary units), label maps (uint16), RAS
        affines (mm) and the ground-truth dictionary.
    """
    if pathologies is None:
        spec = PathologySpec()
    elif isinstance(pathologies, PathologySpec):
        spec = pathologies
    else:
        spec = PathologySpec.from_strings(list(pathologies))
    rng = np.random.default_rng([seed, 0])
    anat = build_anatomy(spec, rng)
    reg = study_tissues(anat)
    sag, ax = _grids(anat)
    series: dict[str, PhantomSeries] = {}
    sag_maps, sag_tissues = _render_series_maps(anat, reg, sag, subslices)
    ax_maps, ax_tissues = _render_series_maps(anat, reg, ax, subslices)
    plan = [
        ("sag_t1", 1, "T1 TSE SAG", Plane.SAGITTAL, SAG_T1, sag, sag_maps, sag_tissues, 1.0),
        ("sag_t2", 2, "T2 TSE SAG", Plane.SAGITTAL, SAG_T2, sag, sag_maps, sag_tissues, 1.0),
        ("sag_stir", 3, "STIR SAG", Plane.SAGITTAL, SAG_STIR, sag, sag_maps, sag_tissues, 0.5),
        ("ax_t2", 4, "T2 TSE AX L3-S1", Plane.AXIAL, AX_T2, ax, ax_maps, ax_tissues, 1.0),
    ]
    for key, number, desc, plane, seq, grid, maps, tissues, slope in plan:
        srng = np.random.default_rng([seed, number])
        img = _image(reg, tissues, seq, grid, srng, noise)
        stored = np.clip(np.rint(img / slope), 0, 65535).astype(np.uint16)
        image = stored.astype(np.float32) * np.float32(slope)
        aff = grid.affine
        meta = {"series_description": desc, "kind": seq.name, "units": "MR arbitrary units"}
        series[key] = PhantomSeries(
            key=key, number=number, description=desc, plane=plane, sequence=seq,
            image=Volume(image, aff, meta),
            labels=Volume(maps.labels, aff, {"content": "anatomy labels"}),
            lesions=Volume(maps.lesions, aff, {"content": "lesion labels"}),
            slice_thickness_mm=grid.slice_thickness_mm, rescale_slope=slope, stored=stored,
        )
    truth = ground_truth(anat)
    verts = [*anat.vertebrae, "S1"]
    table = label_table(verts, list(anat.discs))
    truth.update({
        "phantom_version": PHANTOM_VERSION,
        "seed": seed,
        "pathology_spec": spec.model_dump(mode="json"),
        "series": {
            k: {"number": s.number, "description": s.description, "plane": s.plane.value,
                "kind": s.sequence.name, "tr_ms": s.sequence.tr, "te_ms": s.sequence.te,
                "ti_ms": s.sequence.ti, "shape": list(s.image.shape),
                "affine": s.image.affine.round(6).tolist(),
                "slice_thickness_mm": s.slice_thickness_mm}
            for k, s in series.items()
        },
        "label_table": {str(k): v for k, v in sorted(table.items())},
        "notes": "Synthetic test object with exact ground truth; not evidence of accuracy on "
                 "real scans.",
    })
    return PhantomStudy(seed, spec, anat, series, truth, table)
