"""Curation's tables in Kelisim's database, and the move-in of older per-file records.

Unanswered questions (:mod:`bot.curation.gaps`), trend counters
(:mod:`bot.curation.trends`) and the audit log (:mod:`bot.curation.audit`) live in
the same database as the bot's records (:mod:`bot.database`): an SQLite file by
default, PostgreSQL with ``KELISIM_DATABASE_URL``, so that every worker and every
educator's command sees one set of records. The schema itself is migration 0003.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sqlite3
import threading
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from bot.database import engine_for
from bot.settings import Settings

log = logging.getLogger(__name__)

metadata = sa.MetaData()
gaps = sa.Table(
    "gaps",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("day", sa.Text, nullable=False),  # ISO date: sorts and compares as text
    sa.Column("lang", sa.Text, nullable=False),
    sa.Column("question", sa.Text, nullable=False),
    sa.Column("reply", sa.Text, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
)
trend_counts = sa.Table(
    "trend_counts",
    metadata,
    sa.Column("week", sa.Text, primary_key=True),
    sa.Column("decision", sa.Text, primary_key=True),
    sa.Column("category", sa.Text, primary_key=True),
    sa.Column("topic", sa.Text, primary_key=True),
    sa.Column("language", sa.Text, primary_key=True),
    sa.Column("n", sa.BigInteger, nullable=False),
)
audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.Text, nullable=False),
    sa.Column("who", sa.Text, nullable=False),
    sa.Column("action", sa.Text, nullable=False),
    sa.Column("document", sa.Text, nullable=False),
)

# Where an older version kept these records, one file each.
OLD_GAPS, OLD_TRENDS, OLD_AUDIT = "gaps.sqlite", "trends.sqlite", "audit.log"
_moved_in: set[tuple[int, Path]] = set()
_lock = threading.Lock()


def engine(settings: Settings) -> sa.Engine:
    """The configured database, with any older per-file records moved in."""
    db = engine_for(settings)
    key = (id(db), settings.data_dir)
    with _lock:
        if key not in _moved_in:
            _move_in(db, settings.data_dir)
            _moved_in.add(key)
    return db


def add_counts(connection: sa.Connection, rows: list[dict[str, object]]) -> None:
    """Add each row's ``n`` to its counter (creating it), on SQLite and PostgreSQL alike."""
    if not rows:
        return
    insert = (postgresql if connection.dialect.name == "postgresql" else sqlite).insert
    statement = insert(trend_counts)
    connection.execute(
        statement.on_conflict_do_update(
            index_elements=[c for c in trend_counts.primary_key.columns],
            set_={"n": trend_counts.c.n + statement.excluded.n},
        ),
        rows,
    )


def _old_rows(path: Path, sql: str) -> list[tuple[object, ...]]:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        try:
            return conn.execute(sql).fetchall()
        except sqlite3.DatabaseError:  # an empty or foreign file: nothing to keep
            return []


def _old_audit(path: Path) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            entry = json.loads(line)
            rows.append({k: str(entry[w]) for k, w in _AUDIT_FIELDS.items()})
        except (ValueError, KeyError, TypeError):
            continue
    return rows


_AUDIT_FIELDS = {"at": "when", "who": "who", "action": "action", "document": "document"}


def _move_in(db: sa.Engine, data_dir: Path) -> None:
    """Copy ``gaps.sqlite``, ``trends.sqlite`` and ``audit.log`` in, then rename them.

    Each file is copied in one transaction and renamed ``*.imported`` after it
    commits, so an interrupted move is redone, never half-kept.
    """
    old = data_dir / OLD_GAPS
    if old.is_file():
        sql = "SELECT kind, day, lang, question, reply, reason FROM gaps ORDER BY id"
        rows = _old_rows(old, sql)
        with db.begin() as connection:
            if rows:
                keys = ("kind", "day", "lang", "question", "reply", "reason")
                connection.execute(gaps.insert(), [dict(zip(keys, r, strict=True)) for r in rows])
        old.rename(old.with_name(old.name + ".imported"))
        log.info("moved %d unanswered question(s) from %s into the database", len(rows), old)
    old = data_dir / OLD_TRENDS
    if old.is_file():
        rows = _old_rows(old, "SELECT week, decision, category, topic, language, n FROM counts")
        keys = ("week", "decision", "category", "topic", "language", "n")
        with db.begin() as connection:
            add_counts(connection, [dict(zip(keys, r, strict=True)) for r in rows])
        old.rename(old.with_name(old.name + ".imported"))
        log.info("moved %d trend counter(s) from %s into the database", len(rows), old)
    old = data_dir / OLD_AUDIT
    if old.is_file():
        entries = _old_audit(old)
        with db.begin() as connection:
            if entries:
                connection.execute(audit_log.insert(), entries)
        old.rename(old.with_name(old.name + ".imported"))
        log.info("moved %d audit entr(ies) from %s into the database", len(entries), old)
