"""Write a :class:`PhantomStudy` to a folder.

Layout::

    OUT/
      dicom/01_sag_t1/IM0001.dcm ...   one folder per series (MR Image Storage)
      nifti/sag_t1.nii.gz ...          images, float32, RAS affine
      labels/sag_labels.nii.gz         anatomy labels on the sagittal grid (uint16)
      labels/sag_lesions.nii.gz        lesion labels on the sagittal grid
      labels/ax_labels.nii.gz, labels/ax_lesions.nii.gz
      truth.json                       ground truth, label table, series geometry

NIfTI files are gzip-compressed with a zero timestamp so that the same seed gives the same bytes.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import nibabel as nib

from spinepath.errors import InputError
from spinepath.model.volume import Volume
from spinepath.phantom.dicom import write_series_dicom
from spinepath.phantom.generate import PhantomStudy


def _save_nifti(vol: Volume, path: Path) -> None:
    img = vol.to_nifti()
    img.header["descrip"] = b"spinepath phantom"
    path.write_bytes(gzip.compress(img.to_bytes(), compresslevel=1, mtime=0))


def write_study(study: PhantomStudy, out: Path, *, dicom: bool = True, nifti: bool = True
                ) -> dict[str, list[Path]]:
    """Write ``study`` under ``out`` (created; existing phantom files are overwritten).

    Returns the written paths grouped as ``dicom``, ``nifti``, ``labels``, ``truth``.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputError(f"output {out} exists and is not a folder; choose a folder path")
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, list[Path]] = {"dicom": [], "nifti": [], "labels": [], "truth": []}
    for key, series in study.series.items():
        if dicom:
            folder = out / "dicom" / f"{series.number:02d}_{key}"
            written["dicom"] += write_series_dicom(study, series, folder)
        if nifti:
            (out / "nifti").mkdir(exist_ok=True)
            p = out / "nifti" / f"{key}.nii.gz"
            _save_nifti(series.image, p)
            written["nifti"].append(p)
    (out / "labels").mkdir(exist_ok=True)
    for prefix, key in (("sag", "sag_t2"), ("ax", "ax_t2")):
        s = study.series[key]
        for name, vol in (("labels", s.labels), ("lesions", s.lesions)):
            p = out / "labels" / f"{prefix}_{name}.nii.gz"
            _save_nifti(vol, p)
            written["labels"].append(p)
    truth = dict(study.truth)
    truth["files"] = {
        "labels": {"sag": "labels/sag_labels.nii.gz", "sag_lesions": "labels/sag_lesions.nii.gz",
                   "ax": "labels/ax_labels.nii.gz", "ax_lesions": "labels/ax_lesions.nii.gz"},
        "nifti": {k: f"nifti/{k}.nii.gz" for k in study.series} if nifti else {},
        "dicom": {k: f"dicom/{s.number:02d}_{k}" for k, s in study.series.items()}
        if dicom else {},
    }
    p = out / "truth.json"
    p.write_text(json.dumps(truth, indent=1, sort_keys=False) + "\n")
    written["truth"].append(p)
    return written


def load_label_map(path: Path) -> Volume:
    """Read a phantom label map back as a :class:`Volume` (uint16 labels, RAS affine)."""
    img = nib.load(str(path))
    return Volume(img.get_fdata(dtype="float32").astype("uint16"), img.affine)
