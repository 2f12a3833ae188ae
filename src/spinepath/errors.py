"""The project's exception hierarchy.

Every error carries a message a clinician or researcher can act on: the value, the constraint and
the fix. The CLI maps each class to an exit code; the server maps them to 4xx answers.
"""

from __future__ import annotations


class SpinepathError(Exception):
    """Base class of every error spinepath raises on purpose."""

    exit_code: int = 1


class InputError(SpinepathError):
    """The input cannot be used as given (missing, empty, wrong kind)."""

    exit_code = 3


class EmptyInputError(InputError):
    """A folder, archive or file holds nothing spinepath can read."""


class MixedStudyError(InputError):
    """One input holds more than one patient or more than one study."""


class InconsistentSeriesError(InputError):
    """A series mixes orientations, pixel spacings or matrix sizes."""


class MissingSlicesError(InputError):
    """A series has gaps in its slice positions larger than the tolerance allows."""


class UnsupportedInputError(InputError):
    """The input is of a kind spinepath does not read (or not yet)."""


class AnalysisError(SpinepathError):
    """A stage could not produce a result from a readable input."""

    exit_code = 4
