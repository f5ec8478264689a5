"""``kb import``: PDF, DOCX, HTML, TXT and Markdown files become draft documents.

markitdown does the conversion (headings survive where the format has them); the
language is detected from the text; the source's title and address come from the
file's metadata or stay ``TODO:`` placeholders for the educator to fill in.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from bot.curation import drafts
from bot.curation.metadata import FileMetadata, read_metadata
from bot.errors import CorpusError
from bot.language import detect
from bot.models import Lang

log = logging.getLogger(__name__)

SUPPORTED = (".pdf", ".docx", ".html", ".htm", ".txt", ".md", ".markdown")
_SENTENCE_END = re.compile(r"[.!?:;…»\"”)]$")
_BLOCK_START = re.compile(r"^\s*(#|[-*+] |\d+[.)] |\||>)")


@dataclass(slots=True)
class ImportResult:
    """What happened to one file: a draft was written to ``path``, or ``error`` says why not."""

    source: Path
    path: Path | None = None
    doc_id: str = ""
    lang: str = ""
    error: str = ""
    todo: list[str] = field(default_factory=list)
    duplicates: str = ""  # the existing topic whose name the file's title matched

    @property
    def ok(self) -> bool:
        return self.path is not None


def _convert(path: Path) -> str:
    from markitdown import MarkItDown

    result = MarkItDown(enable_plugins=False).convert_local(path)
    return result.text_content or ""


def _unwrap(text: str) -> str:
    """Rejoin PDF text's hard-wrapped lines into one line per paragraph.

    A line continues the previous one unless that ended a sentence or either looks
    like a list item, table row or heading.
    """
    out: list[str] = []
    for raw in text.splitlines():
        line = re.sub(r"[ \t]{2,}", " ", raw).strip()
        if not line:
            continue
        prev = out[-1] if out else ""
        joins = (
            prev
            and not _SENTENCE_END.search(prev)
            and not _BLOCK_START.match(line)
            and not _BLOCK_START.match(prev)
        )
        if joins:
            out[-1] = prev[:-1] + line if prev.endswith("-") else f"{prev} {line}"
        else:
            out.append(line)
    return "\n\n".join(out)


def _title_from(text: str) -> str:
    match = re.search(r"^#\s+(.+)$", text, re.MULTILINE)
    return match.group(1).strip() if match else ""


_UNIT_LABELS = {
    "kk": (
        "Тағы сұрайды",
        "Дереккөздер",
        "TODO: сұрақтың басқаша айтылуы",
        "TODO: мәтін жауап беретін сұрақ",
    ),
    "ru": (
        "Также спрашивают",
        "Источники",
        "TODO: тот же вопрос другими словами",
        "TODO: вопрос, на который отвечает текст",
    ),
    "en": (
        "Also asked",
        "Sources",
        "TODO: another way to ask this question",
        "TODO: the question this text answers",
    ),
}


def _body(text: str, title: str, lang: Lang) -> str:
    """The imported text as answer-unit drafts: each ``##`` section becomes a unit.

    The section heading becomes the unit's question (an educator rewrites it as a
    real question), and the unit gets ``TODO`` phrasings and the document's first
    source, so that it cannot be published before someone has reviewed it.
    """
    also, sources, todo, question = _UNIT_LABELS[lang]
    lines = text.strip().splitlines()
    if lines and lines[0].startswith("# "):
        title, lines = lines[0][2:].strip() or title, lines[1:]
    sections: list[tuple[str, list[str]]] = []
    for line in lines:
        if line.startswith("## "):
            sections.append((line[3:].strip(), []))
        elif line.startswith("#"):  # deeper headings become plain lines of their unit
            (sections[-1][1] if sections else []).append(line.lstrip("#").strip())
        elif sections:
            sections[-1][1].append(line)
        elif line.strip():
            sections.append((f"{question}?", [line]))
    if not sections:
        sections.append((f"{question}?", []))
    units = []
    seen: set[str] = set()
    for n, (heading, body) in enumerate(sections, 1):
        anchor = drafts.slugify(heading.removeprefix(question))[:40].strip("-") or f"part-{n}"
        while anchor in seen:
            anchor = f"{anchor}-{n}"
        seen.add(anchor)
        text_body = "\n".join(body).strip()
        units.append(
            f"## {heading} {{#{anchor}}}\n\n{text_body}\n\n{also}:\n"
            + "".join(f"- {todo}\n" for _ in range(3))
            + f"\n{sources}: 1"
        )
    return f"# {title}\n\n" + "\n\n".join(units)


def import_file(
    path: Path, corpus_dir: Path, *, group: str | None = None, topic: str | None = None
) -> ImportResult:
    """Turn one file into a draft under ``corpus_dir``; never raises for a bad file."""
    result = ImportResult(source=path)
    if path.suffix.lower() not in SUPPORTED:
        result.error = f"unsupported file type {path.suffix or '(none)'}; use " + ", ".join(
            SUPPORTED
        )
        return result
    if not path.is_file():
        result.error = "no such file"
        return result
    try:
        text = _convert(path)
        meta = read_metadata(path)
    except Exception as exc:  # any parser failure means the same thing to an educator
        log.debug("cannot convert %s", path, exc_info=True)
        result.error = f"cannot be read ({type(exc).__name__}); is the file complete?"
        return result
    if path.suffix.lower() == ".pdf":
        text = _unwrap(text)
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    if not re.search(r"\w{2,}", text):
        result.error = "no text found (a scanned PDF needs text recognition first)"
        return result
    title = meta.title or _title_from(text) or path.stem.replace("_", " ").replace("-", " ")
    lang = detect(text[:2000]).lang
    group_slug = drafts.slugify(group or title) or drafts.slugify(path.stem) or "imported"
    draft = drafts.Draft(
        group=group_slug,
        lang=lang,
        title=title,
        topics=drafts.topics_for(group_slug, topic),
        body=_body(text, title, lang),
        sources=(_source(meta),),
    )
    if draft.path_in(corpus_dir).exists():
        # A leaflet on a topic we already have: a new draft beside it, never an overwrite.
        result.duplicates = draft.group
        for n in range(2, 1000):
            candidate = replace(draft, group=f"{draft.group}-{n}")
            if not candidate.path_in(corpus_dir).exists():
                draft = candidate
                break
    result.doc_id, result.lang = draft.id, lang
    result.todo = [
        name
        for name, value in (("source title", meta.title), ("source url", meta.url))
        if not value
    ]
    try:
        result.path = drafts.write_draft(draft, corpus_dir)
    except CorpusError as exc:
        result.error = str(exc)
    except OSError as exc:
        result.error = f"cannot write the draft ({exc.strerror or type(exc).__name__})"
    return result


def _source(meta: FileMetadata) -> drafts.SourceDraft:
    return drafts.SourceDraft(
        title=meta.title or drafts.TODO_TITLE, url=meta.url or drafts.TODO_URL
    )
