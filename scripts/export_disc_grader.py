"""Join cross-validated grader runs into the shipped ensemble and recompute its out-of-fold
predictions on a (possibly rebuilt) disc data set.

``python scripts/export_disc_grader.py DISCS.npz OUT_DIR RUN1/members.pt [RUN2/members.pt ...]``

Each ``members.pt`` (written by ``python -m spinepath.grade.train.trainer``) holds the member
networks, their configuration and the fold each was trained without. Writes
``OUT_DIR/disc_grader.onnx`` (the mean of every member's probabilities) and ``OUT_DIR/oof.npz``:
for every disc of fold k, the mean over the members trained without fold k (the folds are
recomputed from DISCS.npz's patients with the trainer's seed-0 rule and must match the members'
fold indices), so a data set rebuilt with another segmenter is scored out of fold as well.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch

from spinepath.grade.heads import output_size
from spinepath.grade.train.net import DiscGrader, to_probabilities
from spinepath.grade.train.trainer import export_ensemble, patient_folds


def load_members(path: Path) -> list[tuple[int, DiscGrader]]:
    """(fold left out, network) for every member of a ``members.pt``."""
    state = torch.load(path, weights_only=False)
    cfg = state["config"]
    out = []
    for weights, fold in zip(state["members"], state["member_fold"], strict=True):
        net = DiscGrader(tuple(cfg["widths"]), cfg["dropout"])
        net.load_state_dict({k: v.float() for k, v in weights.items()})
        out.append((int(fold), net.eval()))
    return out


def main() -> None:
    discs, out_dir, runs = Path(sys.argv[1]), Path(sys.argv[2]), [Path(p) for p in sys.argv[3:]]
    data = dict(np.load(discs))
    members = [m for run in runs for m in load_members(run)]
    n_folds = max(f for f, _ in members) + 1
    folds = patient_folds(data["patient"], n_folds, 0)
    crops = torch.tensor(data["crops"].astype(np.float32))
    has_t1 = torch.tensor(data["has_t1"].astype(np.float32))[:, None]
    found = data["found"].astype(bool)
    oof = np.full((len(found), output_size()), np.nan, np.float32)
    with torch.no_grad():
        for k in range(n_folds):
            rows = (folds == k) & found
            nets = [net for f, net in members if f == k]
            oof[rows] = np.mean(
                [to_probabilities(net(crops[rows], has_t1[rows])).numpy() for net in nets], axis=0
            )
    out_dir.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        out_dir / "oof.npz",
        oof=oof,
        fold=folds,
        found=found,
        patient=data["patient"],
        level=data["level"],
        **{k: v for k, v in data.items() if k.startswith("y_")},
    )
    nets = [net for _, net in members]
    export_ensemble(nets, tuple(crops.shape[2:]), out_dir / "disc_grader.onnx")
    print(f"{len(members)} members ({n_folds} folds) -> {out_dir / 'disc_grader.onnx'}")


if __name__ == "__main__":
    main()
