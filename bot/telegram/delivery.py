"""Calling the Bot API robustly.

``AIORateLimiter`` already waits out 429 ``retry_after``. Here: essential calls
(the reply itself) are retried with exponential backoff when the connection
fails; non-essential ones (typing indicator, button edits, command lists) are
wrapped so that their failure is logged and never stops the reply.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut

log = logging.getLogger(__name__)

T = TypeVar("T")

ATTEMPTS = 5
FIRST_DELAY = 0.5
MAX_DELAY = 8.0


async def with_retries(
    call: Callable[[], Awaitable[T]], *, attempts: int = ATTEMPTS, first_delay: float = FIRST_DELAY
) -> T:
    """Run ``call``, retrying connection failures with exponential backoff.

    A timeout is not retried: the request may have reached Telegram, and sending
    the same reply twice is worse than the error handler's apology.
    """
    delay = first_delay
    for attempt in range(1, attempts + 1):
        try:
            return await call()
        except RetryAfter as exc:  # the rate limiter gave up: wait as asked, then try again
            if attempt == attempts:
                raise
            wait = exc.retry_after
            await asyncio.sleep(wait if isinstance(wait, int) else wait.total_seconds())
        except TimedOut:
            raise
        except NetworkError as exc:
            if attempt == attempts or isinstance(exc, BadRequest):
                raise
            log.warning(
                "Bot API call failed (%s), retry %d in %.1f s", type(exc).__name__, attempt, delay
            )
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_DELAY)
    raise AssertionError("unreachable")


async def best_effort(call: Awaitable[object], what: str) -> bool:
    """Await a non-essential call; on any failure log it and return False."""
    try:
        await call
    except Exception as exc:
        log.info("%s failed: %s", what, type(exc).__name__)
        return False
    return True
