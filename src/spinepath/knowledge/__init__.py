"""Clinical knowledge as data: versioned YAML files, every entry with its source.

Each file holds ``version``, ``title`` and ``entries`` (a list of mappings, each with an ``id`` and
a ``source``; provisional facts carry ``provisional: true``). Code interprets these files; changing
a threshold is a data change. :func:`source_problems` lists entries without a source (a test fails
on any).

>>> kb = load("priors")
>>> kb.entry("or_bulge")["odds_ratio"]
7.54
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from spinepath.errors import SpinepathError

KNOWLEDGE_DIR = Path(__file__).resolve().parent
"""Folder holding the knowledge YAML files."""


class KnowledgeError(SpinepathError):
    """A knowledge file is missing, malformed, or lacks an entry the code needs."""

    exit_code = 5


@dataclass(frozen=True)
class KnowledgeFile:
    """One parsed knowledge file: its name, version, top-level data and entries by id."""

    name: str
    version: str
    title: str
    data: dict[str, Any]
    by_id: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def entries(self) -> list[dict[str, Any]]:
        """The file's entries in file order."""
        return list(self.data.get("entries", []))

    def entry(self, entry_id: str) -> dict[str, Any]:
        """The entry with this id; :class:`KnowledgeError` names the file and the fix if absent."""
        try:
            return self.by_id[entry_id]
        except KeyError:
            raise KnowledgeError(
                f"knowledge file {self.name}.yaml has no entry {entry_id!r}; "
                f"add it (with a source) or fix the reference"
            ) from None

    def value(self, entry_id: str, key: str = "value") -> Any:
        """``entry(entry_id)[key]`` with a clear error when the key is missing."""
        e = self.entry(entry_id)
        if key not in e:
            raise KnowledgeError(f"{self.name}.yaml entry {entry_id!r} has no key {key!r}")
        return e[key]

    def cite(self, entry_id: str) -> str:
        """A short citation handle ``file:id`` for reasons."""
        self.entry(entry_id)
        return f"{self.name}:{entry_id}"


def available() -> list[str]:
    """Names (without .yaml) of the knowledge files present."""
    return sorted(p.stem for p in KNOWLEDGE_DIR.glob("*.yaml"))


@functools.cache
def load(name: str) -> KnowledgeFile:
    """Load and index ``<name>.yaml`` (cached)."""
    path = KNOWLEDGE_DIR / f"{name}.yaml"
    if not path.is_file():
        raise KnowledgeError(
            f"knowledge file {path} not found; available: {', '.join(available())}"
        )
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise KnowledgeError(f"knowledge file {path} is not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise KnowledgeError(f"knowledge file {path} must hold a mapping")
    by_id: dict[str, dict[str, Any]] = {}
    for e in iter_entries(data):
        eid = str(e["id"])
        if eid in by_id:
            raise KnowledgeError(f"knowledge file {path} repeats entry id {eid!r}")
        by_id[eid] = e
    return KnowledgeFile(
        name=name,
        version=str(data.get("version", "")),
        title=str(data.get("title", "")),
        data=data,
        by_id=by_id,
    )


def load_optional(name: str) -> KnowledgeFile | None:
    """Like :func:`load` but ``None`` when the file does not exist (yet)."""
    if not (KNOWLEDGE_DIR / f"{name}.yaml").is_file():
        return None
    return load(name)


def iter_entries(node: Any) -> Iterator[dict[str, Any]]:
    """Every mapping with an ``id`` key, anywhere in a parsed knowledge tree."""
    if isinstance(node, dict):
        if "id" in node:
            yield node
        for v in node.values():
            yield from iter_entries(v)
    elif isinstance(node, list):
        for v in node:
            yield from iter_entries(v)


def source_problems(name: str) -> list[str]:
    """Problems with sources in one file: entries without ``id`` or without a non-empty source."""
    kb = load(name)
    problems: list[str] = []
    if not kb.version:
        problems.append(f"{name}.yaml: no version")
    entries = kb.data.get("entries")
    if not isinstance(entries, list) or not entries:
        problems.append(f"{name}.yaml: no 'entries' list")
        return problems
    for i, e in enumerate(entries):
        if not isinstance(e, dict) or "id" not in e:
            problems.append(f"{name}.yaml: entry #{i} has no id")
    for e in iter_entries(kb.data):
        src = e.get("source")
        if not isinstance(src, str) or not src.strip():
            problems.append(f"{name}.yaml: entry {e.get('id')!r} has no source")
        prov = e.get("provisional", False)
        if not isinstance(prov, bool):
            problems.append(f"{name}.yaml: entry {e.get('id')!r} provisional must be true/false")
    return problems


def versions() -> dict[str, str]:
    """``{file name: version}`` for every knowledge file present."""
    return {n: load(n).version for n in available()}
