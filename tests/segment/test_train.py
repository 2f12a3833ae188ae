"""Training pieces (skipped without the train extra): partial-label loss, crops, ONNX export."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("onnx")

from spinepath.segment.train.augment import affine_crop  # noqa: E402
from spinepath.segment.train.data import Sample, split_subjects  # noqa: E402
from spinepath.segment.train.net import UNet2D  # noqa: E402
from spinepath.segment.train.trainer import export_onnx, masked_loss  # noqa: E402


def test_loss_ignores_unsupervised_channels():
    logits = torch.zeros(1, 4, 8, 8)
    target = torch.zeros(1, 4, 8, 8)
    weight = torch.zeros(1, 4, 8, 8)
    weight[:, 2] = 1  # only the disc channel is labelled
    base = masked_loss(logits, target, weight)
    target[:, 0] = 1  # a wrong "vertebra" target in an unlabelled channel changes nothing
    assert torch.isclose(masked_loss(logits, target, weight), base)
    target[:, 2, :4] = 1  # a labelled channel does
    assert not torch.isclose(masked_loss(logits, target, weight), base)


def test_crop_keeps_masks_aligned_without_augmentation():
    img = np.zeros((64, 64), np.float32)
    img[20:30, 20:30] = 1
    tgt = np.zeros((4, 64, 64), np.uint8)
    tgt[2, 20:30, 20:30] = 1
    smp = Sample("s/1", "s", img, tgt, np.ones_like(tgt))
    im, tg, _wg = affine_crop(smp, 64, np.random.default_rng(0), augment=False)
    assert im.shape == (1, 64, 64) and tg.shape == (4, 64, 64)
    assert torch.equal((im[0] > 0.5), tg[2].bool())


def test_split_is_subject_wise_and_per_set():
    subs = [f"a/{i:02d}" for i in range(8)] + ["vesal/1"]
    test = split_subjects(subs, 4, 0)
    assert test == {"a/00", "a/04"}


def test_onnx_export_matches_torch(tmp_path):
    model = UNet2D(1, 4, (4, 8))
    diff = export_onnx(model, tmp_path / "m.onnx")
    assert diff < 1e-3
