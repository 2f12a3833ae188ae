"""Report and Provenance: the envelope every output carries."""

from __future__ import annotations

import hashlib
import platform
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from spinepath import __version__
from spinepath.model.findings import Finding


def sha256_file(path: Path, *, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


class Provenance(BaseModel):
    """What produced an output: inputs (hashed), software, models, parameters, time."""

    software: str = "spinepath"
    version: str = __version__
    python: str = Field(default_factory=platform.python_version)
    started_at: str = Field(default_factory=lambda: datetime.now(UTC).isoformat())
    finished_at: str | None = None
    inputs: dict[str, str] = Field(default_factory=dict, description="path -> sha256")
    models: dict[str, str] = Field(default_factory=dict, description="model name -> sha256")
    parameters: dict[str, Any] = Field(default_factory=dict)
    command: str | None = None

    def add_input(self, path: Path) -> None:
        """Hash a file and record it as an input."""
        self.inputs[str(path)] = sha256_file(path)

    def finish(self) -> None:
        """Stamp the finishing time."""
        self.finished_at = datetime.now(UTC).isoformat()


class Report(BaseModel):
    """The whole result for one study (later issues add reasoning and pathway sections)."""

    study_uid: str
    patient_id: str = ""
    series_used: list[str] = Field(default_factory=list)
    findings: list[Finding] = Field(default_factory=list)
    not_assessed: dict[str, str] = Field(default_factory=dict, description="item -> why")
    warnings: list[str] = Field(default_factory=list)
    provenance: Provenance = Field(default_factory=Provenance)
