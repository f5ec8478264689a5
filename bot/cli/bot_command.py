"""``kelisim bot``: the Telegram bot, by long polling or behind a webhook."""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from bot.cli.common import console, ensure_index, settings

log = logging.getLogger("kelisim.bot")


def parse_listen(value: str) -> tuple[str, int]:
    """``HOST:PORT`` → (host, port), with a clear message when it is malformed."""
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise typer.BadParameter("use HOST:PORT, e.g. 127.0.0.1:8443", param_hint="--listen")
    return host.strip("[]"), int(port)


def bot(
    webhook: Annotated[
        str | None,
        typer.Option(
            "--webhook",
            help="Public https:// URL Telegram should post updates to. Without it the "
            "bot uses long polling.",
        ),
    ] = None,
    listen: Annotated[
        str,
        typer.Option(
            "--listen", help="HOST:PORT the webhook server listens on (behind your TLS proxy)."
        ),
    ] = "127.0.0.1:8443",
) -> None:
    """Run the Telegram bot (token from KELISIM_TELEGRAM_TOKEN).

    Example: `kelisim bot` or `kelisim bot --webhook https://example.org/kelisim --listen
    0.0.0.0:8443`
    """
    host, port = parse_listen(listen)
    s = settings()
    from bot.telegram.app import run_polling, run_webhook, token_of, token_rejected
    from bot.telegram.redact import install_redaction

    secrets = [token_of(s)]
    if s.webhook_secret is not None:
        secrets.append(s.webhook_secret.get_secret_value())
    install_redaction(*secrets)
    # Every request URL holds the token; the redaction hides it, but one line per
    # poll is noise.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    log.info("loading the index")
    ensure_index(s)
    from bot.engine import get_engine

    engine = get_engine(s)
    log.info("warming up the language models and the index")
    engine.warm_up()
    log.info("index generation %s loaded", engine.retriever.generation.built_at)
    from telegram.error import InvalidToken

    from bot.errors import ConfigurationError
    from bot.telegram.client import TOKEN_HELP

    try:
        if webhook:
            console.print(f"[dim]Kelisim bot: webhook {webhook}, listening on {host}:{port}.[/]")
            run_webhook(s, engine, webhook, host, port)
        else:
            console.print("[dim]Kelisim bot: long polling. Ctrl+C stops it.[/]")
            run_polling(s, engine)
    except InvalidToken:
        raise ConfigurationError(TOKEN_HELP) from None
    if token_rejected():
        raise ConfigurationError(TOKEN_HELP)
