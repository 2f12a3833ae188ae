"""Findings, grades and measurements: what the imaging core produces per level.

A built object is valid: probabilities sum to one, the grade is one of its classes, every
measurement has a unit.
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Side = Literal["left", "right", "central", "bilateral"]


class Measurement(BaseModel):
    """One quantity with its unit (mm, mm2, mm3, ratio, percent, degree, ...)."""

    model_config = ConfigDict(frozen=True)

    name: str
    value: float
    unit: str
    level: str | None = None
    method: str = ""

    @field_validator("value")
    @classmethod
    def _finite(cls, v: float) -> float:
        if not math.isfinite(v):
            raise ValueError(f"measurement value must be finite, got {v}")
        return v


class Grade(BaseModel):
    """A grade in a named system, with class probabilities and what it rests on.

    ``probabilities`` maps each class (as a string, e.g. ``"3"``) to its probability; they sum to
    one. ``value`` is the class reported (usually the most probable).
    """

    system: str
    value: int
    probabilities: dict[str, float] = Field(default_factory=dict)
    based_on: list[str] = Field(default_factory=list)
    method: str = ""
    low_confidence: bool = False

    @model_validator(mode="after")
    def _check(self) -> Grade:
        if self.probabilities:
            total = sum(self.probabilities.values())
            if any(p < 0 or p > 1 for p in self.probabilities.values()) or abs(total - 1) > 1e-3:
                raise ValueError(
                    f"{self.system} probabilities must lie in [0, 1] and sum to 1, got {total:.4f}"
                )
            if str(self.value) not in self.probabilities:
                raise ValueError(
                    f"{self.system} grade {self.value} is not one of its classes "
                    f"{sorted(self.probabilities)}"
                )
        return self

    @property
    def confidence(self) -> float:
        """Probability of the reported class (1.0 when no probabilities were given)."""
        return self.probabilities.get(str(self.value), 1.0)


class Finding(BaseModel):
    """One imaging finding at one level (e.g. an L4-L5 left subarticular extrusion)."""

    level: str
    structure: Literal[
        "disc",
        "endplate",
        "vertebral_body",
        "canal",
        "foramen",
        "lateral_recess",
        "facet",
        "ligamentum_flavum",
        "sij",
        "paraspinal",
        "alignment",
        "root",
    ]
    kind: str
    side: Side | None = None
    grade: Grade | None = None
    measurements: list[Measurement] = Field(default_factory=list)
    description: str = ""
    source: str = "pipeline"
