"""Educators publish and withdraw lessons like corpus documents (`kb publish lesson-…`)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import cli_app
from typer.testing import CliRunner

from bot.cli import kb, kb_curation, report
from bot.curation import files
from bot.engine import Engine
from bot.posts.lessons import load_lessons
from bot.settings import PROJECT_ROOT, Settings
from tests.conftest import make_settings

REAL_LESSONS = PROJECT_ROOT / "knowledge_base" / "lessons"


@pytest.fixture
def lesson_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    lessons = tmp_path / "lessons"
    shutil.copytree(REAL_LESSONS / "takfir", lessons / "takfir")
    for path in (lessons / "takfir").glob("*.md"):
        text = path.read_text(encoding="utf-8")
        path.write_text(files.update_front_matter(text, {"status": "draft"}), encoding="utf-8")
    s = make_settings(tmp_path / "data", lessons_dir=lessons, corpus_dir=tmp_path / "corpus")
    for module in (kb, kb_curation, report):
        monkeypatch.setattr(module, "settings", lambda: s)
    return s


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli_app(), list(args), catch_exceptions=False)
    return result.exit_code, result.output


def test_publish_a_lesson_in_three_languages_then_withdraw_it(lesson_settings: Settings) -> None:
    assert load_lessons(lesson_settings.lessons_dir).techniques() == []
    code, output = _run("publish", "lesson-takfir", "--reviewer", "A. Educator")
    assert code == 0, output
    assert output.count("Published") == 3 and "within seconds" in output
    book = load_lessons(lesson_settings.lessons_dir)
    assert book.techniques() == ["takfir"]
    text = (lesson_settings.lessons_dir / "takfir" / "kk.md").read_text(encoding="utf-8")
    assert 'reviewed_by: "A. Educator"' in text or "reviewed_by: A. Educator" in text

    code, output = _run("unpublish", "lesson-takfir-ru", "--by", "A. Educator")
    assert code == 0, output
    assert load_lessons(lesson_settings.lessons_dir).techniques() == []  # all three withdrawn


def test_a_broken_lesson_is_not_published(lesson_settings: Settings) -> None:
    path = lesson_settings.lessons_dir / "takfir" / "en.md"
    path.write_text(path.read_text(encoding="utf-8").replace("- [x]", "- [ ]"), "utf-8")
    code, output = _run("publish", "lesson-takfir", "--reviewer", "A. Educator")
    assert code != 0 and "exactly one marked [x]" in output
    assert "status: draft" in (lesson_settings.lessons_dir / "takfir" / "kk.md").read_text("utf-8")


def test_an_unknown_lesson_names_the_lessons_there_are(lesson_settings: Settings) -> None:
    code, output = _run("publish", "lesson-flattery", "--reviewer", "A. Educator")
    assert code != 0 and "lesson-takfir" in output


def test_a_running_engine_sees_a_newly_published_lesson(
    lesson_settings: Settings, engine: Engine
) -> None:
    mine = engine.with_settings(lessons_dir=lesson_settings.lessons_dir)
    assert mine.lessons.techniques() == []
    _run("publish", "lesson-takfir", "--reviewer", "A. Educator")
    assert mine.lessons.techniques() == ["takfir"]
