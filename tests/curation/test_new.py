"""`kb new`, and the safe in-place edits every curation command relies on."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import frontmatter
import pytest
from conftest import Invoke

from bot.curation import audit, files
from bot.errors import CorpusError
from bot.knowledge.documents import parse_document
from bot.settings import Settings


@pytest.mark.parametrize(
    ("lang", "title", "heading"),
    [
        ("kk", "Мектептегі хиджаб", "Тағы сұрайды:"),
        ("ru", "Хиджаб в школе", "Также спрашивают:"),
        ("en", "Hijab at school", "Also asked:"),
    ],
)
def test_new_scaffolds_a_draft(
    invoke: Invoke, cur_settings: Settings, lang: str, title: str, heading: str
) -> None:
    result = invoke("new", "--title", title, "--lang", lang, "--topic", "Hijab school")
    assert result.exit_code == 0, result.output
    path = cur_settings.corpus_dir / "hijab-school" / f"{lang}.md"
    post = frontmatter.load(path)
    assert list(post.metadata) == [
        "id",
        "group",
        "lang",
        "title",
        "topics",
        "sources",
        "status",
        "reviewed_by",
        "reviewed_at",
    ]
    assert post.metadata["id"] == f"hijab-school-{lang}"
    assert post.metadata["title"] == title
    assert post.metadata["topics"] == ["hijab-school"]
    assert post.metadata["status"] == "draft"
    assert post.metadata["sources"][0]["accessed"] == dt.date.today()
    assert post.content.startswith(f"# {title}\n") and heading in post.content
    # A valid draft in its own language: only its TODOs (and its length) remain to fix.
    doc, problems = parse_document(path)
    assert doc is not None and doc.lang == lang
    assert all(p.severity == "warning" for p in problems)
    todos = {p.field for p in problems if "TODO" in p.message}
    assert todos == {"sources[1].title", "sources[1].url", "body"}
    assert [(e.action, e.document) for e in audit.read(cur_settings)] == [
        ("new", f"hijab-school-{lang}")
    ]


def test_new_with_group_and_cyrillic_topic(invoke: Invoke, cur_settings: Settings) -> None:
    result = invoke(
        "new",
        "--title",
        "Діни мерекелер",
        "--lang",
        "kk",
        "--topic",
        "мерекелер",
        "--group",
        "religious-holidays",
    )
    assert result.exit_code == 0, result.output
    meta = frontmatter.load(cur_settings.corpus_dir / "religious-holidays" / "kk.md").metadata
    assert meta["topics"] == ["religious-holidays", "merekeler"]


def test_new_refuses_to_overwrite(invoke: Invoke, cur_settings: Settings) -> None:
    assert invoke("new", "--title", "T", "--lang", "en", "--topic", "x-topic").exit_code == 0
    path = cur_settings.corpus_dir / "x-topic" / "en.md"
    path.write_text(path.read_text(encoding="utf-8") + "\nMy own edits.\n", encoding="utf-8")
    before = path.read_text(encoding="utf-8")
    result = invoke("new", "--title", "Other", "--lang", "en", "--topic", "x-topic")
    assert result.exit_code == 1
    assert "already exists" in result.output
    assert path.read_text(encoding="utf-8") == before
    assert len(audit.read(cur_settings)) == 1


def test_new_rejects_bad_input(invoke: Invoke, cur_settings: Settings) -> None:
    result = invoke("new", "--title", "T", "--lang", "de", "--topic", "x")
    assert result.exit_code == 2 and "use kk, ru or en" in result.output
    result = invoke("new", "--title", "T", "--lang", "en", "--topic", "???")
    assert result.exit_code == 2 and "letters or digits" in result.output
    assert not any(cur_settings.corpus_dir.iterdir())


DOC = """---
id: a-en
# reviewers: keep this comment
title: "A"
status: draft
sources:
  - title: "S"
    url: "https://example.org"
reviewed_by:
  - nobody
topics: [a]
---
# A

Body with: a colon.
---
Not front matter.
"""


def test_update_front_matter_changes_only_those_keys() -> None:
    new = files.update_front_matter(
        DOC, {"status": "published", "reviewed_by": "Ерлан Б.", "reviewed_at": dt.date(2026, 2, 3)}
    )
    assert new == DOC.replace("status: draft", "status: published").replace(
        "reviewed_by:\n  - nobody\n", 'reviewed_by: "Ерлан Б."\n'
    ).replace("topics: [a]\n---", "topics: [a]\nreviewed_at: 2026-02-03\n---")


def test_update_front_matter_needs_front_matter() -> None:
    with pytest.raises(CorpusError, match="no front matter"):
        files.update_front_matter("# Just text\n", {"status": "draft"})
    with pytest.raises(CorpusError, match="not closed"):
        files.update_front_matter("---\nid: x\n", {"status": "draft"})


def test_write_new_is_atomic_and_exclusive(tmp_path: Path) -> None:
    target = tmp_path / "group" / "en.md"
    files.write_new(target, "first")
    with pytest.raises(CorpusError, match="already exists"):
        files.write_new(target, "second")
    assert target.read_text(encoding="utf-8") == "first"
    assert sorted(p.name for p in target.parent.iterdir()) == ["en.md"]
