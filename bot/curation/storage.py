"""The small SQLite files curation keeps under the data directory."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def connect(path: Path, schema: str) -> Iterator[sqlite3.Connection]:
    """A connection with ``schema`` applied, committing on success; closed afterwards."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=10)
    try:
        conn.executescript(schema)
        with conn:
            yield conn
    finally:
        conn.close()
