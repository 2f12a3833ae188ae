"""Build the disc grading data set from a spider-dev-layout folder.

For every patient: segment the T2 and T1 slices with the shipped segmenter, take each labelled
disc's crops and measurements, and join them with the radiologists' gradings
(``radiological_gradings.csv``: "IVD label" k counts from the bottom, so k = 1 is L5-S1 when the
numbering from the sacrum holds). A graded disc that the pipeline does not find on the T2 slice
is kept with ``found = False`` so evaluations count it as an error.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from spinepath.errors import SpinepathError
from spinepath.grade.crops import CROP_SHAPE
from spinepath.grade.series_inputs import series_inputs
from spinepath.io.png import _spider_overview, spider_series
from spinepath.model.levels import disc_from_bottom
from spinepath.segment.onnx_model import OnnxSegmenter

LABEL_COLUMNS = {
    "pfirrmann": "Pfirrman grade",
    "modic": "Modic",
    "up_endplate": "UP endplate",
    "low_endplate": "LOW endplate",
    "spondylolisthesis": "Spondylolisthesis",
    "herniation": "Disc herniation",
    "narrowing": "Disc narrowing",
    "bulging": "Disc bulging",
}


@dataclass
class DiscDataset:
    """One row per graded disc."""

    patient: list[str] = field(default_factory=list)
    level: list[str] = field(default_factory=list)
    found: list[bool] = field(default_factory=list)
    has_t1: list[bool] = field(default_factory=list)
    crops: list[np.ndarray] = field(default_factory=list)  # (2, H, W): T2, T1
    features: list[dict[str, float]] = field(default_factory=list)
    labels: dict[str, list[int]] = field(default_factory=lambda: {k: [] for k in LABEL_COLUMNS})
    vendor: list[str] = field(default_factory=list)

    def save(self, path: Path) -> None:
        """Write the data set as one .npz (+ features as a Parquet beside it)."""
        np.savez_compressed(
            path,
            patient=np.array(self.patient),
            level=np.array(self.level),
            found=np.array(self.found),
            has_t1=np.array(self.has_t1),
            crops=np.stack(self.crops).astype(np.float16),
            vendor=np.array(self.vendor),
            **{f"y_{k}": np.array(v) for k, v in self.labels.items()},
        )
        pd.DataFrame(self.features).assign(patient=self.patient, level=self.level).to_parquet(
            path.with_suffix(".features.parquet"), index=False
        )


def _features(ms: list, level: str, prefix: str) -> dict[str, float]:
    upper, lower = level.split("-")
    out = {}
    for m in ms:
        if m.level == level:
            out[f"{prefix}{m.name}"] = m.value
        elif m.level in (upper, lower):
            side = "upper" if m.level == upper else "lower"
            out[f"{prefix}{side}_{m.name}"] = m.value
    return out


def build(
    root: Path,
    *,
    segmenter: OnnxSegmenter | None = None,
    limit: int | None = None,
    crop_shape: tuple[int, int] = CROP_SHAPE,
    log=print,
) -> DiscDataset:
    """Build the data set for every patient of a spider-dev-layout folder."""
    seg = segmenter or OnnxSegmenter()
    grades = pd.read_csv(root / "radiological_gradings.csv")
    overview = _spider_overview(root)
    ds = DiscDataset()
    t0 = time.perf_counter()
    for n, (patient, rows) in enumerate(grades.groupby("Patient", sort=True)):
        if limit is not None and n >= limit:
            break
        per_seq = {}
        for seq in ("t2", "t1"):
            name = f"{patient}_{seq}"
            if name not in overview:
                continue
            try:
                per_seq[seq] = series_inputs(
                    spider_series(root, name, overview), segmenter=seg, crop_shape=crop_shape
                )
            except SpinepathError as exc:
                log(f"{name}: {exc}")
        vendor = overview.get(f"{patient}_t2", overview.get(f"{patient}_t1", {})).get(
            "Manufacturer", ""
        )
        for _, row in rows.iterrows():
            level = disc_from_bottom(int(row["IVD label"]))
            t2 = per_seq.get("t2")
            t1 = per_seq.get("t1")
            crop = np.zeros((2, *crop_shape), np.float32)
            found = bool(t2 and level in t2.inputs.crops)
            feats: dict[str, float] = {}
            if found:
                crop[0] = t2.inputs.crops[level]
                feats.update(_features(t2.inputs.measurements, level, "t2_"))
            has_t1 = bool(t1 and level in t1.inputs.crops)
            if has_t1:
                crop[1] = t1.inputs.crops[level]
                feats.update(_features(t1.inputs.measurements, level, "t1_"))
            ds.patient.append(str(patient))
            ds.level.append(level)
            ds.found.append(found)
            ds.has_t1.append(has_t1)
            ds.crops.append(crop)
            ds.features.append(feats)
            ds.vendor.append(vendor)
            for key, col in LABEL_COLUMNS.items():
                ds.labels[key].append(int(row[col]))
        if n % 10 == 0:
            log(f"{n + 1} patients, {len(ds.level)} discs, {time.perf_counter() - t0:.0f} s")
    return ds
