"""Kelisim: grounded, safe answers about religion and the secular state for young people.

The public surface is small: :func:`bot.engine.get_engine` returns the one
:class:`~bot.engine.Engine` whose :meth:`~bot.engine.Engine.answer` every front end
(CLI, Telegram, HTTP, evaluation) calls.
"""

__version__ = "0.1.0"
