"""Showing an LLM answer while it is written, by editing one message.

The engine calls back from its worker thread with the guarded answer so far;
the newest draft is shown by editing the message at most once every
``EDIT_INTERVAL`` seconds (Telegram allows about one edit a second per chat).
The final, guarded reply then replaces the draft in the same message.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
from typing import Any

from telegram import Bot, Message
from telegram.constants import ParseMode

from bot.telegram.delivery import best_effort
from bot.telegram.render import utf16_len

EDIT_INTERVAL = 1.0
CURSOR = " ▍"
# A draft shows at most this many UTF-16 units (the end of the answer so far):
# escaping can triple a character, and the whole must stay under Telegram's 4,096.
DRAFT_UNITS = 1300


def _tail(text: str) -> str:
    if utf16_len(text) <= DRAFT_UNITS:
        return text
    keep = text[-DRAFT_UNITS:]
    while (excess := utf16_len(keep) - DRAFT_UNITS + 1) > 0:
        keep = keep[max(excess // 2, 1) :]  # a character is at most two units
    return "…" + keep


def _edit_kwargs(send_kwargs: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in send_kwargs.items() if k == "link_preview_options"}


class DraftMessage:
    """One chat message that follows the answer as it grows."""

    def __init__(self, bot: Bot, chat_id: int, **send_kwargs: Any) -> None:
        self._bot = bot
        self._chat_id = chat_id
        self._send_kwargs = send_kwargs
        self._loop = asyncio.get_running_loop()
        self._latest = ""
        self._shown = ""
        self._changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.message: Message | None = None

    def update(self, text: str) -> None:
        """Thread-safe: the engine's worker thread reports a new draft."""
        self._loop.call_soon_threadsafe(self._set, text)

    def _set(self, text: str) -> None:
        self._latest = text
        self._changed.set()
        if self._task is None:
            self._task = asyncio.create_task(self._follow())

    async def _follow(self) -> None:
        while True:
            await self._changed.wait()
            self._changed.clear()
            text = html.escape(_tail(self._latest), quote=False) + CURSOR
            if self.message is None:
                with contextlib.suppress(Exception):
                    self.message = await self._bot.send_message(
                        self._chat_id, text, parse_mode=ParseMode.HTML, **self._send_kwargs
                    )
            elif self._latest != self._shown:
                await best_effort(
                    self._bot.edit_message_text(
                        text,
                        self._chat_id,
                        self.message.message_id,
                        parse_mode=ParseMode.HTML,
                        **_edit_kwargs(self._send_kwargs),
                    ),
                    "draft edit",
                )
            self._shown = self._latest
            await asyncio.sleep(EDIT_INTERVAL)

    async def close(self) -> Message | None:
        """Stop following; returns the draft message to put the final text in, if any."""
        # Let a draft reported just before the end be scheduled first.
        await asyncio.sleep(0)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        return self.message
