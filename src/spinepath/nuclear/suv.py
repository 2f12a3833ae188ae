"""Body-weight standardised uptake value (SUVbw) of PET from the DICOM radiopharmaceutical tags.

    SUVbw = C(t) [Bq/mL] * body weight [g] / injected activity decay-corrected to the image
            reference time [Bq]                                    (unit g/mL, reported unitless)

Where the numbers come from (DICOM PS3.3 C.8.9.1 PET Series and C.8.9.2 PET Isotope modules):

* ``Units`` (0054,1001) must be ``BQML`` (pixels, after RescaleSlope/Intercept, in Bq/mL);
  ``GML`` means the pixels already are SUVbw; other units (``CNTS``, ...) are refused.
* ``RadiopharmaceuticalInformationSequence`` (0054,0016) item 1: ``RadionuclideTotalDose``
  (Bq, activity at the injection time), ``RadionuclideHalfLife`` (s),
  ``RadiopharmaceuticalStartDateTime`` (preferred) or ``RadiopharmaceuticalStartTime`` (combined
  with SeriesDate, else StudyDate; a start time after the scan is taken to be the day before).
* ``DecayCorrection`` (0054,1102): ``START`` - pixels are decay-corrected to the series start, so
  the dose is decayed from injection to ``SeriesDate/SeriesTime`` (or to
  ``AcquisitionDate/AcquisitionTime`` when the series time lies after it, i.e. the series was
  re-created after the scan, as the QIBA vendor-neutral SUV pseudo-code prescribes);
  ``ADMIN`` - pixels are corrected to the administration time, the dose is not decayed;
  ``NONE`` - pixels are not corrected, the dose is decayed to the frame's acquisition time
  (decay within the frame is neglected).
* ``PatientWeight`` (0010,1030) in kg (1 kg = 1000 g, tissue density taken as 1 g/mL).

References: Kinahan PE, Fletcher JW. PET/CT standardized uptake values (SUVs) in clinical
practice and assessing response to therapy. Semin Ultrasound CT MR 2010;31:496-505; QIBA
FDG-PET/CT technical committee, "SUV vendor-neutral pseudo-code" (2013).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from spinepath.errors import InputError, UnsupportedInputError
from spinepath.model.volume import Volume

_TM = re.compile(r"^(\d{2})(\d{2})?(\d{2})?(?:\.(\d{1,6}))?$")


def parse_dicom_time(value: Any) -> timedelta:
    """A DICOM TM value (``HHMMSS.FFFFFF``, trailing parts optional; ``HH:MM:SS`` tolerated)."""
    text = str(value).strip().replace(":", "")
    m = _TM.match(text)
    if not m:
        raise InputError(f"cannot read DICOM time {value!r}; expected HHMMSS.FFFFFF")
    hh, mm, ss, frac = m.groups()
    micro = int((frac or "0").ljust(6, "0"))
    return timedelta(hours=int(hh), minutes=int(mm or 0), seconds=int(ss or 0), microseconds=micro)


def parse_dicom_date(value: Any) -> datetime:
    """A DICOM DA value ``YYYYMMDD`` (``YYYY.MM.DD`` and ``YYYY-MM-DD`` tolerated)."""
    text = re.sub(r"[.\-]", "", str(value).strip())
    try:
        return datetime.strptime(text, "%Y%m%d")
    except ValueError:
        raise InputError(f"cannot read DICOM date {value!r}; expected YYYYMMDD") from None


def parse_dicom_datetime(value: Any) -> datetime:
    """A DICOM DT value ``YYYYMMDDHHMMSS.FFFFFF`` (UTC offset suffix ignored)."""
    text = re.sub(r"[+\-]\d{4}$", "", str(value).strip())
    if len(text) < 8:
        raise InputError(f"cannot read DICOM date-time {value!r}")
    day = parse_dicom_date(text[:8])
    rest = text[8:]
    return day + (parse_dicom_time(rest) if rest else timedelta())


def _get(ds: Any, name: str) -> Any:
    value = getattr(ds, name, None)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return value


def _datetime(
    ds: Any, date_name: str, time_name: str, fallback_date: Any = None
) -> datetime | None:
    time_value = _get(ds, time_name)
    date_value = _get(ds, date_name) or fallback_date
    if time_value is None or date_value is None:
        return None
    return parse_dicom_date(date_value) + parse_dicom_time(time_value)


@dataclass(frozen=True)
class SUVParameters:
    """What SUVbw needs, read from a PET dataset.

    Attributes:
        injected_dose_bq: activity at the injection time, Bq.
        half_life_s: radionuclide half-life, s.
        injection_time: administration (start) date-time.
        reference_time: the date-time the pixel activity refers to (see module docstring).
        decay_correction: ``START``, ``ADMIN`` or ``NONE``.
        units: pixel units (``BQML`` or ``GML``).
        patient_weight_kg: body weight, kg.
        notes: choices made while reading (e.g. a day added at midnight).
    """

    injected_dose_bq: float
    half_life_s: float
    injection_time: datetime
    reference_time: datetime
    decay_correction: str
    units: str
    patient_weight_kg: float
    notes: tuple[str, ...] = ()

    @property
    def elapsed_s(self) -> float:
        """Seconds from injection to the reference time."""
        return (self.reference_time - self.injection_time).total_seconds()

    def decayed_dose_bq(self) -> float:
        """Injected activity decay-corrected to the time the pixel values refer to, Bq."""
        if self.decay_correction == "ADMIN":
            return self.injected_dose_bq
        return self.injected_dose_bq * math.exp(-math.log(2) * self.elapsed_s / self.half_life_s)

    def suv_factor(self) -> float:
        """Multiply Bq/mL pixels by this to get SUVbw (g/mL); 1.0 when pixels are already GML."""
        if self.units == "GML":
            return 1.0
        return self.patient_weight_kg * 1000.0 / self.decayed_dose_bq()

    @classmethod
    def from_dataset(cls, ds: Any, *, patient_weight_kg: float | None = None) -> SUVParameters:
        """Read the parameters from a pydicom Dataset of a PET image.

        Args:
            ds: a PET (PT) pydicom Dataset (any slice of the series).
            patient_weight_kg: overrides a missing or wrong PatientWeight.

        Raises:
            InputError: a required tag is missing or unreadable (the message names it).
            UnsupportedInputError: pixel units other than BQML/GML.
        """
        notes: list[str] = []
        units = str(_get(ds, "Units") or "").upper()
        if units not in ("BQML", "GML"):
            raise UnsupportedInputError(
                f"PET Units (0054,1001) is {units or 'missing'!r}; SUV needs BQML (Bq/mL) "
                "pixels (or GML, already SUV). Export the series as activity concentration."
            )
        weight = patient_weight_kg if patient_weight_kg is not None else _get(ds, "PatientWeight")
        if weight is None or float(weight) <= 0:
            raise InputError(
                "PatientWeight (0010,1030) is missing or zero; SUVbw needs the body weight in kg "
                "(pass patient_weight_kg)"
            )
        seq = _get(ds, "RadiopharmaceuticalInformationSequence")
        if not seq:
            raise InputError(
                "RadiopharmaceuticalInformationSequence (0054,0016) is missing; cannot compute SUV"
            )
        item = seq[0]
        dose = _get(item, "RadionuclideTotalDose")
        half_life = _get(item, "RadionuclideHalfLife")
        if dose is None or float(dose) <= 0:
            raise InputError("RadionuclideTotalDose (0018,1074) is missing or zero (Bq)")
        if half_life is None or float(half_life) <= 0:
            raise InputError("RadionuclideHalfLife (0018,1075) is missing or zero (s)")

        series = _datetime(ds, "SeriesDate", "SeriesTime", _get(ds, "StudyDate"))
        acquisition = _datetime(ds, "AcquisitionDate", "AcquisitionTime", _get(ds, "SeriesDate"))
        start_dt = _get(item, "RadiopharmaceuticalStartDateTime")
        if start_dt is not None:
            injection = parse_dicom_datetime(start_dt)
        else:
            start_tm = _get(item, "RadiopharmaceuticalStartTime")
            day = _get(ds, "SeriesDate") or _get(ds, "StudyDate") or _get(ds, "AcquisitionDate")
            if start_tm is None or day is None:
                raise InputError(
                    "no injection time: RadiopharmaceuticalStartDateTime (0018,1078) and "
                    "RadiopharmaceuticalStartTime (0018,1072) with a series/study date are missing"
                )
            injection = parse_dicom_date(day) + parse_dicom_time(start_tm)

        correction = str(_get(ds, "DecayCorrection") or "").upper()
        if correction not in ("START", "ADMIN", "NONE"):
            raise InputError(
                f"DecayCorrection (0054,1102) is {correction or 'missing'!r}; expected START, "
                "ADMIN or NONE"
            )
        if correction == "NONE":
            reference = acquisition or series
        elif series is not None and acquisition is not None and series > acquisition:
            reference = acquisition
            notes.append("series time after acquisition time: acquisition time used as scan start")
        else:
            reference = series or acquisition
        if reference is None:
            raise InputError("SeriesTime/AcquisitionTime missing: no reference time for decay")
        if start_dt is None and injection > reference:
            injection -= timedelta(days=1)
            notes.append("injection time after scan start: injection taken on the previous day")
        if injection > reference and correction != "ADMIN":
            raise InputError(
                f"injection time {injection} lies after the scan reference time {reference}; "
                "check RadiopharmaceuticalStartDateTime"
            )
        return cls(
            injected_dose_bq=float(dose),
            half_life_s=float(half_life),
            injection_time=injection,
            reference_time=reference if correction != "ADMIN" else injection,
            decay_correction=correction,
            units=units,
            patient_weight_kg=float(weight),
            notes=tuple(notes),
        )


def suv_image(ds: Any, *, patient_weight_kg: float | None = None) -> np.ndarray:
    """SUVbw pixels of one PET DICOM image (pixel data x RescaleSlope + RescaleIntercept)."""
    params = SUVParameters.from_dataset(ds, patient_weight_kg=patient_weight_kg)
    slope = float(_get(ds, "RescaleSlope") or 1.0)
    intercept = float(_get(ds, "RescaleIntercept") or 0.0)
    return (ds.pixel_array.astype(np.float64) * slope + intercept) * params.suv_factor()


def pet_to_suv(
    pet: Volume, ds: Any, *, patient_weight_kg: float | None = None
) -> tuple[Volume, SUVParameters]:
    """A PET volume in Bq/mL converted to SUVbw using the tags of ``ds`` (any slice)."""
    params = SUVParameters.from_dataset(ds, patient_weight_kg=patient_weight_kg)
    meta = dict(pet.meta)
    meta.update(units="SUVbw (g/mL)", suv_factor=params.suv_factor())
    return Volume(pet.array.astype(np.float32) * params.suv_factor(), pet.affine, meta), params
