"""Synthetic PET pydicom datasets with known activity concentration."""

from __future__ import annotations

import math

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian, PositronEmissionTomographyImageStorage

F18_HALF_LIFE_S = 6586.2  # 109.77 min


def decay(dose_bq: float, seconds: float, half_life_s: float = F18_HALF_LIFE_S) -> float:
    """Activity left after ``seconds``: dose * 2^(-t/T)."""
    return dose_bq * 2.0 ** (-seconds / half_life_s)


def pet_dataset(
    concentration_bqml: np.ndarray,
    *,
    dose_bq: float = 370e6,
    weight_kg: float = 70.0,
    series_date: str = "20261204",
    series_time: str = "110000",
    acquisition_time: str | None = None,
    start_time: str | None = "100000",
    start_datetime: str | None = None,
    decay_correction: str = "START",
    units: str = "BQML",
    half_life_s: float = F18_HALF_LIFE_S,
) -> Dataset:
    """One PET slice whose stored pixels x RescaleSlope equal ``concentration_bqml``."""
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID = PositronEmissionTomographyImageStorage
    ds.Modality = "PT"
    ds.StudyDate = series_date
    ds.SeriesDate = series_date
    ds.SeriesTime = series_time
    ds.AcquisitionDate = series_date
    ds.AcquisitionTime = acquisition_time or series_time
    ds.PatientWeight = str(weight_kg)
    ds.Units = units
    ds.DecayCorrection = decay_correction
    item = Dataset()
    item.Radiopharmaceutical = "Fluorodeoxyglucose"
    item.RadionuclideTotalDose = str(dose_bq)
    item.RadionuclideHalfLife = str(half_life_s)
    if start_time is not None:
        item.RadiopharmaceuticalStartTime = start_time
    if start_datetime is not None:
        item.RadiopharmaceuticalStartDateTime = start_datetime
    ds.RadiopharmaceuticalInformationSequence = Sequence([item])
    peak = float(np.max(concentration_bqml))
    slope = peak / 30000.0 if peak > 0 else 1.0
    stored = np.round(concentration_bqml / slope).astype(np.uint16)
    ds.RescaleSlope = f"{slope:.10g}"
    ds.RescaleIntercept = "0"
    ds.Rows, ds.Columns = stored.shape
    ds.BitsAllocated = 16
    ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 0
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.PixelData = stored.tobytes()
    return ds


def uniform_concentration(dose_bq: float, weight_kg: float, seconds: float) -> float:
    """Bq/mL of a dose spread evenly in a body of density 1 g/mL after ``seconds`` of decay:
    exactly SUV 1."""
    return decay(dose_bq, seconds) / (weight_kg * 1000.0)


assert math.isclose(decay(1.0, F18_HALF_LIFE_S), 0.5)
