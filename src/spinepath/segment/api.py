"""``segment_volume``: sagittal Volume -> semantic and level label maps + level labelling.

Geometry: the input is brought to the canonical RAS orientation (axes R, A, S; see
:mod:`spinepath.model.volume`); each sagittal slice ``array[i]`` is shown to the network in
display orientation (rows superior->inferior, cols anterior->posterior) and the results are put
back, so the label maps share the canonical volume's affine exactly.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from spinepath.errors import AnalysisError, InputError
from spinepath.levels import LevelLabelling, label_stack
from spinepath.model.volume import Volume
from spinepath.segment import labels as L
from spinepath.segment.onnx_model import OnnxSegmenter
from spinepath.segment.postprocess import channel_masks, semantic_map

MIN_DISCS = 2
MIN_VERTEBRAE = 2


@dataclass
class SpineSegmentation:
    """Result of segmenting one sagittal series.

    Attributes:
        semantic: label map (values in :data:`spinepath.segment.labels.SEMANTIC_NAMES`) on the
            canonical grid of the input.
        levels: level label map (SPINEPS/VerSe ids, discs 100+id, canal 61), same grid.
        labelling: named discs/vertebrae and the certainty of the numbering.
        masks: channel masks in display orientation ``(n, rows, cols)``.
        display_spacing_mm: (row, col) pixel size of the display-orientation stack.
        image_display: the input slices in display orientation ``(n, rows, cols)``.
        provenance: algorithm, model hash, parameters, timing.
    """

    semantic: Volume
    levels: Volume
    labelling: LevelLabelling
    masks: dict[str, np.ndarray]
    display_spacing_mm: tuple[float, float]
    image_display: np.ndarray
    provenance: dict = field(default_factory=dict)


def to_display(array_ras: np.ndarray) -> np.ndarray:
    """(R, A, S) array -> display stack (R, S->I rows, A->P cols)."""
    return np.ascontiguousarray(np.flip(np.transpose(array_ras, (0, 2, 1)), axis=(1, 2)))


def from_display(stack: np.ndarray) -> np.ndarray:
    """Inverse of :func:`to_display`."""
    return np.ascontiguousarray(np.transpose(np.flip(stack, axis=(1, 2)), (0, 2, 1)))


def through_plane_axis(volume: Volume) -> int:
    """Canonical axis (0 = R-L, 1 = A-P, 2 = S-I) along which the slices are stacked: the axis
    with the largest spacing, or with the fewest voxels when the voxels are isotropic."""
    can = volume.to_canonical()
    sp = np.asarray(can.spacing)
    if np.ptp(sp) > 0.05 * sp.max():
        return int(np.argmax(sp))
    return int(np.argmin(np.asarray(can.shape)))


def check_sagittal(volume: Volume) -> None:
    """Raise :class:`InputError` unless the canonical volume is a sagittal stack (slices along
    the left-right axis)."""
    through = through_plane_axis(volume)
    if through != 0:
        can = volume.to_canonical()
        plane = {1: "coronal", 2: "axial"}[through]
        raise InputError(
            f"this series looks {plane} (slices along the {'AP' if through == 1 else 'SI'} axis, "
            f"spacing {tuple(round(float(s), 2) for s in can.spacing)} mm, shape {can.shape}); "
            "the built-in segmenter needs a sagittal series: pick the sagittal T2 or T1 series"
        )


def segment_volume(
    volume: Volume, *, segmenter: OnnxSegmenter | None = None, require_spine: bool = True
) -> SpineSegmentation:
    """Segment a sagittal lumbar MRI volume and label its levels.

    Raises:
        InputError: the series is not sagittal.
        AnalysisError: no lumbar spine was found (fewer than 2 discs or 2 vertebrae) when
            ``require_spine``.
    """
    check_sagittal(volume)
    seg = segmenter or OnnxSegmenter()
    t0 = time.perf_counter()
    can = volume.to_canonical()
    sx, sy, sz = can.spacing
    stack = to_display(np.asarray(can.array, dtype=np.float32))
    spacing = (float(sz), float(sy))
    prob = seg.predict(stack, spacing)
    masks = channel_masks(prob, spacing)
    lab = label_stack(masks["disc"], masks["vertebra"], spacing, float(sx))
    if require_spine and (len(lab.discs) < MIN_DISCS or len(lab.vertebrae) < MIN_VERTEBRAE):
        raise AnalysisError(
            f"no lumbar spine found in this series ({len(lab.discs)} discs, {len(lab.vertebrae)} "
            "vertebrae detected); give a sagittal lumbar MRI series"
        )
    # sacrum (the vertebra named S1) and level maps, projected through the stack
    sacrum2d = np.zeros(lab.vertebra_map.shape, bool)
    vmap = np.zeros(lab.vertebra_map.shape, np.int16)
    for v in lab.vertebrae:
        if v.name in L.VERTEBRA_IDS:
            vmap[lab.vertebra_map == v.index] = L.VERTEBRA_IDS[v.name]
        if v.name == "S1" and lab.sacrum_visible:
            sacrum2d |= lab.vertebra_map == v.index
    dmap = np.zeros(lab.disc_map.shape, np.int16)
    for d in lab.discs:
        if d.name.split("-")[0] in L.VERTEBRA_IDS:
            dmap[lab.disc_map == d.index] = L.disc_id(d.name)
    sem = semantic_map(masks, sacrum=np.broadcast_to(sacrum2d, masks["disc"].shape))
    lev = np.zeros(sem.shape, np.int16)
    lev[masks["vertebra"]] = np.broadcast_to(vmap, sem.shape)[masks["vertebra"]]
    lev[masks["canal"]] = L.CANAL_ID
    lev[masks["disc"]] = np.broadcast_to(dmap, sem.shape)[masks["disc"]]
    elapsed = time.perf_counter() - t0
    prov = {
        "algorithm": "spinepath builtin 2-D U-Net (onnxruntime) + levels from the sacrum",
        "model": Path(seg.model_path).name,
        "model_sha256": seg.sha256,
        "work_spacing_mm": 0.8,
        "threshold": 0.5,
        "seconds": round(elapsed, 2),
    }
    meta = {"source": "spinepath.segment", "labels": L.SEMANTIC_NAMES}
    return SpineSegmentation(
        semantic=Volume(from_display(sem), can.affine, dict(meta)),
        levels=Volume(from_display(lev), can.affine, {"source": "spinepath.segment"}),
        labelling=lab,
        masks=masks,
        display_spacing_mm=spacing,
        image_display=stack,
        provenance=prov,
    )
