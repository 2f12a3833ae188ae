"""A compact CNN for disc crops (2 channels: T2, T1) with one output per grading head."""

from __future__ import annotations

import torch
from torch import nn

from spinepath.grade.heads import BINARY_HEADS, MULTICLASS_HEADS, output_size


def _block(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, 3, padding=1, bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(True),
        nn.Conv2d(c_out, c_out, 3, padding=1, bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(True),
    )


class DiscGrader(nn.Module):
    """Input (B, 2, 48, 64) crops and (B, 1) T1-present flag -> (B, output_size()) logits."""

    def __init__(self, widths: tuple[int, ...] = (24, 48, 72, 96), dropout: float = 0.3) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        c = 2
        for w in widths:
            layers += [_block(c, w), nn.MaxPool2d(2)]
            c = w
        self.features = nn.Sequential(*layers)
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(c * 2 + 1, output_size()))

    def forward(self, crops: torch.Tensor, has_t1: torch.Tensor) -> torch.Tensor:
        f = self.features(crops)
        pooled = torch.cat([f.mean(dim=(2, 3)), f.amax(dim=(2, 3)), has_t1], dim=1)
        return self.head(pooled)


class Ensemble(nn.Module):
    """Average of member networks' probabilities (softmax per multiclass head, sigmoid binary).

    Exported to ONNX as the shipped grader: its output is probabilities, not logits.
    """

    def __init__(self, members: list[DiscGrader]) -> None:
        super().__init__()
        self.members = nn.ModuleList(members)

    def forward(self, crops: torch.Tensor, has_t1: torch.Tensor) -> torch.Tensor:
        probs = [to_probabilities(m(crops, has_t1)) for m in self.members]
        return torch.stack(probs).mean(dim=0)


def to_probabilities(logits: torch.Tensor) -> torch.Tensor:
    """Softmax per multiclass head and sigmoid per binary head, concatenated."""
    parts = []
    i = 0
    for classes in MULTICLASS_HEADS.values():
        parts.append(torch.softmax(logits[:, i : i + len(classes)], dim=1))
        i += len(classes)
    parts.append(torch.sigmoid(logits[:, i : i + len(BINARY_HEADS)]))
    return torch.cat(parts, dim=1)
