"""State that several bot workers share through Redis (``KELISIM_REDIS_URL``).

* :class:`RedisRateLimiter`: each user's token bucket, so that a user's burst is
  counted once however many workers take their messages;
* :class:`RedisFloodLimiter`: Telegram's bot-wide limit on outgoing messages per
  second, counted across all workers (per-chat limits and 429 ``retry_after``
  stay with python-telegram-bot's own limiter, which it wraps);
* :class:`RedisChatMemory`: the last turns of each conversation, kept for
  ``KELISIM_MEMORY_TTL`` seconds and never written to disk by Kelisim.

Keys never contain a raw Telegram id: users and chats appear only as salted
HMACs. Without Redis the single-process, in-memory versions are used.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable, Coroutine, Hashable
from typing import Any, cast

import redis
from telegram.ext import AIORateLimiter, BaseRateLimiter

from bot.models import Turn
from bot.settings import Settings
from bot.telegram.memory import Conversation
from bot.telegram.ratelimit import Limit

PREFIX = "kelisim:"
# A user's bucket is kept this long after its last message (it is full again by then).
BUCKET_TTL = 3_600

_BUCKET = """
local now = redis.call('TIME')
local t = tonumber(now[1]) + tonumber(now[2]) / 1e6
local burst, rate, ttl = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local b = redis.call('HMGET', KEYS[1], 'tokens', 'updated', 'notified')
local tokens, updated, notified = tonumber(b[1]), tonumber(b[2]), b[3]
if tokens == nil then
  tokens, notified = burst, '0'
else
  tokens = math.min(burst, tokens + (t - updated) * rate)
end
local result
if tokens >= 1 then
  tokens, notified, result = tokens - 1, '0', 'allow'
elseif notified == '1' then
  result = 'drop'
else
  notified, result = '1', 'notify'
