"""``kb publish`` and ``kb unpublish``: change a document's status in place.

Only the ``status``, ``reviewed_by`` and ``reviewed_at`` lines change; the new
version is validated as a published document before it replaces the old one, so
a document with TODOs, bad sources or the wrong language cannot be published.

A reply quotes a unit in the asker's language, so a unit is served only when its
kk, ru and en versions are all published. Publishing one language therefore
checks that the other two are published (or are published with it: pass the
group, e.g. ``secular-state``, to publish all three at once), and withdrawing one
language withdraws the group's other versions too.

Lessons (``knowledge_base/lessons/<technique>/<lang>.md``, ids ``lesson-<technique>``)
are published the same way, validated as lessons.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.curation import files
from bot.errors import CorpusError
from bot.knowledge.documents import Problem, parse_document
from bot.knowledge.screening_check import document_problems
from bot.models import LANGS
from bot.posts.lessons import parse_lesson
from bot.settings import Settings


class PublishError(CorpusError):
    """The document would not be valid once published; ``problems`` says why."""

    def __init__(self, path: Path, problems: list[Problem]) -> None:
        self.problems = problems
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"{path} cannot be published until these are fixed:\n{lines}")


@dataclass(slots=True)
class StatusChange:
    """The outcome of a publish or unpublish."""

    path: Path
    doc_id: str
    status: str
    changed: bool
    warnings: list[Problem] = field(default_factory=list)


# Lesson ids (``lesson-<technique>``) are published from the lessons folder.
LESSON_PREFIX = "lesson-"


def _doc_id(path: Path) -> str | None:
    try:
        head, _ = files.split_front_matter(path.read_text(encoding="utf-8"))
        meta = yaml.safe_load("".join(head))
    except (CorpusError, yaml.YAMLError, OSError, UnicodeDecodeError):
        return None
    return str(meta.get("id")) if isinstance(meta, dict) and meta.get("id") else None


def _group_documents(corpus_dir: Path, path: Path) -> list[Path]:
    """The kk/ru/en files beside ``path`` (a group is a folder)."""
    return sorted(p for p in path.parent.glob("*.md") if p.name.lower() != "readme.md")


def find_documents(corpus_dir: Path, doc_or_group: str) -> list[Path]:
    """The document with that id, or every document of the group with that name."""
    folder = corpus_dir / doc_or_group
    if "/" not in doc_or_group and folder.is_dir() and folder.parent == corpus_dir:
        paths = _group_documents(corpus_dir, folder / "x.md")
        if paths:
            return paths
    return [find_document(corpus_dir, doc_or_group)]


def _missing_translations(path: Path, publishing: set[Path]) -> list[Problem]:
    """Units of ``path`` whose other-language versions would not be published."""
    doc, _ = parse_document(path)
    if doc is None:
        return []
    versions: dict[str, set[str]] = {}
    for other in _group_documents(path.parent.parent, path):
        if other == path:
            continue
        sibling, _ = parse_document(other)
        if sibling is not None and (sibling.published or other in publishing):
            versions[sibling.lang] = {u.anchor for u in sibling.units}
    problems = []
    for unit in doc.units:
        missing = [
            lg for lg in LANGS if lg != doc.lang and unit.anchor not in versions.get(lg, set())
        ]
        if missing:
            problems.append(
                Problem(
                    path,
                    f"{{#{unit.anchor}}}",
                    f"needs a published {'/'.join(missing)} version: publish the whole topic "
                    f"at once with `kelisim kb publish {doc.group}`",
                )
            )
    return problems


def find_document(corpus_dir: Path, doc_id: str) -> Path:
    """The file whose front matter has ``id: doc_id``."""
    for path in sorted(corpus_dir.rglob("*.md")):
        if path.name.lower() != "readme.md" and _doc_id(path) == doc_id:
            return path
    raise CorpusError(
        f"no document with id {doc_id!r} in {corpus_dir} (`kelisim kb list` shows the ids)"
    )


def _status(text: str) -> str:
    head, _ = files.split_front_matter(text)
    meta = yaml.safe_load("".join(head)) or {}
    return str(meta.get("status") or "") if isinstance(meta, dict) else ""


def _draft_todos(path: Path, known: list[Problem]) -> list[Problem]:
    """TODOs the draft still has that the refusal did not get to (the body is checked
    only once the front matter is valid), so that the educator sees them all at once."""
    seen = {(p.field, p.message) for p in known}
    _, found = parse_document(path)
    return [
        Problem(path, p.field, p.message)
        for p in found
        if "TODO" in p.message and (p.field, p.message) not in seen
    ]


def publish(
    corpus_dir: Path,
    doc_id: str,
    reviewer: str,
    *,
    today: dt.date | None = None,
    settings: Settings | None = None,
) -> list[StatusChange]:
    """Mark a document (or a whole group) published by ``reviewer`` today.

    Nothing changes unless every document would be valid once published (the
    screening model, read from ``settings``, included) and every unit would have
    its three language versions published.
    """
    return _publish(
        find_documents(corpus_dir, doc_id),
        doc_id,
        reviewer,
        today,
        lessons=False,
        settings=settings,
    )


def publish_lesson(
    lessons_dir: Path, lesson_id: str, reviewer: str, *, today: dt.date | None = None
) -> list[StatusChange]:
    """Publish a lesson (``lesson-takfir``: all three languages, or ``lesson-takfir-kk``).

    A lesson is shown only once its kk, ru and en versions are all published.
    """
    return _publish(find_lessons(lessons_dir, lesson_id), lesson_id, reviewer, today, lessons=True)


def is_lesson(doc_id: str) -> bool:
    return doc_id.startswith(LESSON_PREFIX)


def find_lessons(lessons_dir: Path, lesson_id: str) -> list[Path]:
    """The files of ``lesson-<technique>`` or of ``lesson-<technique>-<lang>``."""
    name = lesson_id.removeprefix(LESSON_PREFIX)
    folder = lessons_dir / name
    if name and "/" not in name and folder.is_dir():
        return sorted(folder.glob("*.md"))
    technique, _, lang = name.rpartition("-")
    path = lessons_dir / technique / f"{lang}.md"
    if technique and "/" not in technique and path.is_file():
        return [path]
    known = ", ".join(LESSON_PREFIX + p.name for p in sorted(lessons_dir.iterdir()) if p.is_dir())
    raise CorpusError(f"no lesson {lesson_id!r} in {lessons_dir} (lessons: {known or 'none'})")


def _publish(
    paths: list[Path],
    doc_id: str,
    reviewer: str,
    today: dt.date | None,
    *,
    lessons: bool,
    settings: Settings | None = None,
) -> list[StatusChange]:
    reviewer = " ".join(reviewer.split())
    if not reviewer:
        raise CorpusError("--reviewer must name the person who reviewed the document")
    fields: dict[str, str | dt.date | None] = {
        "status": "published",
        "reviewed_by": reviewer,
        "reviewed_at": today or dt.date.today(),
    }
    staged: list[tuple[Path, str, str, list[Problem]]] = []
    for path in paths:
        text = path.read_text(encoding="utf-8")
        new = files.update_front_matter(text, fields)
        with files.staged(path, new) as tmp:
            found = parse_lesson(tmp)[1] if lessons else document_problems(tmp, settings)
        problems = [Problem(path, p.field, p.message, p.severity) for p in found]
        errors = [p for p in problems if p.severity == "error"]
        if errors:
            raise PublishError(path, errors if lessons else errors + _draft_todos(path, errors))
        staged.append((path, text, new, problems))
    for path, _, new, _ in staged:
        if lessons:
            break
        with files.staged(path, new) as tmp:
            missing = _missing_translations(tmp, set(paths))
        if missing:
            raise PublishError(path, missing)
    changes = []
    for path, text, new, problems in staged:
        with files.staged(path, new) as tmp:
            files.commit(tmp, path, overwrite=True)
        changes.append(
            StatusChange(
                path,
                _doc_id(path) or doc_id,
                "published",
                _status(text) != "published",
                [p for p in problems if p.severity == "warning"],
            )
        )
    return changes


def unpublish(
    corpus_dir: Path, doc_id: str, *, lessons_dir: Path | None = None
) -> list[StatusChange]:
    """Return a document (or a lesson) and its other-language versions to ``draft``.

    A unit or a lesson is served only in all three languages, so withdrawing one
    version withdraws the topic. The last review stays on record.
    """
    if lessons_dir is not None and is_lesson(doc_id):
        paths = find_lessons(lessons_dir, doc_id)
        corpus_dir = lessons_dir
    else:
        paths = find_documents(corpus_dir, doc_id)
    changes = []
    for path in sorted({p for first in paths for p in _group_documents(corpus_dir, first)}):
        text = path.read_text(encoding="utf-8")
        changed = _status(text) != "draft"
        if changed:
            with files.staged(path, files.update_front_matter(text, {"status": "draft"})) as tmp:
                files.commit(tmp, path, overwrite=True)
        changes.append(StatusChange(path, _doc_id(path) or doc_id, "draft", changed))
    return changes
