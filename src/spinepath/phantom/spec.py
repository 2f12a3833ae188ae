"""Pathology specification of a phantom study: a small pydantic model.

Parsed from CLI strings ``KIND:KEY=VALUE`` (repeatable) and/or a YAML file with the model's
fields. The kinds:

========================  ==========================================================  =============
string                     meaning                                                     value
========================  ==========================================================  =============
``pfirrmann:L4-L5=4``      disc degeneration grade (height + nucleus signal loss)     1-5
``modic:L5-S1=1``          Modic type at both endplates of the disc                   1-3
``modic:L5.inferior=2``    Modic type at one endplate (``superior``/``inferior``)      1-3
``herniation:L4-L5=extrusion,left_subarticular,7``  type, zone (side_zone), size mm  see below
``stenosis:L4-L5=70``      dural sac cross-sectional area at the disc, mm^2           20-250
``lf:L4-L5=5.5``           ligamentum flavum thickness, both sides, mm                 1-8
``listhesis:L4-L5=20``     anterolisthesis of the upper over the lower vertebra, %    0-60
``fracture:L1=30``         vertebral compression fracture, height loss %; optional    5-70
                           ``,wedge|crush`` and ``,acute|chronic`` (acute = oedema)
``fat:multifidus=0.3``     paraspinal muscle fat fraction (``.left``/``.right``)     0-0.95
``t12:include=false``      leave out T12 (default: included)                          bool
========================  ==========================================================  =============

Herniation zones follow Fardon et al. 2014 (nomenclature 2.0): ``central``,
``{left,right}_paracentral``, ``{left,right}_subarticular``, ``{left,right}_foraminal``. Types:
``protrusion`` (displaced distance < base width) and ``extrusion`` (wider than its base).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from spinepath.errors import InputError

PHANTOM_DISCS: tuple[str, ...] = ("T12-L1", "L1-L2", "L2-L3", "L3-L4", "L4-L5", "L5-S1")
PHANTOM_VERTEBRAE: tuple[str, ...] = ("T12", "L1", "L2", "L3", "L4", "L5", "S1")
MUSCLES: tuple[str, ...] = ("psoas", "erector_spinae", "multifidus")
ZONES: tuple[str, ...] = ("central", "paracentral", "subarticular", "foraminal")

DEFAULT_FAT_FRACTION: dict[str, float] = {"psoas": 0.03, "erector_spinae": 0.06, "multifidus": 0.08}
"""Fat fraction of healthy adult muscle used when none is given (order of magnitude of Dixon
values in young adults; a plausible default, not a reference)."""


def _check_disc(level: str) -> str:
    if level not in PHANTOM_DISCS:
        raise ValueError(f"unknown disc {level!r}; expected one of {', '.join(PHANTOM_DISCS)}")
    return level


def _check_vertebra(name: str) -> str:
    if name not in PHANTOM_VERTEBRAE:
        raise ValueError(
            f"unknown vertebra {name!r}; expected one of {', '.join(PHANTOM_VERTEBRAE)}"
        )
    return name


class ModicSpec(BaseModel):
    """Modic change in the marrow next to one endplate.

    Attributes:
        endplate: ``"L5.inferior"`` or ``"S1.superior"``.
        type: Modic type 1, 2 or 3.
        depth_mm: how far the change reaches into the vertebral body from the endplate, mm.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    endplate: str
    type: Literal[1, 2, 3]
    depth_mm: float = Field(8.0, ge=2.0, le=20.0)

    @field_validator("endplate")
    @classmethod
    def _valid_endplate(cls, v: str) -> str:
        name, _, side = v.partition(".")
        _check_vertebra(name)
        if side not in ("superior", "inferior"):
            raise ValueError(f"endplate {v!r} must end in .superior or .inferior")
        if name == "S1" and side == "inferior":
            raise ValueError("S1.inferior is not an endplate in the phantom (the sacrum is fused)")
        return v


