"""Curation's records on a real PostgreSQL server, shared by two machines.

Two "workers" with data directories of their own point at one database: what
either records (unanswered questions, trend counters, audit entries, 👎 cases)
is what both list, and the retention purge works the same as on SQLite.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.curation import audit, gaps, records, trends
from bot.engine import Engine
from bot.models import Decision, Question, Reply
from bot.settings import Settings
from bot.telegram.store import Store
from tests.conftest import make_settings
from tests.servers import free_port, fresh_database


@pytest.fixture
def workers(postgres_url: str, tmp_path: Path) -> tuple[Settings, Settings]:
    url = fresh_database(postgres_url)
    return (
        make_settings(tmp_path / "a", database_url=url, retention_days=30),
        make_settings(tmp_path / "b", database_url=url, retention_days=30),
    )


def test_two_workers_share_every_record(workers: tuple[Settings, Settings]) -> None:
    a, b = workers
    uncovered = Reply(Decision.NO_ANSWER, "uncovered", "kk", "…")
    assert gaps.record_gap(Question("Зороастризм туралы айтшы"), uncovered, settings=a)
    gaps.record_feedback("what is takfir?", "…", "too short", "en", settings=b)
    Store.open(a).add_feedback(
        "u1", "down", decision="answer", category="", lang="ru", question="что такое такфир?"
    )
    assert sorted(e.question for e in gaps.load_all(b)) == [
        "what is takfir?",
        "Зороастризм туралы айтшы",
        "что такое такфир?",
    ]

    answer = Reply(Decision.ANSWER, "religion", "ru", "…", topic="jihad")
    for settings in (a, b, b):
        trends.record_event(Question("x"), answer, settings=settings)
    week = trends.iso_week(dt.datetime.now(dt.UTC).date())
    assert trends.load_counts(a) == [trends.Count(week, "answer", "religion", "jihad", "ru", 3)]

    audit.record(a, "publish", "jihad-ru", who="x")
    audit.record(b, "unpublish", "jihad-ru", who="y")
    assert [(e.action, e.who) for e in audit.read(a)] == [("publish", "x"), ("unpublish", "y")]
    # Nothing was written beside either worker: the database holds it all.
    for settings in (a, b):
        assert not settings.data_dir.exists() or not any(settings.data_dir.glob("*.sqlite*"))


def test_retention_purge_on_postgresql(workers: tuple[Settings, Settings]) -> None:
    a, _ = workers
    old = (dt.date.today() - dt.timedelta(days=31)).isoformat()
    with records.engine(a).begin() as connection:
        connection.execute(
            records.gaps.insert().values(
                kind="no_answer", day=old, lang="en", question="old", reply="", reason=""
            )
        )
    gaps.record_feedback("new", "", "", "en", settings=a)
    assert [e.question for e in gaps.load_gaps(a)] == ["new"]


def test_answers_go_on_when_the_database_is_away(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    """Unanswered questions and counters cannot be written: one warning, no traceback."""
    away = SecretStr(f"postgresql://kelisim:s3cret@127.0.0.1:{free_port()}/nowhere")
    local = engine.with_settings(database_url=away)
    with caplog.at_level(logging.WARNING):
        reply = local.answer(Question("What does Shinto teach about kami spirits?", lang="en"))
    assert (reply.decision, reply.category) == (Decision.NO_ANSWER, "uncovered")
    warnings = [r for r in caplog.records if r.name == "bot.engine.core"]
    assert warnings and all(r.exc_info is None for r in warnings)
    assert "Cannot use the database at postgresql" in warnings[0].getMessage()
    assert "s3cret" not in caplog.text
