"""Helpers shared by CLI commands."""

from __future__ import annotations

import logging

from rich.console import Console

from bot.settings import Settings, get_settings

console = Console()
err_console = Console(stderr=True)


def settings() -> Settings:
    s = get_settings()
    logging.getLogger().setLevel(s.log_level.upper())
    return s


def ensure_index(s: Settings) -> None:
    """Build the index if it has never been built, with a visible progress line."""
    from bot.knowledge import store

    if store.mirrored_and_cached(s.data_dir / "cache", store.mirror_path(s)) is not None:
        return  # built, and answering can start without opening the index store
    client = store.make_client(s)
    if store.read_pointer(client) is None:
        from bot.cli.kb import run_build

        err_console.print("[dim]No index yet: building it now (first run only)…[/]")
        run_build(s, rebuild=False, quiet=True)
