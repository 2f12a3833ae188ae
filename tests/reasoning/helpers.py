"""Small case builders for rule tests."""

from __future__ import annotations

import copy
from typing import Any

from spinepath.model.clinical import Case
from spinepath.reasoning.engine import reason_case
from spinepath.reasoning.result import ReasoningResult


def run(case: dict[str, Any]) -> ReasoningResult:
    """Reason on a case given as a dict."""
    return reason_case(Case.model_validate(case))


def with_(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """Deep copy of ``base`` with dotted-path changes: ``with_(c, **{"clinical.nrs": 3})``."""
    out = copy.deepcopy(base)
    for path, value in changes.items():
        node = out
        keys = path.split(".")
        for k in keys[:-1]:
            node = node.setdefault(k, {})
        node[keys[-1]] = value
    return out


RADICULAR = {
    "patient": {"age": 42},
    "clinical": {
        "duration_weeks": 9, "axial_pain": True, "conservative_care_weeks": 7,
        "leg_pain": {"side": "left", "below_knee": True,
                     "distribution": ["lateral calf", "dorsum of foot", "great toe"]},
        "slr": {"left": "positive"},
    },
    "imaging": {"levels": {"L4-L5": {"disc": {"pfirrmann": 3, "herniation": {
        "type": "extrusion", "zone": "left_subarticular", "size_mm": 7}}}}},
}

VERTEBROGENIC = {
    "patient": {"age": 52},
    "clinical": {"duration_weeks": 40, "pain_days_fraction_6mo": 0.9, "axial_pain": True,
                 "leg_pain": {"side": "none"}, "conservative_care_weeks": 32, "odi": 42,
                 "nrs": 7},
    "imaging": {"levels": {"L5-S1": {"disc": {"pfirrmann": 4},
                                     "endplates": {"modic": 1, "modic_extent_pct": 55}}}},
}

FACET = {
    "patient": {"age": 63},
    "clinical": {"duration_weeks": 26, "axial_pain": True, "leg_pain": {"side": "none"},
                 "provocation": {"extension_rotation_pain": True},
                 "conservative_care_weeks": 16},
    "imaging": {"levels": {"L4-L5": {"facets": {"left": 3, "right": 2, "effusion": True}}}},
}

SIJ = {
    "patient": {"age": 38},
    "clinical": {"duration_weeks": 22, "axial_pain": False,
                 "leg_pain": {"side": "left", "distribution": ["left buttock"],
                              "below_knee": False},
                 "provocation": {"sij_positive_tests": 4, "fortin_area": True,
                                 "buttock_predominant": True},
                 "conservative_care_weeks": 12},
    "imaging": {"sij": {"left": {"edema": True}}},
}

STENOSIS = {
    "patient": {"age": 72},
    "clinical": {"duration_weeks": 60, "axial_pain": True, "neurogenic_claudication": True,
                 "leg_pain": {"side": "bilateral", "distribution": ["buttocks", "thighs"],
                              "below_knee": True},
                 "conservative_care_weeks": 26},
    "imaging": {"dynamic_instability": False,
                "levels": {"L4-L5": {"canal": {"stenosis": "severe"}, "lf_thickness_mm": 6.1,
                                     "listhesis_pct": 6}}},
}

FRACTURE = {
    "patient": {"age": 78},
    "clinical": {"duration_weeks": 5, "axial_pain": True, "leg_pain": {"side": "none"},
                 "red_flags": ["minor_trauma_osteoporosis"], "osteoporosis": True,
                 "focal_tenderness": "L1", "improving": False, "conservative_care_weeks": 5},
    "imaging": {"vertebrae": {"L1": {"genant": 2, "marrow_edema": True}}},
}

ACUTE = {
    "patient": {"age": 29},
    "clinical": {"duration_weeks": 2, "axial_pain": True, "leg_pain": {"side": "none"},
                 "conservative_care_weeks": 1},
    "imaging": {"levels": {"L4-L5": {"disc": {"pfirrmann": 3, "bulge": True}}}},
}
