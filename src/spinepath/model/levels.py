"""Level names: vertebrae ``T11``..``S1`` and discs / motion segments ``T11-T12``..``L5-S1``.

One spelling everywhere (ARCHITECTURE.md conventions): a vertebra is ``"L4"``, a disc is
``"L4-L5"``. Lists run cranial to caudal.
"""

from __future__ import annotations

from itertools import pairwise

VERTEBRAE: tuple[str, ...] = (
    "T8",
    "T9",
    "T10",
    "T11",
    "T12",
    "L1",
    "L2",
    "L3",
    "L4",
    "L5",
    "S1",
)
"""Vertebrae spinepath names, cranial to caudal."""

LUMBAR_VERTEBRAE: tuple[str, ...] = ("L1", "L2", "L3", "L4", "L5")

DISC_LEVELS: tuple[str, ...] = tuple(f"{a}-{b}" for a, b in pairwise(VERTEBRAE))
"""Discs spinepath names, cranial to caudal: ``T8-T9`` .. ``L5-S1``."""

LUMBAR_DISCS: tuple[str, ...] = ("L1-L2", "L2-L3", "L3-L4", "L4-L5", "L5-S1")

SIDES: tuple[str, ...] = ("left", "right", "central", "bilateral")


def is_vertebra_level(name: str) -> bool:
    """True for a vertebra name spinepath knows (``"L4"``)."""
    return name in VERTEBRAE


def is_disc_level(name: str) -> bool:
    """True for a disc / motion-segment name spinepath knows (``"L4-L5"``)."""
    return name in DISC_LEVELS


def disc_below(vertebra: str) -> str:
    """The disc under a vertebra: ``disc_below("L5") == "L5-S1"``."""
    if vertebra not in VERTEBRAE[:-1]:
        raise ValueError(f"no disc below {vertebra!r}; expected one of {VERTEBRAE[:-1]}")
    return f"{vertebra}-{VERTEBRAE[VERTEBRAE.index(vertebra) + 1]}"


def disc_from_bottom(k: int, *, lowest: str = "L5-S1") -> str:
    """Name of the k-th disc counted from the bottom (k=1 is ``lowest``).

    SPIDER's "IVD label" counts this way (1 = the lowest visible disc, normally L5-S1).
    """
    if k < 1:
        raise ValueError(f"disc index counts from 1, got {k}")
    idx = DISC_LEVELS.index(lowest) - (k - 1)
    if idx < 0:
        raise ValueError(f"disc {k} from the bottom lies above {DISC_LEVELS[0]}")
    return DISC_LEVELS[idx]


def vertebrae_of_disc(disc: str) -> tuple[str, str]:
    """The vertebrae above and below a disc: ``("L4", "L5")`` for ``"L4-L5"``."""
    if disc not in DISC_LEVELS:
        raise ValueError(f"unknown disc level {disc!r}; expected one of {DISC_LEVELS}")
    upper, lower = disc.split("-")
    return upper, lower
