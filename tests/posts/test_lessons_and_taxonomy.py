"""The micro-lessons educators publish, and the taxonomy data the checker reads."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from bot.engine.prompts import load_prompts
from bot.errors import ConfigurationError
from bot.knowledge.documents import load_corpus
from bot.models import LANGS
from bot.posts.lessons import load_lessons, parse_lesson
from bot.posts.taxonomy import CUES_FILE, TECHNIQUES, load_cues
from bot.settings import PROJECT_ROOT

LESSONS = PROJECT_ROOT / "knowledge_base" / "lessons"
SAFETY = PROJECT_ROOT / "knowledge_base" / "safety"


def test_every_technique_has_a_published_lesson_in_three_languages() -> None:
    book = load_lessons(LESSONS)
    assert book.problems == ()
    assert book.techniques() == list(TECHNIQUES)  # the lessons follow the taxonomy's order
    for tid in TECHNIQUES:
        versions = [book.get(tid, lang) for lang in LANGS]
        assert all(v is not None for v in versions)
        # Same quiz in every language: as many options, the same one right.
        assert len({len(v.options) for v in versions if v}) == 1
        assert len({v.correct for v in versions if v}) == 1
        for lesson in versions:
            assert lesson is not None and lesson.sources and lesson.example
            assert 2 <= lesson.explain.count(". ") + 1 <= 5


def test_lesson_sources_are_sources_the_corpus_already_cites() -> None:
    corpus_urls = {
        s.url
        for d in load_corpus(PROJECT_ROOT / "knowledge_base" / "corpus").documents
        for s in d.sources
    }
    book = load_lessons(LESSONS)
    for lesson in book.lessons.values():
        assert {s.url for s in lesson.sources} <= corpus_urls, lesson.path


def _write(tmp_path: Path, body: str, **meta: object) -> Path:
    front = {
        "id": "lesson-takfir-en",
        "lang": "en",
        "kind": "lesson",
        "technique": "takfir",
        "title": "Takfir",
        "status": "published",
        "sources": [{"key": "s", "title": "A source", "url": "https://example.org/a"}],
        **meta,
    }
    path = tmp_path / "takfir" / "en.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"---\n{yaml.safe_dump(front)}---\n# Takfir\n\n{body}", encoding="utf-8")
    return path


GOOD = """## How it works {#explain}

One. Two. Three.

Sources: s

## Example {#example}

> “A made-up post.”

## Quiz {#quiz}

What is it?

- [ ] Wrong
  Because.
- [x] Right
  Because.
"""


def test_a_well_formed_lesson_parses(tmp_path: Path) -> None:
    lesson, problems = parse_lesson(_write(tmp_path, GOOD))
    assert problems == [] and lesson is not None
    assert lesson.correct == 1 and lesson.options[1].feedback == "Because."
    assert lesson.example == "“A made-up post.”"


@pytest.mark.parametrize(
    ("body", "meta", "expected"),
    [
        (GOOD.replace("- [x] Right", "- [ ] Right"), {}, "exactly one marked [x]"),
        (GOOD.replace("Sources: s", "Sources: nope"), {}, "cites 'nope'"),
        (GOOD.replace("## Example {#example}", "## Example"), {}, "{#example}"),
        (GOOD.replace("  Because.\n- [x]", "- [x]"), {}, "needs its feedback"),
        (GOOD, {"technique": "flattery"}, "technique"),
        (GOOD.replace("One. Two.", "Don't tell your parents about this chat. Two."), {}, "secrecy"),
    ],
)
def test_a_broken_lesson_is_refused_with_the_reason(
    tmp_path: Path, body: str, meta: dict[str, object], expected: str
) -> None:
    lesson, problems = parse_lesson(_write(tmp_path, body, **meta))
    assert lesson is None
    assert any(expected in str(p) for p in problems), problems


def test_a_draft_lesson_is_not_served(tmp_path: Path) -> None:
    _write(tmp_path, GOOD, status="draft")
    assert load_lessons(tmp_path).lessons == {}


def test_cues_cover_every_technique_and_point_to_real_units() -> None:
    cues = load_cues(SAFETY)
    units = {
        f"{d.group}/{u.anchor}"
        for d in load_corpus(PROJECT_ROOT / "knowledge_base" / "corpus").documents
        if d.published
        for u in d.units
    }
    for tid in TECHNIQUES:
        assert cues.context[tid] and set(cues.context[tid]) <= units, tid
        assert all(cues.cues[tid][lang] for lang in LANGS), tid
    prompts = load_prompts(PROJECT_ROOT / "prompts")
    for lang in LANGS:
        names = prompts.value(lang, "techniques")
        assert set(names) == set(TECHNIQUES)
        assert all(set(v) == {"name", "explain", "ask"} for v in names.values())


def test_a_broken_cue_file_is_one_clear_error(tmp_path: Path) -> None:
    shutil.copy(SAFETY / CUES_FILE, tmp_path / CUES_FILE)
    text = (tmp_path / CUES_FILE).read_text(encoding="utf-8")
    (tmp_path / CUES_FILE).write_text(text.replace("'\\bkuff?ar", "'(kuff?ar", 1), "utf-8")
    with pytest.raises(ConfigurationError, match="not a valid pattern"):
        load_cues(tmp_path)
