"""Training loop of the built-in segmenter (time-budgeted, CPU) and ONNX export."""

from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from spinepath.segment.labels import CHANNELS
from spinepath.segment.train.augment import affine_crop, intensity_augment
from spinepath.segment.train.data import Sample, load_all_stacks, split_subjects, stack_samples
from spinepath.segment.train.net import UNet2D

GROUP_WEIGHTS = {"spider-seg": 0.45, "vb": 0.30, "ivd_t2": 0.15, "vesal": 0.10}
"""Share of each group of sets in a batch (spider-seg is small but the only canal/vertebra set)."""


@dataclass
class TrainConfig:
    """Training options (all documented in the model card)."""

    minutes: float = 25.0
    batch_size: int = 8
    crop: int = 192
    lr: float = 2e-3
    weight_decay: float = 1e-4
    widths: tuple[int, ...] = (16, 32, 48, 64, 96, 128)
    seed: int = 0
    threads: int = 2
    n_folds: int = 4
    fold: int = 0  # -1: train on all subjects
    init: str | None = None  # model.pt of an earlier run to start from (warm restart)
    group_weights: dict[str, float] = field(default_factory=lambda: dict(GROUP_WEIGHTS))


def _group(dataset: str) -> str:
    return "vb" if dataset.startswith("vb") else dataset


def masked_loss(logits: torch.Tensor, target: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """Weighted BCE plus soft Dice per channel, over the supervised pixels only."""
    bce = F.binary_cross_entropy_with_logits(logits, target, reduction="none")
    wsum = weight.sum()
    loss = (bce * weight).sum() / wsum.clamp_min(1.0)
    prob = torch.sigmoid(logits)
    dices = []
    for c in range(logits.shape[1]):
        w = weight[:, c]
        if w.sum() < 1:
            continue
        p, t = prob[:, c] * w, target[:, c] * w
        dices.append(1 - (2 * (p * t).sum() + 1) / (p.sum() + t.sum() + 1))
    if dices:
        loss = loss + torch.stack(dices).mean()
    return loss


def train_segmenter(data_root: Path, out_dir: Path, cfg: TrainConfig, log=print) -> dict:
    """Train on the dev sets under ``data_root``; write ``model.pt``, ``model.onnx``,
    ``split.json`` and ``train_log.json`` to ``out_dir``. Returns the log dict."""
    torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    stacks = load_all_stacks(data_root)
    subjects = [s.subject for s in stacks]
    test = set() if cfg.fold < 0 else split_subjects(subjects, cfg.n_folds, cfg.fold)
    train_stacks = [s for s in stacks if s.subject not in test]
    groups: dict[str, list[list[Sample]]] = {}
    for st in train_stacks:
        groups.setdefault(_group(st.dataset), []).append(stack_samples(st))
    names = [g for g in cfg.group_weights if g in groups]
    probs = np.array([cfg.group_weights[g] for g in names])
    probs /= probs.sum()
    (out_dir / "split.json").write_text(
        json.dumps(
            {
                "held_out": sorted(test),
                "train": sorted(set(subjects) - test),
                "n_folds": cfg.n_folds,
                "fold": cfg.fold,
            },
            indent=1,
        )
    )
    log(
        f"data ready in {time.time() - t0:.0f} s: {len(train_stacks)} training subjects, "
        f"{len(test)} held out; groups {names}"
    )

    model = UNet2D(1, len(CHANNELS), cfg.widths)
    if cfg.init:
        state = torch.load(cfg.init, map_location="cpu", weights_only=True)
        model.load_state_dict(state["state_dict"])
        log(f"initialised from {cfg.init}")
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    budget = cfg.minutes * 60.0
    t_start = time.time()
    it, losses = 0, []
    model.train()
    while True:
        frac = (time.time() - t_start) / budget
        if frac >= 1.0:
            break
        lr = cfg.lr * (min(1.0, (it + 1) / 50)) * 0.5 * (1 + math.cos(math.pi * frac))
        for g in opt.param_groups:
            g["lr"] = lr
        imgs, tgts, wgts = [], [], []
        for _ in range(cfg.batch_size):
            g = names[rng.choice(len(names), p=probs)]
            subj = groups[g][rng.integers(len(groups[g]))]
            smp = subj[rng.integers(len(subj))]
            im, tg, wg = affine_crop(smp, cfg.crop, rng)
            imgs.append(intensity_augment(im, rng))
            tgts.append(tg)
            wgts.append(wg)
        x = torch.stack(imgs)
        loss = masked_loss(model(x), torch.stack(tgts), torch.stack(wgts))
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
        it += 1
        if it % 50 == 0:
            elapsed = time.time() - t_start
            log(f"it {it} t {elapsed:.0f}s lr {lr:.2e} loss {np.mean(losses[-50:]):.4f}")
    train_s = time.time() - t_start
    model.eval()
    torch.save({"state_dict": model.state_dict(), "widths": cfg.widths}, out_dir / "model.pt")
    export_onnx(model, out_dir / "model.onnx")
    info = {
        "config": asdict(cfg),
        "iterations": it,
        "train_seconds": round(train_s, 1),
        "final_loss": float(np.mean(losses[-50:])) if losses else None,
        "torch": torch.__version__,
    }
    (out_dir / "train_log.json").write_text(json.dumps(info, indent=1))
    log(f"done: {it} iterations in {train_s:.0f} s")
    return info


def export_onnx(model: torch.nn.Module, path: Path, opset: int = 17) -> float:
    """Export to ONNX (dynamic batch/height/width) and check onnxruntime against torch.

    Returns the largest absolute difference of the logits on a random input.
    """
    import onnxruntime as ort

    model.eval()
    x = torch.randn(2, 1, 160, 128)
    torch.onnx.export(
        model,
        (x,),
        str(path),
        opset_version=opset,
        input_names=["image"],
        output_names=["logits"],
        dynamic_axes={"image": {0: "n", 2: "h", 3: "w"}, "logits": {0: "n", 2: "h", 3: "w"}},
        dynamo=False,
    )
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    with torch.no_grad():
        ref = model(x).numpy()
    got = sess.run(None, {"image": x.numpy()})[0]
    diff = float(np.abs(ref - got).max())
    if diff > 1e-3:
        raise RuntimeError(f"onnxruntime differs from torch by {diff:.2e} (limit 1e-3)")
    return diff
