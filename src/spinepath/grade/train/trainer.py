"""Train the disc grader with patient-wise cross-validation and export the shipped ensemble.

``python -m spinepath.grade.train.trainer DATASET.npz OUT_DIR`` (needs torch, the ``train``
extra). Each of the k fold models is trained on the other folds' patients; its predictions on its
own fold are the out-of-fold (OOF) predictions the reported figures come from. The shipped model
is the average of the k fold models (ONNX, probabilities out).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from spinepath.grade.heads import BINARY_HEADS, MULTICLASS_HEADS
from spinepath.grade.train.net import DiscGrader, Ensemble, to_probabilities


def patient_folds(patients: np.ndarray, k: int, seed: int) -> np.ndarray:
    """Fold index per row, all rows of a patient in one fold (shuffled patients, round robin)."""
    unique = np.array(sorted(set(patients.tolist())))
    rng = np.random.default_rng(seed)
    rng.shuffle(unique)
    fold_of = {p: i % k for i, p in enumerate(unique)}
    return np.array([fold_of[p] for p in patients])


def targets(data: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Class indices (multiclass) and 0/1 (binary) per head."""
    out = {}
    for name, classes in MULTICLASS_HEADS.items():
        index = {c: i for i, c in enumerate(classes)}
        out[name] = np.array([index[int(v)] for v in data[f"y_{name}"]])
    for name in BINARY_HEADS:
        out[name] = data[f"y_{name}"].astype(np.float32)
    return out


def _augment(
    x: torch.Tensor, has_t1: torch.Tensor, gen: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    b = x.shape[0]
    angle = (torch.rand(b, generator=gen) - 0.5) * 2 * np.deg2rad(8)
    scale = 1 + (torch.rand(b, generator=gen) - 0.5) * 0.16
    shift = (torch.rand(b, 2, generator=gen) - 0.5) * 0.1
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack(
        [torch.stack([cos, -sin, shift[:, 0]], 1), torch.stack([sin, cos, shift[:, 1]], 1)], 1
    )
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    x = F.grid_sample(x, grid, align_corners=False, padding_mode="zeros")
    gamma = torch.exp((torch.rand(b, 2, 1, 1, generator=gen) - 0.5) * 0.5)
    x = x.clamp(min=0) ** gamma
    drop = (torch.rand(b, generator=gen) < 0.15) & (has_t1[:, 0] > 0)
    x[drop, 1] = 0
    has_t1 = has_t1.clone()
    has_t1[drop] = 0
    return x, has_t1


def _class_weights(y: np.ndarray, n: int, cap: float = 5.0) -> torch.Tensor:
    counts = np.bincount(y, minlength=n).astype(float)
    w = np.where(counts > 0, counts.sum() / (n * np.maximum(counts, 1)), 0.0)
    return torch.tensor(np.minimum(w, cap), dtype=torch.float32)


def train_one(
    crops: np.ndarray,
    has_t1: np.ndarray,
    y: dict[str, np.ndarray],
    *,
    epochs: int,
    seed: int,
    log=print,
) -> DiscGrader:
    """Train one network on the given rows."""
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    net = DiscGrader()
    opt = torch.optim.AdamW(net.parameters(), lr=2e-3, weight_decay=1e-3)
    n = len(crops)
    steps = epochs * int(np.ceil(n / 32))
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=2e-3, total_steps=steps)
    x_all = torch.tensor(crops, dtype=torch.float32)
    t_all = torch.tensor(has_t1, dtype=torch.float32)[:, None]
    y_t = {k: torch.tensor(v) for k, v in y.items()}
    cw = {name: _class_weights(y[name], len(c)) for name, c in MULTICLASS_HEADS.items()}
    pos = {
        name: float(np.clip((1 - y[name].mean()) / max(y[name].mean(), 1e-3), 1, 10))
        for name in BINARY_HEADS
    }
    grades = torch.tensor(MULTICLASS_HEADS["pfirrmann"], dtype=torch.float32)
    net.train()
    for epoch in range(epochs):
        perm = torch.randperm(n, generator=gen)
        total = 0.0
        for start in range(0, n, 32):
            idx = perm[start : start + 32]
            x, t1 = _augment(x_all[idx], t_all[idx], gen)
            logits = net(x, t1)
            loss = torch.zeros(())
            i = 0
            for name, classes in MULTICLASS_HEADS.items():
                part = logits[:, i : i + len(classes)]
                loss = loss + F.cross_entropy(part, y_t[name][idx], weight=cw[name])
                if name == "pfirrmann":
                    expected = (torch.softmax(part, 1) * grades).sum(1)
                    true = grades[y_t[name][idx]]
                    loss = loss + 0.3 * F.smooth_l1_loss(expected, true)
                i += len(classes)
            for name in BINARY_HEADS:
                loss = loss + 0.5 * F.binary_cross_entropy_with_logits(
                    logits[:, i], y_t[name][idx], pos_weight=torch.tensor(pos[name])
                )
                i += 1
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss) * len(idx)
        if epoch % 10 == 0 or epoch == epochs - 1:
            log(f"  epoch {epoch + 1}/{epochs} loss {total / n:.3f}")
    return net.eval()


