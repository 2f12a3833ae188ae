"""Preview pictures follow the display conventions (radiological for axial and coronal)."""

from __future__ import annotations

import numpy as np

from spinepath.model import Plane, Series, SeriesKind, Volume
from spinepath.qc.preview import series_picture


def _marked(plane: Plane) -> Series:
    arr = np.zeros((5, 6, 7))
    arr[4, :, :] = 1.0  # the patient's right-most voxels (canonical axis 0 grows toward Right)
    arr[:, 5, :] += 2.0  # anterior-most
    arr[:, :, 6] += 4.0  # superior-most
    return Series(
        uid="x",
        description="x",
        modality="MR",
        plane=plane,
        kind=SeriesKind.T2,
        volume=Volume(arr, np.eye(4)),
    )


def test_axial_picture_is_radiological() -> None:
    pic = series_picture(_marked(Plane.AXIAL))
    assert np.all(pic[:, 0] % 2 == 1)  # patient's right on the picture's left
    assert np.all((pic[0, :] // 2) % 2 == 1)  # anterior at the top


def test_coronal_and_sagittal_pictures() -> None:
    cor = series_picture(_marked(Plane.CORONAL))
    assert np.all(cor[:, 0] % 2 == 1) and np.all(cor[0, :] >= 4)  # right on the left, head up
    sag = series_picture(_marked(Plane.SAGITTAL))
    assert np.all(sag[0, :] >= 4) and np.all((sag[:, 0] // 2) % 2 == 1)  # head up, anterior left
