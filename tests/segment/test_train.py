"""Training pieces (skipped without the train extra): partial-label loss, slice packs, batched
crops, ONNX export and a few steps of the batched trainer."""

from __future__ import annotations

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("onnx")

from spinepath.segment.train.batched import (  # noqa: E402
    BatchedConfig,
    SliceSampler,
    train_on_pack,
)
from spinepath.segment.train.data import Sample, split_subjects  # noqa: E402
from spinepath.segment.train.export import export_onnx  # noqa: E402
from spinepath.segment.train.loss import masked_loss  # noqa: E402
from spinepath.segment.train.net import UNet2D  # noqa: E402
from spinepath.segment.train.packed import read_pack, write_pack  # noqa: E402

CHANNELS = ("vertebra", "body", "disc", "canal")


def _sample(subject: str, dataset: str, shape=(70, 50), band=None) -> Sample:
    img = np.zeros(shape, np.float32)
    img[15:25, 5:35] = 1.0
    tgt = np.zeros((4, *shape), np.uint8)
    tgt[2, 15:25, 5:35] = 1
    wgt = np.ones_like(tgt)
    if band is not None:
        wgt[:] = 0
        wgt[2, band[0] : band[1]] = 1
    return Sample(subject, dataset, img, tgt, wgt)


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


def test_pack_round_trip_keeps_images_masks_and_row_bands(tmp_path):
    samples = [_sample("a/1", "vb1_x"), _sample("b/2", "ivd_t2", (40, 64), band=(5, 33))]
    path = write_pack(samples, tmp_path / "p.npz.xz", CHANNELS, fold=0, held_out=["c/3"])
    pack = read_pack(path)
    assert pack.images.shape == (2, 96, 64)  # padded to multiples of 32
    assert pack.sizes.tolist() == [[70, 50], [40, 64]]
    assert np.array_equal(pack.images[0, :70, :50] > 85, samples[0].image > 0.5)
    assert np.array_equal((pack.bits[1, :40, :64] >> 2) & 1, samples[1].target[2])
    assert pack.weight_rows[1].tolist() == [[0, 0], [0, 0], [5, 33], [0, 0]]
    assert pack.weight_rows[0, 0].tolist() == [0, 70]


def test_pack_refuses_a_weight_that_is_not_a_row_band(tmp_path):
    s = _sample("a/1", "vb1_x")
    s.weight[2, :, :5] = 0
    with pytest.raises(ValueError, match="band"):
        write_pack([s], tmp_path / "p.npz.xz", CHANNELS)


def test_unaugmented_crop_keeps_masks_aligned_and_weights_in_band(tmp_path):
    smp = _sample("b/2", "ivd_t2", (40, 40), band=(10, 30))
    path = write_pack([smp], tmp_path / "p.npz.xz", CHANNELS)
    sampler = SliceSampler(read_pack(path), torch.device("cpu"), {"ivd_t2": 1.0}, seed=0)
    # a 96-pixel crop centred anywhere in the 40 x 40 slice holds all of it
    img, tgt, wgt = sampler.batch(1, 96, augment=False, idx=np.array([0]))
    assert img.shape == (1, 1, 96, 96) and tgt.shape == (1, 4, 96, 96)
    assert torch.equal(img[0, 0] > 0.5, tgt[0, 2].bool())
    assert tgt[0, 2].sum() == 300  # the 10 x 30 disc, whole
    rows = torch.nonzero(wgt[0, 2].any(dim=1)).flatten()
    assert len(rows) == 20 and wgt[0, 0].sum() == 0  # only the band of the labelled channel


def test_split_is_subject_wise_and_per_set():
    subs = [f"a/{i:02d}" for i in range(8)] + ["vesal/1"]
    test = split_subjects(subs, 4, 0)
    assert test == {"a/00", "a/04"}


def test_onnx_export_matches_torch(tmp_path):
    model = UNet2D(1, 4, (4, 8))
    diff = export_onnx(model, tmp_path / "m.onnx")
    assert diff < 1e-3


def test_a_few_batched_steps_write_a_model_and_the_split(tmp_path):
    samples = [_sample(f"spider-seg/{i}", "spider-seg") for i in range(3)]
    pack = write_pack(samples, tmp_path / "p.npz.xz", CHANNELS, held_out=["spider-seg/9"])
    cfg = BatchedConfig(max_iterations=3, batch_size=2, crop=64, widths=(4, 8))
    info = train_on_pack(pack, tmp_path / "run", cfg, val_pack=pack, log=lambda *_: None)
    assert info["iterations"] == 3 and set(info["validation_dice"]) == {"disc", *CHANNELS}
    assert (tmp_path / "run" / "model.onnx").is_file()
    assert json.loads((tmp_path / "run" / "split.json").read_text())["held_out"] == ["spider-seg/9"]
