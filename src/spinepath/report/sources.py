"""Source images of the SEG and SR: read the series' DICOM headers, map a label volume onto them.

A label map is a :class:`~spinepath.model.volume.Volume` in RAS+ mm, on any grid. The DICOM
Segmentation must be stored on the frames of the source series (one SEG frame per source frame),
so each source frame's pixel centres are computed in patient space (DICOM LPS from
ImagePositionPatient, ImageOrientationPatient and PixelSpacing; RAS = diag(-1, -1, 1) LPS) and the
label map is sampled there by nearest neighbour. When the label map was made on the source
series' own grid this is an exact reindexing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pydicom
from pydicom.dataset import Dataset

from spinepath.errors import InputError
from spinepath.model.study import Series
from spinepath.model.volume import Volume


@dataclass
class SourceFrames:
    """Headers of a single-frame source series in slice order, and their geometry.

    Attributes:
        datasets: one header per frame (pixel data not read).
        positions_lps: (n, 3) ImagePositionPatient, mm.
        row_cosine / col_cosine: direction of increasing column index / row index (LPS).
        spacing: (row spacing, column spacing) mm.
        shape: (rows, columns).
    """

    datasets: list[Dataset]
    positions_lps: np.ndarray
    row_cosine: np.ndarray
    col_cosine: np.ndarray
    spacing: tuple[float, float]
    shape: tuple[int, int]


def read_source_frames(series: Series) -> SourceFrames:
    """Read the headers of a DICOM series' files (no pixel data), in slice order.

    Raises:
        InputError: when the series has no DICOM files (NIfTI/PNG input), is multi-frame, or lacks
            the geometry attributes a Segmentation needs.
    """
    non_dicom = (".nii", ".nii.gz", ".png", ".mha", ".mhd", ".nrrd")
    if not series.files or all(str(p).lower().endswith(non_dicom) for p in series.files):
        raise InputError(
            f"series {series.description!r} has no DICOM files (input was not DICOM); DICOM SEG "
            "and SR need the source DICOM images to reference."
        )
    datasets: list[Dataset] = []
    for path in series.files:
        try:
            ds = pydicom.dcmread(Path(path), stop_before_pixels=True)
        except Exception as exc:  # pydicom raises several types for non-DICOM files
            raise InputError(f"{path} is not a readable DICOM file ({exc}).") from exc
        if int(getattr(ds, "NumberOfFrames", 1) or 1) > 1:
            raise InputError(
                f"series {series.description!r} is stored as multi-frame DICOM; SEG/SR output "
                "supports single-frame source series only (for now)."
            )
        for kw in ("ImagePositionPatient", "ImageOrientationPatient", "PixelSpacing"):
            if kw not in ds:
                raise InputError(f"{path} lacks {kw}; a Segmentation cannot be placed on it.")
        datasets.append(ds)
    iop = np.asarray(datasets[0].ImageOrientationPatient, dtype=float)
    row_cos, col_cos = iop[:3], iop[3:]
    normal = np.cross(row_cos, col_cos)
    positions = np.array([np.asarray(d.ImagePositionPatient, dtype=float) for d in datasets])
    order = np.argsort(positions @ normal, kind="stable")
    datasets = [datasets[i] for i in order]
    positions = positions[order]
    ps = datasets[0].PixelSpacing
    return SourceFrames(
        datasets=datasets,
        positions_lps=positions,
        row_cosine=row_cos,
        col_cosine=col_cos,
        spacing=(float(ps[0]), float(ps[1])),
        shape=(int(datasets[0].Rows), int(datasets[0].Columns)),
    )


def sample_nearest(volume: Volume, ras: np.ndarray) -> np.ndarray:
    """Values of ``volume`` at RAS mm points ``ras`` (shape (..., 3)) by nearest neighbour.

    Points outside the volume get 0.
    """
    inv = np.linalg.inv(volume.affine)
    idx = np.rint(ras @ inv[:3, :3].T + inv[:3, 3]).astype(np.int64)
    inside = np.all((idx >= 0) & (idx < np.array(volume.shape)), axis=-1)
    out = np.zeros(ras.shape[:-1], dtype=volume.array.dtype)
    if inside.any():
        ii, jj, kk = (idx[..., a][inside] for a in range(3))
        out[inside] = volume.array[ii, jj, kk]
    return out


def sample_on_frames(labels: Volume, frames: SourceFrames) -> np.ndarray:
    """The label map sampled at every source pixel centre: array (n_frames, rows, columns).

    Pixels outside the label map are 0. Nearest-neighbour sampling (labels are categorical).
    """
    rows, cols = frames.shape
    r = np.arange(rows, dtype=float)
    c = np.arange(cols, dtype=float)
    # LPS position of pixel (r, c) = IPP + c * col_spacing * row_cosine + r * row_spacing * col_cos
    offs = (
        c[None, :, None] * frames.spacing[1] * frames.row_cosine[None, None, :]
        + r[:, None, None] * frames.spacing[0] * frames.col_cosine[None, None, :]
    )  # (rows, cols, 3)
    lps_to_ras = np.array([-1.0, -1.0, 1.0])
    out = np.zeros((len(frames.datasets), rows, cols), dtype=labels.array.dtype)
    for k, ipp in enumerate(frames.positions_lps):
        out[k] = sample_nearest(labels, (offs + ipp[None, None, :]) * lps_to_ras)
    return out
