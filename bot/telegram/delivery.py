"""Calling the Bot API robustly.

``AIORateLimiter`` already waits out 429 ``retry_after``. Here: essential calls
(the reply itself) are retried with exponential backoff, but only when the
request certainly did not reach Telegram — the connection was refused or timed
out while connecting, or Telegram answered with an error. A request that may
have been delivered (the answer timed out, the connection broke after the body
was sent) is never resent, because a user who gets the same answer twice, or an
answer followed by "something went wrong", has been served worse than by one
possibly lost message: :class:`PossiblyDelivered` tells the error handler not to
apologise. Non-essential calls (typing indicator, button edits, command lists)
are wrapped so that their failure is logged and never stops the reply.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

import httpx
from telegram.error import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

ATTEMPTS = 5
FIRST_DELAY = 0.5
MAX_DELAY = 8.0


class PossiblyDelivered(TelegramError):
    """A Bot API call failed in a way that leaves open whether Telegram acted on it."""

    def __init__(self, cause: TelegramError) -> None:
        super().__init__(f"possibly delivered: {type(cause).__name__}")


def not_delivered(exc: TelegramError) -> bool:
    """True when the request certainly did not reach Telegram (safe to send again)."""
    if isinstance(exc, RetryAfter):
        return True
    cause = exc.__cause__
    if isinstance(cause, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout):
        return True
    # Telegram answered with a server error (5xx): the request was refused as a whole.
    return isinstance(exc, NetworkError) and not isinstance(exc, TimedOut) and cause is None


async def with_retries(
    call: Callable[[], Awaitable[T]], *, attempts: int = ATTEMPTS, first_delay: float = FIRST_DELAY
) -> T:
    """Run ``call``, retrying with exponential backoff while it certainly did not arrive.

    Raises :class:`PossiblyDelivered` when a failure leaves open whether it arrived,
    and the last error when the attempts run out.
    """
    delay = first_delay
    for attempt in range(1, attempts + 1):
        try:
            return await call()
        except (BadRequest, Forbidden, InvalidToken, Conflict):
            raise  # refused as asked: sending it again cannot help
        except RetryAfter as exc:  # the rate limiter gave up: wait as asked, then try again
            if attempt == attempts:
                raise
            wait = exc.retry_after
            await asyncio.sleep(wait if isinstance(wait, int) else wait.total_seconds())
        except TelegramError as exc:  # timeouts, broken connections, garbled answers, 5xx
            if not not_delivered(exc):
                raise PossiblyDelivered(exc) from exc
            if attempt == attempts:
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
