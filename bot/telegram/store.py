"""What the bot keeps on disk: one SQLite file under the data directory.

Users are known only by a salted HMAC-SHA256 of their Telegram id (with their language,
last-seen time and finished lessons). No message
text is stored, except the 👎 cases a user chose to send to educators (scrubbed
of phone numbers, e-mails and @handles). Those cases carry the hash only so that
``/forget`` can delete them. Everything older than ``retention_days`` is purged.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, cast

from bot.errors import ConfigurationError
from bot.models import LANGS, Lang
from bot.private import private_file, private_sqlite
from bot.settings import Settings

DB_NAME = "telegram.sqlite3"
SALT_NAME = "telegram_user_salt"
DAY = 86_400
# ``touch`` writes a user's last-seen time at most this often.
SEEN_RESOLUTION = 3_600

Vote = Literal["up", "down"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    user_hash TEXT PRIMARY KEY,
    lang TEXT,
    consent_at INTEGER,
    seen_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY,
    user_hash TEXT NOT NULL,
    vote TEXT NOT NULL CHECK (vote IN ('up', 'down')),
    decision TEXT NOT NULL,
    category TEXT NOT NULL,
    lang TEXT NOT NULL,
    question TEXT,
    reply TEXT,
    reason TEXT,
    created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS feedback_user ON feedback (user_hash);
CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS lessons (
    user_hash TEXT NOT NULL,
    technique TEXT NOT NULL,
    correct INTEGER NOT NULL,
    done_at INTEGER NOT NULL,
    PRIMARY KEY (user_hash, technique)
);
CREATE TABLE IF NOT EXISTS updates (
    update_id INTEGER PRIMARY KEY,
    body TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    done INTEGER NOT NULL DEFAULT 0,
    received_at INTEGER NOT NULL
);
"""
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
    """Thread-safe access to the bot's SQLite file. Every call is one short transaction."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        private_file(path)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        # Deleted rows are overwritten, not just unlinked from the b-tree.
        self._db.execute("PRAGMA secure_delete=ON")
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        private_sqlite(path)
        self._lock = threading.Lock()
        self._seen: dict[str, int] = {}

    @classmethod
    def open(cls, settings: Settings) -> Store:
        return cls(settings.data_dir / DB_NAME)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _exec(self, sql: str, params: tuple[object, ...] = ()) -> sqlite3.Cursor:
        with self._lock:
            return self._db.execute(sql, params)

    # ------------------------------------------------------------------ users
    def user(self, user_hash: str) -> UserSettings | None:
        row = self._exec(
            "SELECT lang, consent_at FROM users WHERE user_hash = ?", (user_hash,)
        ).fetchone()
        if row is None:
            return None
        lang = row[0] if row[0] in LANGS else None
        return UserSettings(cast(Lang | None, lang), row[1])

    def set_language(self, user_hash: str, lang: Lang, *, consent: bool = False) -> None:
        """Remember ``lang``; ``consent`` records that the user saw the privacy note."""
        now = int(time.time())
        self._exec(
            "INSERT INTO users (user_hash, lang, consent_at, seen_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (user_hash) DO UPDATE SET lang = excluded.lang, seen_at = "
            "excluded.seen_at, consent_at = COALESCE(users.consent_at, excluded.consent_at)",
            (user_hash, lang, now if consent else None, now),
        )
        self._seen[user_hash] = now

    def touch(self, user_hash: str) -> None:
        """Note that a known user was active (keeps their settings from expiring)."""
        now = int(time.time())
        if now - self._seen.get(user_hash, 0) < SEEN_RESOLUTION:
            return
        self._seen[user_hash] = now
        self._exec("UPDATE users SET seen_at = ? WHERE user_hash = ?", (now, user_hash))

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
        cursor = self._exec(
            "INSERT INTO feedback (user_hash, vote, decision, category, lang, question, reply, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                user_hash,
                vote,
                decision,
                category,
                lang,
                scrub(question) if question else None,
                scrub(reply) if reply else None,
                int(time.time()),
            ),
        )
        return int(cursor.lastrowid or 0)

    def set_reason(self, case_id: int, user_hash: str, reason: str) -> bool:
        cursor = self._exec(
            "UPDATE feedback SET reason = ? WHERE id = ? AND user_hash = ? AND vote = 'down'",
            (scrub(reason), case_id, user_hash),
        )
        return cursor.rowcount == 1

    def cases(self, vote: Vote | None = None) -> list[FeedbackCase]:
        """Ratings for educators, newest first (without the user hash)."""
        sql = (
            "SELECT id, vote, decision, category, lang, question, reply, reason, created_at "
            "FROM feedback"
        )
        params: tuple[object, ...] = ()
        if vote is not None:
            sql += " WHERE vote = ?"
            params = (vote,)
        rows = self._exec(sql + " ORDER BY id DESC", params).fetchall()
        return [FeedbackCase(*row) for row in rows]

    # ---------------------------------------------------------------- lessons
    def lesson_done(self, user_hash: str, technique: str, correct: bool) -> None:
        """Remember a finished lesson; a right answer is never overwritten by a wrong one."""
        self._exec(
            "INSERT INTO lessons VALUES (?, ?, ?, ?) ON CONFLICT (user_hash, technique) "
            "DO UPDATE SET correct = max(correct, excluded.correct), done_at = excluded.done_at",
            (user_hash, technique, int(correct), int(time.time())),
        )

    def lessons_done(self, user_hash: str) -> dict[str, bool]:
        """Technique → answered correctly, for every lesson the user finished."""
        rows = self._exec(
            "SELECT technique, correct FROM lessons WHERE user_hash = ?", (user_hash,)
        ).fetchall()
        return {technique: bool(correct) for technique, correct in rows}

    # ------------------------------------------------------------ forgetting
    def forget(self, user_hash: str) -> int:
        """Delete everything stored about one user; returns the number of rows removed."""
        with self._lock:
            removed = self._db.execute(
                "DELETE FROM users WHERE user_hash = ?", (user_hash,)
            ).rowcount
            removed += self._db.execute(
                "DELETE FROM feedback WHERE user_hash = ?", (user_hash,)
            ).rowcount
            removed += self._db.execute(
                "DELETE FROM lessons WHERE user_hash = ?", (user_hash,)
            ).rowcount
            # Old page images stay readable in the write-ahead log until a checkpoint.
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self._seen.pop(user_hash, None)
        return removed

    def purge(self, retention_days: int, *, now: float | None = None) -> int:
        """Delete users not seen and feedback older than ``retention_days``."""
        cutoff = int((now if now is not None else time.time()) - retention_days * DAY)
        with self._lock:
            removed = self._db.execute("DELETE FROM users WHERE seen_at < ?", (cutoff,)).rowcount
            removed += self._db.execute(
                "DELETE FROM feedback WHERE created_at < ?", (cutoff,)
            ).rowcount
            removed += self._db.execute("DELETE FROM lessons WHERE done_at < ?", (cutoff,)).rowcount
            self._db.execute(
                "DELETE FROM updates WHERE done = 1 AND received_at < ?",
                (int(time.time()) - UPDATE_MEMORY,),
            )
        self._seen.clear()
        return removed

    # ---------------------------------------------------------- update journal
    def journal_add(self, update_id: int, body: str) -> Literal["new", "pending", "done"]:
        """Record a received update before Telegram is told it arrived."""
        with self._lock:
            cursor = self._db.execute(
                "INSERT INTO updates (update_id, body, received_at) VALUES (?, ?, ?) "
                "ON CONFLICT (update_id) DO NOTHING",
                (update_id, body, int(time.time())),
            )
            if cursor.rowcount == 1:
                return "new"
            row = self._db.execute(
                "SELECT done FROM updates WHERE update_id = ?", (update_id,)
            ).fetchone()
        return "done" if row and row[0] else "pending"

    def journal_done(self, update_id: int) -> None:
        """The update was handled: forget its content, keep its id for de-duplication."""
        self._exec("UPDATE updates SET done = 1, body = NULL WHERE update_id = ?", (update_id,))

    def journal_resume(self, max_attempts: int) -> tuple[list[str], int]:
        """Bodies of updates left unhandled by a stop or a crash, oldest first.

        Each call counts one attempt; an update that was tried ``max_attempts``
        times is given up (it may be what crashes the bot). Returns the bodies and
        the number given up.
        """
        with self._lock:
            self._db.execute("UPDATE updates SET attempts = attempts + 1 WHERE done = 0")
            given_up = self._db.execute(
                "UPDATE updates SET done = 1, body = NULL WHERE done = 0 AND attempts > ?",
                (max_attempts,),
            ).rowcount
            rows = self._db.execute(
                "SELECT body FROM updates WHERE done = 0 AND body IS NOT NULL ORDER BY update_id"
            ).fetchall()
        return [row[0] for row in rows], given_up
