"""The Telegram front end: ``kelisim bot``."""

from bot.telegram.app import build_application, run_polling, run_webhook, running

__all__ = ["build_application", "run_polling", "run_webhook", "running"]
