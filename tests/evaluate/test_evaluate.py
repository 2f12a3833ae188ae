"""Evaluation scoring with a fake segmenter whose output is known."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from spinepath.evaluate.metrics import dice, instance_dices, row_span, summary
from spinepath.evaluate.segmentation import evaluate_segmentation
from spinepath.segment.labels import CHANNELS


class OracleSegmenter:
    """Returns given probabilities in order of the calls (or a function of the image)."""

    sha256 = "oracle"

    def __init__(self, fn):
        self.fn = fn

    def predict(self, slices, spacing_mm, **_):
        return self.fn(np.asarray(slices), spacing_mm)


def test_dice_and_instances():
    a = np.zeros((10, 10), bool)
    a[2:6, 2:6] = True
    b = np.zeros_like(a)
    b[2:6, 2:4] = True
    assert dice(a, a) == 1.0
    assert dice(a, b) == pytest.approx(2 * 8 / (16 + 8))
    assert dice(np.zeros_like(a), np.zeros_like(a)) == 1.0
    inst = np.zeros((10, 10), int)
    inst[2:6, 2:6] = 7
    inst[8:10, 8:10] = 3
    assert instance_dices(a, inst) == [0.0, 1.0]  # label 3 missed, label 7 perfect
    assert summary([0.5, 1.0, 0.9])["dice_median"] == 0.9
    span = row_span(b[None], 1, axis_rows=1)[0]
    assert span[1:7].all() and not span[0].any() and not span[7:].any()


def _spider_seg_copy(shared_data, tmp_path, pid="11"):
    src = shared_data / "spider-seg-dev"
    for sub in ("images", "masks"):
        (tmp_path / sub).mkdir(parents=True)
        for p in sorted((src / sub).glob(f"{pid}_t2_SPACE_slice*.png"))[:3]:
            shutil.copy(p, tmp_path / sub / p.name)
    return tmp_path


@pytest.mark.shared_data
def test_spider_seg_layout_scores_oracle_perfectly(shared_data, tmp_path):
    root = _spider_seg_copy(shared_data, tmp_path)
    masks = {p.name: np.asarray(Image.open(p)) for p in sorted((root / "masks").glob("*.png"))}
    stack = np.stack(list(masks.values()))

    def oracle(slices, spacing):
        assert slices.shape == stack.shape
        prob = np.zeros((len(stack), len(CHANNELS), *stack.shape[1:]), np.float32)
        prob[:, CHANNELS.index("disc")] = stack == 1
        prob[:, CHANNELS.index("vertebra")] = stack == 2
        prob[:, CHANNELS.index("canal")] = stack == 3
        return prob

    res = evaluate_segmentation(root, segmenter=OracleSegmenter(oracle))
    assert res["layout"] == "spider-seg"
    for name in ("disc", "vertebra", "canal"):
        assert res[name]["n"] == 1
        assert res[name]["dice_median"] > 0.99  # cleanup removes only specks
    assert "vertebral_body" not in res

    def half(slices, spacing):  # predict nothing: every Dice is 0
        return np.zeros((len(slices), len(CHANNELS), *slices.shape[1:]), np.float32)

    res0 = evaluate_segmentation(root, segmenter=OracleSegmenter(half))
    assert res0["disc"]["dice_median"] == 0.0


@pytest.mark.shared_data
def test_fcs_layout_ignores_unlabelled_levels_outside_span(shared_data, tmp_path):
    import nibabel as nib

    src = shared_data / "fcs-dev" / "vb2_zheng"
    dst = tmp_path / "vb2_zheng"
    dst.mkdir()
    for suffix in ("img", "seg"):
        shutil.copy(src / f"02_{suffix}.nii.gz", dst / f"02_{suffix}.nii.gz")
    seg = np.asarray(nib.load(dst / "02_seg.nii.gz").dataobj)
    ref = np.moveaxis(seg > 0, 2, 0)  # (slice, S->I, A->P)

    def oracle(slices, spacing):
        prob = np.zeros((len(slices), len(CHANNELS), *slices.shape[1:]), np.float32)
        body = ref.copy()
        body[:, :5, 10:40] = True  # an "unlabelled vertebra" above the labelled span
        prob[:, CHANNELS.index("body")] = body
        return prob

    res = evaluate_segmentation(tmp_path, segmenter=OracleSegmenter(oracle))
    assert res["layout"] == "fcs"
    assert res["vertebral_body"]["dice_median"] > 0.99
    assert res["per_set"]["vb2_zheng"]["vertebral_body"]["n"] == 1
    assert res["vertebral_body"]["instance_dice_mean"] > 0.99


def test_cli_rejects_unknown_layout(tmp_path):
    from spinepath.cli.main import app

    (tmp_path / "x.txt").write_text("nothing")
    r = CliRunner().invoke(app, ["evaluate", "segmentation", str(tmp_path), "--json"])
    assert r.exit_code == 3
    r = CliRunner().invoke(app, ["evaluate", "levels", str(tmp_path), "--json"])
    assert r.exit_code == 3


def test_levels_json_on_synthetic_spider_layout(tmp_path):
    """A synthetic spider-dev-like folder: one slice with 3 graded discs."""
    from spinepath.evaluate.levels import evaluate_levels

    (tmp_path / "t2").mkdir()
    img = np.zeros((200, 100), np.uint8)
    Image.fromarray(img).save(tmp_path / "t2" / "7_t2.png")
    (tmp_path / "overview.csv").write_text('new_file_name,PixelSpacing\n7_t2,"[1.0, 1.0]"\n')
    (tmp_path / "radiological_gradings.csv").write_text(
        "Patient,IVD label,Pfirrman grade\n7,1,3\n7,2,3\n7,3,3\n"
    )

    def spine(slices, spacing):
        prob = np.zeros((1, len(CHANNELS), 200, 100), np.float32)
        r = 10
        for _ in range(3):
            prob[0, CHANNELS.index("vertebra"), r : r + 25, 30:70] = 1
            prob[0, CHANNELS.index("disc"), r + 25 : r + 35, 32:68] = 1
            r += 35
        prob[0, CHANNELS.index("vertebra"), r : r + 60, 30:75] = 1
        return prob

    res = evaluate_levels(tmp_path, segmenter=OracleSegmenter(spine))
    assert res["n_slices"] == 1
    assert res["disc_detection_rate"] == 1.0
    assert res["numbering_accuracy"] == 1.0
    assert json.dumps(res)  # JSON-ready
