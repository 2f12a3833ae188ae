"""Study tables of diagnostic-accuracy 2x2 counts and their continuity correction.

A study table holds one row per study with the four cells of its 2x2 table against the reference
standard: ``TP`` (diseased, test positive), ``FN`` (diseased, test negative), ``FP`` (not
diseased, test positive) and ``TN`` (not diseased, test negative), plus optional covariate
columns used by meta-regression.

Zero cells
----------
Logits and log odds ratios are undefined when a cell is zero, so a continuity correction is added
before any model is fitted. ``correction_control`` chooses where (the R package mada's
vocabulary, whose published outputs the tests reproduce):

* ``"all"`` (default): when *any* cell of *any* study is zero, add ``correction`` (0.5) to every
  cell of every study. This is mada's default and what its published figures use.
* ``"single"``: add ``correction`` to every cell of only those studies that contain a zero.
* ``"none"``: no correction; a zero cell then raises :class:`~spinepath.errors.InputError`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from spinepath.errors import InputError

CELLS: tuple[str, str, str, str] = ("TP", "FN", "FP", "TN")
CorrectionControl = Literal["all", "single", "none"]
MIN_STUDIES = 3
"""Fewest studies a random-effects fit is attempted on (five parameters from 2k numbers)."""


@dataclass(frozen=True)
class StudyTable:
    """2x2 counts of ``k`` diagnostic-accuracy studies (raw, before any correction).

    Attributes:
        counts: array ``(k, 4)`` of cell counts in the order TP, FN, FP, TN.
        labels: one label per study (author/year or row number).
        covariates: the remaining columns of the input (one row per study).
    """

    counts: np.ndarray
    labels: tuple[str, ...]
    covariates: pd.DataFrame = field(default_factory=pd.DataFrame)

    def __post_init__(self) -> None:
        counts = np.asarray(self.counts, dtype=float)
        if counts.ndim != 2 or counts.shape[1] != 4:
            raise InputError(
                f"counts must have shape (k, 4) for TP, FN, FP, TN; got {counts.shape}"
            )
        if not np.all(np.isfinite(counts)) or np.any(counts < 0):
            raise InputError(
                "2x2 counts must be finite and non-negative; check the TP/FN/FP/TN columns"
            )
        bad = np.flatnonzero(
            (counts[:, 0] + counts[:, 1] == 0) | (counts[:, 2] + counts[:, 3] == 0)
        )
        if bad.size:
            raise InputError(
                f"study/studies {[self.labels[i] for i in bad] if self.labels else bad.tolist()} "
                "have no diseased (TP+FN=0) or no non-diseased (FP+TN=0) participants; "
                "remove them, they carry no information on sensitivity or specificity"
            )
        object.__setattr__(self, "counts", counts)
        if len(self.labels) != counts.shape[0]:
            raise InputError(f"{len(self.labels)} labels for {counts.shape[0]} studies")

    @property
    def k(self) -> int:
        """Number of studies."""
        return int(self.counts.shape[0])

    def sensitivity(self) -> np.ndarray:
        """Raw per-study sensitivity TP/(TP+FN) (no correction)."""
        tp, fn = self.counts[:, 0], self.counts[:, 1]
        return tp / (tp + fn)

    def false_positive_rate(self) -> np.ndarray:
        """Raw per-study false-positive rate FP/(FP+TN) (no correction)."""
        fp, tn = self.counts[:, 2], self.counts[:, 3]
        return fp / (fp + tn)

    def corrected(self, correction: float = 0.5, control: CorrectionControl = "all") -> np.ndarray:
        """Counts ``(k, 4)`` after the continuity correction described in the module docstring."""
        if correction < 0:
            raise InputError(f"continuity correction must be >= 0, got {correction}")
        counts = self.counts.copy()
        has_zero = np.any(counts == 0, axis=1)
        if control == "all":
            if has_zero.any():
                counts += correction
        elif control == "single":
            counts[has_zero] += correction
        elif control == "none":
            pass
        else:
            raise InputError(
                f"correction control must be 'all', 'single' or 'none', got {control!r}"
            )
        if np.any(counts == 0):
            rows = np.flatnonzero(np.any(counts == 0, axis=1))
            raise InputError(
                f"zero cells remain in studies {[self.labels[i] for i in rows]} after correction "
                f"(control={control!r}, correction={correction}); use a positive correction"
            )
        return counts

    def subset(self, mask: np.ndarray) -> StudyTable:
        """The studies where ``mask`` is true."""
        mask = np.asarray(mask, dtype=bool)
        return StudyTable(
            self.counts[mask],
            tuple(lab for lab, m in zip(self.labels, mask, strict=True) if m),
            self.covariates.loc[mask].reset_index(drop=True),
        )


def require_studies(table: StudyTable, minimum: int = MIN_STUDIES) -> None:
    """Raise :class:`InputError` when fewer than ``minimum`` studies are available."""
    if table.k < minimum:
        raise InputError(
            f"{table.k} studies given; the bivariate random-effects model needs at least {minimum} "
            "(it estimates 2 means, 2 between-study variances and a correlation). "
            "Report the studies individually, or add studies."
        )


def _label_column(frame: pd.DataFrame) -> pd.Series | None:
    for name in ("study", "author", "label", "name", "study_id"):
        for col in frame.columns:
            if col.lower() == name:
                return frame[col].astype(str)
    return None


def from_frame(frame: pd.DataFrame) -> StudyTable:
    """A :class:`StudyTable` from a data frame with TP, FN, FP, TN columns (case-insensitive)."""
    lower = {c.lower(): c for c in frame.columns}
    missing = [c for c in CELLS if c.lower() not in lower]
    if missing:
        raise InputError(
            f"columns {missing} not found; a study table needs TP, FN, FP and TN columns "
            f"(found: {list(frame.columns)})"
        )
    cols = [lower[c.lower()] for c in CELLS]
    try:
        counts = frame[cols].to_numpy(dtype=float)
    except ValueError as exc:
        raise InputError(f"TP/FN/FP/TN must be numbers: {exc}") from None
    if np.any(np.isnan(counts)):
        rows = np.flatnonzero(np.isnan(counts).any(axis=1)).tolist()
        raise InputError(f"missing 2x2 counts in rows {rows}; fill or remove those studies")
    if np.any(np.abs(counts - np.round(counts)) > 1e-9):
        raise InputError("2x2 counts must be whole numbers of participants")
    labels = _label_column(frame)
    label_t = tuple(labels) if labels is not None else tuple(str(i + 1) for i in range(len(frame)))
    covariates = frame.drop(columns=cols).reset_index(drop=True)
    return StudyTable(counts, label_t, covariates)


def read_studies(path: str | Path, *, subset: Sequence[str] = ()) -> StudyTable:
    """Read a CSV study table; ``subset`` holds ``COLUMN=VALUE`` filters applied in turn.

    Raises:
        InputError: unreadable file, missing columns, bad counts or an unknown filter column.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"study table {path} not found; give a CSV with TP, FN, FP, TN columns")
    try:
        frame = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {path} as CSV: {exc}") from None
    for expr in subset:
        if "=" not in expr:
            raise InputError(f"subset filter {expr!r} must look like COLUMN=VALUE")
        col, value = (s.strip() for s in expr.split("=", 1))
        if col not in frame.columns:
            raise InputError(f"subset column {col!r} not in {list(frame.columns)}")
        column = frame[col]
        if pd.api.types.is_numeric_dtype(column):
            try:
                keep = np.isclose(column.to_numpy(dtype=float), float(value))
            except ValueError:
                raise InputError(f"column {col!r} is numeric; {value!r} is not a number") from None
        else:
            keep = column.astype(str).to_numpy() == value
        frame = frame.loc[keep].reset_index(drop=True)
    if frame.empty:
        raise InputError(f"no studies left in {path} after filters {list(subset)}")
    return from_frame(frame)
