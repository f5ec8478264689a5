"""Commands for the long-running front ends, registered lazily."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Nothing else yet: the bot and the HTTP server register here."""
