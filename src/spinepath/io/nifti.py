"""Read NIfTI images (.nii / .nii.gz) as a one-series Study."""

from __future__ import annotations

import hashlib
from pathlib import Path

import nibabel as nib
import numpy as np

from spinepath.errors import InputError
from spinepath.io.classify import kind_from_description, plane_from_normal
from spinepath.model.study import Plane, Series, SeriesKind, Study
from spinepath.model.volume import Volume


def slice_axis(volume: Volume) -> int:
    """The array axis most likely to be the slice axis: the coarsest spacing when clearly
    anisotropic (> 1.2x the finest), else the axis with the fewest voxels."""
    spacing = np.asarray(volume.spacing)
    if spacing.max() > 1.2 * spacing.min():
        return int(np.argmax(spacing))
    return int(np.argmin(volume.shape))


def plane_of_volume(volume: Volume) -> Plane:
    """Acquisition plane of a 3-D volume from its slice axis direction in world space."""
    axis = slice_axis(volume)
    return plane_from_normal(volume.affine[:3, axis])


def series_from_volume(
    volume: Volume,
    *,
    uid: str,
    description: str,
    kind: SeriesKind | None = None,
    files: list[Path] | None = None,
) -> Series:
    """Wrap a Volume as a Series, classifying the kind from the description when not given."""
    guessed = kind_from_description(description)
    if kind is not None:
        chosen, conf, reasons = kind, 1.0, ["kind given by the caller"]
    elif guessed is not None:
        chosen, conf, reasons = guessed, 0.6, [f"name {description!r} suggests {guessed.value}"]
    else:
        chosen, conf, reasons = SeriesKind.OTHER, 0.2, ["no sequence information in the name"]
    return Series(
        uid=uid,
        description=description,
        modality="MR" if chosen not in (SeriesKind.CT,) else "CT",
        plane=plane_of_volume(volume),
        kind=chosen,
        kind_confidence=conf,
        kind_reasons=reasons,
        volume=volume,
        n_instances=volume.shape[slice_axis(volume)],
        files=files or [],
    )


def load_nifti_volume(path: Path) -> Volume:
    """Read a NIfTI file into a canonical RAS Volume (the file's affine is kept).

    4-D images with one volume are squeezed; other 4-D images are refused.
    """
    try:
        img = nib.load(str(path))
    except Exception as exc:
        raise InputError(f"cannot read NIfTI file {path}: {exc}") from exc
    data = np.asanyarray(img.dataobj)
    if data.ndim == 4 and data.shape[3] == 1:
        data = data[..., 0]
    if data.ndim == 2:
        data = data[:, :, None]
    if data.ndim != 3:
        raise InputError(f"{path} holds a {data.ndim}-D image of shape {data.shape}; expected 3-D.")
    vol = Volume(data, img.affine, {"source": str(path)})
    return vol.to_canonical()


def load_nifti_study(path: Path, *, kind: SeriesKind | None = None) -> Study:
    """One NIfTI file as a Study with one series (kind guessed from the file name unless given)."""
    volume = load_nifti_volume(path)
    name = path.name.removesuffix(".gz").removesuffix(".nii")
    uid = "nifti-" + hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:16]
    series = series_from_volume(volume, uid=uid, description=name, kind=kind, files=[path])
    return Study(patient_id="", study_uid=uid, series=[series], source=path)
