"""Files that may hold personal data are readable by their owner only."""

from __future__ import annotations

import os
from pathlib import Path

MODE = 0o600


def private_file(path: Path) -> Path:
    """Create ``path`` if needed and make it owner-only (0600); returns it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, MODE))
    if path.stat().st_mode & 0o077:
        path.chmod(MODE)
    return path


def private_sqlite(path: Path) -> None:
    """The same for an SQLite file and its write-ahead log and shared-memory files."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        candidate = path.with_name(path.name + suffix)
        if suffix == "" or candidate.exists():
            private_file(candidate)
