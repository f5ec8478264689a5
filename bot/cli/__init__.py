"""The ``kelisim`` command line. Each command group lives in its own module."""

from __future__ import annotations

import logging
import sys

import typer

from bot.cli import chat, db, kb, posts, safety
from bot.errors import KelisimError

app = typer.Typer(
    name="kelisim",
    help="Kelisim: grounded, safe answers about religion, the secular state and traditional "
    'values, in Kazakh, Russian and English.\n\nStart with `kelisim ask "What is a secular '
    'state?"` or `kelisim chat`. Settings come from KELISIM_* environment variables or .env '
    "(see the README).",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="markdown",
)
app.command("ask")(chat.ask)
app.command("chat")(chat.chat)
app.command("check")(posts.check)
app.command("learn")(posts.learn)
app.add_typer(kb.app, name="kb")
app.add_typer(safety.app, name="safety")
app.add_typer(db.app, name="db")


def _register_optional() -> None:
    """Commands whose modules import heavier libraries register here."""
    from bot.cli import kb_curation, report, run

    kb.app.command("new")(kb_curation.new)
    kb.app.command("import")(kb_curation.import_files)
    kb.app.command("publish")(kb_curation.publish)
    kb.app.command("unpublish")(kb_curation.unpublish)
    kb.app.command("gaps")(kb_curation.gaps)
    kb.app.command("audit")(kb_curation.audit_log)
    app.add_typer(report.app, name="report")
    run.register(app)


def main() -> None:
    """Entry point: run the CLI, turning Kelisim's own errors into a clear message."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    _register_optional()
    try:
        app()
    except KelisimError as exc:
        typer.secho(f"Error: {exc}", fg=typer.colors.RED, err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        typer.echo("Interrupted.", err=True)
        sys.exit(130)
