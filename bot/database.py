"""Kelisim's relational database: an SQLite file by default, PostgreSQL to scale out.

One code path (SQLAlchemy Core) for both: ``KELISIM_DATABASE_URL=postgresql://…``
puts everything Kelisim records — user settings, the update journal, 👎 feedback,
lesson progress, unanswered questions, trend counters and the curation audit log —
where several bot workers and every educator's command share it; without it all
of it lives in ``<data_dir>/kelisim.sqlite3``. The schema is versioned with Alembic
(``bot/migrations``); :func:`upgrade` brings any database to the latest version
and runs on start-up and with ``kelisim db upgrade``.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from bot.errors import ConfigurationError, DatabaseUnavailableError
from bot.private import private_file, private_sqlite

if TYPE_CHECKING:
    from alembic.config import Config

    from bot.settings import Settings

MIGRATIONS = Path(__file__).with_name("migrations")
# The newest migration in bot/migrations (a test checks it is Alembic's head): a
# database already there is used without importing Alembic, which a process start
# would otherwise pay for every time.
HEAD = "0003"
DB_NAME = "kelisim.sqlite3"
# The file's name before it held more than the Telegram bot's records.
_OLD_DB_NAME = "telegram.sqlite3"
_engines: dict[str, sa.Engine] = {}
_engines_lock = threading.Lock()


def target(settings: Settings) -> Path | str:
    """``KELISIM_DATABASE_URL`` when set, else the SQLite file in the data directory."""
    if settings.database_url is not None and settings.database_url.get_secret_value():
        return settings.database_url.get_secret_value()
    path = settings.data_dir / DB_NAME
    old = settings.data_dir / _OLD_DB_NAME
    if old.exists() and not path.exists():
        for suffix in ("", "-wal", "-shm"):
            if Path(f"{old}{suffix}").exists():
                Path(f"{old}{suffix}").rename(f"{path}{suffix}")
    return path


def describe(where: Path | str) -> str:
    """How to name a database to a person: the file, or the server without the password."""
    if isinstance(where, Path):
        return str(where)
    return "PostgreSQL at " + where.rsplit("@", 1)[-1]


def engine_for(settings: Settings) -> sa.Engine:
    """The configured database, migrated to the latest schema; one engine per process."""
    where = target(settings)
    key = str(where)
    with _engines_lock:
        engine = _engines.get(key)
        if engine is None:
            engine = make_engine(where)
            upgrade(engine)
            _engines[key] = engine
    return engine


def _alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def make_engine(target: Path | str) -> sa.Engine:
    """An engine for an SQLite file (a path) or a database URL.

    SQLite files are created owner-only, with secure delete (deleted rows are
    overwritten) and a write-ahead log; ``postgresql://`` URLs use psycopg 3.
    """
    if isinstance(target, Path):
        private_file(target)
        engine = sa.create_engine(
            f"sqlite:///{target}", connect_args={"check_same_thread": False, "timeout": 30}
        )

        @sa.event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA secure_delete=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    url = target
    if url.startswith(("postgresql://", "postgres://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    if not url.startswith("postgresql+"):
        raise ConfigurationError(
            "KELISIM_DATABASE_URL must be a postgresql:// URL (leave it empty for SQLite)"
        )
    return sa.create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)


def unavailable(engine: sa.Engine, exc: Exception) -> DatabaseUnavailableError:
    """One clear line: where (never the password) and the driver's first line of why."""
    where = engine.url.render_as_string(hide_password=True)
    why = str(getattr(exc, "orig", exc)).strip().splitlines()
    return DatabaseUnavailableError(
        f"Cannot use the database at {where}: {why[0] if why else type(exc).__name__}"
    )


def upgrade(engine: sa.Engine) -> None:
    """Apply every migration the database does not have yet (idempotent)."""
    if revision(engine) == HEAD:
        return
    # Before the import: alembic logs its plugin set-up at INFO while importing.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    from alembic import command

    config = _alembic_config()
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    except sa.exc.DBAPIError as exc:
        raise unavailable(engine, exc) from None
    if engine.dialect.name == "sqlite" and engine.url.database:
        private_sqlite(Path(engine.url.database))


def revision(engine: sa.Engine) -> str | None:
    """The database's schema version (None: never migrated)."""
    try:
        with engine.connect() as connection:
            if not sa.inspect(connection).has_table("alembic_version"):
                return None
            rows = connection.execute(sa.text("SELECT version_num FROM alembic_version")).all()
    except sa.exc.DBAPIError as exc:
        raise unavailable(engine, exc) from None
    return str(rows[0][0]) if rows else None


def head() -> str:
    """The latest schema version this code knows (read from the migration scripts)."""
    from alembic.script import ScriptDirectory

    return str(ScriptDirectory.from_config(_alembic_config()).get_current_head())
