"""Prebunking micro-lessons: one manipulation technique each, in kk/ru/en.

Educators write a lesson as a Markdown document in ``knowledge_base/lessons/
<technique>/<lang>.md`` and publish it with ``kelisim kb publish lesson-<technique>``
like any corpus document. A lesson has three parts, each under a heading with a
fixed anchor: ``{#explain}`` (three sentences and a ``Sources:`` line),
``{#example}`` (a made-up post, as a quotation) and ``{#quiz}`` (one question,
then three options ``- [x]``/``- [ ]``, each with its feedback indented below).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from bot.knowledge.documents import Problem, _FileProblem, read_front_matter
from bot.models import LANGS, Lang, Source
from bot.posts.taxonomy import TECHNIQUES
from bot.safety.screening import screen

_SECTION = re.compile(r"^##\s+(.+?)\s*\{#(explain|example|quiz)\}\s*$", re.MULTILINE)
_OPTION = re.compile(r"^- \[( |x|X)\]\s+(.+)$")
_SOURCES = re.compile(r"^Sources:\s*(.*)$", re.MULTILINE)
# Made-up messages quoted inside a quiz are material to recognise, like the example.
_QUOTATION = re.compile(r"“[^”]*”|«[^»]*»|\"[^\"\n]*\"")


@dataclass(frozen=True, slots=True)
class Option:
    text: str
    correct: bool
    feedback: str


@dataclass(frozen=True, slots=True)
class Lesson:
    """One lesson in one language."""

    path: Path
    id: str
    technique: str
    lang: Lang
    order: int
    title: str
    explain: str
    example: str
    question: str
    options: tuple[Option, ...]
    sources: tuple[Source, ...]
    published: bool

    @property
    def correct(self) -> int:
        return next(i for i, o in enumerate(self.options) if o.correct)


def _sections(body: str) -> dict[str, str]:
    marks = list(_SECTION.finditer(body))
    return {
        m.group(2): body[
            m.end() : marks[i + 1].start() if i + 1 < len(marks) else len(body)
        ].strip()
        for i, m in enumerate(marks)
    }


def _options(text: str) -> tuple[str, list[Option]]:
    question: list[str] = []
    options: list[Option] = []
    feedback: list[str] = []
    for line in text.splitlines():
        match = _OPTION.match(line)
        if match:
            if options:
                options[-1] = Option(options[-1].text, options[-1].correct, " ".join(feedback))
            options.append(Option(match.group(2).strip(), match.group(1) != " ", ""))
            feedback = []
        elif options:
            if line.strip():
                feedback.append(line.strip())
        else:
            question.append(line)
    if options:
        options[-1] = Option(options[-1].text, options[-1].correct, " ".join(feedback))
    return "\n".join(question).strip(), options


def parse_lesson(path: Path) -> tuple[Lesson | None, list[Problem]]:
    """Read one lesson file: the lesson (``None`` if unusable) and its problems."""
    problems: list[Problem] = []

    def err(where: str, message: str) -> None:
        problems.append(Problem(path, where, message))

    try:
        meta, body = read_front_matter(path)
    except _FileProblem as exc:
        return None, [Problem(path, exc.field, exc.message)]
    technique, lang = meta.get("technique"), meta.get("lang")
    if technique not in TECHNIQUES:
        err("technique", f"must be one of {', '.join(TECHNIQUES)}")
    if lang not in LANGS:
        err("lang", f"must be one of {', '.join(LANGS)}")
    if meta.get("status") not in ("draft", "published"):
        err("status", "must be draft or published")
    sources: dict[str, Source] = {}
    for i, item in enumerate(meta.get("sources") or [], 1):
        if not isinstance(item, dict) or not item.get("url") or not item.get("title"):
            err(f"sources[{i}]", "needs a title and a url")
            continue
        key = str(item.get("key") or i)
        sources[key] = Source(key, str(item["title"]), str(item["url"]), lang or "en")
    parts = _sections(body)
    for anchor in ("explain", "example", "quiz"):
        if not parts.get(anchor):
            err(f"{{#{anchor}}}", "section is missing or empty")
    explain = parts.get("explain", "")
    cited = _SOURCES.search(explain)
    keys = [k.strip() for k in cited.group(1).split(",") if k.strip()] if cited else []
    if not keys:
        err("{#explain}", "needs a `Sources: key, key` line naming its sources")
    for key in keys:
        if key not in sources:
            err("{#explain}", f"cites {key!r}, which is not in sources")
    explain = _SOURCES.sub("", explain).strip()
    example = "\n".join(x.lstrip("> ").rstrip() for x in parts.get("example", "").splitlines())
    question, options = _options(parts.get("quiz", ""))
    if len(options) < 2 or sum(o.correct for o in options) != 1:
        err("{#quiz}", "needs at least two options, exactly one marked [x]")
    if any(not o.feedback for o in options):
        err("{#quiz}", "every option needs its feedback on the lines below it")
    # The example (and any made-up message quoted in the quiz) is material the
    # lesson teaches to recognise; the rest is the lesson's own voice and is
    # screened like any corpus line.
    own = f"{explain}\n{question}\n" + "\n".join(f"{o.text}\n{o.feedback}" for o in options)
    for flag in screen(_QUOTATION.sub(" … ", own)):
        err("screening", str(flag))
    if problems:
        return None, problems
    assert technique in TECHNIQUES and lang in LANGS
    return (
        Lesson(
            path=path,
            id=str(meta.get("id") or f"lesson-{technique}-{lang}"),
            technique=technique,
            lang=lang,
            order=int(meta.get("order") or TECHNIQUES.index(technique) + 1),
            title=str(meta.get("title") or technique),
            explain=explain,
            example=example.strip(),
            question=question,
            options=tuple(options),
            sources=tuple(sources[k] for k in keys),
            published=meta.get("status") == "published",
        ),
        problems,
    )


@dataclass(frozen=True, slots=True)
class LessonBook:
    """The published lessons, by technique and language, in their order."""

    lessons: dict[tuple[str, Lang], Lesson]
    problems: tuple[Problem, ...] = ()

    def techniques(self) -> list[str]:
        """Techniques with a published lesson in every language, in lesson order."""
        done = [t for t in TECHNIQUES if all((t, lg) in self.lessons for lg in LANGS)]
        return sorted(done, key=lambda t: self.lessons[(t, "en")].order)

    def get(self, technique: str, lang: Lang) -> Lesson | None:
        if technique not in self.techniques():
            return None
        return self.lessons.get((technique, lang))

    def next_after(self, technique: str) -> str | None:
        order = self.techniques()
        if technique not in order:
            return None
        i = order.index(technique)
        return order[i + 1] if i + 1 < len(order) else None


def lessons_version(folder: Path) -> tuple[tuple[str, int, int], ...]:
    """Names, sizes and modification times of the lesson files: changes when one does."""
    out = []
    for path in sorted(folder.glob("*/*.md")) if folder.is_dir() else []:
        try:
            stat = path.stat()
        except OSError:
            continue
        out.append((str(path), stat.st_size, stat.st_mtime_ns))
    return tuple(out)


def load_lessons(folder: Path) -> LessonBook:
    """Every lesson file under ``folder``; only published, valid lessons are served."""
    lessons: dict[tuple[str, Lang], Lesson] = {}
    problems: list[Problem] = []
    for path in sorted(folder.glob("*/*.md")) if folder.is_dir() else []:
        lesson, found = parse_lesson(path)
        problems += found
        if lesson is not None and lesson.published:
            lessons[(lesson.technique, lesson.lang)] = lesson
    return LessonBook(lessons, tuple(problems))
