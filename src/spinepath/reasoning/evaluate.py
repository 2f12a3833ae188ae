"""Compare a reasoning result with a vignette's ``expected`` block (shared/vignettes/README.md).

Semantics: ``triage`` and ``phenotype_primary`` equal; ``pain_generator_top`` only the stated
keys; ``next_step_includes`` each listed procedure recommended; ``next_step_excludes`` none of
them recommended; ``next_step_includes_any`` at least one; ``next_step_targets`` a recommended step
with that procedure carries the stated values; ``flags_include`` each flag raised; ``incidental``
each 'LEVEL finding' matches a result entry with that level whose finding names it (case, spaces
and underscores ignored). One check per listed item; a vignette passes when all its checks do.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from spinepath.errors import InputError
from spinepath.model.clinical import load_case
from spinepath.reasoning.result import ReasoningResult

KNOWN_KEYS = {"triage", "phenotype_primary", "pain_generator_top", "next_step_includes",
              "next_step_excludes", "next_step_includes_any", "next_step_targets",
              "flags_include", "incidental"}


class Check(BaseModel):
    """One expectation check."""

    key: str
    expected: Any
    actual: Any = None
    passed: bool


class CaseReport(BaseModel):
    """All checks of one vignette."""

    id: str
    file: str
    passed: bool
    n_checks: int
    n_passed: int
    checks: list[Check] = Field(default_factory=list)
    error: str | None = None


class EvaluationReport(BaseModel):
    """Pass counts over a folder of vignettes."""

    n_cases: int
    n_cases_passed: int
    n_checks: int
    n_checks_passed: int
    cases: list[CaseReport]


def _norm(s: str) -> str:
    return re.sub(r"[\s_\-()]+", "", str(s).lower())


def compare(expected: dict[str, Any], result: ReasoningResult) -> list[Check]:
    """Checks of one result against one ``expected`` block (only stated keys)."""
    checks: list[Check] = []
    procs = result.procedures()
    for key, exp in expected.items():
        if key in ("triage", "phenotype_primary"):
            act = getattr(result, key)
            checks.append(Check(key=key, expected=exp, actual=act, passed=act == exp))
        elif key == "pain_generator_top":
            top = result.pain_generator_top or {}
            for k, v in (exp or {}).items():
                act = top.get(k)
                checks.append(Check(key=f"{key}.{k}", expected=v, actual=act, passed=act == v))
        elif key == "next_step_includes":
            for p in exp:
                checks.append(Check(key=key, expected=p, actual=procs, passed=p in procs))
        elif key == "next_step_excludes":
            for p in exp:
                checks.append(Check(key=key, expected=p, actual=procs, passed=p not in procs))
        elif key == "next_step_includes_any":
            checks.append(Check(key=key, expected=exp, actual=procs,
                                passed=any(p in procs for p in exp)))
        elif key == "next_step_targets":
            for t in exp:
                ok = any(s.procedure == t.get("procedure") and all(
                    getattr(s, k, None) == v for k, v in t.items() if k != "procedure")
                    for s in result.next_steps)
                act = [s.model_dump(include={"procedure", "level", "root", "side"})
                       for s in result.next_steps if s.procedure == t.get("procedure")]
                checks.append(Check(key=key, expected=t, actual=act, passed=ok))
        elif key == "flags_include":
            for fl in exp:
                checks.append(Check(key=key, expected=fl, actual=result.flags,
                                    passed=fl in result.flags))
        elif key == "incidental":
            got = [f"{i.level} {i.finding}" for i in result.incidental]
            for item in exp:
                level, _, finding = str(item).partition(" ")
                ok = any(i.level == level and _norm(finding) in _norm(i.finding)
                         for i in result.incidental)
                checks.append(Check(key=key, expected=item, actual=got, passed=ok))
        else:
            checks.append(Check(key=key, expected=exp, actual="unknown expectation key",
                                passed=False))
    return checks


def evaluate_dir(folder: str | Path) -> EvaluationReport:
    """Run :func:`~spinepath.reasoning.reason` on every ``*.yaml``/``*.json`` case in a folder."""
    from spinepath.reasoning.engine import reason_case

    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"{folder} is not a folder; give a folder of vignette YAML files")
    files = sorted(p for p in folder.iterdir()
                   if p.suffix.lower() in (".yaml", ".yml", ".json") and p.is_file())
    if not files:
        raise InputError(f"{folder} holds no .yaml or .json case files")
    cases: list[CaseReport] = []
    for p in files:
        try:
            case = load_case(p)
            result = reason_case(case)
            checks = compare(case.expected or {}, result)
            n_ok = sum(c.passed for c in checks)
            cases.append(CaseReport(id=case.id or p.stem, file=p.name,
                                    passed=n_ok == len(checks), n_checks=len(checks),
                                    n_passed=n_ok, checks=checks))
        except Exception as exc:  # a broken case is a failed case, not a crash
            cases.append(CaseReport(id=p.stem, file=p.name, passed=False, n_checks=0,
                                    n_passed=0, error=f"{type(exc).__name__}: {exc}"))
    return EvaluationReport(
        n_cases=len(cases), n_cases_passed=sum(c.passed for c in cases),
        n_checks=sum(c.n_checks for c in cases),
        n_checks_passed=sum(c.n_passed for c in cases), cases=cases)
