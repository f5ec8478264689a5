"""Curated rules: editable YAML of regular expressions with a decision each."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml

from bot.datafiles import load_yaml
from bot.errors import ConfigurationError
from bot.models import Decision

Scope = Literal["input", "output", "both"]


_ANCHORS = ("^", "$", "\\A", "\\Z")


@dataclass(frozen=True, slots=True)
class Rule:
    """A rule fires when every condition matches and no ``unless`` pattern does."""

    id: str
    decision: Decision
    category: str
    conditions: tuple[re.Pattern[str], ...]
    unless: re.Pattern[str] | None
    scope: Scope = "input"
    # ``unless_anywhere``: patterns that excuse the whole message when any part of it
    # has them, so no single sentence of it can match either ("«Halal investments»
    # at 30% a month. How do I tell it is a pyramid?" asks about fraud).
    unless_anywhere: re.Pattern[str] | None = None
    # A condition is tied to the start or end of the text (``^``, ``$``, ``\\A``, ``\\Z``;
    # a ``^`` inside a character class counts too, which only costs time). An
    # unanchored rule can match a part of a text only where its conditions hold on
    # the whole text, which lets the policy skip trying it sentence by sentence.
    anchored: bool = field(init=False)

    def __post_init__(self) -> None:
        anchored = any(t in c.pattern for c in self.conditions for t in _ANCHORS)
        object.__setattr__(self, "anchored", anchored)

    def matches(self, text: str) -> bool:
        low = text.lower()
        if not self._holds(low):
            return False
        return not (self.unless and self.unless.search(low))

    def excused(self, text: str) -> bool:
        """An ``unless_anywhere`` pattern occurs in ``text`` (the whole message)."""
        return bool(self.unless_anywhere and self.unless_anywhere.search(text.lower()))

    def holds(self, text: str) -> bool:
        """Every condition matches (``unless`` aside)."""
        return self._holds(text.lower())

    def _holds(self, low: str) -> bool:
        return all(cond.search(low) for cond in self.conditions)


def _compile(patterns: list[str], where: str) -> re.Pattern[str]:
    """One pattern for ``patterns``, matched against lower-cased text.

    Rules are written in lower case and the text is lower-cased before matching:
    that is several times faster than ``re.IGNORECASE`` on a long message (which
    keeps the policy's cost per message low). A pattern with an upper-case letter
    of its own keeps ``re.IGNORECASE``, so it still matches.
    """
    joined = "|".join(f"(?:{p})" for p in patterns)
    flags = re.IGNORECASE if _has_upper_literal(joined) else 0
    try:
        return re.compile(joined, flags)
    except re.error as exc:
        raise ConfigurationError(f"{where}: bad regular expression: {exc}") from exc


def _has_upper_literal(pattern: str) -> bool:
    """An upper-case letter in ``pattern`` that is not part of an escape (``\\b``, ``\\W``)."""
    escaped = False
    for char in pattern:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char != char.lower():
            return True
    return False


def load_rules(path: Path) -> list[Rule]:
    """Read and compile ``rules.yaml``; a bad pattern names its rule.

    Compiling the patterns takes a noticeable part of a start-up, and the input
    policy and the output screening both need them: a file is compiled once per
    process for as long as it does not change.
    """
    try:
        stat = path.stat()
    except OSError as exc:
        raise ConfigurationError(f"{path}: cannot be read: {exc}") from exc
    return list(_compiled(path.resolve(), stat.st_mtime_ns, stat.st_size))


def _expanded(cond: str | list[str], sets: dict[str, list[str]], where: str) -> list[str]:
    """A condition's patterns, with each ``@SET`` replaced by the set's patterns."""
    items = [cond] if isinstance(cond, str) else list(cond)
    patterns: list[str] = []
    for item in items:
        if item.startswith("@"):
            if item[1:] not in sets:
                raise ConfigurationError(f"{where}: unknown set {item}")
            patterns.extend(sets[item[1:]])
        else:
            patterns.append(item)
    return patterns


@lru_cache(maxsize=8)
def _compiled(path: Path, _mtime_ns: int, _size: int) -> tuple[Rule, ...]:
    try:
        data = load_yaml(path) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigurationError(f"{path}: cannot be read: {exc}") from exc
    sets: dict[str, list[str]] = data.get("sets") or {}
    rules = []
    for i, raw in enumerate(data.get("rules") or [], 1):
        where = f"{path}: rules[{i}] ({raw.get('id', '?')})"
        conditions = [
            _compile(_expanded(cond, sets, where), where) for cond in raw.get("all") or []
        ]
        if not conditions:
            raise ConfigurationError(f"{where}: needs at least one condition under `all`")
        try:
            decision = Decision(raw["decision"])
        except (KeyError, ValueError) as exc:
            raise ConfigurationError(
                f"{where}: decision must be one of {', '.join(d.value for d in Decision)}"
            ) from exc
        unless = (
            _compile(_expanded(raw["unless"], sets, where), where) if raw.get("unless") else None
        )
        anywhere = (
            _compile(_expanded(raw["unless_anywhere"], sets, where), where)
            if raw.get("unless_anywhere")
            else None
        )
        rules.append(
            Rule(
                str(raw["id"]),
                decision,
                str(raw.get("category") or ""),
                tuple(conditions),
                unless,
                raw.get("scope", "input"),
                anywhere,
            )
        )
    return tuple(rules)
