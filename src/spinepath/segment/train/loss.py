"""The partial-label loss of the built-in segmenter (torch only)."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def masked_loss(logits: torch.Tensor, target: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """Weighted BCE plus soft Dice per channel, over the supervised pixels only.

    logits, target, weight: (N, C, H, W); weight 0 where a channel is not labelled.
    """
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
