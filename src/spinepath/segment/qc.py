"""QC picture: the mid-sagittal slice with coloured labels and level names."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from spinepath.levels import LevelLabelling

COLOURS = {
    "vertebra": (60, 200, 60),
    "body": (240, 200, 40),
    "disc": (230, 60, 60),
    "canal": (70, 110, 255),
}


def qc_image(
    image: np.ndarray,
    masks: dict[str, np.ndarray],
    labelling: LevelLabelling | None,
    spacing_mm: tuple[float, float],
    *,
    index: int | None = None,
    scale_to_mm: float = 0.5,
) -> np.ndarray:
    """RGB uint8 picture of slice ``index`` (default: middle) of a display-orientation stack,
    resampled to ``scale_to_mm`` pixels so every series looks alike."""
    from PIL import Image, ImageDraw

    k = image.shape[0] // 2 if index is None else index
    sl = image[k].astype(float)
    lo, hi = np.percentile(sl, [1, 99.5])
    g = np.clip((sl - lo) / max(hi - lo, 1e-6), 0, 1) * 255
    rgb = np.stack([g] * 3, -1)
    for name in ("vertebra", "body", "canal", "disc"):
        m = masks.get(name)
        if m is None:
            continue
        mk = m[k]
        rgb[mk] = rgb[mk] * 0.55 + np.array(COLOURS[name]) * 0.45
    im = Image.fromarray(rgb.astype(np.uint8))
    fy, fx = spacing_mm[0] / scale_to_mm, spacing_mm[1] / scale_to_mm
    im = im.resize((max(1, int(im.width * fx)), max(1, int(im.height * fy))), Image.BILINEAR)
    if labelling is not None:
        draw = ImageDraw.Draw(im)
        for inst in [*labelling.discs, *labelling.vertebrae]:
            r, c = inst.centroid_rc
            x, y = c * fx, r * fy
            x_text = max(2, x - 55 * (1 if inst.kind == "disc" else 0.0) - 30)
            draw.text(
                (x_text, y - 6),
                inst.name,
                fill=(255, 255, 0) if inst.kind == "disc" else (255, 255, 255),
            )
        note = (
            "levels uncertain: " + "; ".join(labelling.reasons)
            if labelling.uncertain
            else "levels counted from the sacrum"
        )
        draw.text((4, 4), note[:120], fill=(255, 128, 0) if labelling.uncertain else (0, 255, 0))
    return np.asarray(im)


def write_qc_png(path: Path, *args, **kwargs) -> Path:
    """Write :func:`qc_image` to ``path`` (PNG)."""
    from PIL import Image

    Image.fromarray(qc_image(*args, **kwargs)).save(path)
    return Path(path)
