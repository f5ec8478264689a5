"""``kelisim bot``: the Telegram bot, by long polling or behind a webhook."""

from __future__ import annotations

from typing import Annotated

import typer

from bot.cli.common import console, ensure_index, settings


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
    from bot.telegram.app import run_polling, run_webhook, token_of
    from bot.telegram.redact import install_redaction

    secrets = [token_of(s)]
    if s.webhook_secret is not None:
        secrets.append(s.webhook_secret.get_secret_value())
    install_redaction(*secrets)
    ensure_index(s)
    from bot.engine import get_engine

    engine = get_engine(s)
    engine.warm_up()
    if webhook:
        console.print(f"[dim]Kelisim bot: webhook {webhook}, listening on {host}:{port}.[/]")
        run_webhook(s, engine, webhook, host, port)
    else:
        console.print("[dim]Kelisim bot: long polling. Ctrl+C stops it.[/]")
        run_polling(s, engine)