end
redis.call('HSET', KEYS[1], 'tokens', tokens, 'updated', t, 'notified', notified)
redis.call('EXPIRE', KEYS[1], ttl)
return result
"""

# A sliding one-second window on the Redis clock. A request counts from the moment
# it may go until one second after its answer came back (while in flight it is
# scored "now + IN_FLIGHT"), so however long it takes to leave this process,
# Telegram never sees more than the limit within one second. Returns 0 (go) or
# milliseconds to wait.
_FLOOD = """
local now = redis.call('TIME')
local t = tonumber(now[1]) + tonumber(now[2]) / 1e6
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', t - 1)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], t + tonumber(ARGV[3]), ARGV[2])
  redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]) + 2)
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(10, math.min(250, math.floor((tonumber(oldest[2]) + 1 - t) * 1000) + 1))
"""
_DONE = """
local now = redis.call('TIME')
redis.call('ZADD', KEYS[1], 'XX', tonumber(now[1]) + tonumber(now[2]) / 1e6, ARGV[1])
return 0
"""
# A request still in flight after this many seconds stops counting (its worker died).
IN_FLIGHT = 30

# Methods that send something a user sees: the ones Telegram's flood limit counts.
SENDING = (
    "sendMessage",
    "editMessageText",
    "editMessageReplyMarkup",
    "sendDocument",
    "sendPhoto",
    "copyMessage",
    "forwardMessage",
)


def connect(url: str) -> redis.Redis:
    """A client for ``url`` that fails fast when Redis is away."""
    return redis.Redis.from_url(
        url, socket_connect_timeout=2, socket_timeout=2, health_check_interval=30
    )


def shared_redis(settings: Settings) -> redis.Redis | None:
    """The configured Redis client, or None for the single-process defaults."""
    url = settings.redis_url.get_secret_value() if settings.redis_url else ""
    return connect(url) if url else None


class RedisRateLimiter:
    """The per-user token bucket of :class:`bot.telegram.ratelimit.RateLimiter`, in Redis."""

    def __init__(
        self, client: redis.Redis, burst: int, per_minute: int, key: Callable[[int], str]
    ) -> None:
        self._client = client
        self._script = client.register_script(_BUCKET)
        self.burst, self.rate = burst, per_minute / 60.0
        self._key = key

    def check(self, user_id: Hashable) -> Limit:
        result = self._script(
            keys=[f"{PREFIX}rate:{self._key(int(str(user_id)))}"],
            args=[self.burst, self.rate, BUCKET_TTL],
        )
        return Limit(result.decode() if isinstance(result, bytes) else str(result))


class RedisFloodLimiter(BaseRateLimiter[int]):
    """At most ``max_rate`` sending calls per second across every worker."""

    def __init__(self, client: redis.Redis, max_rate: float, max_retries: int) -> None:
        self._client = client
        self._script = client.register_script(_FLOOD)
        self._done = client.register_script(_DONE)
        self._max = max(1, int(max_rate))
        # Per-chat limits and 429 retries: python-telegram-bot's own limiter.
        self._inner = AIORateLimiter(overall_max_rate=0, max_retries=max_retries)

    async def initialize(self) -> None:
        await self._inner.initialize()

    async def shutdown(self) -> None:
        await self._inner.shutdown()

    async def _slot(self) -> str:
        member = uuid.uuid4().hex
        while True:
            wait = await asyncio.to_thread(
                self._script, keys=[f"{PREFIX}flood"], args=[self._max, member, IN_FLIGHT]
            )
            if not int(wait):
                return member
            await asyncio.sleep(int(wait) / 1000)

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        async def gated(*a: Any, **k: Any) -> bool | dict[str, Any] | list[dict[str, Any]]:
            if endpoint not in SENDING:
                return await callback(*a, **k)
            member = await self._slot()
            try:
                return await callback(*a, **k)
            finally:
                await asyncio.to_thread(self._done, keys=[f"{PREFIX}flood"], args=[member])

        return await self._inner.process_request(
            gated, args, kwargs, endpoint, data, rate_limit_args
        )


class RedisChatMemory:
    """:class:`bot.telegram.memory.ChatMemory` in Redis, each conversation with a TTL."""

    def __init__(
        self, client: redis.Redis, max_turns: int, ttl: int, key: Callable[[int], str]
    ) -> None:
        self._client = client
        self.max_turns = max_turns
        self._ttl = ttl
        self._hash = key

    def _key(self, key: Conversation) -> str:
        return f"{PREFIX}memory:{self._hash(key[0])}:{self._hash(key[1])}"

    def history(self, key: Conversation) -> tuple[Turn, ...]:
        raw = cast(list[bytes], self._client.lrange(self._key(key), 0, -1))
        turns = []
        for item in raw:
            data = json.loads(item)
            turns.append(Turn(data["role"], data["content"], tuple(data.get("units", ()))))
        return tuple(turns)

    def add(
        self, key: Conversation, question: str, answer: str, units: tuple[str, ...] = ()
    ) -> None:
        if self.max_turns == 0:
            return
        name = self._key(key)
        items = [
            json.dumps({"role": "user", "content": question}, ensure_ascii=False),
            json.dumps(
                {"role": "assistant", "content": answer, "units": list(units)}, ensure_ascii=False
            ),
        ]
        pipe = self._client.pipeline()
        pipe.rpush(name, *items)
        pipe.ltrim(name, -self.max_turns, -1)
        pipe.expire(name, self._ttl)
        pipe.sadd(f"{PREFIX}memory-of:{self._hash(key[1])}", name)
        pipe.expire(f"{PREFIX}memory-of:{self._hash(key[1])}", self._ttl)
        pipe.execute()

    def clear(self, key: Conversation) -> None:
        self._client.delete(self._key(key))

    def clear_user(self, user_id: int) -> None:
        """Every conversation of one user (``/forget``), in any chat."""
        index = f"{PREFIX}memory-of:{self._hash(user_id)}"
        names = cast(set[bytes], self._client.smembers(index))
        if names:
            self._client.delete(*names)
        self._client.delete(index)
