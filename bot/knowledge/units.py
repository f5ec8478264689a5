"""Answer units: the self-contained, sourced answers a corpus document is made of.

A document's body is a ``# Title`` followed by units, each written in plain
Markdown so that educators need no tooling::

    ## Does secular mean atheist? {#not-atheist}

    No. A secular state ... (2–5 sentences that answer the heading on their own)

    > «An example phrase, only in units that teach how to recognise one.»

    Also asked:
    - does secular mean no religion
    - ...

    Sources: constitution-2026, religion-law

The anchor (``not-atheist``) is the unit's id within its group and is the same
in the kk, ru and en files, so ``secular-state/not-atheist`` names one answer in
three languages. The ``Sources:`` keys refer to the document's front-matter
sources: a unit cites only what supports it, which is what a reply shows.

Lines starting with ``>`` are *examples* (what a recruiter says, a sample post):
they are kept as quotations inside their unit and never shown as advice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from bot.models import Lang

MIN_ALTERNATIVES = 3
MAX_WORDS, HARD_MAX_WORDS = 120, 160
MIN_WORDS = 12
_ANCHOR = re.compile(r"^[a-z0-9][a-z0-9-]{0,60}$")
_HEADING = re.compile(r"^##\s+(?P<question>.+?)\s*(?:\{#(?P<anchor>[^}\s]*)\})?\s*$")
ALSO_ASKED = ("also asked", "также спрашивают", "тағы сұрайды")
SOURCES = ("sources", "источники", "дереккөздер")
_LABEL = re.compile(r"^\s*(?P<label>[^\W\d_][\w ]*?)\s*:\s*(?P<rest>.*)$")
_MD_INLINE = re.compile(r"(\*\*|__|`)")
_MD_LINK = re.compile(r"\[([^\]]+)\]\((?:[^)]+)\)")


@dataclass(frozen=True, slots=True)
class UnitProblem:
    """Something wrong with one unit: ``where`` is ``line N`` or ``unit ANCHOR``."""

    where: str
    message: str
    severity: Literal["error", "warning"] = "error"


@dataclass(frozen=True, slots=True)
class Unit:
    """One answer unit in one language.

    ``body`` is the text shown to the user: prose paragraphs joined into one
    paragraph each, example lines kept on their own lines as quotations.
    """

    group: str
    anchor: str
    lang: Lang
    question: str
    body: str
    alternatives: tuple[str, ...]
    source_keys: tuple[str, ...]
    position: int
    examples: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        """The unit id shared by its kk, ru and en versions."""
        return f"{self.group}/{self.anchor}"

    @property
    def phrasings(self) -> tuple[str, ...]:
        """Every way of asking this unit's question: the heading first."""
        return (self.question, *self.alternatives)

    @property
    def words(self) -> int:
        return len(re.findall(r"\w+", self.body))


def _plain(text: str) -> str:
    return _MD_INLINE.sub("", _MD_LINK.sub(r"\1", text)).strip()


def _label(line: str) -> tuple[str, str] | None:
    """``("also asked", rest)`` or ``("sources", rest)`` for a label line, else None."""
    match = _LABEL.match(line)
    if not match:
        return None
    label = match["label"].strip().lower()
    if label in ALSO_ASKED:
        return "also asked", match["rest"].strip()
    if label in SOURCES:
        return "sources", match["rest"].strip()
    return None


def parse_units(
    body: str, group: str, lang: Lang, *, line_offset: int = 0
) -> tuple[list[Unit], list[UnitProblem]]:
    """The units of a document body, with every problem found in them.

    ``line_offset`` is the number of front-matter lines, so that problems name the
    line of the file an educator sees in an editor.
    """
    units: list[Unit] = []
    problems: list[UnitProblem] = []
    sections: list[tuple[int, str, list[str]]] = []
    for number, line in enumerate(body.splitlines(), 1 + line_offset):
        if line.startswith("## "):
            sections.append((number, line, []))
        elif sections:
            sections[-1][2].append(line)
    if not sections:
        problems.append(
            UnitProblem("body", "has no units: write each answer under a `## Question? {#id}`")
        )
    seen: set[str] = set()
    for number, heading, lines in sections:
        unit, found = _parse_unit(number, heading, lines, group, lang, len(units))
        problems.extend(found)
        if unit is None:
            continue
        if unit.anchor in seen:
            problems.append(
                UnitProblem(f"line {number}", f"anchor {{#{unit.anchor}}} is used twice")
            )
            continue
        seen.add(unit.anchor)
        units.append(unit)
    return units, problems


