"""Segment a study: pick the sagittal series, segment it, write NIfTI label maps, QC PNG, JSON."""

from __future__ import annotations

import json
from pathlib import Path

from spinepath.errors import InputError
from spinepath.model.study import Plane, Series, SeriesKind, Study

BACKENDS = ("builtin", "totalsegmentator")
SERIES_PREFERENCE = (SeriesKind.T2, SeriesKind.T1, SeriesKind.STIR, SeriesKind.T2_FS)


def pick_sagittal_series(study: Study, series: str | None = None) -> Series:
    """The series to segment: the one named by uid/number/description, else the best
    sagittal T2, T1, STIR, T2-FS (in that order), else the only image series."""
    imgs = [s for s in study.series if s.volume is not None]
    if not imgs:
        raise InputError("the study holds no image series to segment")
    if series is not None:
        for s in imgs:
            if series in (s.uid, str(s.number), s.description):
                return s
        raise InputError(
            f"no series {series!r}; available: "
            + ", ".join(f"{s.number}:{s.description}" for s in imgs)
        )
    for kind in SERIES_PREFERENCE:
        best = study.best(kind, Plane.SAGITTAL)
        if best is not None:
            return best
    sag = [s for s in imgs if s.plane == Plane.SAGITTAL]
    if sag:
        return sag[0]
    if len(imgs) == 1:
        return imgs[0]
    raise InputError(
        "no sagittal series found in the study (planes: "
        + ", ".join(f"{s.description or s.uid}={s.plane}" for s in imgs)
        + "); the built-in segmenter needs a sagittal T2 or T1 series: name one with --series"
    )


def segment_study(
    study: Study,
    out_dir: Path,
    *,
    series: str | None = None,
    model: Path | None = None,
    labelmap: Path | None = None,
    convention: str | None = None,
    backend: str = "builtin",
    backend_options: dict | None = None,
) -> dict:
    """Segment one series of ``study`` and write ``<stem>_seg.nii.gz`` (semantic),
    ``<stem>_levels.nii.gz`` (levels), ``<stem>_qc.png`` and ``<stem>_segmentation.json``.

    ``backend``: ``"builtin"`` (the shipped ONNX model, or ``labelmap`` when given) or
    ``"totalsegmentator"`` (run the user's TotalSegmentator, see
    :mod:`spinepath.segment.totalseg`; ``backend_options`` go to
    :func:`~spinepath.segment.totalseg.run_totalsegmentator`: task, fast, device, timeout_s; its
    label map is kept as ``<stem>_totalseg_<task>.nii.gz``). Returns the JSON summary.
    """
    import nibabel as nib

    from spinepath.segment.api import segment_volume
    from spinepath.segment.onnx_model import OnnxSegmenter
    from spinepath.segment.qc import write_qc_png

    if backend not in BACKENDS:
        raise InputError(f"unknown segmentation backend {backend!r}; use one of {BACKENDS}")
    if backend != "builtin" and labelmap is not None:
        raise InputError("give either a label map to import or a backend to run, not both")
    s = pick_sagittal_series(study, series)
    out_dir = Path(out_dir)
    stem = "".join(c if c.isalnum() or c in "-_" else "_" for c in (s.description or "series"))
    stem = stem[:60] or "series"
    extra_outputs: dict[str, str] = {}
    if backend == "totalsegmentator":
        res, ts_map = _totalsegmentator_segmentation(s, out_dir, stem, backend_options or {})
        extra_outputs["totalsegmentator"] = ts_map.name
    elif labelmap is not None:
        res = imported_segmentation(s, labelmap, convention)
    else:
        res = segment_volume(s.volume, segmenter=OnnxSegmenter(model))
    out_dir.mkdir(parents=True, exist_ok=True)
    seg_path = out_dir / f"{stem}_seg.nii.gz"
    lev_path = out_dir / f"{stem}_levels.nii.gz"
    nib.save(res.semantic.to_nifti(), seg_path)
    nib.save(res.levels.to_nifti(), lev_path)
    qc_path = write_qc_png(
        out_dir / f"{stem}_qc.png",
        res.image_display,
        res.masks,
        res.labelling,
        res.display_spacing_mm,
    )
    summary = {
        "series": {
            "uid": s.uid,
            "description": s.description,
            "kind": str(s.kind),
            "plane": str(s.plane),
        },
        "outputs": {
            "semantic": seg_path.name,
            "levels": lev_path.name,
            "qc": qc_path.name,
            **extra_outputs,
        },
        "labels": {str(k): v for k, v in res.semantic.meta["labels"].items()},
        "levels": res.labelling.to_dict(),
        "provenance": res.provenance,
    }
    (out_dir / f"{stem}_segmentation.json").write_text(json.dumps(summary, indent=1))
    return summary


