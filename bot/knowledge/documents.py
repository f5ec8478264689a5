"""Corpus documents: Markdown with YAML front matter, parsed and validated.

A document is a set of answer units (see :mod:`bot.knowledge.units`) on one
topic in one language. It is served only when it is valid and ``status:
published``, and a published unit only when its kk, ru and en versions are all
published. Problems are reported as ``file: field: message`` so that an
educator can fix them without reading code; warnings do not stop a document
from being served.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast
from urllib.parse import urlparse

import yaml

from bot.datafiles import load_yaml
from bot.knowledge.units import Unit, front_matter_lines, parse_units
from bot.language import detect
from bot.models import LANGS, Lang
from bot.safety.screening import screen

Status = Literal["draft", "published"]
STATUSES: tuple[Status, ...] = ("draft", "published")
REQUIRED = ("id", "group", "lang", "title", "topics", "sources", "status")
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,80}$")
HARD_MIN_WORDS, HARD_MAX_WORDS = 20, 6000
TODO = "TODO"
GLOSSARY = "glossary.yaml"
_TODO_LINE = re.compile(r"^[^\w\n]*TODO\b", re.MULTILINE)
# The kinds of worry whose help lines (``crisis_brief`` in prompts/) a document may ask
# to lead every answer quoted from it: a question about a friend being drawn in needs
# whom to call as well as what to do, however calmly it is asked.
HELP_KINDS = ("friend_joining", "group_pressure", "grooming", "bullying", "violent_intent")


@dataclass(frozen=True, slots=True)
class SourceRef:
    """A public source a document's facts come from."""

    title: str
    url: str
    accessed: dt.date | None = None
    key: str = ""


@dataclass(frozen=True, slots=True)
class Document:
    """One corpus document in one language."""

    path: Path
    id: str
    group: str
    lang: Lang
    title: str
    topics: tuple[str, ...]
    sources: tuple[SourceRef, ...]
    status: Status
    reviewed_by: str | None
    reviewed_at: dt.date | None
    body: str
    units: tuple[Unit, ...] = ()
    help: str | None = None

    @property
    def published(self) -> bool:
        return self.status == "published"

    @property
    def url(self) -> str:
        """The document's first public source (units cite their own)."""
        return self.sources[0].url if self.sources else ""

    def sources_of(self, unit: Unit) -> tuple[SourceRef, ...]:
        """The sources a unit cites, in the order it lists them."""
        by_key = {s.key: s for s in self.sources}
        return tuple(by_key[k] for k in unit.source_keys if k in by_key)

    @property
    def words(self) -> int:
        return len(re.findall(r"\w+", self.body))


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a document."""

    path: Path
    field: str
    message: str
    severity: Literal["error", "warning"] = "error"

    def __str__(self) -> str:
        tag = "" if self.severity == "error" else " (warning)"
        return f"{self.path}: {self.field}: {self.message}{tag}"


@dataclass(slots=True)
class Corpus:
    """The documents found in a corpus folder and everything wrong with them."""

    documents: list[Document] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def published(self) -> list[Document]:
        return [d for d in self.documents if d.published]

    def by_id(self, doc_id: str) -> Document | None:
        return next((d for d in self.documents if d.id == doc_id), None)


def _as_date(value: Any) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def _valid_url(url: str) -> bool:
    parsed = urlparse(url)
    return parsed.scheme in ("http", "https") and bool(parsed.netloc) and " " not in url


class _FileProblem(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field, self.message = field, message


class _NoAliasLoader(yaml.SafeLoader):
    """Refuses YAML aliases: a few lines of ``&a``/``*a`` can expand to gigabytes."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None, None, "aliases (*name) are not allowed here", event.start_mark
            )
        return super().compose_node(parent, index)


