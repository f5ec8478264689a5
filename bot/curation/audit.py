"""The append-only audit log of curation actions, in Kelisim's database.

One row per action: ``when`` (UTC, ISO 8601), ``who``, ``action`` and ``document``.
Every front end that changes the corpus calls :func:`record`, whichever machine it
runs on; the Telegram admin commands pass a hash of the admin's id as ``who``,
never the id itself. Nothing updates or deletes a row. ``kelisim kb audit`` lists it.
"""

from __future__ import annotations

import datetime as dt
import getpass
from dataclasses import dataclass

import sqlalchemy as sa

from bot.curation import records
from bot.settings import Settings


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


def record(settings: Settings, action: str, document: str, who: str | None = None) -> AuditEntry:
    """Append one entry to the audit log and return it.

    ``action`` is a short verb such as ``new``, ``import``, ``publish`` or
    ``unpublish``; ``document`` is the document id; ``who`` defaults to the OS user.
    """
    entry = AuditEntry(
        when=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        who=who or default_actor(),
        action=action,
        document=document,
    )
    with records.engine(settings).begin() as connection:
        connection.execute(
            records.audit_log.insert().values(
                at=entry.when, who=entry.who, action=entry.action, document=entry.document
            )
        )
    return entry


def read(settings: Settings) -> list[AuditEntry]:
    """Every entry, oldest first."""
    table = records.audit_log
    query = sa.select(table.c.at, table.c.who, table.c.action, table.c.document).order_by(
        table.c.id
    )
    with records.engine(settings).connect() as connection:
        return [AuditEntry(*row) for row in connection.execute(query).all()]
