"""What the corpus is missing: unanswered questions and 👎 feedback, anonymised.

Unanswered questions are stored in ``<data_dir>/gaps.sqlite`` as text stripped of
personal data, with the language and the day: no user id, no chat id, no time of
day. Entries older than ``settings.retention_days`` are purged whenever a new one
is stored.

The Telegram bot's 👎 cases stay in its own store, where ``/forget`` can still
delete them; :func:`load_all` reads them at listing time (without the user hash,
stripped the same way) and lists them with the rest.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from bot.curation.pii import strip_personal_data
from bot.curation.storage import connect
from bot.models import Decision, Question, Reply
from bot.settings import Settings, get_settings

GAPS_FILE = "gaps.sqlite"
NO_ANSWER, FEEDBACK = "no_answer", "feedback"
_MAX_CHARS = 1000
_SCHEMA = """
CREATE TABLE IF NOT EXISTS gaps (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    day TEXT NOT NULL,
    lang TEXT NOT NULL,
    question TEXT NOT NULL,
    reply TEXT NOT NULL DEFAULT '',
    reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS gaps_day ON gaps (day);
"""


@dataclass(frozen=True, slots=True)
class GapEntry:
    """One stored question the corpus did not serve well."""

    kind: str
    day: dt.date
    lang: str
    question: str
    reply: str = ""
    reason: str = ""


def _connect(data_dir: Path) -> contextlib.AbstractContextManager[sqlite3.Connection]:
    return connect(data_dir / GAPS_FILE, _SCHEMA)


def _store(settings: Settings, entry: GapEntry) -> None:
    cutoff = entry.day - dt.timedelta(days=settings.retention_days)
    with _connect(settings.data_dir) as conn:
        conn.execute(
            "INSERT INTO gaps (kind, day, lang, question, reply, reason) VALUES (?, ?, ?, ?, ?, ?)",
            (
                entry.kind,
                entry.day.isoformat(),
                entry.lang,
                entry.question,
                entry.reply,
                entry.reason,
            ),
        )
        conn.execute("DELETE FROM gaps WHERE day < ?", (cutoff.isoformat(),))


def _clean(text: str) -> str:
    return strip_personal_data(text[:_MAX_CHARS])


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def record_gap(question: Question, reply: Reply, *, settings: Settings | None = None) -> bool:
    """Engine listener: store a question the corpus does not cover.

    Acts only when ``settings.record_gaps`` is on and the reply is ``no_answer``
    with category ``uncovered``; returns whether something was stored. Use
    ``functools.partial(record_gap, settings=...)`` for an engine with its own settings.
    """
    s = settings or get_settings()
    if (
        not s.record_gaps
        or reply.decision is not Decision.NO_ANSWER
        or reply.category != "uncovered"
    ):
        return False
    text = _clean(question.text)
    if not text:
        return False
    _store(s, GapEntry(NO_ANSWER, _today(), reply.language, text))
    return True


def record_feedback(
    question: str, reply_text: str, reason: str, lang: str, *, settings: Settings | None = None
) -> None:
    """Store a 👎 on a reply.

    ``question`` is the user's message, ``reply_text`` what Kelisim answered,
    ``reason`` the user's short reason (may be empty) and ``lang`` the reply's
    language (kk, ru or en). Personal data is stripped from all three texts;
    nothing identifying the user is taken or stored.
    """
    s = settings or get_settings()
    _store(
        s, GapEntry(FEEDBACK, _today(), lang, _clean(question), _clean(reply_text), _clean(reason))
    )


def load_gaps(data_dir: Path, *, since: dt.date | None = None) -> list[GapEntry]:
    """Stored entries (oldest first), optionally only those from ``since`` on."""
    if not (data_dir / GAPS_FILE).exists():
        return []
    with _connect(data_dir) as conn:
        rows = conn.execute(
            "SELECT kind, day, lang, question, reply, reason FROM gaps WHERE day >= ? "
            "ORDER BY day, id",
            ((since or dt.date.min).isoformat(),),
        ).fetchall()
    return [
        GapEntry(kind, dt.date.fromisoformat(day), lang, q, r, why)
        for kind, day, lang, q, r, why in rows
    ]


def telegram_feedback(settings: Settings, *, since: dt.date | None = None) -> list[GapEntry]:
    """The Telegram bot's 👎 cases (oldest first), anonymised like every other entry."""
    from bot.telegram.store import DB_NAME, Store

    path = settings.data_dir / DB_NAME
    if settings.database_url is None and not path.exists():
        return []
    store = Store.open(settings)
    try:
        cases = store.cases("down")
    finally:
        store.close()
    entries = []
    for case in reversed(cases):
        day = dt.datetime.fromtimestamp(case.created_at, dt.UTC).date()
        question = _clean(case.question or "")
        if not question or (since is not None and day < since):
            continue
        entries.append(
            GapEntry(
                FEEDBACK,
                day,
                case.lang,
                question,
                _clean(case.reply or ""),
                _clean(case.reason or ""),
            )
        )
    return entries


def load_all(settings: Settings, *, since: dt.date | None = None) -> list[GapEntry]:
    """Unanswered questions and 👎 feedback from every front end, oldest first."""
    entries = load_gaps(settings.data_dir, since=since) + telegram_feedback(settings, since=since)
    return sorted(entries, key=lambda e: e.day)