def read_front_matter(path: Path) -> tuple[dict[str, Any], str]:
    """The front matter and the body of a corpus file, or a problem that names the cause."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise _FileProblem("file", f"cannot be read ({exc.__class__.__name__})") from None
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")) or (len(raw) > 1 and b"\x00" in raw[:200]):
        raise _FileProblem("file", "is saved as UTF-16: save it as UTF-8")
    try:
        text = raw.decode("utf-8-sig")  # a byte-order mark from an editor is harmless
    except UnicodeDecodeError:
        raise _FileProblem(
            "file", "is not UTF-8 (perhaps Windows-1251): save it as UTF-8"
        ) from None
    text = text.replace("\r\n", "\n")
    if not text.startswith("---\n"):
        return {}, text
    end = text.find("\n---", 4)
    if end < 0:
        raise _FileProblem("front matter", "has no closing --- line")
    head, content = (
        text[4:end],
        text[end + 4 :].split("\n", 1)[-1] if "\n" in text[end + 4 :] else "",
    )
    try:
        meta = yaml.load(head, Loader=_NoAliasLoader)
    except yaml.YAMLError as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise _FileProblem("front matter", f"not valid YAML ({first})") from None
    if meta is None:
        return {}, content
    if not isinstance(meta, dict):
        raise _FileProblem(
            "front matter",
            f"must be `name: value` lines (id:, group:, …), not a {type(meta).__name__}",
        )
    return meta, content


# Ends every screening finding, so front ends can pick them out.
SCREENED = "unreviewed lines like this must never reach a young person"


def _excerpt(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def parse_document(path: Path) -> tuple[Document | None, list[Problem]]:
    """Read one file; return the document (``None`` if unusable) and its problems."""
    problems: list[Problem] = []

    def err(fld: str, msg: str, severity: Literal["error", "warning"] = "error") -> None:
        problems.append(Problem(path, fld, msg, severity))

    try:
        meta, content = read_front_matter(path)
    except _FileProblem as exc:
        return None, [Problem(path, exc.field, exc.message)]
    if not meta:
        return None, [Problem(path, "front matter", "missing (the file must start with ---)")]
    for name in REQUIRED:
        if meta.get(name) in (None, "", []):
            err(name, "is required")
    doc_id = str(meta.get("id") or "")
    if doc_id and not _ID.match(doc_id):
        err("id", "use lowercase letters, digits and hyphens")
    lang = meta.get("lang")
    if lang is not None and lang not in LANGS:
        err("lang", f"must be one of {', '.join(LANGS)}, not {lang!r}")
    status = meta.get("status")
    if status is not None and status not in STATUSES:
        err("status", f"must be draft or published, not {status!r}")
    topics = meta.get("topics") or []
    if isinstance(topics, str):
        topics = [topics]
    if not isinstance(topics, list) or not all(isinstance(t, str) for t in topics):
        err("topics", "must be a list of short tags")
        topics = []
    sources: list[SourceRef] = []
    raw_sources = meta.get("sources") or []
    if not isinstance(raw_sources, list):
        err("sources", "must be a list of {title, url, accessed}")
        raw_sources = []
    # A TODO placeholder (left by `kb new` or `kb import`) may wait in a draft, never
    # in a published document.
    todo_severity: Literal["error", "warning"] = "error" if status == "published" else "warning"
    for i, src in enumerate(raw_sources, 1):
        where = f"sources[{i}]"
        if not isinstance(src, dict):
            err(where, "must have title, url and accessed")
            continue
        title, url = str(src.get("title") or ""), str(src.get("url") or "")
        if not title:
            err(f"{where}.title", "is required")
        elif title.startswith(TODO):
            err(f"{where}.title", "is still a TODO: write the source's real title", todo_severity)
        if url.startswith(TODO):
            err(f"{where}.url", "is still a TODO: write the source's web address", todo_severity)
        elif not _valid_url(url):
            err(f"{where}.url", f"is not a web address: {url!r}")
        try:
            accessed = _as_date(src.get("accessed"))
        except ValueError:
            err(f"{where}.accessed", "must be a date like 2026-01-31")
            accessed = None
        if accessed is None:
            err(f"{where}.accessed", "is required (the date the source was checked)")
        key = str(src.get("key") or i)
        if key in {s.key for s in sources}:
            err(f"{where}.key", f"{key!r} is used by two sources")
        sources.append(SourceRef(title, url, accessed, key))
    help_kind = meta.get("help") or None
    if help_kind is not None and help_kind not in HELP_KINDS:
        err("help", f"must be one of {', '.join(HELP_KINDS)} (or left out), not {help_kind!r}")
        help_kind = None
    try:
        reviewed_at = _as_date(meta.get("reviewed_at"))
    except ValueError:
        err("reviewed_at", "must be a date like 2026-01-31")
        reviewed_at = None
    body = content.strip()
    if not body:
        err("body", "is empty")
    if status == "published" and not meta.get("reviewed_by"):
        err("reviewed_by", "a published document needs a reviewer")
    if (
        status == "published"
        and reviewed_at is None
        and "reviewed_at" not in {p.field for p in problems}
    ):
        err("reviewed_at", "a published document needs the date of its review")
    if isinstance(lang, str) and lang in LANGS and path.stem in LANGS and path.stem != lang:
        err("lang", f"says {lang} but the file is named {path.name}", "warning")
    units: list[Unit] = []
    if isinstance(lang, str) and lang in LANGS and meta.get("group") and body:
        units, unit_problems = parse_units(
            body, str(meta["group"]), cast(Lang, lang), line_offset=front_matter_lines(path)
        )
        keys = {s.key for s in sources}
        for problem in unit_problems:
            severity = problem.severity if status == "published" else "warning"
            err(problem.where, problem.message, severity)
        screened: Literal["error", "warning"] = "error" if status == "published" else "warning"
        for unit in units:
            for flag in screen(f"{unit.question}\n{unit.body}", unit.examples):
                err(
                    f"{{#{unit.anchor}}}",
                    f"{flag.why}: «{_excerpt(flag.sentence)}» — remove or rewrite it: {SCREENED}",
                    screened,
                )
        for unit in units if keys else ():  # no sources at all is reported once, above
            for key in unit.source_keys:
                if key not in keys:
                    err(
                        f"{{#{unit.anchor}}}",
                        f"cites source {key!r}, which is not among the front matter's sources",
                        "error" if status == "published" else "warning",
                    )
    if any(p.severity == "error" for p in problems):
        return None, problems
    doc = Document(
        path=path,
        id=doc_id,
        group=str(meta["group"]),
        lang=cast(Lang, lang),
        title=str(meta["title"]),
        topics=tuple(topics),
        sources=tuple(sources),
        status=cast(Status, status),
        reviewed_by=str(meta.get("reviewed_by") or "") or None,
        reviewed_at=reviewed_at,
        body=body,
        units=tuple(units),
        help=help_kind,
    )
    problems.extend(_content_problems(doc))
    return (None if any(p.severity == "error" for p in problems) else doc), problems


def _content_problems(doc: Document) -> Iterable[Problem]:
    words = doc.words
    if words < HARD_MIN_WORDS or words > HARD_MAX_WORDS:
        yield Problem(
            doc.path, "body", f"{words} words; a document needs {HARD_MIN_WORDS}–{HARD_MAX_WORDS}"
        )
    for unit in doc.units:
        found = detect(unit.body).lang
        if found != doc.lang:
            yield Problem(
                doc.path,
                f"{{#{unit.anchor}}}",
                f"the answer reads as {found}, but the document is {doc.lang}",
                "error" if doc.published else "warning",
            )
    todo = _TODO_LINE.search(doc.body)
    if todo:
        line = doc.body[todo.start() :].splitlines()[0].strip()
        line = line if len(line) <= 60 else line[:57] + "..."
        yield Problem(
            doc.path,
            "body",
            f"still has a TODO ({line!r}): replace it with the real text",
            "warning" if doc.status == "draft" else "error",
        )


def load_corpus(
    folder: Path, *, today: dt.date | None = None, max_review_age_days: int = 365
) -> Corpus:
    """Parse every ``*.md`` document under ``folder`` (README files excluded)."""
    corpus = Corpus()
    files = sorted(p for p in folder.rglob("*.md") if p.name.lower() != "readme.md")
    for path in files:
        doc, problems = parse_document(path)
        corpus.problems.extend(problems)
        if doc is not None:
            corpus.documents.append(doc)
    corpus.problems.extend(
        _corpus_problems(corpus.documents, today or dt.date.today(), max_review_age_days)
    )
    corpus.problems.extend(glossary_problems(corpus.documents, folder.parent / GLOSSARY))
    bad = {p.path for p in corpus.errors}
    corpus.documents = [d for d in corpus.documents if d.path not in bad]
    return corpus


def _corpus_problems(docs: Sequence[Document], today: dt.date, max_age: int) -> Iterable[Problem]:
    seen: dict[str, Path] = {}
    groups: dict[str, set[str]] = defaultdict(set)
    for doc in docs:
        if doc.id in seen:
            yield Problem(doc.path, "id", f"duplicate id {doc.id!r} (also in {seen[doc.id]})")
        else:
            seen[doc.id] = doc.path
        if doc.lang in groups[doc.group]:
            yield Problem(
                doc.path, "group", f"group {doc.group!r} already has a {doc.lang} document"
            )
        groups[doc.group].add(doc.lang)
        if doc.reviewed_at and (doc.reviewed_at - today).days > 1:
            yield Problem(doc.path, "reviewed_at", f"{doc.reviewed_at} is in the future", "warning")
        if doc.published and doc.reviewed_at and (today - doc.reviewed_at).days > max_age:
            yield Problem(
                doc.path,
                "reviewed_at",
                f"last reviewed {doc.reviewed_at}, more than {max_age} days ago",
                "warning",
            )
        yield from _source_title_problems(doc)
    yield from _translation_problems(docs)


_CYRILLIC = re.compile(r"[\u0400-\u04FF]")


def _source_title_problems(doc: Document) -> Iterable[Problem]:
    """An English reader sees the source titles under the answer: they must be English.

    (Kazakh and Russian share the Cyrillic script, so only English titles can be checked
    this way; a title names the page's language instead, e.g. "(in Russian)".)
    """
    if doc.lang != "en":
        return
    for source in doc.sources:
        if _CYRILLIC.search(source.title):
            yield Problem(
                doc.path,
                f"sources.{source.key or source.url}",
                "the title is not in English; write it in English and say the page's "
                'language, e.g. "Kazinform: … (in Russian)"',
                "warning",
            )


def _translation_problems(docs: Sequence[Document]) -> Iterable[Problem]:
    """A published unit must be published in kk, ru and en: replies are never mixed."""
    published: dict[str, dict[str, Document]] = defaultdict(dict)
    for doc in docs:
        if doc.published:
            published[doc.group][doc.lang] = doc
    for versions in published.values():
        for doc in versions.values():
            for unit in doc.units:
                missing = [
                    lg
                    for lg in LANGS
                    if lg not in versions
                    or all(u.anchor != unit.anchor for u in versions[lg].units)
                ]
                if missing:
                    yield Problem(
                        doc.path,
                        f"{{#{unit.anchor}}}",
                        f"has no published {'/'.join(missing)} version; a unit is served only "
                        "in all three languages (publish the translation or make this a draft)",
                    )


def load_glossary(path: Path) -> list[dict[str, Any]]:
    """The terminology glossary (``knowledge_base/glossary.yaml``); empty if absent."""
    try:
        data = load_yaml(path) or {}
    except (OSError, yaml.YAMLError, UnicodeDecodeError):
        return []
    terms = data.get("terms") if isinstance(data, dict) else None
    return [t for t in terms or [] if isinstance(t, dict)]


def glossary_problems(docs: Sequence[Document], path: Path) -> Iterable[Problem]:
    """Warnings for units that use a form the glossary says to avoid."""
    terms = load_glossary(path)
    for doc in docs:
        for term in terms:
            avoid = (term.get("avoid") or {}).get(doc.lang) or []
            preferred = term.get(doc.lang) or term.get("en")
            for unit in doc.units:
                for form in avoid:
                    if re.search(rf"(?<!\w){re.escape(str(form))}", unit.body, re.IGNORECASE):
                        yield Problem(
                            doc.path,
                            f"{{#{unit.anchor}}}",
                            f"uses «{form}»; the glossary term is «{preferred}»",
                            "warning",
                        )


def missing_translations(docs: Sequence[Document]) -> dict[str, list[str]]:
    """Unit ids with the languages they lack (drafts included), for ``kb stats``."""
    anchors: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for doc in docs:
        for unit in doc.units:
            anchors[doc.group][unit.anchor].add(doc.lang)
    return {
        f"{group}/{anchor}": [lg for lg in LANGS if lg not in langs]
        for group, by_anchor in sorted(anchors.items())
        for anchor, langs in sorted(by_anchor.items())
        if len(langs) < len(LANGS)
    }
