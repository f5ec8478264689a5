"""The OpenAI-compatible HTTP endpoint in front of the engine."""

from bot.server.app import create_app

__all__ = ["create_app"]
