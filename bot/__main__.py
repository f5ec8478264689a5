"""``python -m bot`` is the ``kelisim`` command."""

from bot.cli import main

main()
