"""At-least-once handling of Telegram updates, answered once.

Telegram forgets an update once the bot confirms it: with long polling, by
asking for the next offset; with a webhook, by answering the POST with 200.
Both happen as soon as python-telegram-bot has put the update on its queue —
long before it is answered. So the queue itself writes each update to the
store before accepting it, the application marks it done after its handlers
ran, and the next start re-queues whatever a crash or a stop left undone.

The same journal de-duplicates: an update id that was answered, or that this
or another worker is handling, is dropped when Telegram (or a replaying proxy)
delivers it again. The stored copy holds the message until it is answered, and
is then reduced to its id. With several workers on one PostgreSQL database,
each update is claimed by the worker that received it, which renews the claim
while it works; a worker that dies leaves its claim to age, and the worker that
Telegram sends the update to again takes it over after :data:`LEASE` seconds.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
from typing import Any, Literal

from telegram import Update
from telegram.ext import Application

from bot.telegram.store import Store

log = logging.getLogger(__name__)

# The update the current handler is answering (set for the length of its handling).
_CURRENT: contextvars.ContextVar[tuple[UpdateJournal, int] | None] = contextvars.ContextVar(
    "kelisim_update", default=None
)

# Takeovers after which an update that never finished is given up.
MAX_ATTEMPTS = 3
# With several workers on one database: an unfinished update whose claim is older
# than this is taken over by another worker (longer than any answer takes; the
# setting KELISIM_UPDATE_LEASE).
LEASE = 120


class UpdateJournal:
    """Which updates were received, are in hand, or were answered."""

    def __init__(self, store: Store, lease: int = LEASE) -> None:
        self._store = store
        self._in_hand: set[int] = set()
        self.lease = lease
        # One process owns an SQLite file: whatever it did not finish is its own.
        self.stale_after = lease if store.shared else 0

    @property
    def shared(self) -> bool:
        return self._store.shared

    def claim(self, update: Update) -> Literal["handle", "busy", "done"]:
        """Persist ``update`` and claim it: ``handle`` it here, or it is ``busy``
        (this or another worker has it) or ``done`` (already answered)."""
        update_id = update.update_id
        if update_id in self._in_hand:
            return "busy"
        state = self._store.journal_claim(
            update_id, json.dumps(update.to_dict()), stale_after=self.stale_after
        )
        if state in ("done", "busy"):
            return state
        self._in_hand.add(update_id)
        return "handle"

    def admit(self, update: Update) -> bool:
        """Persist and claim ``update``; False for a duplicate, or one another worker has."""
        return self.claim(update) == "handle"

    def refresh(self, update_id: int) -> None:
        """Renew this worker's claim on an update it is still handling."""
        self._store.journal_refresh(update_id)

    def take(self, update_id: int) -> None:
        """An update claimed by :meth:`unfinished` is in this worker's hands."""
        self._in_hand.add(update_id)

    def done(self, update_id: int) -> None:
        """Record the update as answered (once: a reply marked early is not written again)."""
        if update_id in self._in_hand:
            self._store.journal_done(update_id)
            self._in_hand.discard(update_id)

    def unfinished(self) -> list[str]:
        """Claim stored updates a previous run (or a dead worker) did not finish."""
        bodies, given_up = self._store.journal_resume(MAX_ATTEMPTS, stale_after=self.stale_after)
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

    async def put_claimed(self, update: Update) -> None:
        """Queue an update this worker already claimed from the journal."""
        if self.journal is not None:
            self.journal.take(update.update_id)
        await super().put(update)


class JournalledApplication(Application):
    """Marks an update done in the journal once its handlers have run."""

    async def process_update(self, update: object) -> None:
        queue = self.update_queue
        journal = queue.journal if isinstance(queue, JournalQueue) else None
        if not isinstance(update, Update) or journal is None:
            await super().process_update(update)
            return
        token = _CURRENT.set((journal, update.update_id))
        try:
            await super().process_update(update)
        finally:
            _CURRENT.reset(token)
        journal.done(update.update_id)


def answered() -> None:
    """The reply to the update being handled is out: mark it done now.

    Called right after the last message of a reply is sent, so that a crash
    during the bookkeeping that follows cannot make another run answer it again.
    """
    current = _CURRENT.get()
    if current is not None:
        journal, update_id = current
        journal.done(update_id)


async def resume(application: Application[Any, Any, Any, Any, Any, Any]) -> int:
    """Queue the updates a previous run left unanswered; returns how many."""
    queue = application.update_queue
    if not isinstance(queue, JournalQueue) or queue.journal is None:
        return 0
    bodies = await asyncio.to_thread(queue.journal.unfinished)
    for body in bodies:
        update = Update.de_json(json.loads(body), application.bot)
        if update is not None:
            await queue.put_claimed(update)
    return len(bodies)
