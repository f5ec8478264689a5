"""What the corpus is missing: unanswered questions and 👎 feedback, anonymised.

Unanswered questions are stored in Kelisim's database (:mod:`bot.curation.records`:
the SQLite file, or PostgreSQL shared by every worker) as text stripped of
personal data, with the language and the day: no user id, no chat id, no time of
day. Entries older than ``settings.retention_days`` are purged whenever a new one
is stored.

The Telegram bot's 👎 cases stay in its own store, where ``/forget`` can still
delete them; :func:`load_all` reads them at listing time (without the user hash,
stripped the same way) and lists them with the rest.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa

from bot.curation import records
from bot.curation.pii import strip_personal_data
from bot.models import Decision, Question, Reply
from bot.settings import Settings, get_settings

NO_ANSWER, FEEDBACK = "no_answer", "feedback"
_MAX_CHARS = 1000


@dataclass(frozen=True, slots=True)
class GapEntry:
    """One stored question the corpus did not serve well."""

    kind: str
    day: dt.date
    lang: str
    question: str
    reply: str = ""
    reason: str = ""


def _store(settings: Settings, entry: GapEntry) -> None:
    cutoff = entry.day - dt.timedelta(days=settings.retention_days)
    table = records.gaps
    with records.engine(settings).begin() as connection:
        connection.execute(
            table.insert().values(
                kind=entry.kind,
                day=entry.day.isoformat(),
                lang=entry.lang,
                question=entry.question,
                reply=entry.reply,
                reason=entry.reason,
            )
        )
        connection.execute(table.delete().where(table.c.day < cutoff.isoformat()))


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


def load_gaps(settings: Settings, *, since: dt.date | None = None) -> list[GapEntry]:
    """Stored entries (oldest first), optionally only those from ``since`` on."""
    table = records.gaps
    query = (
        sa.select(
            table.c.kind, table.c.day, table.c.lang, table.c.question, table.c.reply, table.c.reason
        )
        .where(table.c.day >= (since or dt.date.min).isoformat())
        .order_by(table.c.day, table.c.id)
    )
    with records.engine(settings).connect() as connection:
        rows = connection.execute(query).all()
    return [
        GapEntry(kind, dt.date.fromisoformat(day), lang, q, r, why)
        for kind, day, lang, q, r, why in rows
    ]


def telegram_feedback(settings: Settings, *, since: dt.date | None = None) -> list[GapEntry]:
    """The Telegram bot's 👎 cases (oldest first), anonymised like every other entry."""
    from bot.telegram.store import Store

    cases = Store.open(settings).cases("down")
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
    entries = load_gaps(settings, since=since) + telegram_feedback(settings, since=since)
    return sorted(entries, key=lambda e: e.day)
