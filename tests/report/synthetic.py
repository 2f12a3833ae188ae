"""A small synthetic lumbar DICOM study (hand-made geometry, not the phantom) for report tests.

Anatomy in RAS mm: vertebral bodies L1..L5 12 mm tall, discs 5 mm, a sacrum below, a spinal canal
behind, posterior elements behind the canal. Series: sagittal T2 and T1 (11 slices, 3.5 mm apart,
1 mm pixels) and an axial T2 stack through L4-L5 and L5-S1. The level and semantic maps follow
``spinepath.segment.labels`` and are evaluated from the same rules on the loaded volume's grid,
so the truth of every voxel is known.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
from pydicom.dataset import FileDataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, MRImageStorage, generate_uid

from spinepath.model.volume import Volume

LEVELS = ("L1", "L2", "L3", "L4", "L5")
IDS = {"L1": 20, "L2": 21, "L3": 22, "L4": 23, "L5": 24, "S1": 26}
Z_TOP = 56.0
BODY_MM, DISC_MM = 12.0, 5.0


def anatomy(ras: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Level map (VerSe ids) and semantic map (1..5) at RAS points (..., 3)."""
    x, y, z = ras[..., 0], ras[..., 1], ras[..., 2]
    level = np.zeros(x.shape, np.int16)
    sem = np.zeros(x.shape, np.int16)
    in_body_xy = (np.abs(x) <= 14) & (y >= 0) & (y <= 30)
    in_post_xy = (np.abs(x) <= 10) & (y >= -24) & (y < -13)
    top = Z_TOP
    for i, name in enumerate(LEVELS):
        body = (z <= top) & (z > top - BODY_MM)
        level[in_body_xy & body] = IDS[name]
        sem[in_body_xy & body] = 1
        level[in_post_xy & body] = IDS[name]
        sem[in_post_xy & body] = 2
        disc = (z <= top - BODY_MM) & (z > top - BODY_MM - DISC_MM)
        lower = LEVELS[i + 1] if i + 1 < len(LEVELS) else "S1"
        _ = lower
        level[in_body_xy & disc] = 100 + IDS[name]
        sem[in_body_xy & disc] = 3
        top -= BODY_MM + DISC_MM
    sacrum = in_body_xy & (z <= top) & (z > top - 11)
    level[sacrum] = IDS["S1"]
    sem[sacrum] = 5
    canal = (np.abs(x) <= 6) & (y >= -12) & (y <= -2)
    level[canal] = 61
    sem[canal] = 4
    return level, sem


def intensity(ras: np.ndarray, weighting: str, rng: np.random.Generator) -> np.ndarray:
    """MR-like intensities per tissue; the L4-L5 disc is dark on T2 (degenerated)."""
    level, sem = anatomy(ras)
    if weighting == "T2":
        table = {0: 90, 1: 500, 2: 420, 3: 900, 4: 1300, 5: 460}
    else:
        table = {0: 60, 1: 750, 2: 650, 3: 380, 4: 180, 5: 700}
    out = np.zeros(level.shape, np.float32)
    for k, v in table.items():
        out[sem == k] = v
    if weighting == "T2":
        out[level == 123] = 350
    out += rng.normal(0, 15, out.shape).astype(np.float32)
    return np.clip(out, 0, 4000)


def _base(study_uid: str, series_uid: str, for_uid: str, *, number: int, desc: str) -> dict:
    return {
        "PatientID": "SYN001",
        "PatientName": "Synthetic^Lumbar",
        "PatientBirthDate": "19800101",
        "PatientSex": "F",
        "PatientAge": "045Y",
        "StudyInstanceUID": study_uid,
        "StudyID": "1",
        "StudyDate": "20261204",
        "StudyTime": "101500",
        "AccessionNumber": "ACC1",
        "ReferringPhysicianName": "",
        "SeriesInstanceUID": series_uid,
        "SeriesNumber": number,
        "SeriesDescription": desc,
        "FrameOfReferenceUID": for_uid,
        "Modality": "MR",
        "Manufacturer": "synthetic",
        "BodyPartExamined": "LSPINE",
        "PositionReferenceIndicator": "",
        "MagneticFieldStrength": 1.5,
    }


