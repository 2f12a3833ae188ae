"""Time spinepath's IBSI radiomics extraction on one core, optionally against pyradiomics.

Usage::

    python scripts/bench_radiomics.py [--data ../shared/data/ibsi]
        [--pyradiomics /tmp/pyrad-venv/bin/python] [--repeats 3] [--json out.json]

ROIs: the IBSI CT phantom GTV (125,256 voxels, 0.977 x 0.977 x 3 mm) and the same GTV dilated
until it holds about 250,000 voxels. Both engines get the same image, mask and settings:
no resampling, re-segmentation range [-1000, 400] HU, fixed bin size 25 HU, 3D texture, and
the feature families pyradiomics has (shape, first order, GLCM, GLRLM, GLSZM, GLDM/NGLDM,
NGTDM). pyradiomics (``pip install pyradiomics-bhklab`` into a throwaway venv, never a
dependency of spinepath) runs in its own interpreter given by ``--pyradiomics``. Every run is
a fresh subprocess pinned to one CPU with ``taskset -c 0`` and BLAS/OpenMP threads set to 1;
the best of ``--repeats`` runs by CPU time (process time, robust on a shared machine) is kept,
wall time is reported too.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nibabel as nib
import numpy as np
from scipy import ndimage

REPO = Path(__file__).resolve().parents[1]
ENV = {
    **os.environ,
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "ITK_GLOBAL_DEFAULT_NUMBER_OF_THREADS": "1",
}

OURS = r"""
import json, resource, sys, time
import nibabel as nib, numpy as np
from spinepath.model.volume import Volume
from spinepath.radiomics import extract_features, RadiomicsSettings
img = nib.load(sys.argv[1]); msk = np.asarray(nib.load(sys.argv[2]).dataobj) > 0
fams = tuple(sys.argv[3].split(","))
s = RadiomicsSettings.model_validate({
    "round_input": True, "resegmentation": {"range": [-1000, 400]},
    "discretisation": {"method": "fixed_bin_size", "bin_width": 25, "bin_number": None},
    "texture": {"aggregation": ["3D"]}, "families": fams})
vol = Volume(np.asarray(img.dataobj, dtype=np.float64), img.affine)
t = time.perf_counter(); c = time.process_time(); f = extract_features(vol, msk, s)
dt = time.perf_counter() - t; cpu = time.process_time() - c
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": dt, "cpu_seconds": cpu, "n_features": len(f), "peak_rss_mb": rss}))
"""

PYRAD = r"""
import json, logging, resource, sys, time
import SimpleITK as sitk
from radiomics import featureextractor
logging.getLogger("radiomics").setLevel(logging.ERROR)
img = sitk.ReadImage(sys.argv[1]); msk = sitk.ReadImage(sys.argv[2])
ext = featureextractor.RadiomicsFeatureExtractor(
    binWidth=25, resegmentRange=[-1000, 400], label=1, force2D=False)
ext.disableAllFeatures()
for c in ("shape", "firstorder", "glcm", "glrlm", "glszm", "gldm", "ngtdm"):
    ext.enableFeatureClassByName(c)
t = time.perf_counter(); c = time.process_time(); r = ext.execute(img, msk)
dt = time.perf_counter() - t; cpu = time.process_time() - c
n = sum(1 for k in r if not k.startswith("diagnostics"))
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": dt, "cpu_seconds": cpu, "n_features": n, "peak_rss_mb": rss}))
"""

COMPARABLE = "morph,stat,ih,cm,rlm,szm,ngt,ngl"
ALL = "morph,loc,stat,ih,ivh,cm,rlm,szm,dzm,ngt,ngl"


def _run(python: str, code: str, args: list[str]) -> dict:
    cmd = [python, "-c", code, *args]
    if shutil.which("taskset"):
        cmd = ["taskset", "-c", "0", *cmd]
    out = subprocess.run(cmd, env=ENV, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _best(python: str, code: str, args: list[str], repeats: int) -> dict:
    runs = [_run(python, code, args) for _ in range(repeats)]
    best = min(runs, key=lambda r: r["cpu_seconds"])
    best["all_seconds"] = [round(r["seconds"], 3) for r in runs]
    best["all_cpu_seconds"] = [round(r["cpu_seconds"], 3) for r in runs]
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data" / "ibsi")
    ap.add_argument("--pyradiomics", default="/tmp/pyrad-venv/bin/python")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json", type=Path)
    a = ap.parse_args()
    ct = a.data / "ibsi_1_ct_radiomics_phantom" / "nifti"
    img = nib.load(ct / "image" / "phantom.nii.gz")
    gtv = np.asarray(nib.load(ct / "mask" / "mask.nii.gz").dataobj) > 0
    large = gtv.copy()
    while large.sum() < 250_000:
        large = ndimage.binary_dilation(large)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        img_path = Path(tmp) / "image.nii.gz"
        nib.save(nib.Nifti1Image(np.asarray(img.dataobj, np.float32), img.affine), img_path)
        for name, roi in (("gtv", gtv), ("gtv_dilated", large)):
            m_path = Path(tmp) / f"{name}.nii.gz"
            nib.save(nib.Nifti1Image(roi.astype(np.uint8), img.affine), m_path)
            args = [str(img_path), str(m_path)]
            row = {"roi": name, "voxels": int(roi.sum())}
            row["ours_comparable"] = _best(sys.executable, OURS, [*args, COMPARABLE], a.repeats)
            row["ours_all"] = _best(sys.executable, OURS, [*args, ALL], a.repeats)
            if a.pyradiomics and Path(a.pyradiomics).exists():
                try:
                    row["pyradiomics"] = _best(a.pyradiomics, PYRAD, args, a.repeats)
                    py, ours = row["pyradiomics"], row["ours_comparable"]
                    row["speedup_cpu"] = py["cpu_seconds"] / ours["cpu_seconds"]
                    row["speedup_wall"] = py["seconds"] / ours["seconds"]
                except subprocess.CalledProcessError as exc:
                    row["pyradiomics_error"] = exc.stderr[-2000:]
            results.append(row)
            print(json.dumps(row))
    if a.json:
        a.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
