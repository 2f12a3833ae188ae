"""Series classification rules, each on both sides of its threshold."""

from __future__ import annotations

import pytest

from spinepath.io.classify import (
    SequenceTags,
    classify_kind,
    kind_from_description,
    plane_from_orientation,
)
from spinepath.model import Plane, SeriesKind


@pytest.mark.parametrize(
    ("iop", "plane"),
    [
        ([0, 1, 0, 0, 0, -1], Plane.SAGITTAL),
        ([1, 0, 0, 0, 1, 0], Plane.AXIAL),
        ([1, 0, 0, 0, 0, -1], Plane.CORONAL),
        # axial tilted 30 degrees about x (disc-parallel): still axial
        ([1, 0, 0, 0, 0.866, -0.5], Plane.AXIAL),
        # tilted 45 degrees: oblique
        ([1, 0, 0, 0, 0.7071, -0.7071], Plane.OBLIQUE),
    ],
)
def test_plane(iop: list[float], plane: Plane) -> None:
    assert plane_from_orientation(iop) == plane


@pytest.mark.parametrize(
    ("tags", "kind"),
    [
        (SequenceTags(repetition_time=550, echo_time=10), SeriesKind.T1),
        (SequenceTags(repetition_time=1100, echo_time=10), None),
        (SequenceTags(repetition_time=3500, echo_time=100), SeriesKind.T2),
        (SequenceTags(repetition_time=3500, echo_time=50), None),
        (SequenceTags(repetition_time=3500, echo_time=90, scan_options=["FS"]), SeriesKind.T2_FS),
        (
            SequenceTags(
                scanning_sequence=["IR"], repetition_time=4000, echo_time=60, inversion_time=160
            ),
            SeriesKind.STIR,
        ),
        (
            SequenceTags(
                scanning_sequence=["IR"], repetition_time=9000, echo_time=100, inversion_time=2500
            ),
            SeriesKind.OTHER,
        ),
        (
            SequenceTags(
                image_type=["DERIVED", "PRIMARY", "DIXON", "WATER"], repetition_time=7, echo_time=2
            ),
            SeriesKind.DIXON_WATER,
        ),
        (SequenceTags(image_type=["DERIVED", "PRIMARY", "DIXON", "FAT"]), SeriesKind.DIXON_FAT),
        (SequenceTags(modality="CT"), SeriesKind.CT),
        (SequenceTags(modality="PT"), SeriesKind.PET),
        (SequenceTags(modality="NM"), SeriesKind.NM),
        (SequenceTags(modality="SEG"), SeriesKind.SEG),
        (SequenceTags(modality="SR"), SeriesKind.SR),
    ],
)
def test_kind_from_physics(tags: SequenceTags, kind: SeriesKind | None) -> None:
    result = classify_kind(tags)
    if kind is None:
        assert result.kind == SeriesKind.OTHER and result.confidence < 0.5
    else:
        assert result.kind == kind


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("SAG T2 TSE", SeriesKind.T2),
        ("t1_tse_sag", SeriesKind.T1),
        ("SAG STIR", SeriesKind.STIR),
        ("t2_tirm_sag", SeriesKind.STIR),
        ("T2 SAG FS", SeriesKind.T2_FS),
        ("t2_tse_sag_fatsat", SeriesKind.T2_FS),
        ("Dixon water", SeriesKind.DIXON_WATER),
        ("mDIXON fat", SeriesKind.DIXON_FAT),
        ("localizer", None),
    ],
)
def test_kind_from_description(text: str, kind: SeriesKind | None) -> None:
    assert kind_from_description(text) == kind


def test_confidence_reflects_agreement() -> None:
    agree = classify_kind(SequenceTags(description="SAG T2", repetition_time=3000, echo_time=90))
    physics = classify_kind(
        SequenceTags(description="series 5", repetition_time=3000, echo_time=90)
    )
    words = classify_kind(SequenceTags(description="SAG T2"))
    clash = classify_kind(SequenceTags(description="SAG T1", repetition_time=3000, echo_time=90))
    assert agree.confidence > physics.confidence > words.confidence > clash.confidence
    assert clash.kind == SeriesKind.T2 and "disagree" in clash.reasons[-1]