def _write_slice(path: Path, pixels: np.ndarray, attrs: dict, *, ipp, iop, spacing, thickness,
                 tr: float, te: float, instance: int) -> None:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = MRImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset(str(path), {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID = MRImageStorage
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    for k, v in attrs.items():
        setattr(ds, k, v)
    ds.InstanceNumber = instance
    ds.ImageType = ["ORIGINAL", "PRIMARY", "M", "ND"]
    ds.ScanningSequence = "SE"
    ds.SequenceVariant = "SK"
    ds.ScanOptions = ""
    ds.MRAcquisitionType = "2D"
    ds.RepetitionTime = tr
    ds.EchoTime = te
    ds.ImagePositionPatient = [float(v) for v in ipp]
    ds.ImageOrientationPatient = [float(v) for v in iop]
    ds.PixelSpacing = [float(spacing[0]), float(spacing[1])]
    ds.SliceThickness = thickness
    ds.Rows, ds.Columns = pixels.shape
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = 16
    ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 0
    ds.PixelData = pixels.astype(np.uint16).tobytes()
    pydicom.dcmwrite(path, ds, enforce_file_format=True)


def write_study(
    folder: Path,
    *,
    with_t2: bool = True,
    with_axial: bool = True,
    pixel_mm: float = 1.0,
    n_sagittal: int = 11,
) -> Path:
    """Write the study's DICOM files under ``folder``; return the folder.

    ``pixel_mm`` sets the in-plane pixel size of the sagittal series (field of view fixed at
    100 x 72 mm), ``n_sagittal`` the number of sagittal slices (3.5 mm apart, centred).
    """
    rng = np.random.default_rng(7)
    folder.mkdir(parents=True, exist_ok=True)
    study_uid, for_uid = generate_uid(), generate_uid()
    series = [("T1", 2, "SAG T1 TSE", 550.0, 10.0)]
    if with_t2:
        series.insert(0, ("T2", 1, "SAG T2 TSE", 3500.0, 100.0))
    rows, cols = round(100 / pixel_mm), round(72 / pixel_mm)
    r = np.arange(rows, dtype=float)[:, None] * pixel_mm
    c = np.arange(cols, dtype=float)[None, :] * pixel_mm
    for weighting, number, desc, tr, te in series:
        attrs = _base(study_uid, generate_uid(), for_uid, number=number, desc=desc)
        sub = folder / f"s{number}"
        sub.mkdir(exist_ok=True)
        for k in range(n_sagittal):
            x_ras = 3.5 * (k - (n_sagittal - 1) / 2)
            # rows run inferior (LPS col cosine 0,0,-1), columns posterior (LPS row cosine 0,1,0)
            ras = np.stack(
                np.broadcast_arrays(np.full_like(r + c, x_ras), 40.0 - c, 60.0 - r), axis=-1
            )
            pix = intensity(ras, weighting, rng)
            _write_slice(sub / f"{k:03d}.dcm", pix, attrs, ipp=(-x_ras, -40.0, 60.0),
                         iop=(0, 1, 0, 0, 0, -1), spacing=(pixel_mm, pixel_mm), thickness=3.0,
                         tr=tr, te=te, instance=k + 1)
    if with_axial:
        attrs = _base(study_uid, generate_uid(), for_uid, number=3, desc="AX T2 TSE")
        sub = folder / "s3"
        sub.mkdir(exist_ok=True)
        rows_a, cols_a = 72, 64
        ra = np.arange(rows_a, dtype=float)[:, None]
        ca = np.arange(cols_a, dtype=float)[None, :]
        for k, z in enumerate(np.arange(-30.0, -3.0, 2.0)):
            # columns toward patient left (LPS +x), rows posterior (LPS +y)
            ras = np.stack(
                np.broadcast_arrays(32.0 - ca, 40.0 - ra, np.full_like(ra + ca, z)), axis=-1
            )
            pix = intensity(ras, "T2", rng)
            _write_slice(sub / f"{k:03d}.dcm", pix, attrs, ipp=(-32.0, -40.0, z),
                         iop=(1, 0, 0, 0, 1, 0), spacing=(1.0, 1.0), thickness=2.0, tr=4000.0,
                         te=110.0, instance=k + 1)
    return folder


def label_maps_on(volume: Volume) -> tuple[Volume, Volume]:
    """Level map and semantic map on a volume's grid (RAS), from the anatomy rules."""
    can = volume.to_canonical()
    ijk = np.stack(np.meshgrid(*[np.arange(n) for n in can.shape], indexing="ij"), axis=-1)
    ras = ijk.astype(float) @ can.affine[:3, :3].T + can.affine[:3, 3]
    level, sem = anatomy(ras)
    return Volume(level, can.affine.copy()), Volume(sem, can.affine.copy())


def sample_findings() -> list:
    """Findings as the grading stage would produce them (grades with probabilities, mm / mm²)."""
    from spinepath.model.findings import Finding, Grade, Measurement

    def pf(value: int, probs: dict[str, float], level: str) -> Finding:
        return Finding(
            level=level,
            structure="disc",
            kind="degeneration",
            grade=Grade(system="Pfirrmann", value=value, probabilities=probs, method="test"),
            measurements=[Measurement(name="disc_height", value=6.8, unit="mm", level=level)],
        )

    return [
        pf(2, {"1": 0.2, "2": 0.7, "3": 0.1, "4": 0.0, "5": 0.0}, "L3-L4"),
        pf(4, {"1": 0.0, "2": 0.05, "3": 0.3, "4": 0.55, "5": 0.1}, "L4-L5"),
        Finding(
            level="L4-L5",
            structure="disc",
            kind="extrusion",
            side="left",
            description="left subarticular",
            measurements=[Measurement(name="herniation_size", value=7.0, unit="mm")],
        ),
        Finding(
            level="L4-L5",
            structure="canal",
            kind="stenosis",
            grade=Grade(system="Schizas", value=2, probabilities={"1": 0.2, "2": 0.7, "3": 0.1}),
            measurements=[Measurement(name="dural_sac_area", value=92.0, unit="mm2")],
        ),
        Finding(
            level="L5-S1",
            structure="endplate",
            kind="modic",
            grade=Grade(system="Modic", value=1, probabilities={"0": 0.1, "1": 0.8, "2": 0.1}),
        ),
    ]


def sample_reasoning() -> dict:
    """A reasoning result in the vignette vocabulary, with reasons."""
    return {
        "triage": "routine",
        "phenotype_primary": "radicular",
        "phenotypes": [
            {"name": "radicular", "confidence": 0.82, "reasons": ["dermatomal L5 pain"]},
            {"name": "discogenic", "confidence": 0.2},
        ],
        "pain_generators": [
            {"level": "L4-L5", "structure": "disc", "side": "left", "root": "L5",
             "probability": 0.74, "reasons": ["left subarticular extrusion contacts L5 root",
                                              {"rule": "zone-root map", "source": "Fardon 2014"}]},
            {"level": "L5-S1", "structure": "endplate", "probability": 0.12,
             "likely_incidental": True, "reasons": ["Modic 1 without axial-predominant pain"]},
        ],
        "next_steps": [
            {"procedure": "transforaminal_esi", "level": "L4-L5", "root": "L5", "side": "left",
             "guidance": "fluoroscopy", "conditions": ["persistent radicular pain after 6 weeks"],
             "contraindications": ["anticoagulant management"], "evidence": "moderate"},
            {"procedure": "surgical_referral", "conditional": True,
             "conditions": ["progressive deficit or failed injection"]},
        ],
        "flags": ["anticoagulant_management", "incidental_findings"],
        "incidental": [{"level": "L5-S1", "finding": "Modic 1"}],
    }
