"""The small SQLite files curation keeps under the data directory."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from bot.private import private_file, private_sqlite


@contextlib.contextmanager
def connect(path: Path, schema: str) -> Iterator[sqlite3.Connection]:
    """A connection with ``schema`` applied, committing on success; closed afterwards."""
    private_file(path)
    conn = sqlite3.connect(path, timeout=10)
    try:
        conn.execute("PRAGMA secure_delete=ON")
        conn.executescript(schema)
        private_sqlite(path)
        with conn:
            yield conn
    finally:
        conn.close()
