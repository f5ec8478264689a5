"""The append-only audit log of curation actions (``<data_dir>/audit.log``).

One JSON object per line: ``when`` (UTC, ISO 8601), ``who``, ``action`` and ``document``.
Every front end that changes the corpus calls :func:`record`; the Telegram admin
commands pass a hash of the admin's id as ``who``, never the id itself.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
import threading
from dataclasses import asdict, dataclass
from pathlib import Path

AUDIT_FILE = "audit.log"
_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One curation action."""

    when: str
    who: str
    action: str
    document: str


def default_actor() -> str:
    """The operating-system user running the command, or ``cli`` when it is unknown."""
    try:
        return getpass.getuser() or "cli"
    except (KeyError, OSError):
        return "cli"


def record(data_dir: Path, action: str, document: str, who: str | None = None) -> AuditEntry:
    """Append one entry to ``data_dir/audit.log`` and return it.

    ``action`` is a short verb such as ``new``, ``import``, ``publish`` or
    ``unpublish``; ``document`` is the document id; ``who`` defaults to the OS user.
    """
    entry = AuditEntry(
        when=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        who=who or default_actor(),
        action=action,
        document=document,
    )
    line = json.dumps(asdict(entry), ensure_ascii=False) + "\n"
    data_dir.mkdir(parents=True, exist_ok=True)
    with _lock:
        # O_APPEND: each line lands whole at the end, even with several writers.
        fd = os.open(data_dir / AUDIT_FILE, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line.encode("utf-8"))
        finally:
            os.close(fd)
    return entry


def read(data_dir: Path) -> list[AuditEntry]:
    """Every entry, oldest first (lines that are not valid entries are skipped)."""
    path = data_dir / AUDIT_FILE
    if not path.exists():
        return []
    entries: list[AuditEntry] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            entries.append(AuditEntry(**json.loads(line)))
        except (ValueError, TypeError):
            continue
    return entries
