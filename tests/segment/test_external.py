"""External label maps: SPINEPS/TPTBox, TotalSegmentator and SPIDER conventions."""

from __future__ import annotations

import numpy as np
import pytest

from spinepath.errors import InputError
from spinepath.model.volume import Volume
from spinepath.segment import labels as L
from spinepath.segment.external import guess_convention, import_labelmap, to_semantic


def _load(path):
    import nibabel as nib

    img = nib.load(path)
    return Volume(np.asarray(img.dataobj), img.affine)


@pytest.mark.shared_data
def test_tptbox_vertebra_map_keeps_levels(shared_data):
    vol = _load(shared_data / "tptbox" / "sub-ct_seg-vert_label-22_msk.nii.gz")
    assert guess_convention(vol.array) == "spineps"
    sem, lev, _ = import_labelmap(vol)
    assert set(np.unique(lev.array)) == {0, 21, 22, 23}  # L2, L3, L4
    assert ((sem.array == L.POSTERIOR_ELEMENTS) == (vol.to_canonical().array > 0)).all()
    assert sem.orientation == "RAS"


@pytest.mark.shared_data
def test_tptbox_mri_discs_and_subregions(shared_data):
    vert = _load(shared_data / "tptbox" / "sub-mri_seg-vert_label-6_msk.nii.gz")
    sem, lev, _ = import_labelmap(vert)
    assert {105, 106} <= set(np.unique(lev.array))  # discs below C5 and C6
    assert (sem.array == L.DISC).sum() == np.isin(vert.array, (105, 106)).sum()
    sub = _load(shared_data / "tptbox" / "sub-mri_seg-subreg_label-6_msk.nii.gz")
    assert guess_convention(sub.array) == "spineps-subreg"
    sem2, lev2, lab2 = import_labelmap(sub)
    assert (sem2.array == L.CANAL).sum() == np.isin(sub.array, (60, 61)).sum()
    assert (sem2.array == L.VERTEBRAL_BODY).any()
    assert lab2 is None and not lev2.array.any()  # not a sagittal stack: no derived levels


@pytest.mark.shared_data
def test_totalseg_ct_levels(shared_data):
    vol = _load(shared_data / "totalseg-examples" / "spine_report" / "totalseg.nii.gz")
    assert guess_convention(vol.array) == "totalseg"
    sem, lev, _ = import_labelmap(vol)
    can = vol.to_canonical().array
    assert ((lev.array == L.VERTEBRA_IDS["L5"]) == (can == 27)).all()
    assert ((lev.array == L.VERTEBRA_IDS["T12"]) == (can == 32)).all()
    assert ((sem.array == L.SACRUM) == (can == 26)).all()


def test_spider_convention_sagittal_map_gets_derived_levels():
    # sagittal stack: axis 0 (R) 4 mm slices; display rows S->I are the flipped axis 2
    n_si, n_ap = 300, 120
    disp = np.zeros((3, n_si, n_ap), np.int16)
    r, vid = 10, 6
    for k in range(6):
        disp[:, r : r + 25, 30:70] = vid
        disp[:, r + 25 : r + 35, 32:68] = 201 + k
        r += 35
        vid -= 1
    disp[:, r : r + 60, 30:75] = 1
    disp[:, 5:290, 75:85] = 100
    from spinepath.segment.api import from_display

    vol = Volume(from_display(disp), np.diag([4.0, 1.0, 1.0, 1.0]))
    assert guess_convention(vol.array) == "spider"
    _sem, lev, lab = import_labelmap(vol)
    assert lab is not None and lab.disc_names[-1] == "L5-S1" and lab.sacrum_visible
    assert (lev.array == L.disc_id("L5-S1")).any() and (lev.array == L.CANAL_ID).any()


def test_unknown_convention_is_refused():
    with pytest.raises(InputError):
        to_semantic(np.zeros((2, 2, 2)), "nnunet-v9")
    with pytest.raises(InputError):
        guess_convention(np.zeros((2, 2, 2)))