@torch.no_grad()
def predict(net: torch.nn.Module, crops: np.ndarray, has_t1: np.ndarray) -> np.ndarray:
    """Probabilities (n, output_size) of a network or ensemble."""
    x = torch.tensor(crops, dtype=torch.float32)
    t = torch.tensor(has_t1, dtype=torch.float32)[:, None]
    out = net(x, t)
    return (out if isinstance(net, Ensemble) else to_probabilities(out)).numpy()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("dataset", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    data = dict(np.load(args.dataset))
    crops = data["crops"].astype(np.float32)
    has_t1 = data["has_t1"].astype(np.float32)
    found = data["found"].astype(bool)
    y = targets(data)
    folds = patient_folds(data["patient"], args.folds, args.seed)
    oof = np.full(
        (len(crops), sum(len(c) for c in MULTICLASS_HEADS.values()) + len(BINARY_HEADS)),
        np.nan,
        dtype=np.float32,
    )
    members = []
    t0 = time.perf_counter()
    for f in range(args.folds):
        train = (folds != f) & found
        print(f"fold {f}: {train.sum()} training discs")
        net = train_one(
            crops[train],
            has_t1[train],
            {k: v[train] for k, v in y.items()},
            epochs=args.epochs,
            seed=args.seed + f,
        )
        test = (folds == f) & found
        oof[test] = predict(net, crops[test], has_t1[test])
        members.append(net)
    seconds = time.perf_counter() - t0
    args.out.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        args.out / "oof.npz",
        oof=oof,
        fold=folds,
        found=found,
        patient=data["patient"],
        level=data["level"],
        **{k: v for k, v in data.items() if k.startswith("y_")},
    )
    ensemble = Ensemble(members).eval()
    torch.save(ensemble.state_dict(), args.out / "ensemble.pt")
    onnx_path = args.out / "disc_grader.onnx"
    torch.onnx.export(
        ensemble,
        (torch.zeros(1, 2, *crops.shape[2:]), torch.ones(1, 1)),
        str(onnx_path),
        input_names=["crops", "has_t1"],
        output_names=["probabilities"],
        dynamic_axes={"crops": {0: "n"}, "has_t1": {0: "n"}, "probabilities": {0: "n"}},
        opset_version=17,
        dynamo=False,
    )
    (args.out / "train_info.json").write_text(
        json.dumps(
            {
                "folds": args.folds,
                "epochs": args.epochs,
                "seed": args.seed,
                "train_seconds": round(seconds, 1),
                "threads": args.threads,
                "n_discs": len(crops),
                "n_found": int(found.sum()),
                "n_patients": len(set(data["patient"].tolist())),
            },
            indent=2,
        )
    )
    print(f"done in {seconds:.0f} s -> {onnx_path}")


if __name__ == "__main__":
    main()
