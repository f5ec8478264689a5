"""The Bot API client: python-telegram-bot's ``ExtBot`` with our timeouts and limits.

One behaviour is added. python-telegram-bot stops polling for good at the
first 401 from ``getUpdates`` and the process then sits there answering nobody.
A single 401 can be a hiccup on Telegram's side, so it is retried with
backoff like any network error; only when Telegram keeps rejecting the token
does the bot say so plainly and stop, so that a supervisor shows the failure.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from telegram import Update
from telegram.error import InvalidToken, NetworkError
from telegram.ext import AIORateLimiter, BaseRateLimiter, ExtBot
from telegram.request import HTTPXRequest

from bot.settings import Settings

log = logging.getLogger(__name__)

# Waits out up to this many 429 ``retry_after`` answers per request.
RATE_LIMIT_RETRIES = 5
# httpcore checks every pooled connection on each request: a small pool is faster.
CONNECTION_POOL = 16
POLL_TIMEOUT = 10
# Seconds to wait for Telegram's answer to a call (after that it may or may not
# have been delivered; see bot.telegram.delivery).
READ_TIMEOUT = 15.0
# Consecutive 401 answers to getUpdates after which the token counts as revoked.
TOKEN_REJECTIONS = 4

TOKEN_HELP = (
    "Telegram rejects the bot token (401 Unauthorized): it was revoked or mistyped. "
    "Copy the current token from @BotFather into KELISIM_TELEGRAM_TOKEN and start again."
)


class KelisimBot(ExtBot[Any]):
    """``ExtBot`` that survives a passing 401 and reports a revoked token clearly."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._rejections = 0
        self._on_token_rejected: Callable[[], None] | None = None

    def when_token_rejected(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` when Telegram keeps rejecting the token (to stop the bot)."""
        self._on_token_rejected = callback

    async def get_updates(
        self,
        offset: int | None = None,
        limit: int | None = None,
        timeout: Any = None,
        allowed_updates: Sequence[str] | None = None,
        **kwargs: Any,
    ) -> tuple[Update, ...]:
        try:
            updates = await super().get_updates(
                offset=offset,
                limit=limit,
                timeout=timeout,
                allowed_updates=allowed_updates,
                **kwargs,
            )
        except InvalidToken as exc:
            self._rejections += 1
            if self._rejections >= TOKEN_REJECTIONS:
                log.critical("%s Stopping.", TOKEN_HELP)
                if self._on_token_rejected is not None:
                    self._on_token_rejected()
                raise
            log.error(
                "getUpdates: Telegram answered 401 Unauthorized (%d of %d before stopping); "
                "trying again",
                self._rejections,
                TOKEN_REJECTIONS,
            )
            raise NetworkError("401 Unauthorized from getUpdates") from exc
        self._rejections = 0
        return updates


def make_bot(
    settings: Settings, token: str, file_url: str, rate_limiter: BaseRateLimiter[Any] | None
) -> KelisimBot:
    return KelisimBot(
        token,
        base_url=settings.telegram_base_url,
        base_file_url=file_url,
        request=HTTPXRequest(
            connection_pool_size=CONNECTION_POOL,
            connect_timeout=5,
            read_timeout=READ_TIMEOUT,
            write_timeout=15,
            pool_timeout=10,
        ),
        get_updates_request=HTTPXRequest(connect_timeout=5, read_timeout=POLL_TIMEOUT + 5),
        rate_limiter=rate_limiter or _flood_limiter(settings),
    )


def _flood_limiter(settings: Settings) -> BaseRateLimiter[Any]:
    """Telegram's bot-wide limit: across workers through Redis when it is configured."""
    from bot.telegram.shared import RedisFloodLimiter, shared_redis

    client = shared_redis(settings)
    if client is not None and settings.telegram_max_rate > 0:
        return RedisFloodLimiter(client, settings.telegram_max_rate, RATE_LIMIT_RETRIES)
    return AIORateLimiter(
        overall_max_rate=settings.telegram_max_rate, max_retries=RATE_LIMIT_RETRIES
    )
