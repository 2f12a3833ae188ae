"""Small hand-made DICOM series for ingest tests (not the phantom: just geometry and tags)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pydicom
from pydicom.dataset import FileDataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, MRImageStorage, generate_uid

ORIENTATIONS = {
    # DICOM LPS row cosine, column cosine
    "sagittal": [0.0, 1.0, 0.0, 0.0, 0.0, -1.0],  # rows run posterior, columns run inferior
    "axial": [1.0, 0.0, 0.0, 0.0, 1.0, 0.0],
    "coronal": [1.0, 0.0, 0.0, 0.0, 0.0, -1.0],
}


def make_slice(
    *,
    pixels: np.ndarray,
    ipp: list[float],
    iop: list[float],
    spacing: tuple[float, float] = (0.8, 0.7),
    thickness: float = 4.0,
    study_uid: str,
    series_uid: str,
    patient_id: str = "P001",
    description: str = "SAG T2 TSE",
    tr: float | None = 3500.0,
    te: float | None = 100.0,
    ti: float | None = None,
    scanning_sequence: str = "SE",
    scan_options: str = "",
    image_type: list[str] | None = None,
    modality: str = "MR",
    instance: int = 1,
    series_number: int = 1,
    slope: float | None = None,
    intercept: float | None = None,
) -> FileDataset:
    """One MR slice data set with full geometry."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = MRImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset("", {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID = MRImageStorage
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.PatientID = patient_id
    ds.PatientName = "Test^Patient"
    ds.PatientAge = "045Y"
    ds.StudyInstanceUID = study_uid
    ds.SeriesInstanceUID = series_uid
    ds.Modality = modality
    ds.SeriesDescription = description
    ds.SeriesNumber = series_number
    ds.InstanceNumber = instance
    ds.ImageType = image_type or ["ORIGINAL", "PRIMARY", "M", "ND"]
    ds.ScanningSequence = scanning_sequence
    ds.SequenceVariant = "SK"
    ds.ScanOptions = scan_options
    if tr is not None:
        ds.RepetitionTime = tr
    if te is not None:
        ds.EchoTime = te
    if ti is not None:
        ds.InversionTime = ti
    ds.ImagePositionPatient = [float(v) for v in ipp]
    ds.ImageOrientationPatient = [float(v) for v in iop]
    ds.PixelSpacing = [spacing[0], spacing[1]]
    ds.SliceThickness = thickness
    ds.Rows, ds.Columns = pixels.shape
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = 16
    ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 0
    if slope is not None:
        ds.RescaleSlope = slope
        ds.RescaleIntercept = intercept or 0.0
    ds.PixelData = pixels.astype(np.uint16).tobytes()
    return ds


def write_series(
    folder: Path,
    *,
    plane: str = "sagittal",
    n: int = 6,
    shape: tuple[int, int] = (24, 20),
    step_mm: float = 4.0,
    origin: tuple[float, float, float] = (-10.0, 40.0, 60.0),
    study_uid: str | None = None,
    series_uid: str | None = None,
    skip: tuple[int, ...] = (),
    file_prefix: str = "",
    reverse_names: bool = True,
    **tags: object,
) -> tuple[list[Path], str, str]:
    """Write a series of ``n`` slices; slice k's pixels all equal ``100 + k`` plus a gradient.

    File names are written in reverse slice order (``reverse_names``) so that a reader ordering by
    name gets the stack wrong. Returns (paths, study_uid, series_uid).
    """
    folder.mkdir(parents=True, exist_ok=True)
    study_uid = study_uid or generate_uid()
    series_uid = series_uid or generate_uid()
    iop = ORIENTATIONS[plane]
    normal = np.cross(iop[:3], iop[3:])
    paths = []
    for k in range(n):
        if k in skip:
            continue
        pixels = np.full(shape, 100 + k, dtype=np.uint16)
        pixels[0, :] += np.arange(shape[1], dtype=np.uint16)  # row 0 gradient marks columns
        ipp = list(np.asarray(origin) + k * step_mm * normal)
        ds = make_slice(
            pixels=pixels,
            ipp=ipp,
            iop=iop,
            study_uid=study_uid,
            series_uid=series_uid,
            instance=k + 1,
            **tags,
        )  # type: ignore[arg-type]
        name = f"{file_prefix}{(n - k) if reverse_names else k:03d}.dcm"
        path = folder / name
        pydicom.dcmwrite(path, ds, enforce_file_format=True)
        paths.append(path)
    return paths, study_uid, series_uid


def write_volume_series(
    folder: Path,
    array_ras: np.ndarray,
    affine_ras: np.ndarray,
    *,
    modality: str,
    study_uid: str,
    series_number: int,
    description: str,
    patient_id: str = "P001",
    extra: Callable[[FileDataset, int], None] | None = None,
    rescale: tuple[float, float] = (1.0, 0.0),
) -> str:
    """Write an axis-aligned RAS volume (axis 2 = superior) as axial DICOM slices.

    Pixel value = (array - intercept) / slope, stored as int16 / uint16. ``extra(ds, k)`` adds
    modality-specific tags. Returns the SeriesInstanceUID.
    """
    from pydicom.uid import CTImageStorage, PositronEmissionTomographyImageStorage

    sop = {"CT": CTImageStorage, "PT": PositronEmissionTomographyImageStorage}[modality]
    folder.mkdir(parents=True, exist_ok=True)
    series_uid = generate_uid()
    slope, intercept = rescale
    sx, sy, sz = np.abs(np.diag(affine_ras)[:3])
    for k in range(array_ras.shape[2]):
        # DICOM rows run posterior (+y LPS = -y RAS), columns run left (+x LPS = -x RAS)
        sl = array_ras[::-1, ::-1, k].T  # [row = A->P, col = R->L]
        ijk_first = np.array([array_ras.shape[0] - 1, array_ras.shape[1] - 1, k, 1.0])
        ras = affine_ras @ ijk_first
        ipp = [-ras[0], -ras[1], ras[2]]
        stored = np.round((sl - intercept) / slope)
        signed = bool(stored.min() < 0)
        pixels = stored.astype(np.int16 if signed else np.uint16)
        ds = make_slice(
            pixels=pixels.astype(np.uint16),
            ipp=ipp,
            iop=ORIENTATIONS["axial"],
            spacing=(float(sy), float(sx)),
            thickness=float(sz),
            study_uid=study_uid,
            series_uid=series_uid,
            patient_id=patient_id,
            description=description,
            tr=None,
            te=None,
            modality=modality,
            instance=k + 1,
            series_number=series_number,
            slope=slope,
            intercept=intercept,
        )
        ds.SOPClassUID = sop
        ds.file_meta.MediaStorageSOPClassUID = sop
        ds.PixelRepresentation = 1 if signed else 0
        ds.PixelData = pixels.tobytes()
        for tag in ("ScanningSequence", "SequenceVariant", "ScanOptions"):
            if tag in ds:
                delattr(ds, tag)
        if extra is not None:
            extra(ds, k)
        pydicom.dcmwrite(folder / f"{k:04d}.dcm", ds, enforce_file_format=True)
    return series_uid