def _parse_unit(
    number: int, heading: str, lines: list[str], group: str, lang: Lang, position: int
) -> tuple[Unit | None, list[UnitProblem]]:
    where = f"line {number}"
    problems: list[UnitProblem] = []
    match = _HEADING.match(heading)
    question = _plain(match["question"]) if match else heading[3:].strip()
    anchor = (match["anchor"] if match else None) or ""
    if not anchor:
        problems.append(
            UnitProblem(
                where, f"the heading {question!r} needs an id: add {{#short-name}} at its end"
            )
        )
        return None, problems
    if not _ANCHOR.match(anchor):
        problems.append(
            UnitProblem(where, f"id {{#{anchor}}}: use lowercase latin letters, digits and hyphens")
        )
        return None, problems
    paragraphs: list[str] = []
    examples: list[str] = []
    alternatives: list[str] = []
    keys: list[str] = []
    mode = "body"
    current: list[str] = []

    def flush() -> None:
        if current:
            paragraphs.append(" ".join(current))
            current.clear()

    for line in lines:
        stripped = line.strip()
        label = _label(stripped) if not stripped.startswith(("-", ">")) else None
        if label is not None:
            flush()
            mode = label[0]
            if mode == "sources":
                keys.extend(k.strip() for k in label[1].split(",") if k.strip())
            elif label[1]:
                alternatives.append(_plain(label[1]))
            continue
        if not stripped:
            flush()
            continue
        if mode == "also asked" and stripped[:1] in "-*":
            alternatives.append(_plain(stripped[1:]))
        elif mode == "sources":
            keys.extend(k.strip(" -*") for k in stripped.split(",") if k.strip(" -*"))
        elif stripped.startswith(">"):
            flush()
            example = _plain(stripped.lstrip("> ").strip())
            if example:
                examples.append(example)
                paragraphs.append(example)
        elif stripped.startswith("#"):
            problems.append(UnitProblem(where, "a unit cannot contain sub-headings"))
        else:
            current.append(_plain(re.sub(r"^\s*(?:[-*+•]|\d+[.)])\s+", "", stripped)))
    flush()
    body = "\n".join(paragraphs).strip()
    unit = Unit(
        group=group,
        anchor=anchor,
        lang=lang,
        question=question,
        body=body,
        alternatives=tuple(a for a in alternatives if a),
        source_keys=tuple(dict.fromkeys(keys)),
        position=position,
        examples=tuple(examples),
    )
    problems.extend(_unit_problems(unit, where))
    return unit, problems


def _unit_problems(unit: Unit, where: str) -> list[UnitProblem]:
    problems: list[UnitProblem] = []
    name = f"{where} {{#{unit.anchor}}}"
    words = unit.words
    if not unit.body:
        problems.append(UnitProblem(name, "has no answer text"))
    elif words < MIN_WORDS or words > HARD_MAX_WORDS:
        problems.append(
            UnitProblem(name, f"answer has {words} words; write {MIN_WORDS}–{MAX_WORDS}")
        )
    elif words > MAX_WORDS:
        problems.append(
            UnitProblem(name, f"answer has {words} words; aim for at most {MAX_WORDS}", "warning")
        )
    if len(unit.alternatives) < MIN_ALTERNATIVES:
        problems.append(
            UnitProblem(
                name,
                f"has {len(unit.alternatives)} other phrasings under 'Also asked:'; "
                f"write at least {MIN_ALTERNATIVES}",
            )
        )
    if not unit.source_keys:
        problems.append(UnitProblem(name, "has no 'Sources:' line: every unit cites its sources"))
    for example in unit.examples:
        if not re.search(r"[«“\"].+[»”\"]", example):
            problems.append(
                UnitProblem(name, f"example {example[:40]!r}… must be inside «…» or “…” quotes")
            )
    return problems


def front_matter_lines(path: Path) -> int:
    """How many lines the front matter takes (to report body lines as file lines)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return 0
    if not lines or lines[0].strip() != "---":
        return 0
    for i, line in enumerate(lines[1:], 2):
        if line.strip() == "---":
            # the body starts after the closing line; frontmatter strips one blank line
            return i
    return 0


__all__ = ["Unit", "UnitProblem", "parse_units"]
