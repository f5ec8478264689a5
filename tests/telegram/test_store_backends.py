"""The bot's store behaves the same on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.database import HEAD, head, make_engine, revision, upgrade
from bot.telegram.store import DAY, Store
from tests.servers import free_port, fresh_database


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "sqlite":
        target: Path | str = tmp_path / "bot.sqlite3"
    else:
        target = fresh_database(request.getfixturevalue("postgres_url"))
    s = Store(target)
    yield s
    s.close()


def test_settings_feedback_lessons_and_forget(store: Store) -> None:
    store.set_language("u1", "kk", consent=True)
    store.set_language("u1", "ru")
    assert store.user("u1").lang == "ru"  # type: ignore[union-attr]
    assert store.user("u1").consent_at is not None  # type: ignore[union-attr]
    case = store.add_feedback(
        "u1", "down", decision="answer", category="", lang="ru", question="call +7 701 234 5678"
    )
    assert case > 0 and store.set_reason(case, "u1", "write x@y.kz")
    assert not store.set_reason(case, "someone else", "no")
    [down] = store.cases("down")
    assert down.question == "call [phone]" and down.reason == "write [e-mail]"
    store.lesson_done("u1", "takfir", True)
    store.lesson_done("u1", "takfir", False)  # a right answer is never lost
    store.lesson_done("u1", "conspiracy", False)
    assert store.lessons_done("u1") == {"takfir": True, "conspiracy": False}
    assert store.forget("u1") == 4
    assert store.user("u1") is None and store.cases() == [] and store.lessons_done("u1") == {}


def test_journal_answers_each_update_once_and_resumes_unfinished(store: Store) -> None:
    assert store.journal_claim(10, '{"update_id": 10}', stale_after=60) == "new"
    assert store.journal_claim(10, '{"update_id": 10}', stale_after=60) == "busy"
    assert store.journal_claim(11, '{"update_id": 11}', stale_after=60) == "new"
    store.journal_done(10)
    assert store.journal_claim(10, '{"update_id": 10}', stale_after=0) == "done"
    assert store.journal_resume(2, stale_after=60) == ([], 0)  # 11 is fresh: still someone's
    assert store.journal_resume(2) == (['{"update_id": 11}'], 0)
    assert store.journal_resume(2) == (['{"update_id": 11}'], 0)
    assert store.journal_resume(2) == ([], 1)  # given up after two takeovers


def test_a_dead_workers_update_is_taken_over_once_its_claim_is_stale(store: Store) -> None:
    assert store.journal_claim(20, '{"update_id": 20}', stale_after=60) == "new"
    with store._engine.begin() as connection:  # the claim ages: its worker died
        connection.execute(sa.text("UPDATE updates SET claimed_at = claimed_at - 61"))
    assert store.journal_claim(20, '{"update_id": 20}', stale_after=60) == "claimed"
    assert store.journal_claim(20, '{"update_id": 20}', stale_after=60) == "busy"


def test_purge_removes_what_is_older_than_retention(store: Store) -> None:
    store.set_language("old", "en")
    store.add_feedback("old", "up", decision="answer", category="", lang="en")
    store.lesson_done("old", "takfir", True)
    assert store.purge(30) == 0
    assert store.purge(30, now=time.time() + 31 * DAY) == 3


def test_a_database_from_before_migrations_is_adopted(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as conn:  # the schema the bot created itself before
        conn.executescript(
            "CREATE TABLE users (user_hash TEXT PRIMARY KEY, lang TEXT, consent_at INTEGER,"
            " seen_at INTEGER NOT NULL);"
            "INSERT INTO users VALUES ('kept', 'kk', NULL, 1);"
        )
    store = Store(path)
    assert store.user("kept").lang == "kk"  # type: ignore[union-attr]
    engine = make_engine(path)
    assert revision(engine) == head() == HEAD  # HEAD: what start-up checks without Alembic
    upgrade(engine)  # again: nothing to do
    engine.dispose()
    store.close()


def test_db_upgrade_command_never_prints_the_password(postgres_url: str, tmp_path: Path) -> None:
    url = postgres_url.replace("kelisim@", "kelisim:s3cret@")
    env = {"KELISIM_DATABASE_URL": url, "KELISIM_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    latest = head()
    for expected in (f"schema version none → {latest}", f"already at schema version {latest}"):
        out = subprocess.run(
            [sys.executable, "-m", "bot", "db", "upgrade"],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=True,
        )
        assert expected in out.stdout and "s3cret" not in out.stdout + out.stderr


def test_an_unreachable_database_is_one_clear_line(tmp_path: Path) -> None:
    url = f"postgresql://kelisim:s3cret@127.0.0.1:{free_port()}/kelisim"
    env = {"KELISIM_DATABASE_URL": url, "KELISIM_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-m", "bot", "db", "upgrade"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert out.returncode == 1 and "Cannot use the database at" in out.stderr
    assert "Traceback" not in out.stderr and "s3cret" not in out.stdout + out.stderr
