"""Built-in segmenter: geometry, robustness, and the shipped ONNX model on real slices."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from spinepath.errors import AnalysisError, InputError
from spinepath.model.volume import Volume
from spinepath.segment.api import check_sagittal, from_display, segment_volume, to_display
from spinepath.segment.onnx_model import DEFAULT_MODEL, OnnxSegmenter, file_sha256
from spinepath.segment.postprocess import channel_masks, clean_mask


def test_display_round_trip_matches_volume_display():
    arr = np.random.default_rng(0).random((3, 5, 7))
    vol = Volume(arr, np.diag([4.0, 0.5, 0.5, 1.0]))
    disp = to_display(arr)
    assert disp.shape == (3, 7, 5)
    assert np.array_equal(from_display(disp), arr)
    assert np.array_equal(disp[1], vol.sagittal_display(1))


def test_axial_stack_is_refused_with_a_clear_message():
    vol = Volume(np.zeros((64, 64, 12), np.float32), np.diag([0.8, 0.8, 4.0, 1.0]))
    with pytest.raises(InputError, match="axial"):
        check_sagittal(vol)
    check_sagittal(Volume(np.zeros((12, 64, 64)), np.diag([4.0, 0.8, 0.8, 1.0])))


def test_clean_mask_and_channel_masks():
    m = np.zeros((20, 20), bool)
    m[2:10, 2:10] = True
    m[15, 15] = True
    out = clean_mask(m, 4.0, (1.0, 1.0))
    assert out[5, 5] and not out[15, 15]
    prob = np.zeros((1, 4, 20, 20), np.float32)
    prob[0, 1, 2:12, 2:12] = 0.9  # body only -> also vertebra
    masks = channel_masks(prob, (1.0, 1.0))
    assert masks["vertebra"][0, 5, 5] and masks["body"][0, 5, 5]


def test_shipped_model_and_card():
    assert DEFAULT_MODEL.is_file()
    assert DEFAULT_MODEL.stat().st_size < 30e6
    card = json.loads(DEFAULT_MODEL.with_suffix(".json").read_text())
    assert card["sha256"] == file_sha256(DEFAULT_MODEL)
    assert set(card["split"]["held_out"]).isdisjoint(card["split"]["train"])


def test_inference_does_not_import_torch():
    code = (
        "import sys, numpy as np\n"
        "from spinepath.segment.onnx_model import OnnxSegmenter\n"
        "p = OnnxSegmenter().predict(np.random.rand(2, 96, 64).astype('float32'), (1.0, 1.0))\n"
        "assert p.shape == (2, 4, 96, 64)\n"
        "assert 'torch' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.shared_data
def test_model_dice_floor_on_held_out_spider_slices(shared_data):
    """Real held-out patient (not in the model's training split): Dice floors."""
    from spinepath.evaluate.metrics import dice
    from spinepath.segment.datasets import iter_spider_seg

    card = json.loads(DEFAULT_MODEL.with_suffix(".json").read_text())
    held = [s for s in card["split"]["held_out"] if s.startswith("spider-seg/")]
    stack = next(s for s in iter_spider_seg(shared_data / "spider-seg-dev") if s.subject == held[0])
    sl = slice(2, 5)
    prob = OnnxSegmenter().predict(stack.image[sl], stack.spacing_mm)
    masks = channel_masks(prob, stack.spacing_mm)
    floors = {"disc": 0.80, "vertebra": 0.85, "canal": 0.80}
    for name, floor in floors.items():
        d = dice(masks[name], stack.masks[name][sl])
        assert d >= floor, f"{name} Dice {d:.3f} < {floor}"


@pytest.mark.shared_data
def test_segment_real_lumbar_volume(shared_data):
    import nibabel as nib

    img = nib.load(shared_data / "sct-t2-lumbar" / "t2_lumbar.nii.gz")
    vol = Volume(np.asarray(img.dataobj, np.float32), img.affine)
    res = segment_volume(vol)
    names = res.labelling.disc_names
    assert len(names) >= 4
    assert names[-1] == "L5-S1"
    assert res.semantic.shape == vol.to_canonical().shape
    assert np.allclose(res.levels.affine, vol.to_canonical().affine)
    assert (res.levels.array == 124).any()  # L5-S1 disc in the level map
    assert res.provenance["model_sha256"] == file_sha256(DEFAULT_MODEL)


def test_non_spine_image_says_no_spine():
    rng = np.random.default_rng(3)
    from scipy import ndimage as ndi

    arr = ndi.gaussian_filter(rng.random((12, 160, 160)), 6).astype(np.float32)
    arr[:, 40:120, 40:120] += 0.5  # a smooth bright blob: no vertebrae, no discs
    vol = Volume(arr, np.diag([4.0, 1.0, 1.0, 1.0]))
    with pytest.raises(AnalysisError, match="no lumbar spine found"):
        segment_volume(vol)
