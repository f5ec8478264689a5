"""``kelisim db``: the bot's database schema (SQLite or PostgreSQL)."""

from __future__ import annotations

import typer

from bot.cli.common import console, settings

app = typer.Typer(
    help="The bot's database: user settings, the update journal, 👎 feedback and lessons.",
    no_args_is_help=True,
)


def _target() -> tuple[object, str]:
    from bot.telegram.store import DB_NAME

    s = settings()
    url = s.database_url.get_secret_value() if s.database_url else ""
    if url:
        return url, "PostgreSQL at " + url.split("@")[-1]  # never the password
    return s.data_dir / DB_NAME, str(s.data_dir / DB_NAME)


@app.command()
def upgrade() -> None:
    """Bring the database schema to the latest version (also done at bot start-up).

    Uses `KELISIM_DATABASE_URL` when set (PostgreSQL), else the SQLite file in the
    data directory. Safe to run again and from several machines at once.
    """
    from pathlib import Path

    from bot.database import head, make_engine, revision
    from bot.database import upgrade as run_upgrade

    target, shown = _target()
    engine = make_engine(target if isinstance(target, str) else Path(str(target)))
    try:
        before = revision(engine)
        run_upgrade(engine)
        after = revision(engine)
    finally:
        engine.dispose()
    if before == after:
        console.print(f"{shown}: already at schema version {after} (latest {head()}).")
    else:
        console.print(f"{shown}: schema version {before or 'none'} → {after}.")
