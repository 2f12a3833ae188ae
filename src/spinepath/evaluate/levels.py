"""``spinepath evaluate levels DIR``: are the discs found and numbered from the bottom on the
SPIDER-style single slices (spider-dev layout: ``t2/<patient>_t2.png``, ``t1/...``,
``overview.csv`` with PixelSpacing, ``radiological_gradings.csv`` with one row per graded disc,
"IVD label" counted from the bottom)?

Every visible disc is graded in SPIDER (the highest "IVD label" equals the number of discs
visible), so for a slice with ``n_ref`` graded discs and ``n_found`` discs found:

* detected discs = ``min(n_found, n_ref)``; ``disc_detection_rate`` = detected / graded, summed
  over slices;
* the numbering from the bottom matches the graded labels 1..n_ref exactly when the numbered
  chain (segmented discs plus discs inferred from gaps, see :func:`spinepath.levels.
  regularise_chain`) has ``n_ref`` positions (a missed or an extra disc shifts the labels above
  it): ``numbering_accuracy`` = share of slices with ``n_positions == n_ref``.

The reference gives disc counts, not positions, so a miss and a false disc on the same slice
would cancel; the per-slice JSON lists both counts for inspection.
"""

from __future__ import annotations

import ast
import time
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from spinepath.levels import label_levels
from spinepath.segment.onnx_model import OnnxSegmenter
from spinepath.segment.postprocess import channel_masks


def _read_png(path: Path) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as im:
        return np.flipud(np.asarray(im.convert("L"), dtype=np.float32)).copy()


def _spacing_table(root: Path) -> dict[str, tuple[float, float]]:
    import pandas as pd

    p = root / "overview.csv"
    if not p.is_file():
        return {}
    df = pd.read_csv(p)
    out = {}
    for name, ps in zip(df["new_file_name"], df["PixelSpacing"], strict=True):
        try:
            vals = ast.literal_eval(str(ps).replace("[.", "[0.").replace(", .", ", 0."))
            out[str(name)] = (float(vals[0]), float(vals[1]))
        except (ValueError, SyntaxError, TypeError, IndexError):
            continue
    return out


def evaluate_levels(
    root: Path,
    *,
    sequences: tuple[str, ...] = ("t2",),
    segmenter: OnnxSegmenter | None = None,
    exclude_patients: Iterable[str] = (),
    log=None,
) -> dict:
    """Disc detection and numbering on a spider-dev-layout folder (see module docstring)."""
    import pandas as pd

    root = Path(root)
    gr = pd.read_csv(root / "radiological_gradings.csv")
    n_ref_by_patient = gr.groupby("Patient")["IVD label"].max().to_dict()
    spacing = _spacing_table(root)
    seg = segmenter or OnnxSegmenter()
    excl = {str(p) for p in exclude_patients}
    rows: list[dict] = []
    t_all = time.perf_counter()
    for seqn in sequences:
        folder = root / seqn
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.png")):
            pid = path.stem.split("_")[0]
            if pid in excl or not pid.isdigit() or int(pid) not in n_ref_by_patient:
                continue
            sp = spacing.get(path.stem)
            if sp is None:
                continue
            img = _read_png(path)
            prob = seg.predict(img[None], sp)
            masks = channel_masks(prob, sp)
            lab = label_levels(masks["disc"][0], masks["vertebra"][0], sp)
            n_ref = int(n_ref_by_patient[int(pid)])
            n_found = len(lab.discs)
            n_pos = lab.n_disc_positions
            rows.append(
                {
                    "image": f"{seqn}/{path.name}",
                    "patient": pid,
                    "sequence": seqn,
                    "n_ref": n_ref,
                    "n_found": n_found,
                    "n_positions": n_pos,
                    "correct": n_pos == n_ref,
                    "sacrum_visible": lab.sacrum_visible,
                    "uncertain": lab.uncertain,
                }
            )
            if log:
                log(f"{seqn}/{path.name}: ref {n_ref} found {n_found}")
    result = _summarise(rows)
    result["by_sequence"] = {
        s: _summarise([r for r in rows if r["sequence"] == s]) for s in sequences
    }
    result["model_sha256"] = seg.sha256
    result["seconds"] = round(time.perf_counter() - t_all, 1)
    result["per_slice"] = rows
    return result


def _summarise(rows: list[dict]) -> dict:
    if not rows:
        return {"disc_detection_rate": None, "numbering_accuracy": None, "n_slices": 0}
    n_ref = sum(r["n_ref"] for r in rows)
    det = sum(min(r["n_found"], r["n_ref"]) for r in rows)
    return {
        "disc_detection_rate": round(det / n_ref, 4),
        "numbering_accuracy": round(float(np.mean([r["correct"] for r in rows])), 4),
        "n_slices": len(rows),
        "n_graded_discs": n_ref,
        "slices_missing_discs": sum(r["n_found"] < r["n_ref"] for r in rows),
        "slices_too_few_positions": sum(r["n_positions"] < r["n_ref"] for r in rows),
        "slices_too_many_positions": sum(r["n_positions"] > r["n_ref"] for r in rows),
        "sacrum_visible_rate": round(float(np.mean([r["sacrum_visible"] for r in rows])), 4),
    }
