"""Compliance check against the IBSI 1 reference values (digital phantom, CT phantom A-E).

Reference data: ``<data>/ibsi`` as staged in the shared folder (IBSI reference manual values,
CSV files ``reference_values/*.csv`` with ``reference value;tolerance;tag``). A feature matches
when ``|value - reference| <= tolerance + half a unit of the reference's third significant
digit``: the manual reports consensus values rounded to 3 significant digits, so a tolerance of
0 means "equal after rounding".
"""

from __future__ import annotations

import csv
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nibabel as nib
import numpy as np

from spinepath.errors import InputError
from spinepath.model.volume import Volume
from spinepath.radiomics.codes import FEATURE_CODES, split_tag
from spinepath.radiomics.extract import extract_features
from spinepath.radiomics.settings import load_settings

#: data set name -> (phantom folder, reference CSV, shipped settings name)
DATASETS: dict[str, tuple[str, str, str]] = {
    "digital_phantom": ("ibsi_1_digital_phantom", "ibsi_1_dig_phantom.csv", "digital_phantom"),
    "A": ("ibsi_1_ct_radiomics_phantom", "ibsi_1_chest_config_a.csv", "ibsi_ct_a"),
    "B": ("ibsi_1_ct_radiomics_phantom", "ibsi_1_chest_config_b.csv", "ibsi_ct_b"),
    "C": ("ibsi_1_ct_radiomics_phantom", "ibsi_1_chest_config_c.csv", "ibsi_ct_c"),
    "D": ("ibsi_1_ct_radiomics_phantom", "ibsi_1_chest_config_d.csv", "ibsi_ct_d"),
    "E": ("ibsi_1_ct_radiomics_phantom", "ibsi_1_chest_config_e.csv", "ibsi_ct_e"),
}


@dataclass(frozen=True)
class Reference:
    """One IBSI consensus value."""

    tag: str
    value: float
    tolerance: float


@dataclass
class CheckResult:
    """Outcome of one data set: features within tolerance out of those with a reference."""

    dataset: str
    matched: int
    total: int
    seconds: float
    mismatches: list[dict] = field(default_factory=list)
    matched_strict: int = 0
    """Matches by the CSV tolerance alone, without the rounding allowance."""

    def to_dict(self) -> dict:
        """JSON-ready dict."""
        return asdict(self)


def load_reference(path: Path) -> list[Reference]:
    """Feature reference values of one CSV (diagnostic rows and rows without consensus skipped)."""
    out = []
    with open(path, newline="") as fh:
        reader = csv.reader(fh, delimiter=";")
        next(reader)
        for value, tol, tag in reader:
            if value.strip() == "" or split_tag(tag)[0] not in FEATURE_CODES:
                continue
            out.append(Reference(tag, float(value), float(tol or 0.0)))
    return out


def within_tolerance(value: float | None, ref: Reference) -> bool:
    """True when ``value`` agrees with the reference (see module docstring)."""
    if value is None or not math.isfinite(value):
        return False
    rounding = 0.5 * 10 ** (math.floor(math.log10(abs(ref.value))) - 2) if ref.value else 5e-4
    return abs(value - ref.value) <= (ref.tolerance + rounding) * (1 + 1e-9)


def load_phantom(ibsi_dir: Path, folder: str) -> tuple[Volume, np.ndarray]:
    """Image volume and ROI mask of an IBSI phantom (NIfTI)."""
    base = ibsi_dir / folder / "nifti"
    img = nib.load(base / "image" / "phantom.nii.gz")
    msk = nib.load(base / "mask" / "mask.nii.gz")
    return Volume(np.asarray(img.dataobj, dtype=np.float64), img.affine), np.asarray(
        msk.dataobj
    ) > 0


def check_dataset(ibsi_dir: Path, dataset: str) -> CheckResult:
    """Extract the features of one data set with its shipped settings and compare."""
    if dataset not in DATASETS:
        raise InputError(f"unknown IBSI data set {dataset!r}; choose from {list(DATASETS)}")
    folder, ref_csv, cfg = DATASETS[dataset]
    ref_path = ibsi_dir / "reference_values" / ref_csv
    if not ref_path.is_file():
        raise InputError(f"IBSI reference values not found: {ref_path}; pass --data <shared>/ibsi")
    refs = load_reference(ref_path)
    image, mask = load_phantom(ibsi_dir, folder)
    t0 = time.perf_counter()
    feats = extract_features(image, mask, load_settings(cfg))
    seconds = time.perf_counter() - t0
    mismatches = []
    for r in refs:
        v = feats.get(r.tag)
        if not within_tolerance(v, r):
            mismatches.append(
                {"tag": r.tag, "value": v, "reference": r.value, "tolerance": r.tolerance}
            )
    strict = sum(
        1
        for r in refs
        if feats.get(r.tag) is not None and abs(feats[r.tag] - r.value) <= r.tolerance * (1 + 1e-9)
    )
    return CheckResult(dataset, len(refs) - len(mismatches), len(refs), seconds, mismatches, strict)


def check_all(ibsi_dir: Path, datasets: list[str] | None = None) -> list[CheckResult]:
    """Run :func:`check_dataset` for each data set (all by default)."""
    return [check_dataset(ibsi_dir, d) for d in (datasets or list(DATASETS))]
