"""Findings per level from learned probabilities, measurements and rule grades.

Terms follow Fardon et al. 2014 (lumbar disc nomenclature 2.0) and the grading systems' own
names. Every graded item is reported, normal ones too (grade 0 / Pfirrmann 1-2), so the report
table shows what was assessed; the reasoning layer reads grades > 0 as present.
"""

from __future__ import annotations

from spinepath.grade.heads import MULTICLASS_HEADS
from spinepath.grade.listhesis import load_combiner
from spinepath.grade.ordinal import band_probabilities, grade_from_probabilities
from spinepath.grade.rules import SYSTEM_NAMES, criteria, grade_from_rule, vertebral_height_loss_pct
from spinepath.model.findings import Finding, Grade, Measurement
from spinepath.model.levels import vertebrae_of_disc

LEARNED = "learned disc grader (CNN on T2/T1 disc crops, trained on SPIDER radiologists' grades)"
BINARY_KINDS = {
    "herniation": ("disc", "herniation", "Disc herniation (protrusion or extrusion, Fardon 2014)"),
    "bulging": ("disc", "bulging", "Disc bulging (Fardon 2014)"),
    "narrowing": ("disc", "disc narrowing", "Disc height narrowing"),
}


def multiclass_grade(system: str, head: str, probs: list[float], based_on: list[str]) -> Grade:
    """A Grade over a multiclass head's classes."""
    classes = MULTICLASS_HEADS[head]
    p = {str(c): float(v) for c, v in zip(classes, probs, strict=True)}
    return grade_from_probabilities(system, p, based_on=based_on, method=LEARNED)


def binary_grade(system: str, probability: float, based_on: list[str]) -> Grade:
    """A present (1) / absent (0) Grade from a probability (present from 0.5 up)."""
    p1 = min(max(float(probability), 0.0), 1.0)
    return grade_from_probabilities(
        system, {"0": 1 - p1, "1": p1}, based_on=based_on, method=LEARNED, value=int(p1 >= 0.5)
    )


SLIP_NAMES = ("listhesis_pct", "listhesis_pct_t1")
"""Measured slips (% of the lower endplate) on the T2 and T1 mid-sagittal slices."""


def listhesis_grade(p_cnn: float, lms: list[Measurement], inputs: list[str]) -> Grade:
    """Spondylolisthesis from the grader's probability and the measured slip together
    (:mod:`spinepath.grade.listhesis`); the grader alone where no combiner tables ship."""
    combiner = load_combiner()
    if combiner is None:
        return binary_grade("spondylolisthesis", p_cnn, inputs)
    slips = [m.value for m in lms if m.name in SLIP_NAMES]
    p1 = combiner.probability(p_cnn, slips)
    return grade_from_probabilities(
        "spondylolisthesis",
        {"0": 1 - p1, "1": p1},
        based_on=[*inputs, *(n for n in SLIP_NAMES if any(m.name == n for m in lms))],
        method=LEARNED + " combined with the measured slip (spinepath.grade.listhesis)",
        value=int(p1 >= 0.5),
    )


HIZ_NAMES = ("disc_hiz_present", "disc_hiz_area_mm2", "disc_hiz_ratio_to_nucleus")
"""Measurements of the high-intensity zone (:mod:`spinepath.measure.sagittal`)."""


def hiz_grade(hms: list[Measurement]) -> Grade | None:
    """HIZ absent (0) / present (1) from the measured presence, with the probability of the focus
    ratio lying above the provisional bound (``hiz`` in criteria.yaml, N(ratio, sd)); a ratio near
    the bound, or a bright focus of inadmissible size, gives split probabilities and a review
    flag. None without HIZ measurements."""
    values = {m.name: m.value for m in hms}
    if "disc_hiz_present" not in values:
        return None
    entry = criteria()["hiz"]
    present = values["disc_hiz_present"] >= 0.5
    ratio = values.get("disc_hiz_ratio_to_nucleus")
    p1 = 0.0
    if ratio is not None:
        p1 = band_probabilities(ratio, entry["bounds"], entry["measurement_sd"])[1]
    p1 = max(p1, 0.5) if present else min(p1, 0.5)
    return grade_from_probabilities(
        SYSTEM_NAMES["hiz"],
        {"0": 1 - p1, "1": p1},
        based_on=[n for n in HIZ_NAMES if n in values],
        method=f"rule hiz: focus/nucleus ratio from {entry['bounds'][0]:g}, area "
        f"{entry['min_area_mm2']:g}-{entry['max_area_mm2']:g} mm2, provisional "
        f"({entry['source']})",
        value=int(present),
    )


