"""Anonymous usage counters for trend reports (``<data_dir>/trends.sqlite``).

Only ``(ISO week, decision, category, topic, language) → count`` is kept: no
text, no ids, no time finer than the week.
"""

from __future__ import annotations

import atexit
import contextlib
import datetime as dt
import sqlite3
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bot.curation.storage import connect
from bot.models import Question, Reply
from bot.settings import Settings, get_settings

if TYPE_CHECKING:
    from bot.posts.checker import PostCheck

TRENDS_FILE = "trends.sqlite"
NONE = "-"
# Checked posts are counted as decision CHECK, one row per technique named.
CHECK, NEUTRAL = "check", "neutral"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS counts (
    week TEXT NOT NULL,
    decision TEXT NOT NULL,
    category TEXT NOT NULL,
    topic TEXT NOT NULL,
    language TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (week, decision, category, topic, language)
);
"""


@dataclass(frozen=True, slots=True)
class Count:
    """How many replies of one kind in one week."""

    week: str
    decision: str
    category: str
    topic: str
    language: str
    n: int


def iso_week(day: dt.date) -> str:
    """``2026-W05``: sorts correctly as text."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def _connect(data_dir: Path) -> contextlib.AbstractContextManager[sqlite3.Connection]:
    return connect(data_dir / TRENDS_FILE, _SCHEMA)


def add(
    data_dir: Path,
    *,
    week: str,
    decision: str,
    category: str,
    topic: str,
    language: str,
    n: int = 1,
) -> None:
    """Add ``n`` to one counter."""
    with _connect(data_dir) as conn:
        conn.execute(
            "INSERT INTO counts VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT "
            "(week, decision, category, topic, language) DO UPDATE SET n = n + excluded.n",
            (week, decision, category or NONE, topic or NONE, language, n),
        )


# Counters are kept in memory and written at most every FLUSH_SECONDS (and at
# exit): a database write per answer would cost more than answering.
FLUSH_SECONDS = 10.0
_Key = tuple[Path, str, str, str, str, str]
_pending: Counter[_Key] = Counter()
_pending_lock = threading.Lock()
_last_flush = time.monotonic()


def flush() -> None:
    """Write the counters recorded in this process so far."""
    global _last_flush
    with _pending_lock:
        items = list(_pending.items())
        _pending.clear()
        _last_flush = time.monotonic()
    for (data_dir, week, decision, category, topic, language), n in items:
        add(
            data_dir,
            week=week,
            decision=decision,
            category=category,
            topic=topic,
            language=language,
            n=n,
        )


atexit.register(flush)


def _count(keys: list[_Key]) -> None:
    with _pending_lock:
        for key in keys:
            _pending[key] += 1
        due = time.monotonic() - _last_flush >= FLUSH_SECONDS
    if due:
        flush()


def record_event(question: Question, reply: Reply, *, settings: Settings | None = None) -> None:
    """Engine listener: count this reply (the question itself is not looked at).

    Use ``functools.partial(record_event, settings=...)`` for an engine with its own settings.
    """
    s = settings or get_settings()
    week = iso_week(dt.datetime.now(dt.UTC).date())
    category, topic = reply.category or NONE, reply.topic or NONE
    _count([(s.data_dir, week, reply.decision.value, category, topic, reply.language)])


def record_check(result: PostCheck, *, settings: Settings | None = None) -> None:
    """Engine check listener: one count per technique named in a checked post.

    Stored as decision ``check`` with the technique id as the category (``neutral``
    for a post without any); the post itself is not looked at.
    """
    s = settings or get_settings()
    week = iso_week(dt.datetime.now(dt.UTC).date())
    names = result.techniques or (NEUTRAL,)
    _count([(s.data_dir, week, CHECK, tid, NONE, result.language) for tid in names])


def load_counts(data_dir: Path, *, since: dt.date | None = None) -> list[Count]:
    """Every counter from the week of ``since`` on."""
    flush()
    if not (data_dir / TRENDS_FILE).exists():
        return []
    first = iso_week(since) if since else ""
    with _connect(data_dir) as conn:
        rows = conn.execute(
            "SELECT week, decision, category, topic, language, n FROM counts "
            "WHERE week >= ? ORDER BY week",
            (first,),
        ).fetchall()
    return [Count(*row) for row in rows]