class HerniationSpec(BaseModel):
    """A focal disc herniation (Fardon 2014 terms).

    Attributes:
        level: disc, e.g. ``"L4-L5"``.
        type: ``protrusion`` or ``extrusion``.
        zone: ``central``, ``paracentral``, ``subarticular`` or ``foraminal``.
        side: ``left``, ``right`` or ``central`` (only with the central zone).
        size_mm: greatest displacement beyond the disc margin, mm.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    level: str
    type: Literal["protrusion", "extrusion"]
    zone: Literal["central", "paracentral", "subarticular", "foraminal"]
    side: Literal["left", "right", "central"]
    size_mm: float = Field(ge=1.5, le=15.0)

    @field_validator("level")
    @classmethod
    def _valid_level(cls, v: str) -> str:
        return _check_disc(v)

    @model_validator(mode="after")
    def _side_matches_zone(self) -> HerniationSpec:
        if (self.zone == "central") != (self.side == "central"):
            raise ValueError(
                f"zone {self.zone!r} with side {self.side!r}: the central zone has side "
                "'central'; the other zones need 'left' or 'right'"
            )
        return self


class FractureSpec(BaseModel):
    """Vertebral compression fracture.

    Attributes:
        vertebra: e.g. ``"L1"`` (not S1).
        height_loss_pct: loss of the smallest body height relative to the intact height, %.
        shape: ``wedge`` (anterior height lost) or ``crush`` (whole body).
        acute: acute fractures carry marrow oedema (bright on STIR, dark on T1).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    vertebra: str
    height_loss_pct: float = Field(ge=5.0, le=70.0)
    shape: Literal["wedge", "crush"] = "wedge"
    acute: bool = True

    @field_validator("vertebra")
    @classmethod
    def _not_sacrum(cls, v: str) -> str:
        _check_vertebra(v)
        if v == "S1":
            raise ValueError("the phantom cannot fracture S1; choose T12..L5")
        return v


class PathologySpec(BaseModel):
    """Everything that departs from the healthy default phantom. Empty = healthy spine."""

    model_config = ConfigDict(extra="forbid")
    pfirrmann: dict[str, Literal[1, 2, 3, 4, 5]] = Field(default_factory=dict)
    modic: list[ModicSpec] = Field(default_factory=list)
    herniations: list[HerniationSpec] = Field(default_factory=list)
    stenosis_area_mm2: dict[str, float] = Field(default_factory=dict)
    lf_thickness_mm: dict[str, float] = Field(default_factory=dict)
    listhesis_pct: dict[str, float] = Field(default_factory=dict)
    fractures: list[FractureSpec] = Field(default_factory=list)
    fat_fraction: dict[str, float] = Field(default_factory=dict)
    include_t12: bool = True

    @field_validator("pfirrmann", "stenosis_area_mm2", "lf_thickness_mm", "listhesis_pct")
    @classmethod
    def _disc_keys(cls, v: dict[str, object]) -> dict[str, object]:
        for k in v:
            _check_disc(k)
        return v

    @field_validator("stenosis_area_mm2")
    @classmethod
    def _area_range(cls, v: dict[str, float]) -> dict[str, float]:
        for k, a in v.items():
            if not 20.0 <= a <= 250.0:
                raise ValueError(f"dural sac area {a} mm2 at {k} outside 20-250 mm2")
        return v

    @field_validator("lf_thickness_mm")
    @classmethod
    def _lf_range(cls, v: dict[str, float]) -> dict[str, float]:
        for k, t in v.items():
            if not 1.0 <= t <= 8.0:
                raise ValueError(f"ligamentum flavum thickness {t} mm at {k} outside 1-8 mm")
        return v

    @field_validator("listhesis_pct")
    @classmethod
    def _slip_range(cls, v: dict[str, float]) -> dict[str, float]:
        for k, p in v.items():
            if not 0.0 <= p <= 60.0:
                raise ValueError(f"anterolisthesis {p}% at {k} outside 0-60%")
        return v

    @field_validator("fat_fraction")
    @classmethod
    def _ff(cls, v: dict[str, float]) -> dict[str, float]:
        for k, f in v.items():
            muscle, _, side = k.partition(".")
            if muscle not in MUSCLES or side not in ("", "left", "right"):
                raise ValueError(
                    f"fat fraction key {k!r}: expected one of {MUSCLES}, optionally "
                    "with .left or .right"
                )
            if not 0.0 <= f <= 0.95:
                raise ValueError(f"fat fraction {f} for {k} outside 0-0.95")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> PathologySpec:
        seen = set()
        for m in self.modic:
            if m.endplate in seen:
                raise ValueError(f"Modic change at {m.endplate} given twice")
            seen.add(m.endplate)
        levels = [h.level for h in self.herniations]
        if len(levels) != len(set(levels)):
            raise ValueError("at most one herniation per disc")
        verts = [f.vertebra for f in self.fractures]
        if len(verts) != len(set(verts)):
            raise ValueError("at most one fracture per vertebra")
        if not self.include_t12:
            used = [*self.pfirrmann, *self.stenosis_area_mm2, *self.lf_thickness_mm,
                    *self.listhesis_pct, *levels, *verts, *(m.endplate for m in self.modic)]
            if any(u.startswith("T12") for u in used):
                raise ValueError("a pathology refers to T12 but T12 is left out")
        return self

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_strings(cls, items: list[str], base: PathologySpec | None = None) -> PathologySpec:
        """Parse CLI strings (see the module docstring) on top of ``base``."""
        data = (base or cls()).model_dump()
        for item in items:
            _apply_string(data, item)
        try:
            return cls.model_validate(data)
        except ValueError as exc:
            raise InputError(f"invalid pathology specification: {exc}") from None

    @classmethod
    def from_yaml(cls, path: Path) -> PathologySpec:
        """Read a YAML file whose keys are this model's fields, or a list under
        ``pathology:`` of CLI-style strings."""
        try:
            raw = yaml.safe_load(Path(path).read_text()) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise InputError(f"cannot read pathology file {path}: {exc}") from None
        if not isinstance(raw, dict):
            raise InputError(f"{path}: expected a mapping at the top level")
        strings = raw.pop("pathology", [])
        try:
            spec = cls.model_validate(raw)
        except ValueError as exc:
            raise InputError(f"invalid pathology file {path}: {exc}") from None
        return cls.from_strings(list(strings), base=spec)