STIR_SUFFIX = "_stir"
"""Suffix of the measurements taken on the sagittal STIR (or fat-saturated T2)."""


def stir_oedema_measurements(level: str, ms: list[Measurement]) -> list[Measurement]:
    """The STIR endplate-zone ratios facing disc ``level``: the inferior endplate of the body
    above and the superior endplate of the body below (``endplate_signal_ratio_*_stir``)."""
    upper, lower = vertebrae_of_disc(level)
    wanted = {
        (upper, "endplate_signal_ratio_inferior" + STIR_SUFFIX),
        (lower, "endplate_signal_ratio_superior" + STIR_SUFFIX),
    }
    return [m for m in ms if (m.level, m.name) in wanted]


def stir_oedema_grade(sms: list[Measurement]) -> Grade | None:
    """Endplate marrow oedema absent (0) / present (1) on the STIR from the larger endplate-zone /
    central-marrow ratio of the two endplates facing a disc, with the probability of it lying
    above the provisional bound (``stir_oedema`` in criteria.yaml, N(ratio, sd)); a ratio near the
    bound gives split probabilities and a review flag. None without STIR measurements."""
    if not sms:
        return None
    worst = max(sms, key=lambda m: m.value)
    grade = grade_from_rule("stir_oedema", worst.value, measurement_name=worst.name)
    return grade.model_copy(update={"based_on": [m.name for m in sms]})


def _with_stir(modic: Grade, stir: Grade | None) -> tuple[Grade, str]:
    """The Modic grade and a description suffix saying whether the STIR supports type 1; a
    learned type 2 against STIR oedema (type 1 is oedema, type 2 fat) is flagged for review."""
    if stir is None:
        return modic, ""
    oedema = stir.value == 1
    update: dict[str, object] = {"based_on": [*modic.based_on, *stir.based_on]}
    if oedema and modic.value == 2:
        update["low_confidence"] = True
    text = (
        "; STIR: endplate oedema, supports type 1"
        if oedema
        else "; STIR: no endplate oedema, does not support type 1"
    )
    if stir.low_confidence:
        text += " (STIR ratio near the bound)"
    return modic.model_copy(update=update), text


def _of(ms: list[Measurement], level: str, *prefixes: str) -> list[Measurement]:
    return [m for m in ms if m.level == level and m.name.startswith(prefixes)]