def _totalsegmentator_segmentation(series: Series, out_dir: Path, stem: str, options: dict):
    """Run TotalSegmentator on ``series``, keep its label map in ``out_dir`` and import it."""
    import shutil
    import tempfile

    from spinepath.segment import totalseg

    task = options.get("task", "total_mr")
    convention = totalseg.convention_for_task(task)
    with tempfile.TemporaryDirectory(prefix="spinepath-totalseg-") as tmp:
        produced = totalseg.run_totalsegmentator(series, Path(tmp), **options)
        out_dir.mkdir(parents=True, exist_ok=True)
        kept = out_dir / f"{stem}_totalseg_{task}.nii.gz"
        shutil.copyfile(produced, kept)
    res = imported_segmentation(series, kept, convention)
    res.provenance["algorithm"] = "TotalSegmentator (external, run as a subprocess) + import"
    res.provenance["totalsegmentator"] = {
        "task": task,
        "fast": bool(options.get("fast", True)),
        "device": options.get("device", "cpu"),
        "version": totalseg.totalsegmentator_version(),
    }
    return res, kept


def imported_segmentation(series: Series, labelmap: Path, convention: str | None):
    """A :class:`~spinepath.segment.api.SpineSegmentation` from an external label map on the
    grid of ``series`` (same shape after canonical reorientation)."""
    import nibabel as nib
    import numpy as np

    from spinepath.levels import LevelLabelling
    from spinepath.model.volume import Volume
    from spinepath.segment import labels as L
    from spinepath.segment.api import SpineSegmentation, to_display
    from spinepath.segment.external import import_labelmap
    from spinepath.segment.onnx_model import file_sha256

    img = nib.load(labelmap)
    sem, lev, labelling = import_labelmap(Volume(np.asarray(img.dataobj), img.affine), convention)
    can = series.volume.to_canonical()
    if sem.shape != can.shape or not np.allclose(sem.affine, can.affine, atol=1e-2):
        raise InputError(
            f"the label map {labelmap} (shape {sem.shape}) is not on the grid of series "
            f"{series.description!r} (shape {can.shape}); give the map of this series"
        )
    disp = to_display(sem.array)
    masks = {
        "vertebra": np.isin(disp, (L.VERTEBRAL_BODY, L.POSTERIOR_ELEMENTS, L.SACRUM)),
        "body": disp == L.VERTEBRAL_BODY,
        "disc": disp == L.DISC,
        "canal": disp == L.CANAL,
    }
    _, sy, sz = can.spacing
    prov = {
        "algorithm": "external label map import",
        "convention": sem.meta["convention"],
        "labelmap": str(labelmap),
        "labelmap_sha256": file_sha256(Path(labelmap)),
    }
    sem.meta["labels"] = L.SEMANTIC_NAMES
    return SpineSegmentation(
        semantic=sem,
        levels=lev,
        labelling=labelling or LevelLabelling(reasons=["levels taken from the label map"]),
        masks=masks,
        display_spacing_mm=(float(sz), float(sy)),
        image_display=to_display(np.asarray(can.array, np.float32)),
        provenance=prov,
    )
