"""``kelisim db``: the bot's database schema (SQLite or PostgreSQL)."""

from __future__ import annotations

import typer

from bot.cli.common import console, settings

app = typer.Typer(
    help=(
        "Kelisim's database: user settings, the update journal, 👎 feedback, lessons, "
        "unanswered questions, trend counters and the curation audit log."
    ),
    no_args_is_help=True,
)


@app.command()
def upgrade() -> None:
    """Bring the database schema to the latest version (also done at bot start-up).

    Uses `KELISIM_DATABASE_URL` when set (PostgreSQL), else the SQLite file in the
    data directory. Safe to run again and from several machines at once. Records
    that older versions kept in files of their own (gaps.sqlite, trends.sqlite,
    audit.log in the data directory) are moved in.
    """
    from bot.curation import records
    from bot.database import describe, head, make_engine, revision, target
    from bot.database import upgrade as run_upgrade

    s = settings()
    where = target(s)
    shown = describe(where)
    engine = make_engine(where)
    try:
        before = revision(engine)
        run_upgrade(engine)
        after = revision(engine)
    finally:
        engine.dispose()
    records.engine(s)
    if before == after:
        console.print(f"{shown}: already at schema version {after} (latest {head()}).")
    else:
        console.print(f"{shown}: schema version {before or 'none'} → {after}.")
