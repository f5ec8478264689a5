"""``kelisim run``: what `make run` starts."""

from __future__ import annotations

import typer

from bot.cli.common import console, settings


def run() -> None:
    """Start the Telegram bot when KELISIM_TELEGRAM_TOKEN is set, otherwise the terminal chat."""
    s = settings()
    if s.telegram_token is not None and s.telegram_token.get_secret_value():
        from bot.cli import bot_command

        bot_command.bot()
        return
    console.print(
        "[dim]No Telegram token configured: opening the terminal chat. To connect "
        "Telegram, put KELISIM_TELEGRAM_TOKEN=<token from @BotFather> in .env and run "
        "`make run` again.[/]"
    )
    from bot.cli.chat import chat

    chat(lang=None, explain=False)


def register(app: typer.Typer) -> None:
    from bot.cli import bot_command, evaluate, serve

    app.command("run")(run)
    app.command("serve")(serve.serve)
    app.add_typer(evaluate.app, name="eval")
    app.command("bot")(bot_command.bot)
