"""What the bot keeps, in Kelisim's database (:mod:`bot.database`): SQLite or PostgreSQL.

Users are known only by a salted HMAC-SHA256 of their Telegram id, with their
language, last-seen time and finished lessons. No message text is stored, except
the 👎 cases a user chose to send to educators (scrubbed of phone numbers,
e-mails and @handles) and each update until it is answered. Those cases carry
the hash only so that ``/forget`` can delete them. Everything older than
``retention_days`` is purged. The schema lives in ``bot/migrations``.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast

import sqlalchemy as sa

from bot.database import engine_for, make_engine, upgrade
from bot.errors import ConfigurationError
from bot.models import LANGS, Lang
from bot.settings import Settings

SALT_NAME = "telegram_user_salt"
DAY = 86_400
# ``touch`` writes a user's last-seen time at most this often.
SEEN_RESOLUTION = 3_600

Vote = Literal["up", "down"]

# Telegram redelivers an unconfirmed update for at most a day; ids of answered
# updates are kept a little longer than that, to recognise replays.
UPDATE_MEMORY = 2 * DAY

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"\+?\d[\d\s().-]{8,}\d")
_HANDLE = re.compile(r"(?<!\w)@\w{3,}")


def scrub(text: str) -> str:
    """``text`` without e-mail addresses, phone numbers and @handles."""
    text = _EMAIL.sub("[e-mail]", text)
    text = _PHONE.sub("[phone]", text)
    return _HANDLE.sub("[@]", text)


def load_salt(settings: Settings) -> bytes:
    """The configured key, else the key file (created once, 0600, outside the data dir).

    A key left in the data directory by an older version is moved to the key file,
    so that existing hashes keep working and the data alone no longer reveals ids.
    """
    configured = settings.user_id_salt.get_secret_value()
    if configured:
        return configured.encode()
    path = settings.user_id_salt_file
    if path.resolve().is_relative_to(settings.data_dir.resolve()):
        raise ConfigurationError(
            "KELISIM_USER_ID_SALT_FILE must be outside the data directory: with the hashes "
            "beside it, the key would let anyone match them to Telegram ids."
        )
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    legacy = settings.data_dir / SALT_NAME
    if legacy.exists() and not path.exists():
        path.write_bytes(legacy.read_bytes())
        path.chmod(0o600)
        legacy.unlink()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        if path.stat().st_mode & 0o077:
            path.chmod(0o600)
        return path.read_text(encoding="ascii").strip().encode()
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(secrets.token_hex(32))
    return path.read_text(encoding="ascii").strip().encode()


class UserHasher:
    """Turns a Telegram id into the pseudonymous key the store uses."""

    def __init__(self, salt: bytes) -> None:
        self._salt = salt

    def __call__(self, telegram_id: int) -> str:
        return hmac.new(self._salt, str(telegram_id).encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class UserSettings:
    lang: Lang | None
    consent_at: int | None


@dataclass(frozen=True, slots=True)
class FeedbackCase:
    """One rating; ``question``/``reply``/``reason`` are set only for 👎 cases."""

    id: int
    vote: Vote
    decision: str
    category: str
    lang: str
    question: str | None
    reply: str | None
    reason: str | None
    created_at: int


class Store:
    """The bot's records, on SQLite or PostgreSQL. Every call is one short transaction."""

    def __init__(self, target: Path | str | sa.Engine) -> None:
        self.target = target
        # An engine handed in is shared with the rest of the process: not ours to close.
        self._owned = not isinstance(target, sa.Engine)
        if isinstance(target, sa.Engine):
            self._engine = target
        else:
            self._engine = make_engine(target)
            upgrade(self._engine)
        self._sqlite = self._engine.dialect.name == "sqlite"
        self._seen: dict[str, int] = {}

    @classmethod
    def open(cls, settings: Settings) -> Store:
        """The configured database: ``KELISIM_DATABASE_URL``, else the SQLite file."""
        return cls(engine_for(settings))

    def close(self) -> None:
        if self._owned:
            self._engine.dispose()

    def ping(self) -> None:
        """Raise if the database cannot be reached (for readiness checks)."""
        with self._engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))

    def _rows(self, sql: str, **params: object) -> list[sa.Row[Any]]:
        with self._engine.begin() as connection:
            return list(connection.execute(sa.text(sql), params).all())

    def _write(self, sql: str, **params: object) -> int:
        """Run one statement in its own transaction; the number of rows it changed."""
        with self._engine.begin() as connection:
            return int(connection.execute(sa.text(sql), params).rowcount)

    # ------------------------------------------------------------------ users
    def user(self, user_hash: str) -> UserSettings | None:
        rows = self._rows("SELECT lang, consent_at FROM users WHERE user_hash = :h", h=user_hash)
        if not rows:
            return None
        row = rows[0]
        lang = row[0] if row[0] in LANGS else None
        return UserSettings(cast(Lang | None, lang), row[1])

    def set_language(self, user_hash: str, lang: Lang, *, consent: bool = False) -> None:
        """Remember ``lang``; ``consent`` records that the user saw the privacy note."""
        now = int(time.time())
        self._write(
            "INSERT INTO users (user_hash, lang, consent_at, seen_at) VALUES (:h, :lang, :c, :now) "
            "ON CONFLICT (user_hash) DO UPDATE SET lang = excluded.lang, seen_at = "
            "excluded.seen_at, consent_at = COALESCE(users.consent_at, excluded.consent_at)",
            h=user_hash,
            lang=lang,
            c=now if consent else None,
            now=now,
        )
        self._seen[user_hash] = now

    def touch(self, user_hash: str) -> None:
        """Note that a known user was active (keeps their settings from expiring)."""
        now = int(time.time())
        if now - self._seen.get(user_hash, 0) < SEEN_RESOLUTION:
            return
        self._seen[user_hash] = now
        self._write("UPDATE users SET seen_at = :now WHERE user_hash = :h", now=now, h=user_hash)

    # --------------------------------------------------------------- feedback
    def add_feedback(
        self,
        user_hash: str,
        vote: Vote,
        *,
        decision: str,
        category: str,
        lang: str,
        question: str | None = None,
        reply: str | None = None,
    ) -> int:
        """Store a rating; text only for 👎 (scrubbed). Returns the case id."""
        if vote == "up":
            question = reply = None
        rows = self._rows(
            "INSERT INTO feedback (user_hash, vote, decision, category, lang, question, reply, "
            "created_at) VALUES (:h, :vote, :decision, :category, :lang, :q, :r, :now) "
            "RETURNING id",
            h=user_hash,
            vote=vote,
            decision=decision,
            category=category,
            lang=lang,
            q=scrub(question) if question else None,
            r=scrub(reply) if reply else None,
            now=int(time.time()),
        )
        return int(rows[0][0]) if rows else 0

    def set_reason(self, case_id: int, user_hash: str, reason: str) -> bool:
        return (
            self._write(
                "UPDATE feedback SET reason = :reason WHERE id = :id AND user_hash = :h "
                "AND vote = 'down'",
                reason=scrub(reason),
                id=case_id,
                h=user_hash,
            )
            == 1
        )

    def cases(self, vote: Vote | None = None) -> list[FeedbackCase]:
        """Ratings for educators, newest first (without the user hash)."""
        sql = (
            "SELECT id, vote, decision, category, lang, question, reply, reason, created_at "
            "FROM feedback"
        )
        if vote is not None:
            sql += " WHERE vote = :vote"
        rows = self._rows(sql + " ORDER BY id DESC", vote=vote)
        return [FeedbackCase(*row) for row in rows]

    # ---------------------------------------------------------------- lessons
    def lesson_done(self, user_hash: str, technique: str, correct: bool) -> None:
        """Remember a finished lesson; a right answer is never overwritten by a wrong one."""
        self._write(
            "INSERT INTO lessons (user_hash, technique, correct, done_at) "
            "VALUES (:h, :t, :c, :now) ON CONFLICT (user_hash, technique) DO UPDATE SET "
            "correct = CASE WHEN lessons.correct > excluded.correct THEN lessons.correct "
            "ELSE excluded.correct END, done_at = excluded.done_at",
            h=user_hash,
            t=technique,
            c=int(correct),
            now=int(time.time()),
        )

    def lessons_done(self, user_hash: str) -> dict[str, bool]:
        """Technique → answered correctly, for every lesson the user finished."""
        rows = self._rows(
            "SELECT technique, correct FROM lessons WHERE user_hash = :h", h=user_hash
        )
        return {technique: bool(correct) for technique, correct in rows}

    # ------------------------------------------------------------ forgetting
    def forget(self, user_hash: str) -> int:
        """Delete everything stored about one user; returns the number of rows removed."""
        removed = 0
        with self._engine.begin() as connection:
            for table in ("users", "feedback", "lessons"):
                result = connection.execute(
                    sa.text(f"DELETE FROM {table} WHERE user_hash = :h"), {"h": user_hash}
                )
                removed += result.rowcount
        if self._sqlite:
            # Old page images stay readable in the write-ahead log until a checkpoint.
            with self._engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        self._seen.pop(user_hash, None)
        return removed

    def purge(self, retention_days: int, *, now: float | None = None) -> int:
        """Delete users not seen and feedback older than ``retention_days``."""
        cutoff = int((now if now is not None else time.time()) - retention_days * DAY)
        removed = 0
        with self._engine.begin() as connection:
            for sql in (
                "DELETE FROM users WHERE seen_at < :cutoff",
                "DELETE FROM feedback WHERE created_at < :cutoff",
                "DELETE FROM lessons WHERE done_at < :cutoff",
            ):
                removed += connection.execute(sa.text(sql), {"cutoff": cutoff}).rowcount
            connection.execute(
                sa.text("DELETE FROM updates WHERE done = 1 AND received_at < :old"),
                {"old": int(time.time()) - UPDATE_MEMORY},
            )
        self._seen.clear()
        return removed

    # ---------------------------------------------------------- update journal
    @property
    def shared(self) -> bool:
        """Several workers may use this database (PostgreSQL), not only this process."""
        return not self._sqlite

    def journal_claim(
        self, update_id: int, body: str, *, stale_after: int
    ) -> Literal["new", "claimed", "busy", "done"]:
        """Record a received update before Telegram is told it arrived, and claim it.

        ``new``: first seen; ``claimed``: seen before, unfinished, and its last claim
        is older than ``stale_after`` seconds (its worker is gone), so it is ours now;
        ``busy``: another worker is handling it; ``done``: already answered.
        """
        now = int(time.time())
        with self._engine.begin() as connection:
            inserted = connection.execute(
                sa.text(
                    "INSERT INTO updates (update_id, body, attempts, done, received_at, "
                    "claimed_at) VALUES (:id, :body, 0, 0, :now, :now) "
                    "ON CONFLICT (update_id) DO NOTHING"
                ),
                {"id": update_id, "body": body, "now": now},
            ).rowcount
            if inserted == 1:
                return "new"
            taken = connection.execute(
                sa.text(
                    "UPDATE updates SET claimed_at = :now WHERE update_id = :id AND done = 0 "
                    "AND (claimed_at IS NULL OR claimed_at <= :cutoff)"
                ),
                {"id": update_id, "now": now, "cutoff": now - stale_after},
            ).rowcount
            if taken == 1:
                return "claimed"
            row = connection.execute(
                sa.text("SELECT done FROM updates WHERE update_id = :id"), {"id": update_id}
            ).first()
        return "done" if row and row[0] else "busy"

    def journal_refresh(self, update_id: int) -> None:
        """Renew the claim on an update still being handled (so that nobody takes it over)."""
        self._write(
            "UPDATE updates SET claimed_at = :now WHERE update_id = :id AND done = 0",
            id=update_id,
            now=int(time.time()),
        )

    def journal_done(self, update_id: int) -> None:
        """The update was handled: forget its content, keep its id for de-duplication."""
        self._write("UPDATE updates SET done = 1, body = NULL WHERE update_id = :id", id=update_id)

    def journal_resume(self, max_attempts: int, *, stale_after: int = 0) -> tuple[list[str], int]:
        """Claim the updates left unhandled by a stop, a crash or a dead worker.

        Only updates whose claim is older than ``stale_after`` seconds are taken
        (0: every unfinished one, for a single process at start-up). Each takeover
        counts one attempt; an update taken over more than ``max_attempts`` times
        is given up (it may be what crashes the bot). Returns the bodies, oldest
        first, and the number given up.
        """
        now = int(time.time())
        stale = "done = 0 AND (claimed_at IS NULL OR claimed_at <= :cutoff)"
        params = {"cutoff": now - stale_after, "now": now, "n": max_attempts}
        with self._engine.begin() as connection:
            connection.execute(
                sa.text(f"UPDATE updates SET attempts = attempts + 1 WHERE {stale}"), params
            )
            given_up = connection.execute(
                sa.text(
                    f"UPDATE updates SET done = 1, body = NULL WHERE {stale} AND attempts > :n"
                ),
                params,
            ).rowcount
            rows = connection.execute(
                sa.text(
                    f"UPDATE updates SET claimed_at = :now WHERE {stale} AND body IS NOT NULL "
                    "RETURNING update_id, body"
                ),
                params,
            ).all()
        return [body for _, body in sorted(rows)], given_up