_KIND_ALIASES = {"lf": "lf", "ligamentum_flavum": "lf", "fat": "fat", "fat_fraction": "fat",
                 "stenosis": "stenosis", "dsca": "stenosis"}


def _apply_string(data: dict, item: str) -> None:
    """Merge one ``KIND:KEY=VALUE`` string into the model's dict ``data``."""
    kind, sep, rest = item.partition(":")
    key, sep2, value = rest.partition("=")
    kind, key, value = kind.strip().lower(), key.strip(), value.strip()
    if not sep or not sep2 or not key or not value:
        raise InputError(
            f"pathology {item!r} is not KIND:KEY=VALUE, e.g. 'pfirrmann:L4-L5=4'"
        )
    kind = _KIND_ALIASES.get(kind, kind)
    try:
        if kind == "pfirrmann":
            data["pfirrmann"][key] = int(value)
        elif kind == "modic":
            mtype = int(value)
            if "." in key:
                endplates = [key]
            else:
                _check_disc(key)
                upper, lower = key.split("-")
                endplates = [f"{upper}.inferior", f"{lower}.superior"]
            data["modic"] = [m for m in data["modic"] if m["endplate"] not in endplates]
            data["modic"] += [{"endplate": e, "type": mtype} for e in endplates]
        elif kind == "herniation":
            parts = [p.strip().lower() for p in value.split(",")]
            if len(parts) != 3:
                raise ValueError("herniation value is TYPE,ZONE,SIZE_MM")
            htype, zone_s, size = parts
            side, _, zone = zone_s.rpartition("_")
            if zone_s == "central":
                side, zone = "central", "central"
            data["herniations"] = [h for h in data["herniations"] if h["level"] != key]
            data["herniations"].append(
                {"level": key, "type": htype, "zone": zone, "side": side or "?",
                 "size_mm": float(size)}
            )
        elif kind == "stenosis":
            data["stenosis_area_mm2"][key] = float(value)
        elif kind == "lf":
            data["lf_thickness_mm"][key] = float(value)
        elif kind == "listhesis":
            data["listhesis_pct"][key] = float(value)
        elif kind == "fracture":
            parts = [p.strip().lower() for p in value.split(",")]
            frac: dict[str, object] = {"vertebra": key, "height_loss_pct": float(parts[0])}
            for p in parts[1:]:
                if p in ("wedge", "crush"):
                    frac["shape"] = p
                elif p in ("acute", "chronic"):
                    frac["acute"] = p == "acute"
                else:
                    raise ValueError(f"fracture option {p!r}: use wedge|crush and acute|chronic")
            data["fractures"] = [f for f in data["fractures"] if f["vertebra"] != key]
            data["fractures"].append(frac)
        elif kind == "fat":
            data["fat_fraction"][key] = float(value)
        elif kind == "t12":
            data["include_t12"] = value.lower() in ("1", "true", "yes", "include")
        else:
            raise ValueError(
                f"unknown kind {kind!r}; expected pfirrmann, modic, herniation, stenosis, lf, "
                "listhesis, fracture, fat or t12"
            )
    except ValueError as exc:
        raise InputError(f"pathology {item!r}: {exc}") from None
