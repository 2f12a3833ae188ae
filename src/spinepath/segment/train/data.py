"""Training samples for the built-in segmenter: dev layouts -> 2-D slices at the working
spacing with per-channel targets and loss weights (partial labels), subject-wise splits."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from spinepath.segment.datasets import LabelledStack, iter_fcs, iter_spider_seg, iter_vesal
from spinepath.segment.labels import CHANNELS
from spinepath.segment.preprocess import WORK_SPACING_MM, normalise_intensity, resample_slice

SPAN_MARGIN_MM = {"body": 4.0, "disc": 8.0}
"""In sets that label only some levels, a channel is supervised only over the superior-inferior
rows of the labelled structures plus this margin (mm): an unlabelled T12 or S1 is not taken as
background."""

PARTIAL_SPAN_SETS = ("vb1_zukic", "vb2_zheng", "vb3_myosegmentum", "ivd_t2", "vesal")


@dataclass
class Sample:
    """One 2-D training slice at the working spacing.

    image: float32 (H, W) normalised; target, weight: uint8 (n_channels, H, W).
    """

    subject: str
    dataset: str
    image: np.ndarray
    target: np.ndarray
    weight: np.ndarray


def is_test_subject(subject: str, n_folds: int = 4, fold: int = 0) -> bool:
    """Deterministic subject-wise split (by the subject's position in its set, see
    :func:`split_subjects`); kept for callers that only have an id."""
    h = int(hashlib.sha1(subject.encode()).hexdigest(), 16)
    return h % n_folds == fold


def split_subjects(subjects: list[str], n_folds: int = 4, fold: int = 0) -> set[str]:
    """Held-out subjects: within each data set, every ``n_folds``-th subject in sorted order
    starting at ``fold``. vesal (a single subject) is never held out."""
    by_set: dict[str, list[str]] = {}
    for s in subjects:
        by_set.setdefault(s.split("/")[0], []).append(s)
    test: set[str] = set()
    for name, subs in by_set.items():
        if name == "vesal":
            continue
        for i, s in enumerate(sorted(subs)):
            if i % n_folds == fold:
                test.add(s)
    return test


def stack_samples(stack: LabelledStack) -> list[Sample]:
    """Turn a labelled stack into working-spacing samples with targets and weights."""
    img = normalise_intensity(stack.image)
    out: list[Sample] = []
    for k in range(img.shape[0]):
        im = resample_slice(img[k], stack.spacing_mm, order=1).astype(np.float32)
        tgt = np.zeros((len(CHANNELS), *im.shape), np.uint8)
        wgt = np.zeros_like(tgt)
        for c, name in enumerate(CHANNELS):
            m = stack.masks.get(name)
            if m is None:
                continue
            mk = resample_slice(m[k].astype(np.float32), stack.spacing_mm, order=1) > 0.5
            tgt[c] = mk
            if stack.dataset in PARTIAL_SPAN_SETS:
                rows = np.flatnonzero(m.any(axis=(0, 2)))  # over the whole stack
                if rows.size == 0:
                    continue
                scale = stack.spacing_mm[0] / WORK_SPACING_MM
                marg = SPAN_MARGIN_MM.get(name, 4.0) / WORK_SPACING_MM
                r0 = max(0, int(rows[0] * scale - marg))
                r1 = min(im.shape[0], int((rows[-1] + 1) * scale + marg))
                wgt[c, r0:r1] = 1
            else:
                wgt[c] = 1
        out.append(Sample(stack.subject, stack.dataset, im, tgt, wgt))
    return out


def load_all_stacks(data_root: Path) -> list[LabelledStack]:
    """fcs-dev, spider-seg-dev and vesal stacks under the shared data folder."""
    data_root = Path(data_root)
    stacks: list[LabelledStack] = []
    if (data_root / "fcs-dev").is_dir():
        stacks += list(iter_fcs(data_root / "fcs-dev"))
    if (data_root / "spider-seg-dev").is_dir():
        stacks += list(iter_spider_seg(data_root / "spider-seg-dev"))
    if (data_root / "vesal").is_dir():
        stacks += list(iter_vesal(data_root / "vesal"))
    return stacks


VOLUME_SLICE_STEP = 2
"""Every how many sagittal slices of the 1-mm fcs volumes go into a pack (neighbouring 1-mm
slices are near duplicates; every second one halves the pack at little loss)."""


def write_training_packs(
    data_root: Path,
    out_dir: Path,
    *,
    n_folds: int = 4,
    fold: int = 0,
    volume_slice_step: int = VOLUME_SLICE_STEP,
    log=print,
) -> tuple[Path, Path | None]:
    """Slices of the dev sets as packs (:mod:`spinepath.segment.train.packed`):
    ``train.npz.xz`` (training subjects) and ``val.npz.xz`` (held-out subjects; None when
    ``fold < 0``, i.e. training on all subjects). fcs volumes contribute every
    ``volume_slice_step``-th slice."""
    from spinepath.segment.labels import CHANNELS
    from spinepath.segment.train.packed import write_pack

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stacks = load_all_stacks(data_root)
    subjects = [s.subject for s in stacks]
    test = set() if fold < 0 else split_subjects(subjects, n_folds, fold)
    meta = {
        "held_out": sorted(test),
        "train": sorted(set(subjects) - test),
        "n_folds": n_folds,
        "fold": fold,
    }

    def slices(st: LabelledStack) -> list[Sample]:
        step = volume_slice_step if st.dataset.startswith(("vb", "ivd")) else 1
        return stack_samples(st)[::step]

    train = [smp for st in stacks if st.subject not in test for smp in slices(st)]
    train_path = write_pack(train, out_dir / "train.npz.xz", CHANNELS, **meta)
    log(f"{len(train)} training slices -> {train_path}")
    val_path = None
    if test:
        val = [smp for st in stacks if st.subject in test for smp in slices(st)]
        val_path = write_pack(val, out_dir / "val.npz.xz", CHANNELS, **meta)
        log(f"{len(val)} held-out slices -> {val_path}")
    return train_path, val_path
