"""Time-budgeted training of the built-in segmenter on a slice pack, on CPU or GPU.

All slices of a pack (:mod:`spinepath.segment.train.packed`) sit on the training device; each
step draws a batch (set group by :data:`GROUP_WEIGHTS`, then subject, then slice), cuts random
affine crops with ``grid_sample`` and changes intensities, all as batched tensor operations, so
the same code feeds two CPU cores or a GPU. Imports only numpy, torch and this package's
torch-only modules: ``python -m spinepath.segment.train.batched PACK OUT`` runs on a machine
that has torch but not the data readers.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from spinepath.segment.train.loss import masked_loss
from spinepath.segment.train.net import UNet2D
from spinepath.segment.train.packed import IMAGE_SCALE, PackedSlices, read_pack

GROUP_WEIGHTS = {"spider-seg": 0.45, "vb": 0.30, "ivd_t2": 0.15, "vesal": 0.10}
"""Share of each group of sets in a batch (spider-seg is small but the only canal/vertebra set)."""
FOREGROUND_CENTRE_P = 0.85
"""Probability that a crop is centred on a labelled pixel (else anywhere in the slice)."""
MAX_FOREGROUND_POINTS = 4096
"""Labelled pixels kept per slice to draw crop centres from."""


def group_of(dataset: str) -> str:
    """Sampling group of a data set name (the three fcs vertebral-body sets are one group)."""
    return "vb" if dataset.startswith("vb") else dataset


@dataclass
class BatchedConfig:
    """Training options (all written to the run's log and the model card)."""

    minutes: float = 25.0
    max_iterations: int | None = None
    batch_size: int = 8
    crop: int = 192
    lr: float = 2e-3
    warmup: int = 50
    weight_decay: float = 1e-4
    widths: tuple[int, ...] = (24, 48, 64, 96, 128, 192)
    seed: int = 0
    device: str = "cpu"
    threads: int = 2
    bf16: bool = True  # autocast on CUDA only
    init: str | None = None
    group_weights: dict[str, float] = field(default_factory=lambda: dict(GROUP_WEIGHTS))


class SliceSampler:
    """Draws augmented training crops from a pack held on ``device``."""

    def __init__(
        self, pack: PackedSlices, device: torch.device, group_weights: dict[str, float], seed: int
    ) -> None:
        self.device = device
        self.n_channels = len(pack.channels)
        self.rng = np.random.default_rng(seed)
        self.gen = torch.Generator(device=device).manual_seed(seed)
        self.images = torch.from_numpy(pack.images).to(device)
        self.bits = torch.from_numpy(pack.bits).to(device)
        self.sizes = torch.from_numpy(pack.sizes.astype(np.float32)).to(device)
        self.rows = torch.from_numpy(pack.weight_rows.astype(np.float32)).to(device)
        self.fg, self.n_fg = self._foreground_points(pack.bits)
        groups: dict[str, dict[str, list[int]]] = {}
        for i, (ds, subj) in enumerate(zip(pack.datasets, pack.subjects, strict=True)):
            groups.setdefault(group_of(str(ds)), {}).setdefault(str(subj), []).append(i)
        self.names = [g for g in group_weights if g in groups]
        if not self.names:
            raise ValueError(f"no slices of the groups {sorted(group_weights)} in the pack")
        p = np.array([group_weights[g] for g in self.names], float)
        self.group_p = p / p.sum()
        self.subjects = [list(groups[g].values()) for g in self.names]

    def _foreground_points(self, bits: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        n = len(bits)
        pts = np.zeros((n, MAX_FOREGROUND_POINTS, 2), np.float32)
        counts = np.zeros(n, np.int64)
        for k in range(n):
            rc = np.argwhere(bits[k] > 0)
            if len(rc) > MAX_FOREGROUND_POINTS:
                rc = rc[self.rng.choice(len(rc), MAX_FOREGROUND_POINTS, replace=False)]
            pts[k, : len(rc)] = rc
            counts[k] = len(rc)
        return torch.from_numpy(pts).to(self.device), torch.from_numpy(counts).to(self.device)

    def draw_indices(self, batch: int) -> np.ndarray:
        """Slice indices: group by weight, then a subject, then one of its slices."""
        out = np.empty(batch, np.int64)
        for b in range(batch):
            g = int(self.rng.choice(len(self.names), p=self.group_p))
            subj = self.subjects[g][int(self.rng.integers(len(self.subjects[g])))]
            out[b] = subj[int(self.rng.integers(len(subj)))]
        return out

    def _uniform(self, *shape: int) -> torch.Tensor:
        return torch.rand(*shape, generator=self.gen, device=self.device)

    def batch(
        self, batch: int, size: int, augment: bool = True, idx: np.ndarray | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Image (B, 1, S, S), target (B, C, S, S) and weight (B, C, S, S) float tensors."""
        if idx is None:
            idx = self.draw_indices(batch)
        ii = torch.from_numpy(idx).to(self.device)
        b = len(idx)
        size_rc = self.sizes[ii]  # (B, 2)
        # crop centres: a labelled pixel or anywhere in the slice
        n_fg = self.n_fg[ii]
        pick = (self._uniform(b) * n_fg.clamp_min(1)).long().clamp_max(MAX_FOREGROUND_POINTS - 1)
        fg_rc = self.fg[ii, pick]
        any_rc = self._uniform(b, 2) * size_rc
        use_fg = (self._uniform(b) < FOREGROUND_CENTRE_P) & (n_fg > 0)
        centre = torch.where(use_fg[:, None], fg_rc, any_rc)
        if augment:
            scale = torch.exp(math.log(0.75) + self._uniform(b) * math.log(1.33 / 0.75))
            aspect = torch.exp((self._uniform(b) - 0.5) * 0.2)
            ang = torch.deg2rad((self._uniform(b) - 0.5) * 30.0)
            centre = centre + torch.randn(b, 2, generator=self.gen, device=self.device) * 10.0
        else:
            scale = torch.ones(b, device=self.device)
            aspect = torch.ones(b, device=self.device)
            ang = torch.zeros(b, device=self.device)
        sy, sx = (scale * aspect)[:, None, None], (scale / aspect)[:, None, None]
        ca, sa = torch.cos(ang)[:, None, None], torch.sin(ang)[:, None, None]
        # integer offsets: an unaugmented crop around a pixel copies pixels exactly
        lin = torch.arange(size, device=self.device, dtype=torch.float32) - size // 2
        vv, uu = torch.meshgrid(lin, lin, indexing="ij")
        src_x = centre[:, 1, None, None] + (ca * uu * sx - sa * vv * sy)  # (B, S, S) columns
        src_y = centre[:, 0, None, None] + (sa * uu * sx + ca * vv * sy)  # rows
        hp, wp = self.images.shape[1:]
        grid = torch.stack([(src_x + 0.5) / wp * 2 - 1, (src_y + 0.5) / hp * 2 - 1], dim=-1)
        img = self.images[ii].float()[:, None] / IMAGE_SCALE
        img = F.grid_sample(img, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
        shifts = torch.arange(self.n_channels, device=self.device, dtype=torch.uint8)
        tgt = ((self.bits[ii][:, None] >> shifts[None, :, None, None]) & 1).float()
        tgt = F.grid_sample(tgt, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
        tgt = (tgt > 0.5).float()
        # supervised: inside the true slice (a pixel away from its border) and in the row band
        inside = (
            (src_y >= 0.5)
            & (src_y <= size_rc[:, 0, None, None] - 1.5)
            & (src_x >= 0.5)
            & (src_x <= size_rc[:, 1, None, None] - 1.5)
        )
        rows = self.rows[ii]  # (B, C, 2)
        band = (src_y[:, None] >= rows[:, :, 0, None, None]) & (
            src_y[:, None] < rows[:, :, 1, None, None]
        )
        wgt = (band & inside[:, None]).float()
        if augment:
            img = self.intensity(img)
        return img, tgt, wgt

    def intensity(self, x: torch.Tensor) -> torch.Tensor:
        """Gamma, inversion, bias field, blur, low resolution, contrast and noise, per image."""
        b, _, s, _ = x.shape

        def chance(p: float) -> torch.Tensor:
            return (self._uniform(b) < p)[:, None, None, None]

        x = x.clamp(0, 1.5)
        inside = (x > 0).float()
        gamma = torch.exp(self._uniform(b) - 0.5)[:, None, None, None]
        x = torch.where(chance(0.8), x.clamp(0, 1) ** gamma, x)
        x = torch.where(chance(0.2), (1.0 - x.clamp(0, 1)) * inside, x)  # inverted contrast
        coarse = torch.randn(b, 1, 4, 4, generator=self.gen, device=self.device) * 0.25
        field_ = F.interpolate(coarse, size=(s, s), mode="bicubic", align_corners=False)
        x = torch.where(chance(0.3), x * torch.exp(field_), x)
        k = torch.tensor([0.25, 0.5, 0.25], device=self.device)
        blurred = F.conv2d(x, (k[:, None] * k[None, :])[None, None], padding=1)
        x = torch.where(chance(0.15), blurred, x)
        factor = float(0.4 + 0.4 * self.rng.random())
        small = F.interpolate(x, scale_factor=factor, mode="bilinear", align_corners=False)
        lowres = F.interpolate(small, size=(s, s), mode="bilinear", align_corners=False)
        x = torch.where(chance(0.2), lowres, x)
        contrast = (0.85 + 0.3 * self._uniform(b))[:, None, None, None]
        offset = ((self._uniform(b) - 0.5) * 0.1)[:, None, None, None]
        x = x * contrast + offset
        sigma = (self._uniform(b) * 0.05)[:, None, None, None]
        noise = torch.randn(x.shape, generator=self.gen, device=self.device) * sigma
        return torch.where(chance(0.5), x + noise, x)


@torch.no_grad()
def validation_dice(
    model: torch.nn.Module, pack: PackedSlices, device: torch.device, batch: int = 8
) -> dict[str, float]:
    """Mean Dice per channel over the supervised pixels of whole (padded) slices."""
    model.eval()
    inter = np.zeros(len(pack.channels))
    denom = np.zeros(len(pack.channels))
    sampler_rows = torch.from_numpy(pack.weight_rows.astype(np.float32))
    for start in range(0, len(pack), batch):
        sl = slice(start, start + batch)
        x = torch.from_numpy(pack.images[sl]).float()[:, None] / IMAGE_SCALE
        bits = torch.from_numpy(pack.bits[sl])
        tgt = torch.stack([(bits >> c) & 1 for c in range(len(pack.channels))], 1).float()
        rows = torch.arange(x.shape[2]).float()
        r = sampler_rows[sl]
        band = (rows[None, None] >= r[:, :, :1]) & (rows[None, None] < r[:, :, 1:])  # (B, C, H)
        cols = torch.arange(x.shape[3])[None, :] < torch.from_numpy(pack.sizes[sl, 1:2])
        w = (band[..., None] & cols[:, None, None, :]).float()
        prob = torch.sigmoid(model(x.to(device)).float()).cpu()
        pred = (prob > 0.5).float()
        inter += (2 * pred * tgt * w).sum(dim=(0, 2, 3)).numpy()
        denom += ((pred + tgt) * w).sum(dim=(0, 2, 3)).numpy()
    return {
        c: round(float(inter[i] / denom[i]), 4) for i, c in enumerate(pack.channels) if denom[i] > 0
    }


def train_on_pack(
    pack_path: Path,
    out_dir: Path,
    cfg: BatchedConfig,
    *,
    val_pack: Path | None = None,
    log=print,
) -> dict:
    """Train on a pack; write ``model.pt``, ``model.onnx`` and ``train_log.json`` to ``out_dir``.

    Returns the log dict (iterations, seconds, final loss, validation Dice when ``val_pack``).
    """
    from spinepath.segment.train.export import export_onnx

    device = torch.device(cfg.device)
    torch.set_num_threads(cfg.threads)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
    torch.manual_seed(cfg.seed)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    pack = read_pack(pack_path)
    (out_dir / "split.json").write_text(json.dumps(pack.meta, indent=1))
    sampler = SliceSampler(pack, device, cfg.group_weights, cfg.seed)
    log(f"{len(pack)} slices on {device} in {time.time() - t0:.0f} s; groups {sampler.names}")
    model = UNet2D(1, len(pack.channels), cfg.widths).to(device)
    if cfg.init:
        state = torch.load(cfg.init, map_location=device, weights_only=True)
        model.load_state_dict(state["state_dict"])
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    use_amp = cfg.bf16 and device.type == "cuda"
    budget = cfg.minutes * 60.0
    t_start = time.time()
    it, losses = 0, []
    model.train()
    while True:
        frac = (time.time() - t_start) / budget
        if cfg.max_iterations is not None:
            frac = max(frac, it / cfg.max_iterations)
        if frac >= 1.0:
            break
        lr = cfg.lr * min(1.0, (it + 1) / cfg.warmup) * 0.5 * (1 + math.cos(math.pi * frac))
        for g in opt.param_groups:
            g["lr"] = lr
        x, t, w = sampler.batch(cfg.batch_size, cfg.crop)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_amp):
            logits = model(x)
        loss = masked_loss(logits.float(), t, w)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
        it += 1
        if it % 200 == 0:
            mean_loss = float(np.mean(losses[-200:]))
            log(f"it {it} t {time.time() - t_start:.0f}s lr {lr:.2e} loss {mean_loss:.4f}")
    train_s = time.time() - t_start
    model.eval()
    info: dict = {
        "config": asdict(cfg),
        "pack": str(pack_path),
        "n_slices": len(pack),
        "iterations": it,
        "train_seconds": round(train_s, 1),
        "final_loss": float(np.mean(losses[-200:])) if losses else None,
        "torch": torch.__version__,
        "device_name": torch.cuda.get_device_name(0) if device.type == "cuda" else "cpu",
    }
    if val_pack is not None:
        info["validation_dice"] = validation_dice(model, read_pack(val_pack), device)
        log(f"validation Dice {info['validation_dice']}")
    state = {k: v.detach().cpu().half() for k, v in model.state_dict().items()}
    torch.save({"state_dict": state, "widths": cfg.widths}, out_dir / "model.pt")
    info["onnx_max_abs_diff"] = export_onnx(model, out_dir / "model.onnx")
    (out_dir / "train_log.json").write_text(json.dumps(info, indent=1))
    log(f"done: {it} iterations in {train_s:.0f} s")
    return info


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("pack", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--val", type=Path, default=None, help="held-out slice pack")
    parser.add_argument("--minutes", type=float, default=25.0)
    parser.add_argument("--max-iterations", type=int, default=None)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--crop", type=int, default=192)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--widths", default="24,48,64,96,128,192")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--init", default=None, help="model.pt of an earlier run to continue")
    args = parser.parse_args()
    cfg = BatchedConfig(
        minutes=args.minutes,
        max_iterations=args.max_iterations,
        batch_size=args.batch,
        crop=args.crop,
        lr=args.lr,
        widths=tuple(int(w) for w in args.widths.split(",")),
        seed=args.seed,
        device=args.device,
        threads=args.threads,
        init=args.init,
    )
    train_on_pack(args.pack, args.out, cfg, val_pack=args.val)


if __name__ == "__main__":
    main()
