"""A compact 2-D U-Net (torch), exported to ONNX for inference."""

from __future__ import annotations

import torch
from torch import nn


def _block(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
        nn.Conv2d(cout, cout, 3, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class UNet2D(nn.Module):
    """U-Net with ``len(widths) - 1`` poolings; input (N, in_ch, H, W), H and W multiples of
    ``2 ** (len(widths) - 1)``; output logits (N, n_out, H, W)."""

    def __init__(
        self, in_ch: int = 1, n_out: int = 4, widths: tuple[int, ...] = (16, 32, 48, 64, 96, 128)
    ) -> None:
        super().__init__()
        self.widths = widths
        self.enc = nn.ModuleList()
        c = in_ch
        for w in widths:
            self.enc.append(_block(c, w))
            c = w
        self.pool = nn.MaxPool2d(2)
        self.up = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False)
        self.dec = nn.ModuleList()
        for w_skip in reversed(widths[:-1]):
            self.dec.append(_block(c + w_skip, w_skip))
            c = w_skip
        self.head = nn.Conv2d(c, n_out, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = []
        for i, blk in enumerate(self.enc):
            x = blk(x)
            if i < len(self.enc) - 1:
                skips.append(x)
                x = self.pool(x)
        for blk in self.dec:
            x = self.up(x)
            x = blk(torch.cat([x, skips.pop()], dim=1))
        return self.head(x)


class MeanOfModels(nn.Module):
    """Mean of the logits of several segmenters with the same channels (an ensemble exported as
    one ONNX model; the members may have different widths)."""

    def __init__(self, members: list[nn.Module]) -> None:
        super().__init__()
        self.members = nn.ModuleList(members)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.stack([m(x) for m in self.members]).mean(dim=0)


def load_unet(model_pt: str, n_out: int = 4) -> UNet2D:
    """A trained :class:`UNet2D` from a run's ``model.pt`` (float32, eval mode)."""
    state = torch.load(model_pt, map_location="cpu", weights_only=True)
    model = UNet2D(1, n_out, tuple(state["widths"]))
    model.load_state_dict({k: v.float() for k, v in state["state_dict"].items()})
    return model.eval()
