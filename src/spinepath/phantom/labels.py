"""Label table of the phantom's label maps (documented in docs/design/phantom.md).

Two maps per series grid, both unsigned 16-bit NIfTI:

``labels`` (anatomy; one label per voxel, later structures drawn over earlier ones)
    0 air; 1 subcutaneous fat; 2 other soft tissue (abdomen, pelvis); 3/4 psoas left/right;
    5/6 erector spinae left/right; 7/8 multifidus left/right; 9 paraspinal (intermuscular) fat;
    10 dural sac (CSF and cauda equina); 11 epidural and foraminal fat; 12 exiting nerve root;
    vertebral body = VerSe number (T11 18, T12 19, L1 20 ... L5 24, sacrum 26);
    posterior elements = 40 + VerSe number; and per disc, keyed by the VerSe number of the
    vertebra above it (L4-L5 -> 23): annulus 100+, nucleus 200+, herniated disc material 300+,
    ligamentum flavum 400+, facet joint (cartilage and fluid) 500+.

``lesions`` (pathology; 0 where none)
    600 + VerSe: Modic change at that vertebra's superior endplate;
    700 + VerSe: Modic change at its inferior endplate;
    800 + VerSe: fracture marrow oedema in that vertebra.
"""

from __future__ import annotations

import numpy as np

from spinepath.segment.labels import VERTEBRA_IDS

VERSE_ID: dict[str, int] = {
    name: VERTEBRA_IDS[name] for name in ("T11", "T12", "L1", "L2", "L3", "L4", "L5", "S1")
}
"""VerSe vertebra numbers (Sekuboyina et al., VerSe challenge; L6 = 25, sacrum = 26)."""

AIR = 0
SUBCUTANEOUS_FAT = 1
SOFT_TISSUE = 2
PSOAS = {"left": 3, "right": 4}
ERECTOR_SPINAE = {"left": 5, "right": 6}
MULTIFIDUS = {"left": 7, "right": 8}
PARASPINAL_FAT = 9
DURAL_SAC = 10
EPIDURAL_FAT = 11
NERVE_ROOT = 12

POSTERIOR_OFFSET = 40
ANNULUS_OFFSET = 100
NUCLEUS_OFFSET = 200
HERNIATION_OFFSET = 300
LIGAMENTUM_FLAVUM_OFFSET = 400
FACET_OFFSET = 500
MODIC_SUPERIOR_OFFSET = 600
MODIC_INFERIOR_OFFSET = 700
OEDEMA_OFFSET = 800


def vertebra_label(name: str) -> int:
    """Vertebral body label (VerSe number)."""
    return VERSE_ID[name]


def disc_key(disc: str) -> int:
    """VerSe number of the vertebra above a disc: ``disc_key("L4-L5") == 23``."""
    return VERSE_ID[disc.split("-")[0]]


def label_table(vertebrae: list[str], discs: list[str]) -> dict[int, str]:
    """Every anatomy and lesion label the phantom can write for these levels, with its name."""
    table: dict[int, str] = {
        AIR: "air",
        SUBCUTANEOUS_FAT: "subcutaneous fat",
        SOFT_TISSUE: "other soft tissue",
        PSOAS["left"]: "psoas left",
        PSOAS["right"]: "psoas right",
        ERECTOR_SPINAE["left"]: "erector spinae left",
        ERECTOR_SPINAE["right"]: "erector spinae right",
        MULTIFIDUS["left"]: "multifidus left",
        MULTIFIDUS["right"]: "multifidus right",
        PARASPINAL_FAT: "paraspinal fat",
        DURAL_SAC: "dural sac",
        EPIDURAL_FAT: "epidural fat",
        NERVE_ROOT: "nerve root",
    }
    for v in vertebrae:
        vid = VERSE_ID[v]
        name = "sacrum" if v == "S1" else v
        table[vid] = f"{name} vertebral body"
        table[POSTERIOR_OFFSET + vid] = f"{name} posterior elements"
        table[MODIC_SUPERIOR_OFFSET + vid] = f"{v} superior endplate Modic change"
        if v != "S1":
            table[MODIC_INFERIOR_OFFSET + vid] = f"{v} inferior endplate Modic change"
            table[OEDEMA_OFFSET + vid] = f"{v} fracture oedema"
    for d in discs:
        k = disc_key(d)
        table[ANNULUS_OFFSET + k] = f"{d} annulus"
        table[NUCLEUS_OFFSET + k] = f"{d} nucleus"
        table[HERNIATION_OFFSET + k] = f"{d} herniated disc material"
        table[LIGAMENTUM_FLAVUM_OFFSET + k] = f"{d} ligamentum flavum"
        table[FACET_OFFSET + k] = f"{d} facet joints"
    return table


def level_and_semantic_maps(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Phantom anatomy labels -> (level map, semantic map) in the pipeline's conventions.

    Level map: VerSe vertebra ids on body and posterior elements, discs 100 + id of the vertebra
    above (annulus and nucleus), canal 61 (dural sac). Semantic map: 1 vertebral body,
    2 posterior elements, 3 disc, 4 canal, 5 sacrum (see :mod:`spinepath.segment.labels`).
    """
    a = labels.astype(np.int32)
    level = np.zeros(a.shape, np.int16)
    semantic = np.zeros(a.shape, np.int16)
    for name, vid in VERSE_ID.items():
        body = a == vid
        post = a == POSTERIOR_OFFSET + vid
        level[body | post] = vid
        semantic[body] = 5 if name == "S1" else 1
        semantic[post] = 5 if name == "S1" else 2
        disc = (a == ANNULUS_OFFSET + vid) | (a == NUCLEUS_OFFSET + vid)
        level[disc] = 100 + vid
        semantic[disc] = 3
    canal = a == DURAL_SAC
    level[canal] = 61
    semantic[canal] = 4
    return level, semantic
