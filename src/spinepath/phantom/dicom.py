"""Write a phantom series as DICOM MR Image Storage files (explicit VR little endian).

Geometry: sagittal images use ImageOrientationPatient ``[0,1,0, 0,0,-1]`` (rows run anterior to
posterior, columns head to foot), axial images ``[1,0,0, 0,1,0]`` (radiological view);
ImagePositionPatient is the LPS position of the first pixel of each slice, converted from the
phantom's RAS grid by negating x and y. UIDs come from :func:`pydicom.uid.generate_uid` with
entropy from the seed, the pathology spec and the series/instance, so the same input gives the
same files byte for byte.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import (
    PYDICOM_IMPLEMENTATION_UID,
    ExplicitVRLittleEndian,
    MRImageStorage,
    generate_uid,
)

from spinepath import __version__
from spinepath.model.study import Plane
from spinepath.phantom.generate import PhantomSeries, PhantomStudy

STUDY_DATE = "20260101"
STUDY_TIME = "090000"


def _uid(study: PhantomStudy, *parts: object) -> str:
    spec_hash = hashlib.sha256(study.spec.model_dump_json().encode()).hexdigest()[:16]
    return generate_uid(entropy_srcs=["spinepath-phantom", str(study.seed), spec_hash,
                                      *(str(p) for p in parts)])


def _slices(series: PhantomSeries) -> list[tuple[np.ndarray, list[float], list[float], float]]:
    """(pixels rows x cols, ImagePositionPatient LPS, PixelSpacing, SliceLocation) per slice,
    in acquisition (instance) order."""
    assert series.stored is not None
    arr = series.stored
    aff = series.image.affine
    sx, sy, sz = aff[0, 0], aff[1, 1], aff[2, 2]
    nx, ny, nz = arr.shape
    out = []
    if series.plane == Plane.SAGITTAL:
        for i in range(nx):  # patient right to left
            pix = arr[i, ::-1, ::-1].T  # rows: S->I, cols: A->P
            ras = aff @ np.array([i, ny - 1, nz - 1, 1.0])
            out.append((pix, [-ras[0], -ras[1], ras[2]], [sz, sy], -ras[0]))
    else:
        for k in range(nz - 1, -1, -1):  # head to foot
            pix = arr[::-1, ::-1, k].T  # rows: A->P, cols: R->L
            ras = aff @ np.array([nx - 1, ny - 1, k, 1.0])
            out.append((pix, [-ras[0], -ras[1], ras[2]], [sy, sx], ras[2]))
    return out


def write_series_dicom(study: PhantomStudy, series: PhantomSeries, folder: Path) -> list[Path]:
    """Write one series into ``folder`` (created); returns the file paths in instance order."""
    folder.mkdir(parents=True, exist_ok=True)
    seq = series.sequence
    study_uid = _uid(study, "study")
    frame_uid = _uid(study, "frame")
    series_uid = _uid(study, "series", series.key)
    sag = series.plane == Plane.SAGITTAL
    iop = [0.0, 1.0, 0.0, 0.0, 0.0, -1.0] if sag else [1.0, 0.0, 0.0, 0.0, 1.0, 0.0]
    aff = series.image.affine
    spacing_between = float(abs(aff[0, 0] if sag else aff[2, 2]))
    img = series.image.array
    lo, hi = np.percentile(img, [1, 99.5])
    paths = []
    for n, (pix, ipp, ps, loc) in enumerate(_slices(series), start=1):
        sop_uid = _uid(study, "instance", series.key, n)
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = MRImageStorage
        meta.MediaStorageSOPInstanceUID = sop_uid
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
        ds = Dataset()
        ds.file_meta = meta
        ds.SpecificCharacterSet = "ISO_IR 100"
        ds.ImageType = ["ORIGINAL", "PRIMARY", "M", "ND"]
        ds.SOPClassUID = MRImageStorage
        ds.SOPInstanceUID = sop_uid
        ds.StudyDate = ds.SeriesDate = ds.ContentDate = STUDY_DATE
        ds.StudyTime = ds.SeriesTime = STUDY_TIME
        ds.ContentTime = f"{9:02d}{series.number:02d}{n % 60:02d}"
        ds.AccessionNumber = f"PH{study.seed:08d}"
        ds.Modality = "MR"
        ds.Manufacturer = "spinepath phantom"
        ds.ManufacturerModelName = "synthetic lumbar phantom"
        ds.SoftwareVersions = f"spinepath {__version__}"
        ds.InstitutionName = "spinepath synthetic data"
        ds.StudyDescription = "LUMBAR SPINE MRI (SYNTHETIC PHANTOM)"
        ds.SeriesDescription = series.description
        ds.PatientName = f"Phantom^Seed{study.seed}"
        ds.PatientID = f"PHANTOM-{study.seed:06d}"
        ds.PatientBirthDate = ""
        ds.PatientSex = "O"
        ds.PatientAge = "045Y"
        ds.BodyPartExamined = "LSPINE"
        ds.ScanningSequence = ["SE", "IR"] if seq.ti is not None else ["SE"]
        ds.SequenceVariant = ["SK", "SP", "MP"] if seq.ti is not None else ["SK", "SP"]
        ds.ScanOptions = ["IR"] if seq.ti is not None else ["PFP"]
        ds.MRAcquisitionType = "2D"
        ds.SequenceName = "*tir2d1" if seq.ti is not None else "*tse2d1"
        ds.SliceThickness = f"{series.slice_thickness_mm:g}"
        ds.RepetitionTime = f"{seq.tr:g}"
        ds.EchoTime = f"{seq.te:g}"
        if seq.ti is not None:
            ds.InversionTime = f"{seq.ti:g}"
        ds.NumberOfAverages = "1"
        ds.MagneticFieldStrength = "1.5"
        ds.SpacingBetweenSlices = f"{spacing_between:g}"
        ds.EchoTrainLength = 17 if seq.te >= 60 else 3
        ds.FlipAngle = "150" if seq.ti is None else "180"
        ds.PatientPosition = "HFS"
        ds.StudyInstanceUID = study_uid
        ds.SeriesInstanceUID = series_uid
        ds.StudyID = "1"
        ds.SeriesNumber = series.number
        ds.AcquisitionNumber = 1
        ds.InstanceNumber = n
        ds.ImagePositionPatient = [f"{v:.6g}" for v in ipp]
        ds.ImageOrientationPatient = [f"{v:g}" for v in iop]
        ds.FrameOfReferenceUID = frame_uid
        ds.PositionReferenceIndicator = ""
        ds.SliceLocation = f"{loc:.6g}"
        ds.SamplesPerPixel = 1
        ds.PhotometricInterpretation = "MONOCHROME2"
        ds.Rows, ds.Columns = int(pix.shape[0]), int(pix.shape[1])
        ds.PixelSpacing = [f"{v:.6g}" for v in ps]
        ds.BitsAllocated = 16
        ds.BitsStored = 16
        ds.HighBit = 15
        ds.PixelRepresentation = 0
        ds.WindowCenter = f"{(lo + hi) / 2:.0f}"
        ds.WindowWidth = f"{max(hi - lo, 1.0):.0f}"
        ds.RescaleIntercept = f"{series.rescale_intercept:g}"
        ds.RescaleSlope = f"{series.rescale_slope:g}"
        ds.RescaleType = "US"
        ds.PixelData = np.ascontiguousarray(pix, dtype="<u2").tobytes()
        path = folder / f"IM{n:04d}.dcm"
        ds.save_as(path, enforce_file_format=True)
        paths.append(path)
    return paths
