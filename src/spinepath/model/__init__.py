"""Domain types shared by every stage: Study, Series, Volume, level names, findings, reports."""

from spinepath.model.findings import Finding, Grade, Measurement
from spinepath.model.levels import (
    DISC_LEVELS,
    LUMBAR_DISCS,
    LUMBAR_VERTEBRAE,
    VERTEBRAE,
    disc_below,
    disc_from_bottom,
    is_disc_level,
    is_vertebra_level,
)
from spinepath.model.report import Provenance, Report
from spinepath.model.study import Plane, Series, SeriesKind, Study
from spinepath.model.volume import Volume

__all__ = [
    "DISC_LEVELS",
    "LUMBAR_DISCS",
    "LUMBAR_VERTEBRAE",
    "VERTEBRAE",
    "Finding",
    "Grade",
    "Measurement",
    "Plane",
    "Provenance",
    "Report",
    "Series",
    "SeriesKind",
    "Study",
    "Volume",
    "disc_below",
    "disc_from_bottom",
    "is_disc_level",
    "is_vertebra_level",
]
