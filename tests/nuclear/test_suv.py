"""SUVbw from synthetic PET datasets of known activity."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pytest

from spinepath.errors import InputError, UnsupportedInputError
from spinepath.model.volume import Volume
from spinepath.nuclear import SUVParameters, pet_to_suv, suv_image

from .pet_factory import decay, pet_dataset, uniform_concentration


def _image(background: float, lesion: float) -> np.ndarray:
    img = np.full((32, 32), background)
    img[10:14, 10:14] = lesion
    return img


def test_uniform_body_is_suv_one_and_lesion_scales() -> None:
    c = uniform_concentration(370e6, 70.0, 3600.0)  # scan 1 h after injection
    ds = pet_dataset(_image(c, 6 * c))
    suv = suv_image(ds)
    assert suv[0, 0] == pytest.approx(1.0, rel=1e-4)
    assert suv[11, 11] == pytest.approx(6.0, rel=1e-4)
    params = SUVParameters.from_dataset(ds)
    assert params.elapsed_s == 3600.0
    assert params.decayed_dose_bq() == pytest.approx(decay(370e6, 3600.0), rel=1e-12)


def test_admin_decay_correction_does_not_decay_the_dose() -> None:
    c = 370e6 / 70000.0  # image corrected back to administration
    ds = pet_dataset(_image(c, 3 * c), decay_correction="ADMIN")
    assert suv_image(ds)[0, 0] == pytest.approx(1.0, rel=1e-4)


def test_start_datetime_preferred_and_midnight_crossing() -> None:
    c = uniform_concentration(200e6, 80.0, 5400.0)
    ds = pet_dataset(
        _image(c, c),
        weight_kg=80.0,
        dose_bq=200e6,
        series_date="20261205",
        series_time="003000",
        start_time=None,
        start_datetime="20261204230000",
    )
    assert suv_image(ds)[0, 0] == pytest.approx(1.0, rel=1e-4)
    # same with only a start time: the injection is taken on the previous day
    ds2 = pet_dataset(
        _image(c, c),
        weight_kg=80.0,
        dose_bq=200e6,
        series_date="20261205",
        series_time="003000",
        start_time="230000",
    )
    params = SUVParameters.from_dataset(ds2)
    assert params.injection_time == datetime(2026, 12, 4, 23, 0, 0)
    assert any("previous day" in n for n in params.notes)
    assert suv_image(ds2)[0, 0] == pytest.approx(1.0, rel=1e-4)


def test_series_time_after_acquisition_uses_acquisition_time() -> None:
    c = uniform_concentration(370e6, 70.0, 3600.0)
    ds = pet_dataset(_image(c, c), series_time="130000", acquisition_time="110000")
    params = SUVParameters.from_dataset(ds)
    assert params.reference_time == datetime(2026, 12, 4, 11, 0, 0)
    assert suv_image(ds)[0, 0] == pytest.approx(1.0, rel=1e-4)


def test_weight_override_and_volume_conversion() -> None:
    c = uniform_concentration(370e6, 70.0, 3600.0)
    ds = pet_dataset(_image(c, c), weight_kg=0.0)
    with pytest.raises(InputError, match="PatientWeight"):
        SUVParameters.from_dataset(ds)
    vol = Volume(np.full((4, 4, 4), c), np.eye(4))
    suv, _params = pet_to_suv(vol, ds, patient_weight_kg=70.0)
    assert np.allclose(suv.array, 1.0, rtol=1e-5)
    assert suv.meta["units"].startswith("SUVbw")


def test_bad_units_and_missing_tags_are_explained() -> None:
    c = 1000.0
    with pytest.raises(UnsupportedInputError, match="BQML"):
        SUVParameters.from_dataset(pet_dataset(_image(c, c), units="CNTS"))
    ds = pet_dataset(_image(c, c))
    del ds.RadiopharmaceuticalInformationSequence[0].RadionuclideHalfLife
    with pytest.raises(InputError, match="RadionuclideHalfLife"):
        SUVParameters.from_dataset(ds)
    with pytest.raises(InputError, match="DecayCorrection"):
        SUVParameters.from_dataset(pet_dataset(_image(c, c), decay_correction="XYZ"))
