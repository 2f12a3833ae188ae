"""Cross-validate several disc-grader configurations side by side (a GPU session's sweep).

``python scripts/device/grader_sweep.py DISCS.npz OUT --device cuda --deadline-s 330``

Each variant is ``python -m spinepath.grade.train.trainer`` with its options (5-fold,
patient-wise, the same folds for every variant), run ``--parallel`` at a time and stopped at the
deadline. Writes OUT/<variant>/{oof.npz,train_info.json,members.pt}, OUT/summary.json with the
out-of-fold figures of every finished variant, and keeps members.pt (as float16) only for the
``--keep`` best by :func:`score`. Choosing among variants on the same out-of-fold predictions
flatters the chosen one a little; the summary lists every variant so the choice can be judged.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

VARIANTS: dict[str, list[str]] = {
    "base40": ["--epochs", "40"],
    "base100": ["--epochs", "100"],
    "seeds5_60": ["--epochs", "60", "--seeds-per-fold", "5"],
    "wide80": ["--epochs", "80", "--widths", "32,64,128,192", "--dropout", "0.4"],
    "balanced60": ["--epochs", "60", "--class-weight-cap", "100", "--seeds-per-fold", "3"],
    "smooth60": ["--epochs", "60", "--label-smoothing", "0.1", "--seeds-per-fold", "3"],
    "wide_smooth100": [
        "--epochs", "100", "--widths", "32,64,128,192", "--dropout", "0.5",
        "--label-smoothing", "0.1",
    ],
    "slow150": ["--epochs", "150", "--lr", "1e-3", "--seeds-per-fold", "2"],
}  # fmt: skip


def summarise(oof_path: Path) -> dict[str, float]:
    """Point estimates of the issue's figures from an out-of-fold file (missed discs count as
    errors, as in :func:`spinepath.grade.evaluation.grading_agreement`)."""
    from spinepath.grade.evaluation import auc, balanced_accuracy, quadratic_weighted_kappa
    from spinepath.grade.heads import BINARY_HEADS, split_logits

    z = np.load(oof_path)
    found = z["found"].astype(bool)
    heads = [split_logits(tuple(r)) if f else None for r, f in zip(z["oof"], found, strict=True)]
    y = z["y_pfirrmann"].astype(int)
    pred = np.array([int(np.argmax(h["pfirrmann"])) + 1 if h else -1 for h in heads])
    out = {
        "pfirrmann_ba": balanced_accuracy(y, pred, [1, 2, 3, 4, 5]),
        "pfirrmann_qwk": quadratic_weighted_kappa(y, np.where(pred < 0, 3, pred), [1, 2, 3, 4, 5]),
    }
    y_m = (z["y_modic"] > 0).astype(int)
    p_m = np.array([1 - h["modic"][0] if h else 0.5 for h in heads])
    pred_m = np.where(found, (p_m >= 0.5).astype(int), -1)
    out["modic_any_ba"] = balanced_accuracy(y_m, pred_m, [0, 1])
    out["modic_any_auc"] = auc(y_m, p_m)
    for name in BINARY_HEADS:
        p = np.array([h[name][0] if h else 0.5 for h in heads])
        out[f"{name}_auc"] = auc(z[f"y_{name}"].astype(int), p)
    y_e = np.maximum(z["y_up_endplate"], z["y_low_endplate"]).astype(int)
    p_e = np.array([max(h["up_endplate"][0], h["low_endplate"][0]) if h else 0.5 for h in heads])
    out["endplate_defect_auc"] = auc(y_e, p_e)
    return {k: round(float(v), 4) for k, v in out.items()}


def score(s: dict[str, float]) -> float:
    """One number to rank variants: mean of Pfirrmann BA and QWK, Modic-any BA and the mean AUC
    of herniation, bulging, narrowing, spondylolisthesis and endplate defect."""
    aucs = [s[k] for k in ("herniation_auc", "bulging_auc", "narrowing_auc",
                           "spondylolisthesis_auc", "endplate_defect_auc")]  # fmt: skip
    return float(np.mean([s["pfirrmann_ba"], s["pfirrmann_qwk"], s["modic_any_ba"], np.mean(aucs)]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("discs", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--deadline-s", type=float, default=330.0)
    ap.add_argument("--parallel", type=int, default=4)
    ap.add_argument("--keep", type=int, default=2)
    ap.add_argument("--epochs-scale", type=float, default=1.0, help="<1 for a quick dry run")
    ap.add_argument("--only", default="", help="comma-separated variant names")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    names = [n for n in VARIANTS if not args.only or n in args.only.split(",")]
    t0 = time.time()
    pending, running = list(names), {}
    while pending or running:
        while pending and len(running) < args.parallel:
            name = pending.pop(0)
            opts = list(VARIANTS[name])
            i = opts.index("--epochs") + 1
            opts[i] = str(max(1, round(int(opts[i]) * args.epochs_scale)))
            cmd = [sys.executable, "-m", "spinepath.grade.train.trainer", str(args.discs),
                   str(args.out / name), "--device", args.device, "--threads", "2", "--no-onnx",
                   *opts]  # fmt: skip
            log = open(args.out / f"{name}.log", "w")  # noqa: SIM115
            running[name] = (subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT), log)
            print(f"{time.time() - t0:5.0f}s start {name}", flush=True)
        for name, (proc, log) in list(running.items()):
            if proc.poll() is not None or time.time() - t0 > args.deadline_s:
                if proc.poll() is None:
                    proc.kill()
                    print(f"{time.time() - t0:5.0f}s killed {name} at the deadline", flush=True)
                log.close()
                del running[name]
                print(f"{time.time() - t0:5.0f}s end {name} rc {proc.poll()}", flush=True)
        if time.time() - t0 > args.deadline_s:
            pending.clear()
        time.sleep(1)
    summary = {}
    for name in names:
        oof = args.out / name / "oof.npz"
        if oof.is_file():
            s = summarise(oof)
            s["score"] = round(score(s), 4)
            summary[name] = s
    ranked = sorted(summary, key=lambda n: -summary[n]["score"])
    for name in names:
        members = args.out / name / "members.pt"
        if members.is_file() and name not in ranked[: args.keep]:
            members.unlink()
        elif members.is_file():
            import torch

            state = torch.load(members, weights_only=False)
            state["members"] = [{k: v.half() for k, v in m.items()} for m in state["members"]]
            torch.save(state, members)
    (args.out / "summary.json").write_text(json.dumps({"ranked": ranked, **summary}, indent=1))
    print(json.dumps({"ranked": ranked, **summary}, indent=1))


if __name__ == "__main__":
    main()
