"""``kb publish`` and ``kb unpublish``: change a document's status in place.

Only the ``status``, ``reviewed_by`` and ``reviewed_at`` lines change; the new
version is validated as a published document before it replaces the old one, so
a document with TODOs, bad sources or the wrong language cannot be published.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.curation import files
from bot.errors import CorpusError
from bot.knowledge.documents import Problem, parse_document


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


def _doc_id(path: Path) -> str | None:
    try:
        head, _ = files.split_front_matter(path.read_text(encoding="utf-8"))
        meta = yaml.safe_load("".join(head))
    except (CorpusError, yaml.YAMLError, OSError, UnicodeDecodeError):
        return None
    return str(meta.get("id")) if isinstance(meta, dict) and meta.get("id") else None


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
    corpus_dir: Path, doc_id: str, reviewer: str, *, today: dt.date | None = None
) -> StatusChange:
    """Mark a document published by ``reviewer`` today; refuse if it would be invalid."""
    reviewer = " ".join(reviewer.split())
    if not reviewer:
        raise CorpusError("--reviewer must name the person who reviewed the document")
    path = find_document(corpus_dir, doc_id)
    text = path.read_text(encoding="utf-8")
    new = files.update_front_matter(
        text,
        {"status": "published", "reviewed_by": reviewer, "reviewed_at": today or dt.date.today()},
    )
    with files.staged(path, new) as tmp:
        _, found = parse_document(tmp)
        problems = [Problem(path, p.field, p.message, p.severity) for p in found]
        errors = [p for p in problems if p.severity == "error"]
        if errors:
            raise PublishError(path, errors + _draft_todos(path, errors))
        files.commit(tmp, path, overwrite=True)
    return StatusChange(
        path,
        doc_id,
        "published",
        _status(text) != "published",
        [p for p in problems if p.severity == "warning"],
    )


def unpublish(corpus_dir: Path, doc_id: str) -> StatusChange:
    """Return a document to ``draft`` (its last review stays on record)."""
    path = find_document(corpus_dir, doc_id)
    text = path.read_text(encoding="utf-8")
    changed = _status(text) != "draft"
    if changed:
        with files.staged(path, files.update_front_matter(text, {"status": "draft"})) as tmp:
            files.commit(tmp, path, overwrite=True)
    return StatusChange(path, doc_id, "draft", changed)
