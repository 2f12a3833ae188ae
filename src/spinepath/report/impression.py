"""Map a reasoning result onto the report's :class:`~spinepath.model.report.Impression`.

The reasoning layer (``spinepath.reasoning``) returns a pydantic result whose JSON follows the
vocabulary of ``shared/vignettes/README.md``::

    {"triage": "urgent" | "routine",
     "phenotype_primary": "<phenotype>",
     "pain_generator_top": {"level", "structure", "side", "root"} | null,
     "next_steps": [{"procedure", "level", "root", "side", ...}, ...],
     "flags": ["<flag>", ...],
     "incidental": [{"level", "finding"}, ...]}

plus richer keys (reasons, probabilities, phenotype confidences). This module reads that JSON
form (``model_dump()`` of any pydantic model, or a plain dict), accepting common synonyms, so the
report does not depend on the reasoning layer's internal class names. Unknown keys are ignored;
what is read is documented per function.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from spinepath.model.report import (
    Impression,
    IncidentalFinding,
    NextStep,
    PainGeneratorEntry,
    PhenotypeCall,
    ReportFlag,
)

URGENT_FLAGS = frozenset(
    {
        "cauda_equina",
        "infection_red_flag",
        "malignancy_red_flag",
        "osseous_red_flag",
        "red_flag",
    }
)
"""Flag names shown with ``urgent`` severity."""

INFO_FLAGS = frozenset({"incidental_findings", "imaging_not_indicated"})


def _as_dict(obj: Any) -> dict[str, Any]:
    if obj is None:
        return {}
    if isinstance(obj, Mapping):
        return dict(obj)
    dump = getattr(obj, "model_dump", None)
    if callable(dump):
        return dict(dump(mode="json"))
    if hasattr(obj, "__dict__"):
        return {k: v for k, v in vars(obj).items() if not k.startswith("_")}
    raise TypeError(f"cannot read a reasoning result of type {type(obj).__name__}")


def _first(d: Mapping[str, Any], *keys: str, default: Any = None) -> Any:
    for k in keys:
        if k in d and d[k] is not None:
            return d[k]
    return default


def _texts(value: Any) -> list[str]:
    """Reasons as a list of strings, from strings, lists or dicts (rule/source/finding/text)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, Mapping):
        parts = [str(value[k]) for k in ("text", "rule", "finding", "why") if value.get(k)]
        src = value.get("source")
        text = "; ".join(parts) if parts else ", ".join(f"{k}={v}" for k, v in value.items())
        return [f"{text} [{src}]" if src else text]
    if isinstance(value, Iterable):
        out: list[str] = []
        for v in value:
            out.extend(_texts(v))
        return out
    return [str(value)]


def _prob(value: Any) -> float | None:
    try:
        p = float(value)
    except (TypeError, ValueError):
        return None
    return p if 0.0 <= p <= 1.0 else None


def _name(value: Any) -> str:
    if isinstance(value, Mapping):
        return str(_first(value, "name", "phenotype", "id", "flag", default=""))
    return str(value)


def _phenotypes(d: Mapping[str, Any]) -> list[PhenotypeCall]:
    """``phenotypes`` (list of names or {name, confidence, reasons, primary}) and/or
    ``phenotype_primary`` / ``phenotype_secondary``."""
    calls: list[PhenotypeCall] = []
    primary = _first(d, "phenotype_primary", "primary_phenotype")
    primary_name = _name(primary) if primary is not None else None
    listed = _first(d, "phenotypes", default=[])
    if isinstance(listed, Mapping):  # {name: confidence}
        listed = [{"name": k, "confidence": v} for k, v in listed.items()]
    for item in listed:
        entry = _as_dict(item) if not isinstance(item, str) else {"name": item}
        name = _name(entry)
        calls.append(
            PhenotypeCall(
                name=name,
                primary=bool(entry.get("primary")) or name == primary_name,
                confidence=_prob(_first(entry, "confidence", "probability")),
                reasons=_texts(_first(entry, "reasons", "reason", "because")),
            )
        )
    names = {c.name for c in calls}
    if primary_name and primary_name not in names:
        p = _as_dict(primary) if isinstance(primary, Mapping) else {}
        calls.insert(
            0,
            PhenotypeCall(
                name=primary_name,
                primary=True,
                confidence=_prob(_first(p, "confidence", default=d.get("phenotype_confidence"))),
                reasons=_texts(_first(p, "reasons", default=d.get("phenotype_reasons"))),
            ),
        )
    for sec in _first(d, "phenotype_secondary", "phenotypes_secondary", default=[]) or []:
        if _name(sec) not in {c.name for c in calls}:
            calls.append(PhenotypeCall(name=_name(sec), primary=False))
    if calls and not any(c.primary for c in calls):
        calls[0].primary = True
    return calls


