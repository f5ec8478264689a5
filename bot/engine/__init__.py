"""The Telegram-free answering engine."""

from bot.engine.core import Engine, get_engine

__all__ = ["Engine", "get_engine"]
