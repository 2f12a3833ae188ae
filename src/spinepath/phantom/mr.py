"""MR contrast of the phantom: tissue parameters, sequence signal equations, bias and noise.

Each tissue is a two-compartment mix of water (proton density ``pd``, relaxation ``t1``/``t2``
in ms) and fat (fraction ``ff``). Signals follow the textbook spin-echo and inversion-recovery
magnitude equations at 1.5 T:

* spin echo:   S = PD (1 - exp(-TR/T1)) exp(-TE/T2)
* STIR (IR):   S = PD |1 - 2 exp(-TI/T1) + exp(-TR/T1)| exp(-TE/T2)

Relaxation times are round numbers of the published order at 1.5 T (fat T1 ~230-260 ms, CSF T1
~4000 ms, muscle T1 ~900 ms / T2 ~45 ms); fat's T2 is the longer *apparent* T2 of turbo spin
echo (J-coupling), so fat stays bright on T2 TSE. They give the contrasts radiologists expect
(T1: fat bright, CSF dark, marrow intermediate-bright; T2: CSF and a healthy nucleus bright;
STIR: fat nulled, fluid and oedema bright) but are not calibrated to any scanner.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

FAT_T1_MS = 230.0
FAT_T2_MS = 160.0
FAT_PD = 1.0


@dataclass(frozen=True)
class Tissue:
    """Water compartment (pd relative, t1/t2 ms) mixed with fat fraction ``ff`` in [0, 1]."""

    name: str
    pd: float
    t1: float
    t2: float
    ff: float = 0.0


@dataclass(frozen=True)
class Sequence:
    """Acquisition parameters of one series (times in ms)."""

    name: str
    tr: float
    te: float
    ti: float | None = None

    def signal(self, t: Tissue) -> float:
        """Noise-free signal of tissue ``t`` (arbitrary units, about 0-1)."""
        water = self._relax(t.t1, t.t2)
        fat = FAT_PD * self._relax(FAT_T1_MS, FAT_T2_MS)
        return t.pd * ((1 - t.ff) * water + t.ff * fat)

    def _relax(self, t1: float, t2: float) -> float:
        e2 = np.exp(-self.te / t2)
        if self.ti is None:
            return float((1 - np.exp(-self.tr / t1)) * e2)
        return float(abs(1 - 2 * np.exp(-self.ti / t1) + np.exp(-self.tr / t1)) * e2)


SAG_T1 = Sequence("T1", tr=550.0, te=10.0)
SAG_T2 = Sequence("T2", tr=3500.0, te=100.0)
SAG_STIR = Sequence("STIR", tr=4000.0, te=60.0, ti=160.0)
AX_T2 = Sequence("T2", tr=4000.0, te=100.0)

BASE_TISSUES: dict[str, Tissue] = {
    t.name: t
    for t in [
        Tissue("air", 0.0, 1000.0, 1.0),
        Tissue("fat", 1.0, 1000.0, 50.0, ff=1.0),
        Tissue("soft_tissue", 0.8, 750.0, 60.0, ff=0.15),
        Tissue("csf", 1.0, 4000.0, 2000.0),
        Tissue("marrow", 0.85, 800.0, 60.0, ff=0.45),
        Tissue("cortex", 0.05, 1000.0, 5.0),
        Tissue("posterior_bone", 0.5, 800.0, 50.0, ff=0.4),
        Tissue("annulus", 0.65, 1000.0, 45.0),
        Tissue("ligament", 0.6, 700.0, 50.0),
        Tissue("facet_joint", 0.8, 1500.0, 150.0),
        Tissue("nerve", 0.7, 900.0, 70.0),
        Tissue("oedema", 0.9, 1200.0, 130.0, ff=0.12),
        Tissue("modic1", 0.9, 1200.0, 120.0, ff=0.10),
        Tissue("modic2", 0.85, 800.0, 60.0, ff=0.85),
        Tissue("modic3", 0.3, 900.0, 35.0, ff=0.35),
    ]
}

NUCLEUS_BY_PFIRRMANN: dict[int, tuple[float, float, float]] = {
    # grade: (pd, t1 ms, t2 ms). I-II isointense to CSF on T2; III intermediate (grey);
    # IV intermediate to hypointense; V hypointense (black) - Pfirrmann 2001 table.
    1: (0.95, 1100.0, 200.0),
    2: (0.93, 1050.0, 170.0),
    3: (0.85, 950.0, 85.0),
    4: (0.72, 900.0, 55.0),
    5: (0.6, 850.0, 35.0),
}


def nucleus_tissue(grade: int) -> Tissue:
    """Nucleus pulposus of a disc of the given Pfirrmann grade."""
    pd, t1, t2 = NUCLEUS_BY_PFIRRMANN[grade]
    return Tissue(f"nucleus_p{grade}", pd, t1, t2)


def muscle_tissue(name: str, ff: float) -> Tissue:
    """Skeletal muscle with fat fraction ``ff``."""
    return Tissue(name, 0.75, 900.0, 45.0, ff=ff)


class TissueRegistry:
    """Tissues used by one study, indexed by small integers for the tissue map."""

    def __init__(self) -> None:
        self.tissues: list[Tissue] = []
        self._index: dict[str, int] = {}
        for t in BASE_TISSUES.values():
            self.add(t)

    def add(self, t: Tissue) -> int:
        """Register ``t`` (by name) and return its index."""
        if t.name not in self._index:
            self._index[t.name] = len(self.tissues)
            self.tissues.append(t)
        return self._index[t.name]

    def __getitem__(self, name: str) -> int:
        return self._index[name]

    def lut(self, seq: Sequence) -> np.ndarray:
        """Signal of every registered tissue under ``seq``, float32 array by index."""
        return np.array([seq.signal(t) for t in self.tissues], dtype=np.float32)


def bias_field(rng: np.random.Generator, x: np.ndarray, y: np.ndarray, z: np.ndarray,
               centre: np.ndarray) -> np.ndarray:
    """Smooth multiplicative receive-coil field: stronger posteriorly (spine coil under the
    back) with a random low-order modulation; about 0.7-1.3 over the field of view."""
    cx, cy, cz = centre
    post = np.exp(-(y - cy + 120.0) / 260.0)  # decays toward anterior
    post = post / np.exp(-120.0 / 260.0)
    a = rng.normal(0.0, 0.06, size=4)
    mod = (1 + a[0] * (x - cx) / 100 + a[1] * (y - cy) / 100 + a[2] * (z - cz) / 150
           + a[3] * ((z - cz) / 150) ** 2)
    return (0.85 * post * mod).astype(np.float32)


def add_rician_noise(image: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """Magnitude of the image plus complex Gaussian noise of std ``sigma`` per channel."""
    n1 = rng.normal(0.0, sigma, size=image.shape).astype(np.float32)
    n2 = rng.normal(0.0, sigma, size=image.shape).astype(np.float32)
    return np.sqrt((image + n1) ** 2 + n2**2)