def disc_level_findings(
    level: str,
    probs: dict[str, list[float]] | None,
    ms: list[Measurement],
    *,
    has_t1: bool,
) -> list[Finding]:
    """Findings of one disc level (disc, endplates, alignment, canal)."""
    out: list[Finding] = []
    inputs = ["T2 disc crop", *(["T1 disc crop"] if has_t1 else [])]
    disc_ms = _of(ms, level, "disc_")
    upper, lower = vertebrae_of_disc(level)
    endplate_ms = [m for m in ms if m.level in (upper, lower) and m.name.startswith("endplate_")]
    stir_ms = stir_oedema_measurements(level, ms)
    stir = stir_oedema_grade(stir_ms)
    if probs is not None:
        out.append(
            Finding(
                level=level,
                structure="disc",
                kind="pfirrmann",
                grade=multiclass_grade("Pfirrmann", "pfirrmann", probs["pfirrmann"], inputs),
                measurements=disc_ms,
                description="Disc degeneration (Pfirrmann)",
            )
        )
        modic = multiclass_grade("Modic", "modic", probs["modic"], inputs)
        if not has_t1:
            modic = modic.model_copy(update={"low_confidence": True})
        modic, stir_text = _with_stir(modic, stir)
        out.append(
            Finding(
                level=level,
                structure="endplate",
                kind="modic",
                grade=modic,
                measurements=endplate_ms,
                description="Modic endplate change"
                + ("" if has_t1 else " (no T1: type uncertain)")
                + stir_text,
            )
        )
        p_def = max(probs["up_endplate"][0], probs["low_endplate"][0])
        out.append(
            Finding(
                level=level,
                structure="endplate",
                kind="endplate defect",
                grade=binary_grade("endplate defect", p_def, inputs),
                description="Endplate defect / Schmorl node (either endplate)",
            )
        )
        for head, (structure, kind, text) in BINARY_KINDS.items():
            grade = binary_grade(kind, probs[head][0], inputs)
            keep = (
                [m for m in disc_ms if "displacement" in m.name]
                if head == "herniation"
                else ([m for m in disc_ms if "height" in m.name] if head == "narrowing" else [])
            )
            out.append(
                Finding(
                    level=level,
                    structure=structure,
                    kind=kind,  # type: ignore[arg-type]
                    grade=grade,
                    measurements=keep,
                    description=text,
                )
            )
        lms = _of(ms, level, "listhesis_")
        listhesis = listhesis_grade(probs["spondylolisthesis"][0], lms, inputs)
        out.append(
            Finding(
                level=level,
                structure="alignment",
                kind="spondylolisthesis",
                grade=listhesis,
                measurements=lms,
                description="Spondylolisthesis",
            )
        )
        pct = next((m.value for m in lms if m.name == "listhesis_pct"), None)
        if listhesis.value == 1 and pct is not None:
            meyerding = grade_from_rule("meyerding", abs(pct), measurement_name="listhesis_pct")
            kind = "anterolisthesis (Meyerding)" if pct >= 0 else "retrolisthesis (Meyerding)"
            out.append(
                Finding(
                    level=level,
                    structure="alignment",
                    kind=kind,
                    grade=meyerding,
                    measurements=lms,
                    description=kind,
                )
            )
    hms = _of(ms, level, "disc_hiz_")
    hiz = hiz_grade(hms)
    if hiz is not None:
        out.append(
            Finding(
                level=level,
                structure="disc",
                kind="hiz",
                grade=hiz,
                measurements=hms,
                description="High-intensity zone (Aprill & Bogduk 1992)",
            )
        )
    if stir is not None:
        entry = criteria()["stir_oedema"]
        out.append(
            Finding(
                level=level,
                structure="endplate",
                kind="marrow oedema (STIR)",
                grade=stir,
                measurements=stir_ms,
                description="Marrow oedema next to the endplates on the sagittal STIR (zone / "
                f"central marrow from {entry['bounds'][0]:g}, provisional)",
            )
        )
    canal = _of(ms, level, "canal_ap_diameter_mm")
    if canal:
        grade = grade_from_rule(
            "central_stenosis_ap", canal[0].value, measurement_name="canal_ap_diameter_mm"
        )
        out.append(
            Finding(
                level=level,
                structure="canal",
                kind="central canal stenosis",
                grade=grade.model_copy(update={"low_confidence": True}),
                measurements=canal,
                description="Central canal AP diameter on the mid-sagittal slice "
                "(sagittal only: no dural sac area without axial images)",
            )
        )
    return out


def vertebra_findings(
    name: str, ms: list[Measurement], neighbour_posterior_mm: float | None
) -> list[Finding]:
    """Genant fracture grade of a vertebral body from its measured heights."""
    values = {m.name: m.value for m in ms if m.level == name}
    loss = vertebral_height_loss_pct(values, neighbour_posterior_mm)
    if loss is None:
        return []
    grade = grade_from_rule("genant", loss, measurement_name="vertebral_height_loss_pct")
    heights = [m for m in ms if m.level == name and m.name.startswith("vertebral_")]
    heights.append(
        Measurement(
            name="vertebral_height_loss_pct",
            value=loss,
            unit="%",
            level=name,
            method="Genant 1993: max reduction of height",
        )
    )
    return [
        Finding(
            level=name,
            structure="vertebral_body",
            kind="fracture (Genant)",
            grade=grade,
            measurements=heights,
            description="Vertebral body height loss (Genant semiquantitative grade)",
        )
    ]