def _generator(entry: Mapping[str, Any], rank: int) -> PainGeneratorEntry:
    return PainGeneratorEntry(
        rank=int(entry.get("rank") or rank),
        structure=str(_first(entry, "structure", "kind", default="unspecified")),
        level=_first(entry, "level"),
        side=_first(entry, "side"),
        root=_first(entry, "root"),
        probability=_prob(_first(entry, "probability", "p", "score")),
        likely_incidental=bool(_first(entry, "likely_incidental", "incidental", default=False)),
        reasons=_texts(_first(entry, "reasons", "reason", "because")),
    )


def _generators(d: Mapping[str, Any]) -> list[PainGeneratorEntry]:
    """``pain_generators`` / ``ranking`` (ranked list) and/or ``pain_generator_top``."""
    ranked = _first(d, "pain_generators", "ranking", "pain_generator_ranking", default=[]) or []
    out = [_generator(_as_dict(e), i + 1) for i, e in enumerate(ranked)]
    top = d.get("pain_generator_top")
    if top and not out:
        out.append(_generator(_as_dict(top), 1))
    return sorted(out, key=lambda g: g.rank)


def _steps(d: Mapping[str, Any]) -> list[NextStep]:
    """``next_steps`` / ``pathway``: list of {procedure, level, root, side, conditions, ...}."""
    steps = _first(d, "next_steps", "pathway", "pathway_steps", default=[]) or []
    out: list[NextStep] = []
    for i, raw in enumerate(steps):
        e = _as_dict(raw) if not isinstance(raw, str) else {"procedure": raw}
        contraindications = _texts(_first(e, "contraindications", "contraindication_flags"))
        out.append(
            NextStep(
                procedure=str(_first(e, "procedure", "step", "name", default="unspecified")),
                order=int(_first(e, "order", "rank", default=i + 1)),
                level=_first(e, "level"),
                root=_first(e, "root"),
                side=_first(e, "side"),
                guidance=_first(e, "guidance", "guidance_modality"),
                conditional=bool(_first(e, "conditional", default=False)),
                conditions=_texts(_first(e, "conditions", "condition", "if", "criteria")),
                contraindications=contraindications,
                precautions=_texts(_first(e, "precautions", "cautions")),
                evidence=(str(ev) if (ev := _first(e, "evidence", "evidence_strength")) else None),
                reasons=_texts(_first(e, "reasons", "reason", "because")),
            )
        )
    return sorted(out, key=lambda s: s.order)


def _flags(d: Mapping[str, Any]) -> list[ReportFlag]:
    """``flags``: names or {name, reason, severity}; ``red_flags`` likewise (urgent)."""
    out: list[ReportFlag] = []
    for key in ("flags", "red_flags"):
        for raw in _first(d, key, default=[]) or []:
            e = _as_dict(raw) if not isinstance(raw, str) else {"name": raw}
            name = _name(e)
            severity = e.get("severity")
            if severity not in ("info", "caution", "urgent"):
                if key == "red_flags" or name in URGENT_FLAGS:
                    severity = "urgent"
                elif name in INFO_FLAGS:
                    severity = "info"
                else:
                    severity = "caution"
            out.append(ReportFlag(name=name, severity=severity, reason="; ".join(_texts(
                _first(e, "reason", "reasons", "because")))))
    return out


def _incidental(d: Mapping[str, Any]) -> list[IncidentalFinding]:
    out: list[IncidentalFinding] = []
    for raw in _first(d, "incidental", "incidental_findings", default=[]) or []:
        if isinstance(raw, str):
            level, _, finding = raw.partition(" ")
            out.append(IncidentalFinding(level=level or None, finding=finding or raw))
            continue
        e = _as_dict(raw)
        out.append(
            IncidentalFinding(
                finding=str(_first(e, "finding", "name", "kind", default="")),
                level=_first(e, "level"),
                reason="; ".join(_texts(_first(e, "reason", "reasons"))),
            )
        )
    return out


def impression_from_reasoning(result: Any) -> Impression:
    """An :class:`Impression` from a reasoning result (pydantic model or dict).

    Raises:
        TypeError: when ``result`` is neither a mapping nor a model.
        pydantic.ValidationError: when a value breaks the Impression's constraints (for example
            a triage other than ``urgent``/``routine``).
    """
    if isinstance(result, Impression):
        return result
    d = _as_dict(result)
    triage = d.get("triage")
    if isinstance(triage, Mapping):
        triage_reasons = _texts(_first(triage, "reasons", "reason"))
        triage = triage.get("level") or triage.get("value") or triage.get("triage")
    else:
        triage_reasons = _texts(d.get("triage_reasons"))
    indicated = d.get("imaging_indicated")
    return Impression(
        triage=triage,
        triage_reasons=triage_reasons,
        imaging_indicated=indicated if isinstance(indicated, bool) else None,
        phenotypes=_phenotypes(d),
        pain_generators=_generators(d),
        next_steps=_steps(d),
        flags=_flags(d),
        incidental=_incidental(d),
        summary=str(_first(d, "summary", "impression", default="")),
    )
