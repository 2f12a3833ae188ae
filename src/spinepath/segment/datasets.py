"""Readers of the development-data layouts used for training and evaluation.

Every reader yields :class:`LabelledStack` objects: a stack of sagittal 2-D slices in *display
orientation* (rows superior->inferior, columns anterior->posterior), the in-plane pixel spacing
in mm (row, col), and the reference masks translated into the segmenter's channels
(:data:`spinepath.segment.labels.CHANNELS`). A channel that a data set does not label is ``None``
(partial labels: the loss and the evaluation ignore it).

Layouts (see ../shared/data/*/SOURCE.txt):

* fcs (``<set>/<id>_img.nii.gz`` + ``<id>_seg.nii.gz``): NIfTI, axes 0 = S->I, 1 = A->P,
  2 = slice, 1 mm. ``vb*`` sets label vertebral-body instances, ``ivd*`` sets label discs.
* spider-seg (``images/<patient>_t2_SPACE_slice<k>.png`` + ``masks/...``): 0 background,
  1 disc, 2 whole vertebra, 3 spinal canal; head up, anterior left; spacing not stored
  (the SPIDER T2 SPACE series have 0.46875 mm pixels, which the disc spacing confirms).
* vesal (``images/<k>.png`` + ``masks/<k>.png``): 1 disc, 2 vertebral body; one subject;
  spacing not stored (about 1.35 mm from the disc spacing).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

SPIDER_SEG_SPACING_MM = 0.46875
"""Assumed pixel size of the spider-seg PNG export (SPIDER T2 SPACE in-plane spacing)."""

VESAL_SPACING_MM = 1.35
"""Assumed pixel size of the vesal PNGs (estimated from a 37 mm lumbar disc-to-disc distance)."""


@dataclass
class LabelledStack:
    """Sagittal slices of one subject with reference masks.

    Attributes:
        subject: subject id unique within the whole collection (``"<set>/<id>"``).
        dataset: set name (``"vb1_zukic"``, ``"spider-seg"``, ...).
        image: float32 array ``(n_slices, rows, cols)``; rows S->I, cols A->P.
        spacing_mm: in-plane pixel size (row, col) in mm.
        masks: channel name -> bool array like ``image`` or None when the set lacks it.
        instances: channel name -> int array of reference instance labels where the set has them.
        slice_names: a name per slice (file stem or ``"z<k>"``).
    """

    subject: str
    dataset: str
    image: np.ndarray
    spacing_mm: tuple[float, float]
    masks: dict[str, np.ndarray | None]
    instances: dict[str, np.ndarray] = field(default_factory=dict)
    slice_names: list[str] = field(default_factory=list)


def _png_gray(path: Path) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as im:
        return np.asarray(im.convert("L"), dtype=np.float32)


def _png_label(path: Path) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as im:
        arr = np.asarray(im)
    return arr[..., 0] if arr.ndim == 3 else arr


def detect_layout(root: Path) -> str:
    """Name of the layout of ``root``: ``"fcs"``, ``"spider-seg"``, ``"vesal"`` or ``"spider"``.

    Raises:
        ValueError: when the folder matches none of them.
    """
    root = Path(root)
    if (root / "radiological_gradings.csv").is_file():
        return "spider"
    if (root / "images").is_dir() and (root / "masks").is_dir():
        names = [p.name for p in (root / "images").glob("*.png")]
        if any("_slice" in n for n in names):
            return "spider-seg"
        if names:
            return "vesal"
    if any(root.glob("*/*_seg.nii*")) or any(root.glob("*_seg.nii*")):
        return "fcs"
    raise ValueError(
        f"{root} is laid out like none of the known sets (fcs NIfTI sets, spider-seg images/ + "
        "masks/, vesal, spider-dev with radiological_gradings.csv)"
    )


def iter_fcs(root: Path) -> Iterator[LabelledStack]:
    """Stacks of an fcs-layout folder (one stack per volume). ``root`` may be one set folder."""
    import nibabel as nib

    root = Path(root)
    set_dirs = (
        sorted(p for p in root.iterdir() if p.is_dir())
        if not any(root.glob("*_seg.nii*"))
        else [root]
    )
    for set_dir in set_dirs:
        name = set_dir.name
        for seg_path in sorted(set_dir.glob("*_seg.nii*")):
            sid = seg_path.name.split("_seg")[0]
            img_path = next(iter(sorted(set_dir.glob(f"{sid}_img.nii*"))), None)
            if img_path is None:
                continue
            img = np.asarray(nib.load(img_path).dataobj, dtype=np.float32)
            seg = np.asarray(nib.load(seg_path).dataobj).astype(np.int16)
            zooms = nib.load(img_path).header.get_zooms()[:2]
            # (S->I, A->P, slice) -> (slice, S->I, A->P)
            image = np.ascontiguousarray(np.moveaxis(img, 2, 0))
            inst = np.ascontiguousarray(np.moveaxis(seg, 2, 0))
            is_disc = name.startswith("ivd")
            masks: dict[str, np.ndarray | None] = {
                "vertebra": None,
                "body": None if is_disc else inst > 0,
                "disc": inst > 0 if is_disc else None,
                "canal": None,
            }
            yield LabelledStack(
                subject=f"{name}/{sid}",
                dataset=name,
                image=image,
                spacing_mm=(float(zooms[0]), float(zooms[1])),
                masks=masks,
                instances={"disc" if is_disc else "body": inst},
                slice_names=[f"z{k}" for k in range(image.shape[0])],
            )


_SLICE_RE = re.compile(r"^(?P<pid>[^_]+)_.*slice(?P<k>\d+)$")


def iter_spider_seg(
    root: Path, spacing_mm: float = SPIDER_SEG_SPACING_MM
) -> Iterator[LabelledStack]:
    """Stacks of a spider-seg-layout folder, one per patient, slices in file-number order."""
    root = Path(root)
    groups: dict[str, list[tuple[int, Path]]] = {}
    for p in sorted((root / "images").glob("*.png")):
        m = _SLICE_RE.match(p.stem)
        if m is None:
            continue
        groups.setdefault(m["pid"], []).append((int(m["k"]), p))
    for pid in sorted(groups, key=lambda s: (len(s), s)):
        items = sorted(groups[pid])
        imgs, labs = [], []
        for _, p in items:
            imgs.append(_png_gray(p))
            labs.append(_png_label(root / "masks" / p.name))
        image = np.stack(imgs)
        lab = np.stack(labs)
        yield LabelledStack(
            subject=f"spider-seg/{pid}",
            dataset="spider-seg",
            image=image,
            spacing_mm=(spacing_mm, spacing_mm),
            masks={"vertebra": lab == 2, "body": None, "disc": lab == 1, "canal": lab == 3},
            slice_names=[p.stem for _, p in items],
        )


def iter_vesal(root: Path, spacing_mm: float = VESAL_SPACING_MM) -> Iterator[LabelledStack]:
    """The vesal set as one stack (one subject); slices with empty masks are left out."""
    root = Path(root)
    paths = sorted(
        (root / "images").glob("*.png"), key=lambda p: int(p.stem) if p.stem.isdigit() else 0
    )
    imgs, labs, names = [], [], []
    for p in paths:
        lab = _png_label(root / "masks" / p.name)
        if not lab.any():
            continue
        imgs.append(_png_gray(p))
        labs.append(lab)
        names.append(p.stem)
    if not imgs:
        return
    lab = np.stack(labs)
    yield LabelledStack(
        subject="vesal/1",
        dataset="vesal",
        image=np.stack(imgs),
        spacing_mm=(spacing_mm, spacing_mm),
        masks={"vertebra": None, "body": lab == 2, "disc": lab == 1, "canal": None},
        slice_names=names,
    )


def iter_layout(root: Path) -> Iterator[LabelledStack]:
    """Stacks of any labelled layout under ``root`` (see :func:`detect_layout`)."""
    layout = detect_layout(root)
    if layout == "fcs":
        yield from iter_fcs(root)
    elif layout == "spider-seg":
        yield from iter_spider_seg(root)
    elif layout == "vesal":
        yield from iter_vesal(root)
    else:
        raise ValueError(f"{root} ({layout} layout) holds no segmentation masks")
