"""Feature tables and the roles of their columns.

A feature table has one row per region of interest (e.g. one intervertebral disc of one patient)
and columns with roles: the patient (``group``: splits never separate a patient's rows), the
site (scanner vendor, centre) used for harmonisation and leave-site-out validation, the binary
outcome, clinical predictors, radiomics predictors, and covariates to protect in ComBat.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from spinepath.errors import InputError

__all__ = ["TableSpec", "align_to", "load_table", "outcome_summary", "resolve_spec"]


@dataclass(frozen=True)
class TableSpec:
    """Column roles of a feature table.

    ``clinical_categorical`` is the subset of ``clinical`` that is one-hot encoded (text
    columns are categorical automatically). ``protect_*`` are ComBat covariates: they must be
    known for new rows too (never the outcome).
    """

    outcome: str = "label"
    group: str = "patient"
    site: str = "site"
    keys: tuple[str, ...] = ("patient",)
    clinical: tuple[str, ...] = ()
    clinical_categorical: tuple[str, ...] = ()
    radiomics: tuple[str, ...] = ()
    protect_categorical: tuple[str, ...] = ()
    protect_continuous: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())

    def predictors(self, kind: str) -> list[str]:
        """Predictor columns of a model kind: ``clinical``, ``radiomics`` or ``combined``."""
        if kind == "clinical":
            return list(self.clinical)
        if kind == "radiomics":
            return list(self.radiomics)
        if kind == "combined":
            return [*self.clinical, *self.radiomics]
        raise InputError(f"unknown model kind {kind!r}; use clinical, radiomics or combined")


def load_table(path: Path | str) -> pd.DataFrame:
    """Read a CSV or Parquet feature table."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"feature table {p} does not exist")
    if p.suffix.lower() in {".parquet", ".pq"}:
        return pd.read_parquet(p)
    if p.suffix.lower() in {".csv", ".txt"}:
        return pd.read_csv(p)
    raise InputError(f"feature table {p}: use .csv or .parquet")


def _split_list(value: str | Sequence[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(v.strip() for v in value.split(",") if v.strip())
    return tuple(value)


def resolve_spec(
    df: pd.DataFrame,
    *,
    outcome: str = "label",
    group: str = "patient",
    site: str = "site",
    keys: str | Sequence[str] | None = None,
    clinical: str | Sequence[str] | None = None,
    radiomics: str | Sequence[str] | None = None,
    radiomics_prefix: str | None = None,
    protect: str | Sequence[str] | None = None,
) -> tuple[pd.DataFrame, TableSpec]:
    """Check the roles against the table and index its rows by their keys.

    Radiomics columns default to every numeric column without another role (or those starting
    with ``radiomics_prefix``). Returns the table indexed by ``"key1|key2"`` strings (unique)
    and its :class:`TableSpec`.
    """
    clinical_t = _split_list(clinical)
    protect_t = _split_list(protect)
    key_t = _split_list(keys) or (group,)
    named = [outcome, group, site, *key_t, *clinical_t, *protect_t]
    missing = sorted({c for c in named if c not in df.columns})
    if missing:
        raise InputError(
            f"columns {missing} are not in the feature table; columns present: "
            f"{list(df.columns)[:25]}"
        )
    y = pd.to_numeric(df[outcome], errors="coerce")
    if y.isna().any() or not y.isin([0, 1]).all():
        raise InputError(
            f"outcome column {outcome!r} must be 0/1 without missing values; found "
            f"{sorted(map(str, df[outcome].unique()))[:6]}"
        )
    if y.nunique() < 2:
        raise InputError(f"outcome column {outcome!r} has one class only")
    roles = set(named)
    if radiomics is not None:
        rad = _split_list(radiomics)
    elif radiomics_prefix:
        rad = tuple(c for c in df.columns if str(c).startswith(radiomics_prefix))
    else:
        rad = tuple(
            c for c in df.columns if c not in roles and pd.api.types.is_numeric_dtype(df[c])
        )
    bad = [c for c in rad if c not in df.columns or not pd.api.types.is_numeric_dtype(df[c])]
    if bad:
        raise InputError(f"radiomics columns must exist and be numeric: {bad[:5]}")
    cat = tuple(c for c in clinical_t if not pd.api.types.is_numeric_dtype(df[c]))
    prot_cat = tuple(c for c in protect_t if not pd.api.types.is_numeric_dtype(df[c]))
    prot_con = tuple(c for c in protect_t if c not in prot_cat)
    index = df[list(key_t)].astype(str).agg("|".join, axis=1)
    if index.duplicated().any():
        dup = index[index.duplicated()].iloc[0]
        raise InputError(
            f"row keys {list(key_t)} are not unique (e.g. {dup!r}); give --keys that identify "
            "one row (e.g. patient,disc)"
        )
    out = df.copy()
    out.index = pd.Index(index, name="row")
    out[outcome] = y.astype(int).to_numpy()
    spec = TableSpec(
        outcome=outcome, group=group, site=site, keys=key_t, clinical=clinical_t,
        clinical_categorical=cat, radiomics=rad, protect_categorical=prot_cat,
        protect_continuous=prot_con,
    )
    return out, spec


def align_to(main: pd.DataFrame, other: pd.DataFrame, spec: TableSpec) -> pd.DataFrame:
    """Index a perturbed feature table like ``main`` (by the spec's keys) and check that it
    covers every row of ``main``."""
    missing = [k for k in spec.keys if k not in other.columns]
    if missing:
        raise InputError(f"perturbed table lacks key columns {missing}")
    t = other.copy()
    t.index = pd.Index(t[list(spec.keys)].astype(str).agg("|".join, axis=1), name="row")
    lacking = main.index.difference(t.index)
    if len(lacking):
        raise InputError(
            f"perturbed table lacks {len(lacking)} of {len(main)} rows (e.g. "
            f"{list(lacking[:3])})"
        )
    return t.loc[main.index]


def outcome_summary(df: pd.DataFrame, spec: TableSpec) -> dict[str, object]:
    """Counts for the report: rows, patients, events, per site."""
    y = df[spec.outcome].to_numpy()
    per_site = (
        df.groupby(spec.site)
        .agg(rows=(spec.outcome, "size"), events=(spec.outcome, "sum"),
             patients=(spec.group, "nunique"))
        .reset_index()
        .to_dict(orient="records")
    )
    return {
        "rows": len(df),
        "patients": int(df[spec.group].nunique()),
        "events": int(np.sum(y)),
        "prevalence": float(np.mean(y)),
        "per_site": per_site,
        "missing_cells": {
            c: int(df[c].isna().sum()) for c in [*spec.clinical, *spec.radiomics]
            if df[c].isna().any()
        },
    }
