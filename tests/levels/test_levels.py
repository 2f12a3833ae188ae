"""Level labelling on synthetic sagittal label maps with known answers."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage as ndi

from spinepath.levels import central_slab, label_levels, label_stack

SP = (1.0, 1.0)  # mm per pixel (row, col)


def spine_2d(
    n_vert: int = 6,
    *,
    sacrum_mm: int = 60,
    lowest_disc_mm: int = 10,
    shape=(300, 160),
    top: int = 10,
    angle_deg: float = 0.0,
):
    """Vertebrae (25 mm) separated by discs (10 mm), a sacrum below; rows S->I.

    Returns (disc_mask, vertebra_mask)."""
    disc = np.zeros(shape, bool)
    vert = np.zeros(shape, bool)
    r = top
    for k in range(n_vert):
        vert[r : r + 25, 50:90] = True
        r += 25
        h = lowest_disc_mm if k == n_vert - 1 else 10
        disc[r : r + h, 52:88] = True
        r += h
    vert[r : r + sacrum_mm, 50:95] = True
    if angle_deg:
        disc = ndi.rotate(disc.astype(float), angle_deg, reshape=False, order=0) > 0.5
        vert = ndi.rotate(vert.astype(float), angle_deg, reshape=False, order=0) > 0.5
    return disc, vert


def test_names_counted_from_sacrum():
    disc, vert = spine_2d()
    lab = label_levels(disc, vert, SP)
    assert lab.disc_names == ["T12-L1", "L1-L2", "L2-L3", "L3-L4", "L4-L5", "L5-S1"]
    assert lab.sacrum_visible
    assert not lab.uncertain, lab.reasons
    names = [v.name for v in lab.vertebrae]
    assert names[-1] == "S1" and names[-2] == "L5" and names[0] == "T12"
    # the disc map labels exactly the disc pixels
    assert ((lab.disc_map > 0) == disc).all()


def test_sacrum_cut_off_is_flagged():
    disc, vert = spine_2d(sacrum_mm=15)
    lab = label_levels(disc, vert, SP)
    assert not lab.sacrum_visible
    assert lab.uncertain
    assert any("sacrum not visible" in r for r in lab.reasons)
    assert lab.disc_names[-1] == "L5-S1"  # still numbered from the bottom, but flagged


def test_thin_lowest_disc_flags_transitional_anatomy():
    disc, vert = spine_2d(lowest_disc_mm=4)
    lab = label_levels(disc, vert, SP)
    assert lab.uncertain
    assert any("transitional" in r for r in lab.reasons)


def test_tilted_spine_keeps_order():
    disc, vert = spine_2d(angle_deg=20)
    lab = label_levels(disc, vert, SP)
    assert lab.disc_names[-1] == "L5-S1"
    assert len(lab.discs) == 6
    rows = [d.centroid_rc[0] for d in lab.discs]
    assert rows == sorted(rows)


def test_off_axis_blob_and_fragments():
    disc, vert = spine_2d()
    disc[100:108, 140:150] = True  # bright blob far anterior of the spine line: not a disc
    disc[2:4, 2:4] = True  # speck below the area floor
    # split one disc in two fragments: still one disc
    disc[45:55, 69:71] = False
    lab = label_levels(disc, vert, SP)
    assert len(lab.discs) == 6, lab.disc_names


def test_no_disc_means_no_levels():
    lab = label_levels(np.zeros((50, 50), bool), np.ones((50, 50), bool), SP)
    assert lab.discs == [] and lab.uncertain


@pytest.mark.parametrize("n,spacing,expected", [(15, 4.0, slice(6, 9)), (1, 4.0, slice(0, 1))])
def test_central_slab(n, spacing, expected):
    assert central_slab(n, spacing, width_mm=12.0) == expected


def test_label_stack_uses_union_of_central_slab():
    disc, vert = spine_2d()
    stack_d = np.zeros((5, *disc.shape), bool)
    stack_v = np.zeros_like(stack_d)
    stack_d[2], stack_v[2] = disc, vert
    stack_d[1, :150] = disc[:150]  # upper discs also seen on a neighbour slice
    lab = label_stack(stack_d, stack_v, SP, slice_spacing_mm=4.0)
    assert lab.disc_names[-1] == "L5-S1" and len(lab.discs) == 6


def test_missed_middle_disc_is_inferred_and_flagged():
    disc, vert = spine_2d()
    disc[105:115] = False  # the third disc (L2-L3) not segmented
    lab = label_levels(disc, vert, SP)
    assert lab.disc_names == ["T12-L1", "L1-L2", "L3-L4", "L4-L5", "L5-S1"]
    assert lab.uncertain and any("inferred" in r for r in lab.reasons)


def test_partial_disc_at_the_edge_and_far_blob_are_not_counted():
    disc, vert = spine_2d(top=0, shape=(330, 160))
    disc[0:4, 52:88] = True  # a disc cut by the top edge of the field of view
    disc[320:328, 55:85] = True  # a disc-like blob far below the sacrum's top
    lab = label_levels(disc, vert, SP)
    assert lab.disc_names[-1] == "L5-S1" and len(lab.discs) == 6


def test_mostly_visible_disc_at_the_top_edge_is_counted():
    disc, vert = spine_2d(top=0, shape=(330, 160))
    disc[0:8, 52:88] = True  # 80 % of a disc's height in view at the top edge
    lab = label_levels(disc, vert, SP)
    assert len(lab.discs) == 7 and lab.disc_names[-1] == "L5-S1"


def test_disc_like_remnant_inside_an_unlabelled_sacrum_is_not_l5_s1():
    # the segmenter leaves the sacrum unlabelled: a remnant S1-S2 "disc" 25 mm below L5-S1 has
    # no vertebral body above it
    disc, vert = spine_2d(sacrum_mm=0, shape=(330, 160))
    low = np.nonzero(disc.any(axis=1))[0].max()
    disc[low + 26 : low + 34, 55:85] = True
    lab = label_levels(disc, vert, SP)
    assert len(lab.discs) == 6 and lab.disc_names[-1] == "L5-S1"
    assert any("sacral (S1-S2) remnant" in r for r in lab.reasons)
