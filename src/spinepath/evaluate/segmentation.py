"""``spinepath evaluate segmentation DIR``: Dice of the built-in segmenter on a labelled folder
(fcs, spider-seg or vesal layout, see :mod:`spinepath.segment.datasets`).

Scoring rules
-------------
* fcs layout: Dice over the whole volume (all slices). Vertebral-body sets and the disc set
  label only some levels (e.g. L1-L5), so voxels are scored only within the superior-inferior
  rows spanned by the reference plus :data:`SPAN_MARGIN_MM`; a correctly found but unlabelled
  T12 or S1 is not counted as a false positive, anything else inside the span is. Instances are
  also compared by overlap (``instance_dice_mean``), since labels are not level-ordered.
* spider-seg layout: Dice per patient over its stack of slices (``disc``, ``vertebra`` = whole
  vertebra, ``canal``), plus per-slice figures.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from spinepath.evaluate.metrics import dice, instance_dices, row_span, summary
from spinepath.segment.datasets import LabelledStack, detect_layout, iter_layout
from spinepath.segment.onnx_model import OnnxSegmenter
from spinepath.segment.postprocess import channel_masks

SPAN_MARGIN_MM = 3.0

REPORT_NAMES = {"body": "vertebral_body", "disc": "disc", "vertebra": "vertebra", "canal": "canal"}


def score_stack(stack: LabelledStack, masks: dict[str, np.ndarray], layout: str) -> dict:
    """Dice figures of one subject: ``{report_name: {"dice", "instance_dice_mean",
    "slice_dices"}}``."""
    out: dict[str, dict] = {}
    for ch, ref in stack.masks.items():
        if ref is None:
            continue
        pred = masks[ch]
        if layout in ("fcs", "vesal"):
            margin = round(SPAN_MARGIN_MM / stack.spacing_mm[0])
            span = row_span(ref, margin, axis_rows=1)
            pred = pred & span
        entry: dict = {
            "dice": round(dice(pred, ref), 4),
            "slice_dices": [
                round(dice(p, r), 4) for p, r in zip(pred, ref, strict=True) if r.any() or p.any()
            ],
        }
        inst = stack.instances.get(ch)
        if inst is not None:
            d = instance_dices(pred, inst)
            entry["instance_dice_mean"] = round(float(np.mean(d)), 4) if d else None
        out[REPORT_NAMES[ch]] = entry
    return out


def evaluate_segmentation(
    root: Path,
    *,
    segmenter: OnnxSegmenter | None = None,
    exclude_subjects: Iterable[str] = (),
    log=None,
) -> dict:
    """Run the segmenter on every labelled subject under ``root`` and summarise Dice.

    Args:
        root: a folder in the fcs, spider-seg or vesal layout.
        exclude_subjects: subject ids (``"<set>/<id>"``) to skip, e.g. the training subjects.
    """
    root = Path(root)
    layout = detect_layout(root)
    seg = segmenter or OnnxSegmenter()
    excl = set(exclude_subjects)
    per_subject: list[dict] = []
    times: list[float] = []
    for stack in iter_layout(root):
        if stack.subject in excl:
            continue
        t0 = time.perf_counter()
        prob = seg.predict(stack.image, stack.spacing_mm)
        masks = channel_masks(prob, stack.spacing_mm)
        times.append(time.perf_counter() - t0)
        scores = score_stack(stack, masks, layout)
        per_subject.append(
            {
                "subject": stack.subject,
                "set": stack.dataset,
                "n_slices": int(stack.image.shape[0]),
                **scores,
            }
        )
        if log:
            log(f"{stack.subject}: " + ", ".join(f"{k} {v['dice']:.3f}" for k, v in scores.items()))
    result: dict = {
        "layout": layout,
        "root": str(root),
        "model_sha256": seg.sha256,
        "n_subjects": len(per_subject),
    }
    structures = [n for n in REPORT_NAMES.values() if any(n in s for s in per_subject)]
    for name in structures:
        vals = [s[name]["dice"] for s in per_subject if name in s]
        result[name] = summary(vals)
        inst = [s[name].get("instance_dice_mean") for s in per_subject if name in s]
        inst = [v for v in inst if v is not None]
        if inst:
            result[name]["instance_dice_mean"] = round(float(np.mean(inst)), 4)
        slices = [d for s in per_subject if name in s for d in s[name]["slice_dices"]]
        result[name]["per_slice"] = summary(slices)
    per_set: dict[str, dict] = {}
    for set_name in sorted({s["set"] for s in per_subject}):
        subs = [s for s in per_subject if s["set"] == set_name]
        per_set[set_name] = {
            n: summary([s[n]["dice"] for s in subs if n in s])
            for n in structures
            if any(n in s for s in subs)
        }
    result["per_set"] = per_set
    result["per_subject"] = [
        {
            "subject": s["subject"],
            "set": s["set"],
            "n_slices": s["n_slices"],
            **{
                n: {k: v for k, v in s[n].items() if k != "slice_dices"}
                for n in structures
                if n in s
            },
        }
        for s in per_subject
    ]
    if times:
        result["seconds_per_series_mean"] = round(float(np.mean(times)), 3)
    return result
