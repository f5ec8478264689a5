"""Trend counters (no text, no ids) and the report's suppression of small cells."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import sqlalchemy as sa
from conftest import Invoke

from bot.curation import records, trends
from bot.database import DB_NAME
from bot.models import Decision, Question, Reply
from bot.posts.checker import PostCheck
from bot.settings import Settings


def test_record_event_keeps_only_counters(cur_settings: Settings) -> None:
    reply = Reply(Decision.ANSWER, "religion", "kk", "secret answer text", topic="secular-state")
    for _ in range(3):
        trends.record_event(Question("Менің атым Дана, +77011234567"), reply, settings=cur_settings)
    trends.record_event(
        Question("x"), Reply(Decision.NO_ANSWER, "uncovered", "ru", "…"), settings=cur_settings
    )
    week = trends.iso_week(dt.datetime.now(dt.UTC).date())
    assert set(trends.load_counts(cur_settings)) == {
        trends.Count(week, "answer", "religion", "secular-state", "kk", 3),
        trends.Count(week, "no_answer", "uncovered", "-", "ru", 1),
    }
    files = [p for p in cur_settings.data_dir.iterdir() if p.name.startswith(DB_NAME)]
    raw = b"".join(p.read_bytes() for p in files)
    assert raw and "Дана".encode() not in raw and b"7011234567" not in raw and b"secret" not in raw
    engine = records.engine(cur_settings)
    columns = [c["name"] for c in sa.inspect(engine).get_columns("trend_counts")]
    assert columns == ["week", "decision", "category", "topic", "language", "n"]


def test_iso_week() -> None:
    assert trends.iso_week(dt.date(2026, 1, 1)) == "2026-W01"
    assert trends.iso_week(dt.date(2027, 1, 1)) == "2026-W53"


def _seed(settings: Settings) -> None:
    def add(week: str, decision: str, category: str, topic: str, lang: str, n: int) -> None:
        trends.add(
            settings,
            week=week,
            decision=decision,
            category=category,
            topic=topic,
            language=lang,
            n=n,
        )

    add("2026-W10", "answer", "religion", "secular-state", "kk", 7)
    add("2026-W10", "answer", "religion", "secular-state", "ru", 5)
    add("2026-W10", "crisis", "self_harm", "", "kk", 2)
    add("2026-W11", "answer", "religion", "hijab", "en", 4)
    add("2026-W11", "answer", "law", "hijab", "en", 3)
    add("2026-W11", "refuse", "jailbreak", "", "ru", 1)
    # Checked posts: one count per technique named, reported in a table of their own.
    add("2026-W11", "check", "secrecy-isolation", "", "kk", 6)
    add("2026-W11", "check", "takfir", "", "ru", 2)
    add("2026-W08", "answer", "religion", "old", "kk", 50)


def test_report_suppresses_small_cells(
    invoke: Invoke, cur_settings: Settings, tmp_path: Path
) -> None:
    _seed(cur_settings)
    out = tmp_path / "report"
    result = invoke("report", "trends", "--out", str(out), "--since", "2026-03-02")
    assert result.exit_code == 0, result.output
    assert "22 messages over 2 weeks since 2026-03-02." in result.output
    with (out / "trends.csv").open(encoding="utf-8") as handle:
        rows = {
            (r["week"], r["dimension"], r["value"]): r["messages"] for r in csv.DictReader(handle)
        }
    assert rows == {
        ("2026-W10", "decision", "answer"): "12",
        ("2026-W10", "decision", "crisis"): "<5",
        ("2026-W11", "decision", "answer"): "7",
        ("2026-W11", "decision", "refuse"): "<5",
        ("2026-W10", "category", "religion"): "12",
        ("2026-W10", "category", "self_harm"): "<5",
        ("2026-W11", "category", "religion"): "<5",
        ("2026-W11", "category", "law"): "<5",
        ("2026-W11", "category", "jailbreak"): "<5",
        ("2026-W10", "topic", "secular-state"): "12",
        ("2026-W10", "topic", "-"): "<5",
        ("2026-W11", "topic", "hijab"): "7",
        ("2026-W11", "topic", "-"): "<5",
        ("2026-W10", "language", "kk"): "9",
        ("2026-W10", "language", "ru"): "5",
        ("2026-W11", "language", "en"): "7",
        ("2026-W11", "language", "ru"): "<5",
        ("2026-W11", "technique", "secrecy-isolation"): "6",
        ("2026-W11", "technique", "takfir"): "<5",
    }
    page = (out / "trends.html").read_text(encoding="utf-8")
    assert page.count("<script") >= 4 and 'src="http' not in page  # self-contained
    assert "&lt;5" in page and "Messages by decision" in page and "Messages by language" in page
    for small in ("<td>1</td>", "<td>2</td>", "<td>3</td>", "<td>4</td>"):
        assert small not in page
    assert "<td>12</td>" in page and "2026-W08" not in page
    assert "Manipulation techniques in checked posts" in page


def test_a_checked_post_counts_its_techniques_not_its_text(cur_settings: Settings) -> None:
    result = PostCheck(
        "manipulative",
        ("secrecy-isolation", "call-to-act"),
        "ru",
        "reply text",
        "reply text",
    )
    trends.record_check(result, settings=cur_settings)
    trends.record_check(PostCheck("neutral", (), "kk", "x", "x"), settings=cur_settings)
    week = trends.iso_week(dt.datetime.now(dt.UTC).date())
    assert set(trends.load_counts(cur_settings)) == {
        trends.Count(week, "check", "secrecy-isolation", "-", "ru", 1),
        trends.Count(week, "check", "call-to-act", "-", "ru", 1),
        trends.Count(week, "check", "neutral", "-", "kk", 1),
    }


def test_report_without_data(invoke: Invoke, tmp_path: Path) -> None:
    result = invoke("report", "trends", "--out", str(tmp_path / "r"))
    assert result.exit_code == 0 and "0 messages over 0 weeks." in result.output
    assert (tmp_path / "r" / "trends.csv").read_text(
        encoding="utf-8"
    ).strip() == "week,dimension,value,messages"
