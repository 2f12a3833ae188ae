"""Roots: which root a disc lesion reaches, and which roots this patient's symptoms point to.

Rules come from ``knowledge/roots.yaml`` (zone rule; root map of regions, muscles, reflexes and
tension signs).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from spinepath.knowledge import load
from spinepath.model.clinical import ClinicalHistory
from spinepath.model.levels import vertebrae_of_disc
from spinepath.reasoning.result import Reason

_SIDE_WORDS = {"left", "right", "bilateral", "both", "l", "r"}
_STOP = {"of", "the", "and", "a", "to", "in", "on", "side", "aspect", "region", "area"}
_PLURALS = {
    "calves": "calf",
    "thighs": "thigh",
    "buttocks": "buttock",
    "feet": "foot",
    "toes": "toe",
    "legs": "leg",
    "knees": "knee",
    "flexors": "flexor",
    "extensors": "extensor",
    "evertors": "evertor",
    "dorsiflexors": "dorsiflexor",
    "adductors": "adductor",
    "ankles": "ankle",
    "heels": "heel",
    "soles": "sole",
    "hips": "hip",
    "shins": "shin",
}

SIDES = ("left", "right")


def words(text: str) -> frozenset[str]:
    """Lower-case word set of a region or muscle name, side and stop words removed."""
    toks = re.findall(r"[a-z0-9]+", text.lower())
    out = set()
    for t in toks:
        t = _PLURALS.get(t, t)
        if t in _SIDE_WORDS or t in _STOP:
            continue
        out.add(t)
    return frozenset(out)


def traversing_root(disc: str) -> str:
    """Root that traverses disc Ln-Ln+1: Ln+1 (``"L4-L5" -> "L5"``)."""
    return vertebrae_of_disc(disc)[1]


def exiting_root(disc: str) -> str:
    """Root that exits at disc Ln-Ln+1: Ln (``"L4-L5" -> "L4"``)."""
    return vertebrae_of_disc(disc)[0]


def roots_for_zone(disc: str, zone: str) -> list[tuple[str, str]]:
    """Roots ``(root, side)`` a herniation in this axial zone reaches (Fardon zones).

    Central -> the traversing root on both sides; paracentral/subarticular -> the traversing
    root on that side; foraminal/extraforaminal -> the exiting root on that side.
    """
    rule = load("roots").entry("zone_root_rule")
    if zone == "central":
        r = traversing_root(disc)
        return [(r, "left"), (r, "right")]
    side, _, kind = zone.partition("_")
    if kind in rule["traversing_zones"]:
        return [(traversing_root(disc), side)]
    if kind in rule["exiting_zones"]:
        return [(exiting_root(disc), side)]
    raise ValueError(f"unknown herniation zone {zone!r}")


def _sides(side: str) -> list[str]:
    return ["left", "right"] if side in ("bilateral", "central") else [side]


@dataclass
class SymptomRoots:
    """Roots implicated by the history and examination, per side, with scores and reasons.

    ``region_score[(root, side)]`` sums matched pain/sensory regions (weights from the root map);
    ``deficit`` holds (root, side) pairs with a matching motor, reflex or sensory sign;
    ``tension`` holds (root, side) pairs supported by a positive SLR / femoral stretch.
    """

    region_score: dict[tuple[str, str], float] = field(default_factory=dict)
    deficit: set[tuple[str, str]] = field(default_factory=set)
    tension: set[tuple[str, str]] = field(default_factory=set)
    saddle: bool = False
    reasons: list[Reason] = field(default_factory=list)

    def score(self, root: str, side: str) -> float:
        """Total evidence for one root on one side (regions + 1 per sign kind)."""
        s = self.region_score.get((root, side), 0.0)
        if (root, side) in self.deficit:
            s += 1.0
        if (root, side) in self.tension and s > 0:
            s += 0.5
        return s

    def dermatomal(self, min_score: float) -> list[tuple[str, str]]:
        """(root, side) pairs whose region score reaches ``min_score``."""
        return sorted(k for k, v in self.region_score.items() if v >= min_score)

    def implicated(self, min_score: float) -> list[tuple[str, str]]:
        """(root, side) pairs implicated by a dermatomal distribution or a neurological sign."""
        out = set(self.dermatomal(min_score)) | self.deficit
        return sorted(out)


def _match(text: str, items: list[dict]) -> float:
    """Best weight among root-map items whose words are all in ``text``."""
    w = words(text)
    best = 0.0
    for item in items:
        iw = words(str(item["words"]))
        if iw and iw <= w:
            best = max(best, float(item.get("weight", 1.0)))
    return best


def symptom_roots(clinical: ClinicalHistory) -> SymptomRoots:
    """Read the roots that the leg-pain distribution, deficits and tension signs point to."""
    kb = load("roots")
    root_map: dict[str, dict] = kb.entry("root_map")["roots"]
    saddle_words = [words(r) for r in kb.entry("saddle_regions")["regions"]]
    cite = kb.cite("root_map")
    out = SymptomRoots()
    leg = clinical.leg_pain
    leg_sides = _sides(leg.side) if leg.side != "none" else []
    for region in leg.distribution:
        rw = words(region)
        explicit = [s for s in SIDES if s in region.lower()]
        sides = explicit or leg_sides
        for root, spec in root_map.items():
            m = _match(region, spec.get("regions", []))
            if m > 0:
                for s in sides:
                    out.region_score[(root, s)] = out.region_score.get((root, s), 0.0) + m
                out.reasons.append(
                    Reason(text=f"pain region '{region}' lies in the {root} dermatome", rule=cite,
                           source=kb.entry("root_map")["source"])
                )
        if any(sw <= rw for sw in saddle_words):
            out.saddle = True
    for loss in clinical.neuro.sensory_loss:
        lw = words(loss.region)
        if any(sw <= lw for sw in saddle_words):
            out.saddle = True
            out.reasons.append(Reason(text=f"sensory loss in the {loss.region}: saddle area",
                                      rule="roots:saddle_regions"))
            continue
        for root, spec in root_map.items():
            if _match(loss.region, spec.get("regions", [])) >= 1.0:
                for s in _sides(loss.side):
                    out.deficit.add((root, s))
                out.reasons.append(Reason(
                    text=f"sensory loss in the {loss.region} ({loss.side}) points to {root}",
                    rule=cite))
    for weak in clinical.neuro.weakness:
        for root, spec in root_map.items():
            if _match(weak.muscle, spec.get("muscles", [])) >= 1.0:
                for s in _sides(weak.side):
                    out.deficit.add((root, s))
                out.reasons.append(Reason(
                    text=f"weakness of {weak.muscle} ({weak.side}) points to {root}", rule=cite))
    for key, value in clinical.neuro.reflexes.items():
        if str(value).lower() not in ("reduced", "absent", "diminished", "decreased"):
            continue
        name, _, side = key.rpartition("_")
        if side not in SIDES:
            name, side = key, "bilateral"
        for root, spec in root_map.items():
            if any(name.lower().startswith(r) for r in spec.get("reflexes", [])):
                for s in _sides(side):
                    out.deficit.add((root, s))
                out.reasons.append(Reason(
                    text=f"{name} reflex {value} ({side}) points to {root}", rule=cite))
    for test, results in (("slr", clinical.slr), ("femoral_stretch", clinical.femoral_stretch)):
        for side, res in results.items():
            if res != "positive":
                continue
            for root, spec in root_map.items():
                if spec.get("tension") == test:
                    out.tension.add((root, side))
            out.reasons.append(Reason(
                text=f"positive {test.replace('_', ' ')} on the {side}", rule=cite))
    return out
