"""Anonymous usage counters for trend reports, in Kelisim's database.

Only ``(ISO week, decision, category, topic, language) → count`` is kept: no
text, no ids, no time finer than the week.
"""

from __future__ import annotations

import atexit
import datetime as dt
import logging
import threading
import time
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

import sqlalchemy as sa

from bot.curation import records
from bot.database import unavailable
from bot.models import Question, Reply
from bot.settings import Settings, get_settings

if TYPE_CHECKING:
    from bot.posts.checker import PostCheck

log = logging.getLogger(__name__)

NONE = "-"
# Checked posts are counted as decision CHECK, one row per technique named.
CHECK, NEUTRAL = "check", "neutral"


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


def add(
    settings: Settings,
    *,
    week: str,
    decision: str,
    category: str,
    topic: str,
    language: str,
    n: int = 1,
) -> None:
    """Add ``n`` to one counter."""
    with records.engine(settings).begin() as connection:
        records.add_counts(connection, [_row(week, decision, category, topic, language, n)])


def _row(
    week: str, decision: str, category: str, topic: str, language: str, n: int
) -> dict[str, object]:
    return {
        "week": week,
        "decision": decision,
        "category": category or NONE,
        "topic": topic or NONE,
        "language": language,
        "n": n,
    }


# Counters are kept in memory and written at most every FLUSH_SECONDS (and at
# exit), all in one transaction: a database write per answer would cost more
# than answering.
FLUSH_SECONDS = 10.0
_Key = tuple[sa.Engine, str, str, str, str, str]
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
    by_engine: dict[sa.Engine, list[dict[str, object]]] = {}
    for (engine, week, decision, category, topic, language), n in items:
        by_engine.setdefault(engine, []).append(_row(week, decision, category, topic, language, n))
    for engine, rows in by_engine.items():
        try:
            with engine.begin() as connection:
                records.add_counts(connection, rows)
        except sa.exc.DBAPIError as exc:
            # Counters are statistics: losing ten seconds of them must not cost an answer.
            log.warning("trend counters not written: %s", unavailable(engine, exc))


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
    _count([(records.engine(s), week, reply.decision.value, category, topic, reply.language)])


def record_check(result: PostCheck, *, settings: Settings | None = None) -> None:
    """Engine check listener: one count per technique named in a checked post.

    Stored as decision ``check`` with the technique id as the category (``neutral``
    for a post without any); the post itself is not looked at.
    """
    s = settings or get_settings()
    week = iso_week(dt.datetime.now(dt.UTC).date())
    names = result.techniques or (NEUTRAL,)
    engine = records.engine(s)
    _count([(engine, week, CHECK, tid, NONE, result.language) for tid in names])


def load_counts(settings: Settings, *, since: dt.date | None = None) -> list[Count]:
    """Every counter from the week of ``since`` on."""
    flush()
    table = records.trend_counts
    query = (
        sa.select(table)
        .where(table.c.week >= (iso_week(since) if since else ""))
        .order_by(table.c.week, *table.primary_key.columns)
    )
    with records.engine(settings).connect() as connection:
        return [Count(*row) for row in connection.execute(query).all()]
