"""Channels of the built-in segmenter and the values of the label maps it writes.

The network predicts four independent (sigmoid) channels because the training sets label
different, overlapping things: SPIDER labels the *whole* vertebra (body and posterior
elements), the fcs sets and vesal only the vertebral *body*. Keeping them as separate
channels lets each set supervise only what it labels (partial labels) instead of pretending
the two definitions agree.
"""

from __future__ import annotations

CHANNELS: tuple[str, ...] = ("vertebra", "body", "disc", "canal")
"""Network output channels: whole vertebra (incl. sacrum), vertebral body, disc, spinal canal."""

# Semantic label map written by ``spinepath segment`` (``*_seg.nii.gz``).
BACKGROUND = 0
VERTEBRAL_BODY = 1
POSTERIOR_ELEMENTS = 2  # vertebra minus body
DISC = 3
CANAL = 4
SACRUM = 5

SEMANTIC_NAMES: dict[int, str] = {
    BACKGROUND: "background",
    VERTEBRAL_BODY: "vertebral body",
    POSTERIOR_ELEMENTS: "posterior elements",
    DISC: "intervertebral disc",
    CANAL: "spinal canal",
    SACRUM: "sacrum",
}

# Level label map (``*_levels.nii.gz``): SPINEPS / VerSe numbering of vertebrae
# (T10 = 17, T11 = 18, T12 = 19, L1 = 20 .. L5 = 24, S1 = 26), discs = 100 + id of the vertebra
# above (L5-S1 = 124), spinal canal = 61.
VERTEBRA_IDS: dict[str, int] = {
    "T10": 17,
    "T11": 18,
    "T12": 19,
    "L1": 20,
    "L2": 21,
    "L3": 22,
    "L4": 23,
    "L5": 24,
    "S1": 26,
}
CANAL_ID = 61
DISC_OFFSET = 100


def disc_id(level: str) -> int:
    """Level-map value of a disc: ``disc_id("L5-S1") == 124``."""
    upper = level.split("-")[0]
    return DISC_OFFSET + VERTEBRA_IDS[upper]
