"""A small synthetic disc-level cohort with known structure, for tests and examples.

Each patient has 5 discs (L1-L2 .. L5-S1) and a site (scanner vendor). A latent degeneration
score rises with age and towards the lower levels; the outcome is degeneration above a cut.
Radiomics features: ``rad_signal*`` carry the latent score (and are mutually redundant,
|rho| > 0.9), ``rad_shape`` carries it weakly, ``rad_noise*`` carry nothing; every feature gets
an additive and a multiplicative site effect. Perturbed tables (as from eroding and dilating the
mask) change ``rad_fragile*`` a lot and the others a little.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["make_cohort"]

LEVELS = ("L1-L2", "L2-L3", "L3-L4", "L4-L5", "L5-S1")


def make_cohort(
    n_patients: int = 60,
    *,
    sites: tuple[str, ...] = ("siteA", "siteB", "siteC"),
    n_noise: int = 4,
    signal: float = 1.0,
    seed: int = 0,
) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    """Return ``(table, [original, eroded, dilated])``: the feature table (columns patient,
    disc, site, age, sex, label, rad_*) and three feature tables of perturbed extractions."""
    rng = np.random.default_rng(seed)
    rows = []
    shift = {s: rng.normal(0, 1.5) for s in sites}
    scale = {s: rng.uniform(0.6, 1.8) for s in sites}
    for i in range(n_patients):
        site = sites[i % len(sites)]
        age = float(rng.integers(25, 80))
        sex = "F" if rng.random() < 0.5 else "M"
        person = rng.normal(0, 0.5)
        for j, level in enumerate(LEVELS):
            latent = 0.04 * (age - 50) + 0.35 * (j - 2) + person + rng.normal(0, 0.8)
            rows.append({"patient": f"P{i:03d}", "disc": level, "site": site, "age": age,
                         "sex": sex, "latent": latent})
    df = pd.DataFrame(rows)
    df["label"] = (df["latent"] > 0.3).astype(int)
    n = len(df)
    lat = df["latent"].to_numpy()
    feats = {
        "rad_signal": signal * lat + rng.normal(0, 0.6, n),
    }
    feats["rad_signal_copy"] = feats["rad_signal"] * 1.1 + rng.normal(0, 0.05, n)
    feats["rad_shape"] = 0.3 * signal * lat + rng.normal(0, 1.0, n)
    feats["rad_fragile"] = signal * lat + rng.normal(0, 0.6, n)
    for k in range(n_noise):
        feats[f"rad_noise{k}"] = rng.normal(0, 1.0, n)
    site_arr = df["site"].to_numpy()
    for name, v in feats.items():
        a = np.array([shift[s] for s in site_arr]) * rng.uniform(0.5, 1.5)
        b = np.array([scale[s] for s in site_arr])
        df[name] = 10.0 + a + b * v
    df = df.drop(columns=["latent"])
    rad = [c for c in df.columns if c.startswith("rad_")]
    original = df[["patient", "disc", *rad]].copy()
    perturbed = [original]
    for _ in range(2):
        t = original.copy()
        for c in rad:
            sd = t[c].std()
            noise = 1.5 if c.startswith("rad_fragile") else 0.05
            t[c] = t[c] + rng.normal(0, noise * sd, n)
        perturbed.append(t)
    return df, perturbed
