"""Fixtures: a synthetic DICOM study, its label maps, a report, and the written bundle."""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from spinepath.model.report import Impression, Report
from spinepath.model.study import Plane, SeriesKind, Study
from spinepath.model.volume import Volume
from tests.report.synthetic import label_maps_on, sample_findings, sample_reasoning, write_study


@dataclass
class Analysed:
    """A loaded study with its label maps and a report (as an analysis would hand them over)."""

    study: Study
    levels: Volume
    semantic: Volume
    report: Report


@dataclass
class Bundle:
    """The outputs written for :class:`Analysed`, and how long writing took (s)."""

    analysed: Analysed
    paths: dict[str, Path]
    seconds: float


def make_analysed(folder: Path, **kwargs: bool) -> Analysed:
    """Write and load the synthetic study; label maps on its sagittal T2 (else first) grid."""
    from spinepath.io import load_study

    write_study(folder, **kwargs)
    study = load_study(folder)
    base = study.best(SeriesKind.T2, Plane.SAGITTAL) or study.series[0]
    assert base.volume is not None
    levels, semantic = label_maps_on(base.volume)
    report = Report(
        study_uid=study.study_uid,
        findings=sample_findings(),
        impression=Impression.from_reasoning(sample_reasoning()),
    )
    report.provenance.models["segmenter.onnx"] = "0" * 64
    report.provenance.parameters = {"segmenter": "builtin", "threshold": 0.5}
    report.provenance.finish()
    return Analysed(study, levels, semantic, report)


@pytest.fixture(scope="session")
def analysed(tmp_path_factory: pytest.TempPathFactory) -> Analysed:
    return make_analysed(tmp_path_factory.mktemp("study"))


@pytest.fixture(scope="session")
def bundle(analysed: Analysed, tmp_path_factory: pytest.TempPathFactory) -> Bundle:
    import highdicom  # noqa: F401  (imports are not part of the timed report writing)
    import weasyprint  # noqa: F401

    from spinepath.report import write_report_bundle

    out = tmp_path_factory.mktemp("out")
    t0 = time.perf_counter()
    paths = write_report_bundle(
        analysed.report, out, study=analysed.study, label_map=analysed.levels,
        semantic_map=analysed.semantic,
    )
    return Bundle(analysed, paths, time.perf_counter() - t0)


def need_tool(name: str) -> str:
    """Path of a Debian tool. Missing: skip locally with the package to install; fail on CI
    (env ``CI`` set), where .ci/apt-packages.txt installs it."""
    path = shutil.which(name)
    if path is None:
        pkg = {"dciodvfy": "dicom3tools", "pdftotext": "poppler-utils"}.get(name, name)
        msg = f"{name} not installed: apt-get install {pkg} (listed in .ci/apt-packages.txt)"
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)
    return path
