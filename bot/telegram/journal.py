"""At-least-once handling of Telegram updates, answered once.

Telegram forgets an update once the bot confirms it: with long polling, by
asking for the next offset; with a webhook, by answering the POST with 200.
Both happen as soon as python-telegram-bot has put the update on its queue —
long before it is answered. So the queue itself writes each update to the
store before accepting it, the application marks it done after its handlers
ran, and the next start re-queues whatever a crash or a stop left undone.

The same journal de-duplicates: an update id that was answered, or that is
already queued in this process, is dropped when Telegram (or a replaying
proxy) delivers it again. The stored copy holds the message until it is
answered, and is then reduced to its id.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from telegram import Update
from telegram.ext import Application

from bot.telegram.store import Store

log = logging.getLogger(__name__)

# Starts after which an update that never finished is given up.
MAX_ATTEMPTS = 3


class UpdateJournal:
    """Which updates were received, are in hand, or were answered."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._in_hand: set[int] = set()

    def admit(self, update: Update) -> bool:
        """Persist ``update``; False when it is a duplicate that must not be handled."""
        update_id = update.update_id
        if update_id in self._in_hand:
            return False
        state = self._store.journal_add(update_id, json.dumps(update.to_dict()))
        if state == "done":
            return False
        self._in_hand.add(update_id)
        return True

    def done(self, update_id: int) -> None:
        self._store.journal_done(update_id)
        self._in_hand.discard(update_id)

    def unfinished(self) -> list[str]:
        """Stored updates a previous run did not finish (counted as one more attempt)."""
        bodies, given_up = self._store.journal_resume(MAX_ATTEMPTS)
        if given_up:
            log.error("gave up %d update(s) that failed %d starts in a row", given_up, MAX_ATTEMPTS)
        return bodies


class JournalQueue(asyncio.Queue[object]):
    """The application's update queue: nothing enters it before it is on disk."""

    def __init__(self) -> None:
        super().__init__()
        self.journal: UpdateJournal | None = None

    async def put(self, item: object) -> None:
        journal = self.journal
        if isinstance(item, Update) and journal is not None and not journal.admit(item):
            log.info("update %d: a repeat delivery, skipped", item.update_id)
            return
        await super().put(item)


class JournalledApplication(Application):
    """Marks an update done in the journal once its handlers have run."""

    async def process_update(self, update: object) -> None:
        await super().process_update(update)
        queue = self.update_queue
        if isinstance(update, Update) and isinstance(queue, JournalQueue) and queue.journal:
            queue.journal.done(update.update_id)


async def resume(application: Application[Any, Any, Any, Any, Any, Any]) -> int:
    """Queue the updates a previous run left unanswered; returns how many."""
    queue = application.update_queue
    if not isinstance(queue, JournalQueue) or queue.journal is None:
        return 0
    bodies = queue.journal.unfinished()
    for body in bodies:
        update = Update.de_json(json.loads(body), application.bot)
        if update is not None:
            await queue.put(update)
    return len(bodies)
