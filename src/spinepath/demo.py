"""The demo job: the current main pipeline on the bundled real study and a phantom study."""

from __future__ import annotations

import json
from pathlib import Path

from spinepath.cli.info import study_summary
from spinepath.demo_data import SCT_T2_LUMBAR
from spinepath.io import load_study
from spinepath.model.report import Provenance
from spinepath.qc.preview import write_previews


def _run_one(study_path: Path, out: Path) -> Path:
    provenance = Provenance(command="spinepath demo")
    if study_path.is_file():
        provenance.add_input(study_path)
    study = load_study(study_path)
    previews = write_previews(study, out / "previews")
    summary = study_summary(study)
    summary["previews"] = [str(p) for p in previews]
    provenance.finish()
    summary["provenance"] = provenance.model_dump()
    path = out / "study.json"
    path.write_text(json.dumps(summary, indent=2))
    return path


def run_demo(out: Path, *, seed: int = 7) -> dict[str, Path]:
    """Run ingest + summary + previews on the bundled real T2 and on a phantom study.

    Returns a map of output name -> path.
    """
    out.mkdir(parents=True, exist_ok=True)
    outputs = {"real sagittal T2 (SCT, MIT)": _run_one(SCT_T2_LUMBAR, out / "sct_t2_lumbar")}
    from spinepath.phantom import generate_study
    from spinepath.phantom.write import write_study

    phantom_dir = out / "phantom_input"
    pathologies = ["pfirrmann:L4-L5=4", "modic:L5-S1=1",
                   "herniation:L4-L5=extrusion,left_subarticular,7"]
    write_study(generate_study(seed, pathologies), phantom_dir, nifti=False)
    outputs["phantom study"] = _run_one(phantom_dir / "dicom", out / "phantom")
    return outputs
