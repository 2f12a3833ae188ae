"""Volume: a 3-D image array with the affine that places it in patient space.

Canonical orientation (used from ingest to output; docs/architecture.md refers here)
------------------------------------------------------------------------------------
* World frame: **RAS+ millimetres** (NIfTI / scanner convention): x grows toward the patient's
  Right, y toward Anterior, z toward Superior. DICOM's LPS coordinates are converted by negating
  x and y.
* Voxel axes after :meth:`Volume.to_canonical`: axis 0 runs toward Right, axis 1 toward Anterior,
  axis 2 toward Superior (the closest axis-aligned RAS ordering; an oblique acquisition keeps its
  obliquity in the affine, nothing is resampled).

So a sagittal MRI series has shape ``(n_slices, n_ap, n_si)``; ``volume.array[i]`` is one
sagittal slice with anterior along axis 0 and superior along axis 1. Use
:meth:`Volume.sagittal_display` for a picture with the head up and anterior on the left.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import nibabel as nib
import numpy as np
from nibabel import orientations

LPS_TO_RAS = np.diag([-1.0, -1.0, 1.0, 1.0])
"""Multiply a DICOM (LPS) affine on the left by this to get a RAS affine."""


@dataclass
class Volume:
    """An image array and its voxel-to-world affine.

    Attributes:
        array: 3-D array, indexed ``[i, j, k]``; intensities in the modality's units (MR
            arbitrary units, CT Hounsfield units, PET Bq/ml or SUV when stated).
        affine: 4x4 matrix mapping voxel index ``(i, j, k, 1)`` to RAS+ world millimetres.
        meta: free metadata (series description, units, source), copied on reorientation.
    """

    array: np.ndarray
    affine: np.ndarray
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.array = np.asarray(self.array)
        self.affine = np.asarray(self.affine, dtype=float)
        if self.array.ndim != 3:
            raise ValueError(f"a Volume is 3-D; got an array of shape {self.array.shape}")
        if self.affine.shape != (4, 4):
            raise ValueError(f"affine must be 4x4, got {self.affine.shape}")
        if abs(np.linalg.det(self.affine[:3, :3])) < 1e-9:
            raise ValueError("affine is singular (zero voxel size or collinear axes)")

    @property
    def shape(self) -> tuple[int, int, int]:
        """Array shape (voxels)."""
        i, j, k = self.array.shape
        return int(i), int(j), int(k)

    @property
    def spacing(self) -> tuple[float, float, float]:
        """Voxel size along each array axis, in mm."""
        sx, sy, sz = np.linalg.norm(self.affine[:3, :3], axis=0)
        return float(sx), float(sy), float(sz)

    @property
    def orientation(self) -> str:
        """Axis codes, e.g. ``"RAS"`` (axis 0 toward Right, ...)."""
        return "".join(str(c) for c in nib.aff2axcodes(self.affine))

    def world(self, ijk: np.ndarray | tuple[float, float, float]) -> np.ndarray:
        """World RAS mm of voxel index/indices ``ijk`` (shape ``(3,)`` or ``(n, 3)``)."""
        pts = np.atleast_2d(np.asarray(ijk, dtype=float))
        out = pts @ self.affine[:3, :3].T + self.affine[:3, 3]
        return out[0] if np.ndim(ijk) == 1 else out

    def voxel(self, xyz: np.ndarray | tuple[float, float, float]) -> np.ndarray:
        """Continuous voxel index of world RAS mm point(s) ``xyz``."""
        inv = np.linalg.inv(self.affine)
        pts = np.atleast_2d(np.asarray(xyz, dtype=float))
        out = pts @ inv[:3, :3].T + inv[:3, 3]
        return out[0] if np.ndim(xyz) == 1 else out

    def to_canonical(self) -> Volume:
        """The same image with its axes permuted/flipped to the closest RAS+ ordering.

        Pure index reordering: no interpolation, world positions of voxels are unchanged. The
        array is a view of the original where possible (call ``np.ascontiguousarray`` when a
        contiguous buffer is needed).
        """
        current = orientations.io_orientation(self.affine)
        target = orientations.axcodes2ornt(("R", "A", "S"))
        transform = orientations.ornt_transform(current, target)
        if np.array_equal(transform, [[0, 1], [1, 1], [2, 1]]):
            return self
        array = orientations.apply_orientation(self.array, transform)
        inv = orientations.inv_ornt_aff(transform, self.array.shape)
        return Volume(array, self.affine @ inv, dict(self.meta))

    def sagittal_display(self, index: int | None = None) -> np.ndarray:
        """A 2-D sagittal picture (rows superior->inferior, columns anterior->posterior).

        Takes the middle slice along the left-right axis when ``index`` is None. The volume is
        brought to canonical orientation first.
        """
        can = self.to_canonical()
        i = can.shape[0] // 2 if index is None else index
        sl = can.array[i]  # axes: (A, S)
        return np.ascontiguousarray(np.flip(sl.T, axis=(0, 1)))  # rows: S->I, cols: A->P

    def to_nifti(self) -> nib.Nifti1Image:
        """A NIfTI-1 image with this array and affine (qform and sform set, code 'scanner')."""
        img = nib.Nifti1Image(self.array, self.affine)
        img.set_qform(self.affine, code=1)
        img.set_sform(self.affine, code=1)
        return img
