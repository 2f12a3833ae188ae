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
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from spinepath.grade.heads import BINARY_HEADS, MULTICLASS_HEADS, output_size
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


@dataclass
class GraderConfig:
    """Training options of one grader network (written to ``train_info.json``)."""

    epochs: int = 40
    widths: tuple[int, ...] = (24, 48, 72, 96)
    dropout: float = 0.3
    lr: float = 2e-3
    weight_decay: float = 1e-3
    batch: int = 32
    class_weight_cap: float = 5.0
    pfirrmann_regression: float = 0.3
    label_smoothing: float = 0.0
    seeds_per_fold: int = 1
    device: str = "cpu"


def _augment(
    x: torch.Tensor, has_t1: torch.Tensor, gen: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    b, dev = x.shape[0], x.device

    def rand(*shape: int) -> torch.Tensor:
        return torch.rand(*shape, generator=gen, device=dev)

    angle = (rand(b) - 0.5) * 2 * np.deg2rad(8)
    scale = 1 + (rand(b) - 0.5) * 0.16
    shift = (rand(b, 2) - 0.5) * 0.1
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack(
        [torch.stack([cos, -sin, shift[:, 0]], 1), torch.stack([sin, cos, shift[:, 1]], 1)], 1
    )
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    x = F.grid_sample(x, grid, align_corners=False, padding_mode="zeros")
    gamma = torch.exp((rand(b, 2, 1, 1) - 0.5) * 0.5)
    x = x.clamp(min=0) ** gamma
    drop = (rand(b) < 0.15) & (has_t1[:, 0] > 0)
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
    epochs: int | None = None,
    seed: int,
    cfg: GraderConfig | None = None,
    log=print,
) -> DiscGrader:
    """Train one network on the given rows (``epochs`` overrides ``cfg.epochs``)."""
    cfg = cfg or GraderConfig()
    epochs = cfg.epochs if epochs is None else epochs
    dev = torch.device(cfg.device)
    torch.manual_seed(seed)
    gen = torch.Generator(device=dev).manual_seed(seed)
    net = DiscGrader(cfg.widths, cfg.dropout).to(dev)
    opt = torch.optim.AdamW(net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    n = len(crops)
    steps = epochs * int(np.ceil(n / cfg.batch))
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=cfg.lr, total_steps=steps)
    x_all = torch.tensor(crops, dtype=torch.float32, device=dev)
    t_all = torch.tensor(has_t1, dtype=torch.float32, device=dev)[:, None]
    y_t = {k: torch.tensor(v, device=dev) for k, v in y.items()}
    cw = {
        name: _class_weights(y[name], len(c), cfg.class_weight_cap).to(dev)
        for name, c in MULTICLASS_HEADS.items()
    }
    pos = {
        name: torch.tensor(
            float(np.clip((1 - y[name].mean()) / max(y[name].mean(), 1e-3), 1, 10)), device=dev
        )
        for name in BINARY_HEADS
    }
    grades = torch.tensor(MULTICLASS_HEADS["pfirrmann"], dtype=torch.float32, device=dev)
    net.train()
    for epoch in range(epochs):
        perm = torch.randperm(n, generator=gen, device=dev)
        total = 0.0
        for start in range(0, n, cfg.batch):
            idx = perm[start : start + cfg.batch]
            x, t1 = _augment(x_all[idx], t_all[idx], gen)
            logits = net(x, t1)
            loss = torch.zeros((), device=dev)
            i = 0
            for name, classes in MULTICLASS_HEADS.items():
                part = logits[:, i : i + len(classes)]
                loss = loss + F.cross_entropy(
                    part, y_t[name][idx], weight=cw[name], label_smoothing=cfg.label_smoothing
                )
                if name == "pfirrmann" and cfg.pfirrmann_regression:
                    expected = (torch.softmax(part, 1) * grades).sum(1)
                    true = grades[y_t[name][idx]]
                    loss = loss + cfg.pfirrmann_regression * F.smooth_l1_loss(expected, true)
                i += len(classes)
            for name in BINARY_HEADS:
                loss = loss + 0.5 * F.binary_cross_entropy_with_logits(
                    logits[:, i], y_t[name][idx], pos_weight=pos[name]
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
    """Probabilities (n, output_size) of a network or ensemble (run on the net's device)."""
    dev = next(net.parameters()).device
    x = torch.tensor(crops, dtype=torch.float32, device=dev)
    t = torch.tensor(has_t1, dtype=torch.float32, device=dev)[:, None]
    out = net(x, t)
    return (out if isinstance(net, Ensemble) else to_probabilities(out)).float().cpu().numpy()


def cross_validate(
    data: dict[str, np.ndarray], cfg: GraderConfig, *, folds: int, seed: int, log=print
) -> tuple[np.ndarray, np.ndarray, list[DiscGrader]]:
    """Patient-wise k-fold training: out-of-fold probabilities (NaN for missed discs), the fold
    of each row, and every member network (``seeds_per_fold`` per fold; a fold's members are
    averaged for its out-of-fold predictions)."""
    crops = data["crops"].astype(np.float32)
    has_t1 = data["has_t1"].astype(np.float32)
    found = data["found"].astype(bool)
    y = targets(data)
    fold_of = patient_folds(data["patient"], folds, seed)
    width = output_size()
    oof = np.full((len(crops), width), np.nan, dtype=np.float32)
    members: list[DiscGrader] = []
    for f in range(folds):
        train = (fold_of != f) & found
        test = (fold_of == f) & found
        log(f"fold {f}: {train.sum()} training discs")
        fold_members = [
            train_one(
                crops[train],
                has_t1[train],
                {k: v[train] for k, v in y.items()},
                seed=seed + f + 1000 * r,
                cfg=cfg,
                log=log,
            )
            for r in range(cfg.seeds_per_fold)
        ]
        oof[test] = np.mean([predict(m, crops[test], has_t1[test]) for m in fold_members], axis=0)
        members += fold_members
    return oof, fold_of, members


def export_ensemble(members: list[DiscGrader], crop_shape: tuple[int, int], path: Path) -> None:
    """The members' averaged probabilities as one ONNX model (CPU, float32)."""
    ensemble = Ensemble([m.float().cpu() for m in members]).eval()
    torch.onnx.export(
        ensemble,
        (torch.zeros(1, 2, *crop_shape), torch.ones(1, 1)),
        str(path),
        input_names=["crops", "has_t1"],
        output_names=["probabilities"],
        dynamic_axes={"crops": {0: "n"}, "has_t1": {0: "n"}, "probabilities": {0: "n"}},
        opset_version=17,
        dynamo=False,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("dataset", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--widths", default="24,48,72,96")
    parser.add_argument("--dropout", type=float, default=0.3)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--seeds-per-fold", type=int, default=1)
    parser.add_argument("--class-weight-cap", type=float, default=5.0)
    parser.add_argument("--label-smoothing", type=float, default=0.0)
    parser.add_argument("--no-onnx", action="store_true", help="skip the ONNX export")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    cfg = GraderConfig(
        epochs=args.epochs,
        widths=tuple(int(w) for w in args.widths.split(",")),
        dropout=args.dropout,
        lr=args.lr,
        seeds_per_fold=args.seeds_per_fold,
        class_weight_cap=args.class_weight_cap,
        label_smoothing=args.label_smoothing,
        device=args.device,
    )
    data = dict(np.load(args.dataset))
    t0 = time.perf_counter()
    oof, folds, members = cross_validate(data, cfg, folds=args.folds, seed=args.seed)
    seconds = time.perf_counter() - t0
    args.out.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        args.out / "oof.npz",
        oof=oof,
        fold=folds,
        found=data["found"].astype(bool),
        patient=data["patient"],
        level=data["level"],
        **{k: v for k, v in data.items() if k.startswith("y_")},
    )
    torch.save(
        {
            "config": asdict(cfg),
            "members": [{k: v.cpu() for k, v in m.state_dict().items()} for m in members],
            "member_fold": [f for f in range(args.folds) for _ in range(cfg.seeds_per_fold)],
        },
        args.out / "members.pt",
    )
    if not args.no_onnx:
        export_ensemble(members, tuple(data["crops"].shape[2:]), args.out / "disc_grader.onnx")
    (args.out / "train_info.json").write_text(
        json.dumps(
            {
                "config": asdict(cfg),
                "folds": args.folds,
                "seed": args.seed,
                "train_seconds": round(seconds, 1),
                "threads": args.threads,
                "n_discs": len(oof),
                "n_found": int(data["found"].sum()),
                "n_patients": len(set(data["patient"].tolist())),
            },
            indent=2,
        )
    )
    print(f"done in {seconds:.0f} s -> {args.out}")


if __name__ == "__main__":
    main()
