"""Pathology specification: CLI strings, YAML, and the errors for bad values."""

from __future__ import annotations

import pytest

from spinepath.errors import InputError
from spinepath.phantom.spec import PathologySpec


def test_cli_strings_parse_into_the_model():
    spec = PathologySpec.from_strings([
        "pfirrmann:L4-L5=4", "modic:L5-S1=1", "modic:L3.inferior=2",
        "herniation:L4-L5=extrusion,left_subarticular,7", "stenosis:L3-L4=80",
        "lf:L4-L5=5.5", "listhesis:L5-S1=12", "fracture:L1=30,crush,chronic",
        "fat:multifidus=0.3", "fat:psoas.left=0.1",
    ])
    assert spec.pfirrmann == {"L4-L5": 4}
    assert {(m.endplate, m.type) for m in spec.modic} == {
        ("L5.inferior", 1), ("S1.superior", 1), ("L3.inferior", 2)}
    (h,) = spec.herniations
    assert (h.level, h.type, h.zone, h.side, h.size_mm) == (
        "L4-L5", "extrusion", "subarticular", "left", 7.0)
    assert spec.stenosis_area_mm2 == {"L3-L4": 80.0}
    assert spec.lf_thickness_mm == {"L4-L5": 5.5}
    assert spec.listhesis_pct == {"L5-S1": 12.0}
    (f,) = spec.fractures
    assert (f.vertebra, f.height_loss_pct, f.shape, f.acute) == ("L1", 30.0, "crush", False)
    assert spec.fat_fraction == {"multifidus": 0.3, "psoas.left": 0.1}


def test_central_herniation_has_no_side():
    spec = PathologySpec.from_strings(["herniation:L5-S1=protrusion,central,4"])
    assert spec.herniations[0].side == "central"


@pytest.mark.parametrize("bad", [
    "pfirrmann:L4-L5=6",          # grade out of range
    "pfirrmann:L6-S1=2",          # unknown level
    "modic:L4-L5=4",              # Modic type out of range
    "modic:S1.inferior=1",        # not an endplate in the phantom
    "herniation:L4-L5=extrusion,left_central,7",   # unknown zone
    "herniation:L4-L5=bulge,central,3",            # not a herniation type
    "stenosis:L4-L5=5",           # area out of range
    "fracture:S1=30",             # sacrum cannot fracture
    "fat:gluteus=0.2",            # unknown muscle
    "nonsense",                   # not KIND:KEY=VALUE
    "tumour:L3=1",                # unknown kind
])
def test_bad_strings_raise_input_error_naming_the_item(bad):
    with pytest.raises(InputError) as exc:
        PathologySpec.from_strings([bad])
    assert "pathology" in str(exc.value)


def test_yaml_file(tmp_path):
    p = tmp_path / "spec.yaml"
    p.write_text("pfirrmann:\n  L5-S1: 3\nlisthesis_pct:\n  L4-L5: 10\n"
                 "pathology:\n  - modic:L5-S1=2\n")
    spec = PathologySpec.from_yaml(p)
    assert spec.pfirrmann == {"L5-S1": 3}
    assert spec.listhesis_pct == {"L4-L5": 10.0}
    assert len(spec.modic) == 2


def test_yaml_errors_are_input_errors(tmp_path):
    p = tmp_path / "spec.yaml"
    p.write_text("pfirrmann: {L4-L5: 9}\n")
    with pytest.raises(InputError):
        PathologySpec.from_yaml(p)
