"""Limits and memory shared by several workers through a real Redis server."""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import Iterator

import pytest
import redis

from bot.telegram.ratelimit import Limit
from bot.telegram.shared import RedisChatMemory, RedisFloodLimiter, RedisRateLimiter, connect
from bot.telegram.store import UserHasher
from tests.servers import redis_server

HASH = UserHasher(b"test-key")


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    if shutil.which("redis-server") is None:
        pytest.fail(
            "Redis is not installed: run `make setup` as root or with sudo, or "
            "`sudo apt-get install redis-server`",
            pytrace=False,
        )
    with redis_server() as url:
        yield url


@pytest.fixture
def client(redis_url: str) -> Iterator[redis.Redis]:
    c = connect(redis_url)
    c.flushdb()
    yield c
    c.close()


def test_a_users_burst_is_counted_once_across_workers(client: redis.Redis) -> None:
    one = RedisRateLimiter(client, burst=3, per_minute=1, key=HASH)
    two = RedisRateLimiter(client, burst=3, per_minute=1, key=HASH)
    got = [w.check(987654321) for w in (one, two, one, two, one)]
    assert got == [Limit.ALLOW] * 3 + [Limit.NOTIFY, Limit.DROP]
    assert one.check(123456789) is Limit.ALLOW  # another user has their own bucket
    keys = [k.decode() for k in client.keys("*")]
    assert len(keys) == 2 and not any("987654321" in k or "123456789" in k for k in keys)


def test_memory_is_shared_trimmed_expiring_and_forgotten(client: redis.Redis) -> None:
    one = RedisChatMemory(client, max_turns=4, ttl=600, key=HASH)
    two = RedisChatMemory(client, max_turns=4, ttl=600, key=HASH)
    for n in range(3):
        one.add((7, 42), f"question {n}", f"answer {n}", ("unit/a",))
    history = two.history((7, 42))
    assert [t.content for t in history] == ["question 1", "answer 1", "question 2", "answer 2"]
    assert history[-1].units == ("unit/a",)
    two.add((8, 42), "in a group", "reply")
    name = next(k for k in client.keys("kelisim:memory:*"))
    assert 0 < client.ttl(name) <= 600
    one.clear_user(42)
    assert two.history((7, 42)) == () and two.history((8, 42)) == ()


def test_the_flood_limit_holds_across_workers(client: redis.Redis) -> None:
    sent: list[float] = []

    async def send(*_: object, **__: object) -> bool:
        sent.append(time.monotonic())
        return True

    async def main() -> None:
        limiters = [RedisFloodLimiter(client, max_rate=5, max_retries=0) for _ in range(2)]
        for limiter in limiters:
            await limiter.initialize()
        calls = [
            limiters[n % 2].process_request(send, (), {}, "sendMessage", {"chat_id": n}, None)
            for n in range(15)
        ]
        await asyncio.gather(*calls)
        for limiter in limiters:
            await limiter.shutdown()

    started = time.monotonic()
    asyncio.run(main())
    assert len(sent) == 15 and time.monotonic() - started >= 1.5  # 5 a second, not 15 at once
    for t in sent:
        assert sum(1 for u in sent if t <= u < t + 0.95) <= 5
