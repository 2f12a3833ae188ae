"""The demo job: the whole pipeline (``spinepath analyze``) on the bundled real T2 and on a
generated phantom study with a made-up clinical intake."""

from __future__ import annotations

from pathlib import Path

from spinepath.analysis_job import analyze_to_folder
from spinepath.demo_data import DEMO_DIR, SCT_T2_LUMBAR

PHANTOM_PATHOLOGIES = [
    "pfirrmann:L4-L5=4",
    "modic:L5-S1=1",
    "herniation:L4-L5=extrusion,left_subarticular,7",
    "listhesis:L4-L5=12",
]


def run_demo(out: Path, *, seed: int = 7) -> dict[str, Path]:
    """Analyse the bundled real T2 (NIfTI: documents only, no DICOM outputs) and a phantom DICOM
    study with the demo intake (every output). Returns output name -> path of each report."""
    from spinepath.phantom import generate_study
    from spinepath.phantom.write import write_study

    out.mkdir(parents=True, exist_ok=True)
    intake = DEMO_DIR / "demo_intake.yaml"
    real = analyze_to_folder(
        SCT_T2_LUMBAR, out / "real_t2", clinical=intake, command="spinepath demo"
    )
    phantom_dir = out / "phantom_input"
    write_study(generate_study(seed, PHANTOM_PATHOLOGIES), phantom_dir, nifti=False)
    phantom = analyze_to_folder(
        phantom_dir / "dicom", out / "phantom", clinical=intake, command="spinepath demo"
    )
    return {
        "real sagittal T2 (SCT, MIT) report": real.files["html"],
        "phantom study report": phantom.files["html"],
        "phantom DICOM SEG": phantom.files.get("seg", out / "phantom"),
        "phantom DICOM SR": phantom.files.get("sr", out / "phantom"),
    }
