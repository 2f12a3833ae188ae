"""A compact, numpy-only file of training slices (``.npz``) for the batched trainer.

Building the slices needs the readers of every dev layout (nibabel, Pillow, scipy); training
needs only numpy and torch. The pack separates the two, so the same slices train on this
machine's CPUs or on a GPU machine that has torch but none of the readers.

Per slice at the working spacing (:data:`spinepath.segment.preprocess.WORK_SPACING_MM`):

* image: uint8, the normalised intensity (0..1.5) times :data:`IMAGE_SCALE`;
* label bits: uint8, bit ``c`` set where channel ``c`` of
  :data:`spinepath.segment.labels.CHANNELS` is labelled;
* supervised rows per channel ``[r0, r1)``: the loss weight of a channel is 1 on those rows and 0
  elsewhere (``r0 == r1``: the set does not label that channel), which is exactly the weight
  :func:`spinepath.segment.train.data.stack_samples` builds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

IMAGE_SCALE = 170.0
"""uint8 value per unit of normalised intensity (1.5 -> 255)."""


@dataclass
class PackedSlices:
    """Slices padded to one shape (n, H, W) with their true sizes and supervision."""

    images: np.ndarray  # uint8 (n, H, W)
    bits: np.ndarray  # uint8 (n, H, W)
    sizes: np.ndarray  # int32 (n, 2): rows, cols of each slice before padding
    weight_rows: np.ndarray  # int32 (n, C, 2)
    subjects: np.ndarray  # str (n,)
    datasets: np.ndarray  # str (n,)
    channels: tuple[str, ...]
    meta: dict  # what write_pack stored (split, fold, ...)

    def __len__(self) -> int:
        return len(self.sizes)


def _weight_rows(weight: np.ndarray) -> np.ndarray:
    """(C, H, W) 0/1 weight -> (C, 2) row band; raises if a channel's weight is not a band."""
    out = np.zeros((weight.shape[0], 2), np.int32)
    for c in range(weight.shape[0]):
        rows = np.flatnonzero(weight[c].any(axis=1))
        if rows.size == 0:
            continue
        r0, r1 = int(rows[0]), int(rows[-1]) + 1
        if not weight[c, r0:r1].all() or weight[c].sum() != (r1 - r0) * weight.shape[2]:
            raise ValueError(f"channel {c}: the loss weight is not a band of whole rows")
        out[c] = (r0, r1)
    return out


def write_pack(samples: list, path: Path, channels: tuple[str, ...], **meta: object) -> Path:
    """Write :class:`spinepath.segment.train.data.Sample` objects to ``path`` (an .npz
    compressed with xz: about 0.6 of zlib's size on MR slices).

    ``meta`` values (lists of held-out subjects, the fold, ...) are stored as JSON text.
    """
    import io
    import lzma

    images, bits, sizes, rows = [], [], [], []
    for s in samples:
        images.append(np.clip(np.rint(s.image * IMAGE_SCALE), 0, 255).astype(np.uint8).ravel())
        b = np.zeros(s.image.shape, np.uint8)
        for c in range(s.target.shape[0]):
            b |= (s.target[c] > 0).astype(np.uint8) << c
        bits.append(b.ravel())
        sizes.append(s.image.shape)
        rows.append(_weight_rows(s.weight))
    buf = io.BytesIO()
    np.savez(
        buf,
        images=np.concatenate(images),
        bits=np.concatenate(bits),
        sizes=np.array(sizes, np.int32),
        weight_rows=np.array(rows, np.int32),
        subjects=np.array([s.subject for s in samples]),
        datasets=np.array([s.dataset for s in samples]),
        channels=np.array(channels),
        meta=np.array(json.dumps(meta)),
    )
    Path(path).write_bytes(lzma.compress(buf.getvalue(), preset=6))
    return Path(path)


def _load(path: Path) -> dict[str, np.ndarray]:
    import io
    import lzma

    with np.load(io.BytesIO(lzma.decompress(Path(path).read_bytes()))) as z:
        return {k: z[k] for k in z.files}


def read_pack(path: Path, multiple: int = 32) -> PackedSlices:
    """Read a pack; slices are zero-padded (bottom/right) to a common shape, a multiple of
    ``multiple`` pixels."""
    z = _load(path)
    sizes = z["sizes"]
    h = int(np.ceil(sizes[:, 0].max() / multiple) * multiple)
    w = int(np.ceil(sizes[:, 1].max() / multiple) * multiple)
    n = len(sizes)
    images = np.zeros((n, h, w), np.uint8)
    bits = np.zeros((n, h, w), np.uint8)
    flat_i, flat_b = z["images"], z["bits"]
    pos = 0
    for k, (r, c) in enumerate(sizes):
        m = int(r) * int(c)
        images[k, :r, :c] = flat_i[pos : pos + m].reshape(r, c)
        bits[k, :r, :c] = flat_b[pos : pos + m].reshape(r, c)
        pos += m
    return PackedSlices(
        images=images,
        bits=bits,
        sizes=sizes,
        weight_rows=z["weight_rows"],
        subjects=z["subjects"],
        datasets=z["datasets"],
        channels=tuple(str(c) for c in z["channels"]),
        meta=json.loads(str(z["meta"])),
    )


def pack_meta(path: Path) -> dict:
    """The JSON metadata stored with a pack (without padding its slices)."""
    return json.loads(str(_load(path)["meta"]))
