"""High-intensity zone (Aprill & Bogduk 1992) on hand-made sagittal slices with one disc.

The disc is a 36 x 10 mm rectangle (0.5 mm pixels, anterior left, posterior right) between two
bodies: dark annulus (100) around a nucleus, so the measured frame, nucleus reference and posterior
30 % are known exactly.
"""

from __future__ import annotations

import numpy as np
import pytest

from spinepath.grade.findings import disc_level_findings
from spinepath.measure import SagittalSlice
from spinepath.measure.frame import VERTEBRA_IDS, disc_id
from spinepath.measure.sagittal import measure_disc
from spinepath.reasoning.convert import convert_findings

SP = 0.5  # mm per pixel
LEVEL = "L4-L5"
DISC_ROWS = slice(60, 80)  # 10 mm high
DISC_COLS = slice(40, 112)  # 36 mm deep; posterior 30 % = columns from about 90.5


def _disc(nucleus: float, *, focus: float | None = None, bridge: bool = False) -> SagittalSlice:
    """L4, the L4-L5 disc and L5. Nucleus (``nucleus``) over columns 50-90, rows 64-76; a 2 x 2 mm
    focus (``focus``) at columns 98-102, rows 68-72, in the posterior annulus; ``bridge`` fills the
    annulus between them with nucleus signal (a nucleus reaching into the posterior annulus)."""
    labels = np.zeros((140, 150), np.int16)
    image = np.full(labels.shape, 20.0)
    labels[10:60, 40:112] = VERTEBRA_IDS["L4"]
    labels[80:130, 40:112] = VERTEBRA_IDS["L5"]
    image[labels > 0] = 200.0
    labels[DISC_ROWS, DISC_COLS] = disc_id(LEVEL)
    image[DISC_ROWS, DISC_COLS] = 100.0
    image[64:76, 50:90] = nucleus
    if bridge:
        image[68:72, 90:98] = nucleus
    if focus is not None:
        image[68:72, 98:102] = focus
    return SagittalSlice(image=image, labels=labels, spacing=(SP, SP))


def _values(sl: SagittalSlice) -> dict[str, float]:
    return {m.name: m.value for m in measure_disc(sl, LEVEL) if m.name.startswith("disc_hiz_")}


def test_separate_bright_posterior_focus_is_present() -> None:
    v = _values(_disc(300.0, focus=600.0))
    assert v["disc_hiz_present"] == 1.0
    assert v["disc_hiz_area_mm2"] == pytest.approx(4.0)  # 4 x 4 pixels of 0.25 mm2
    assert v["disc_hiz_ratio_to_nucleus"] == pytest.approx(2.0)


def test_disc_without_focus_has_no_hiz() -> None:
    v = _values(_disc(300.0))
    assert v["disc_hiz_present"] == 0.0
    assert v["disc_hiz_area_mm2"] == 0.0
    assert "disc_hiz_ratio_to_nucleus" not in v  # nothing bright outside the nucleus


def test_bright_focus_joined_to_a_bright_nucleus_is_not_hiz() -> None:
    v = _values(_disc(300.0, focus=600.0, bridge=True))
    assert v["disc_hiz_present"] == 0.0
    assert v["disc_hiz_area_mm2"] == 0.0


def test_focus_not_brighter_than_the_nucleus_is_not_hiz() -> None:
    v = _values(_disc(300.0, focus=330.0))  # ratio 1.1, below the provisional 1.3
    assert v["disc_hiz_present"] == 0.0
    assert v["disc_hiz_ratio_to_nucleus"] == pytest.approx(1.1)


def test_hiz_finding_is_graded_and_reaches_the_reasoning() -> None:
    ms = measure_disc(_disc(300.0, focus=600.0), LEVEL)
    (hiz,) = [f for f in disc_level_findings(LEVEL, None, ms, has_t1=False) if f.kind == "hiz"]
    assert hiz.structure == "disc" and hiz.grade is not None
    assert hiz.grade.value == 1 and not hiz.grade.low_confidence
    assert {m.name for m in hiz.measurements} >= {"disc_hiz_present", "disc_hiz_ratio_to_nucleus"}
    imaging, unmapped = convert_findings([hiz])
    assert not unmapped
    assert imaging.levels[LEVEL].disc.hiz is True


def test_ratio_near_the_bound_is_flagged() -> None:
    ms = measure_disc(_disc(300.0, focus=393.0), LEVEL)  # ratio 1.31, just above 1.3
    (hiz,) = [f for f in disc_level_findings(LEVEL, None, ms, has_t1=False) if f.kind == "hiz"]
    assert hiz.grade is not None and hiz.grade.value == 1 and hiz.grade.low_confidence
