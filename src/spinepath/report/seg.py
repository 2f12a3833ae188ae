"""DICOM Segmentation (highdicom) of the labelled structures, on the source series' frames.

One binary segment per structure and level: ``L4 vertebra`` (or ``L4 vertebral body`` and
``L4 posterior elements`` when a semantic map separates them), ``L4-L5 disc``, ``spinal canal``,
``sacrum``. Segmented property category: Anatomical Structure (SCT 91723000); property type: the
level-specific SNOMED concept (DICOM CID 7603 / 7604) or, for the body / posterior elements, the
structure's concept with the level's vertebra as anatomic region (see :mod:`.codes`).

Input label conventions (``spinepath.segment.labels``): the level map holds VerSe ids
(T10 = 17 .. L5 = 24, S1 = 26), discs 100 + id of the vertebra above, canal 61; the semantic map
1 vertebral body, 2 posterior elements, 3 disc, 4 canal, 5 sacrum.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pydicom.dataset import Dataset

from spinepath import __version__
from spinepath.model.report import Provenance
from spinepath.model.volume import Volume
from spinepath.report import codes as C
from spinepath.report.sources import SourceFrames, sample_on_frames

# Values of spinepath.segment.labels, repeated here as the published interface (the labels module
# may not be importable in a minimal install; a test checks both agree).
VERTEBRA_IDS: dict[str, int] = {
    "T10": 17, "T11": 18, "T12": 19, "L1": 20, "L2": 21, "L3": 22, "L4": 23, "L5": 24, "S1": 26,
}  # fmt: skip
CANAL_ID = 61
DISC_OFFSET = 100
SEM_BODY, SEM_POSTERIOR, SEM_DISC, SEM_CANAL, SEM_SACRUM = 1, 2, 3, 4, 5

SEGMENT_COLORS: dict[str, tuple[int, int, int]] = {
    "vertebra": (230, 200, 120),
    "body": (230, 200, 120),
    "posterior": (170, 140, 90),
    "disc": (80, 170, 255),
    "canal": (255, 230, 60),
    "sacrum": (200, 160, 200),
}
"""Display colours (RGB) per structure class, shared with the key images."""


@dataclass
class SegmentSpec:
    """One segment: label, structure class, codes, and its mask on the source frames."""

    label: str
    structure: str
    level: str | None
    property_type: C.Concept
    anatomic_region: C.Concept | None
    mask: np.ndarray  # bool (n_frames, rows, cols)


def disc_name_for_id(value: int) -> str | None:
    """Disc name of a level-map disc value (``124 -> "L5-S1"``), or None."""
    names = list(VERTEBRA_IDS)
    for i, name in enumerate(names[:-1]):
        if DISC_OFFSET + VERTEBRA_IDS[name] == value:
            return f"{name}-{names[i + 1]}"
    return None


def segment_specs(
    levels: np.ndarray, semantic: np.ndarray | None = None
) -> list[SegmentSpec]:
    """Segments present in a level map (and optional semantic map) sampled on the same frames.

    Args:
        levels: level-map values (VerSe ids), shape (n_frames, rows, cols).
        semantic: semantic labels on the same grid, or None.

    Returns:
        Non-empty segments, cranial to caudal: vertebrae (body / posterior elements), discs
        interleaved, then the spinal canal.
    """
    specs: list[SegmentSpec] = []
    present = set(np.unique(levels).tolist())
    names = list(VERTEBRA_IDS)
    for i, name in enumerate(names):
        vid = VERTEBRA_IDS[name]
        if vid in present:
            whole = levels == vid
            code = C.VERTEBRA_CODES[name]
            if name == "S1":
                specs.append(SegmentSpec("sacrum", "sacrum", "S1", C.SACRUM, None, whole))
            elif semantic is not None and np.any(whole & (semantic == SEM_BODY)):
                specs.append(
                    SegmentSpec(
                        f"{name} vertebral body", "body", name, C.VERTEBRAL_BODY, code,
                        whole & (semantic == SEM_BODY),
                    )
                )
                post = whole & (semantic == SEM_POSTERIOR)
                if post.any():
                    specs.append(
                        SegmentSpec(
                            f"{name} posterior elements", "posterior", name, C.VERTEBRAL_ARCH,
                            code, post,
                        )
                    )
            else:
                specs.append(SegmentSpec(f"{name} vertebra", "vertebra", name, code, None, whole))
        if i + 1 < len(names):
            disc = f"{name}-{names[i + 1]}"
            did = DISC_OFFSET + vid
            if did in present and disc in C.DISC_CODES:
                specs.append(
                    SegmentSpec(f"{disc} disc", "disc", disc, C.DISC_CODES[disc], None,
                                levels == did)
                )
    if CANAL_ID in present:
        specs.append(
            SegmentSpec("spinal canal", "canal", None, C.SPINAL_CANAL, None, levels == CANAL_ID)
        )
    return [s for s in specs if s.mask.any()]


def algorithm_identification(provenance: Provenance):
    """highdicom AlgorithmIdentificationSequence: name, family, version, parameters.

    Parameters carry the model hashes and the digest of the input hashes (provenance).
    """
    import highdicom as hd
    from pydicom.sr.codedict import codes

    params = {f"model:{k}": v[:16] for k, v in sorted(provenance.models.items())}
    params["inputs_sha256"] = provenance.inputs_digest[:32]
    return hd.AlgorithmIdentificationSequence(
        name="spinepath",
        family=codes.cid7162.ArtificialIntelligence,
        version=provenance.version,
        source="spinepath (open source)",
        parameters=params,
    )


def _rgb_to_lab(rgb: tuple[int, int, int]):
    import highdicom as hd

    return hd.color.CIELabColor.from_rgb(*rgb)


def build_segmentation(
    frames: SourceFrames,
    label_map: Volume,
    *,
    provenance: Provenance,
    semantic_map: Volume | None = None,
    series_number: int = 9001,
) -> tuple[Dataset, list[SegmentSpec]]:
    """Build the DICOM Segmentation of ``label_map`` on the source frames.

    Returns:
        The SEG dataset and the segment specs (segment number = index + 1).

    Raises:
        ValueError: when no labelled structure falls on the source frames.
    """
    import highdicom as hd
    from pydicom.uid import generate_uid

    levels = sample_on_frames(label_map, frames)
    semantic = sample_on_frames(semantic_map, frames) if semantic_map is not None else None
    specs = segment_specs(levels, semantic)
    if not specs:
        raise ValueError(
            "the label map has no labelled structure on the source series' frames (wrong series, "
            "or labels outside the image); no Segmentation written."
        )
    algo = algorithm_identification(provenance)
    descriptions = []
    for n, spec in enumerate(specs, start=1):
        descriptions.append(
            hd.seg.SegmentDescription(
                segment_number=n,
                segment_label=spec.label,
                segmented_property_category=C.ANATOMICAL_STRUCTURE.hd(),
                segmented_property_type=spec.property_type.hd(),
                algorithm_type=hd.seg.SegmentAlgorithmTypeValues.AUTOMATIC,
                algorithm_identification=algo,
                tracking_uid=generate_uid(),
                tracking_id=spec.label,
                anatomic_regions=[spec.anatomic_region.hd()] if spec.anatomic_region else None,
                display_color=_rgb_to_lab(SEGMENT_COLORS[spec.structure]),
            )
        )
    pixel = np.stack([s.mask for s in specs], axis=-1).astype(np.uint8)  # (frames, r, c, segs)
    seg = hd.seg.Segmentation(
        source_images=frames.datasets,
        pixel_array=pixel,
        segmentation_type=hd.seg.SegmentationTypeValues.BINARY,
        segment_descriptions=descriptions,
        series_instance_uid=generate_uid(),
        series_number=series_number,
        sop_instance_uid=generate_uid(),
        instance_number=1,
        manufacturer="spinepath",
        manufacturer_model_name="spinepath",
        software_versions=__version__,
        device_serial_number="0",
        content_description="Lumbar spine structures by level",
        content_label="SPINE_LEVELS",
        content_creator_name="spinepath^automatic",
        series_description="spinepath segmentation (preliminary)",
    )
    return seg, specs


def write_segmentation(seg: Dataset, path: Path) -> Path:
    """Save a SEG dataset as a DICOM file."""
    seg.save_as(path, enforce_file_format=True)
    return path
