"""The audit log: one row per curation action, appended, never rewritten; older files move in."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3

from conftest import Invoke

from bot.curation import audit, gaps, records, trends
from bot.settings import Settings


def test_record_appends_in_order(cur_settings: Settings) -> None:
    first = audit.record(cur_settings, "publish", "secular-state-kk", who="Aigerim S.")
    second = audit.record(cur_settings, "unpublish", "secular-state-kk")
    assert audit.read(cur_settings) == [first, second]
    assert (first.who, first.action) == ("Aigerim S.", "publish")
    assert second.who == audit.default_actor() and second.who
    when = dt.datetime.fromisoformat(first.when)
    assert when.utcoffset() == dt.timedelta(0)
    assert abs((dt.datetime.now(dt.UTC) - when).total_seconds()) < 3600


def test_kb_audit_lists_and_filters(cur_settings: Settings, invoke: Invoke) -> None:
    audit.record(cur_settings, "new", "a-kk", who="x")
    audit.record(cur_settings, "import", "b-ru", who="y")
    result = invoke("audit", "--json", "--document", "b-ru")
    assert [json.loads(line)["who"] for line in result.stdout.splitlines()] == ["y"]
    result = invoke("audit")
    assert "a-kk" in result.stdout and "b-ru" in result.stdout and "import" in result.stdout
    result = invoke("audit", "--since", "2999-01-01")
    assert "No curation actions recorded for that filter." in result.stdout


def test_records_of_older_versions_move_into_the_database(cur_settings: Settings) -> None:
    """gaps.sqlite, trends.sqlite and audit.log are copied in once, then renamed."""
    data = cur_settings.data_dir
    data.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(data / "gaps.sqlite") as conn:
        conn.execute(
            "CREATE TABLE gaps (id INTEGER PRIMARY KEY, kind TEXT, day TEXT, lang TEXT, "
            "question TEXT, reply TEXT DEFAULT '', reason TEXT DEFAULT '')"
        )
        today = dt.date.today().isoformat()
        conn.execute(
            "INSERT INTO gaps (kind, day, lang, question) VALUES ('no_answer', ?, 'kk', 'сұрақ')",
            (today,),
        )
    with sqlite3.connect(data / "trends.sqlite") as conn:
        conn.execute(
            "CREATE TABLE counts (week TEXT, decision TEXT, category TEXT, topic TEXT, "
            "language TEXT, n INTEGER, PRIMARY KEY (week, decision, category, topic, language))"
        )
        conn.execute("INSERT INTO counts VALUES ('2026-W01', 'answer', 'ok', 'jihad', 'ru', 7)")
    (data / "audit.log").write_text(
        json.dumps(
            {"when": "2026-01-02T03:04:05+00:00", "who": "a", "action": "new", "document": "x-kk"}
        )
        + "\nnot json\n",
        encoding="utf-8",
    )
    records._moved_in.clear()
    assert [(e.question, e.lang) for e in gaps.load_gaps(cur_settings)] == [("сұрақ", "kk")]
    assert [(c.week, c.topic, c.n) for c in trends.load_counts(cur_settings)] == [
        ("2026-W01", "jihad", 7)
    ]
    assert [(e.when, e.document) for e in audit.read(cur_settings)] == [
        ("2026-01-02T03:04:05+00:00", "x-kk")
    ]
    assert sorted(p.name for p in data.iterdir() if p.suffix == ".imported") == [
        "audit.log.imported",
        "gaps.sqlite.imported",
        "trends.sqlite.imported",
    ]
    records._moved_in.clear()  # a second start finds nothing more to move
    assert len(gaps.load_gaps(cur_settings)) == 1 and len(audit.read(cur_settings)) == 1
