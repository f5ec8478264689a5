"""Draft documents: the front matter every new or imported document starts with.

A draft names its sources; where a source is not known yet it carries a ``TODO:``
placeholder, which ``kb validate`` flags (a warning on a draft, an error once
published), so nothing unsourced can be served.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from bot.curation import files
from bot.models import LANGS, Lang

TODO_TITLE = "TODO: the source's title"
TODO_URL = "TODO: the source's web address"
_SKELETONS = Path(__file__).with_name("skeletons.yaml")

_TRANSLIT = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюяәғқңөұүһі",
        [
            "a",
            "b",
            "v",
            "g",
            "d",
            "e",
            "e",
            "zh",
            "z",
            "i",
            "i",
            "k",
            "l",
            "m",
            "n",
            "o",
            "p",
            "r",
            "s",
            "t",
            "u",
            "f",
            "kh",
            "ts",
            "ch",
            "sh",
            "shch",
            "",
            "y",
            "",
            "e",
            "yu",
            "ya",
            "a",
            "g",
            "q",
            "n",
            "o",
            "u",
            "u",
            "h",
            "i",
        ],
        strict=True,
    )
)


def slugify(text: str, *, limit: int = 60) -> str:
    """A lowercase ASCII id fragment (Cyrillic transliterated), e.g. ``hijab-at-school``."""
    latin = "".join(_TRANSLIT.get(ch, ch) for ch in text.lower())
    ascii_text = unicodedata.normalize("NFKD", latin).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")
    return slug[:limit].rstrip("-")


@dataclass(frozen=True, slots=True)
class SourceDraft:
    """A source as it goes into front matter (``TODO:`` placeholders when unknown)."""

    title: str = TODO_TITLE
    url: str = TODO_URL
    accessed: dt.date = field(default_factory=dt.date.today)


@dataclass(frozen=True, slots=True)
class Draft:
    """Everything a draft document's file is made of."""

    group: str
    lang: Lang
    title: str
    topics: tuple[str, ...]
    body: str
    sources: tuple[SourceDraft, ...] = (SourceDraft(),)

    @property
    def id(self) -> str:
        return f"{self.group}-{self.lang}"

    def path_in(self, corpus_dir: Path) -> Path:
        """Where the corpus keeps it: ``<corpus>/<group>/<lang>.md``."""
        return corpus_dir / self.group / f"{self.lang}.md"

    def render(self) -> str:
        """The Markdown file: front matter in the corpus schema, then the body."""

        def q(value: str) -> str:
            return json.dumps(value, ensure_ascii=False)

        lines = [
            "---",
            f"id: {self.id}",
            f"group: {self.group}",
            f"lang: {self.lang}",
            f"title: {q(self.title)}",
            f"topics: [{', '.join(self.topics)}]",
            "sources:",
        ]
        for src in self.sources:
            lines += [
                f"  - title: {q(src.title)}",
                f"    url: {q(src.url)}",
                f"    accessed: {src.accessed.isoformat()}",
            ]
        lines += ["status: draft", 'reviewed_by: ""', "reviewed_at:", "---", ""]
        return "\n".join(lines) + self.body.strip() + "\n"


def topics_for(group: str, topic: str | None) -> tuple[str, ...]:
    """The group's own tag first, then the requested topic (as a tag)."""
    tags = [group]
    extra = slugify(topic) if topic else ""
    if extra and extra not in tags:
        tags.append(extra)
    return tuple(tags)


@lru_cache(maxsize=1)
def _skeletons() -> dict[str, str]:
    data = yaml.safe_load(_SKELETONS.read_text(encoding="utf-8"))
    return {lang: str(data[lang]) for lang in LANGS}


def skeleton(lang: Lang, title: str) -> str:
    """The body a new document starts with, in its own language."""
    return _skeletons()[lang].replace("{title}", title)


def new_draft(title: str, lang: Lang, topic: str, group: str | None = None) -> Draft:
    """A draft with a body skeleton; ``group`` defaults to the topic's slug."""
    group_slug = slugify(group or topic)
    if not group_slug:
        raise ValueError("the topic or group must contain letters or digits")
    return Draft(
        group=group_slug,
        lang=lang,
        title=title.strip(),
        topics=topics_for(group_slug, topic),
        body=skeleton(lang, title.strip()),
    )


def write_draft(draft: Draft, corpus_dir: Path) -> Path:
    """Create the draft's file atomically; an existing file is never overwritten."""
    path = draft.path_in(corpus_dir)
    files.write_new(path, draft.render())
    return path
