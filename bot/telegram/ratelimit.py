"""A token bucket per user: a burst, then a sustained rate, one notice per episode."""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from enum import Enum


class Limit(Enum):
    """What to do with one message."""

    ALLOW = "allow"
    NOTIFY = "notify"  # over the limit: drop it and tell the user, once per episode
    DROP = "drop"  # over the limit and already told


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float
    notified: bool = False


class RateLimiter:
    """``burst`` messages at once, refilled at ``per_minute`` a minute, per key."""

    def __init__(
        self,
        burst: int,
        per_minute: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 50_000,
    ) -> None:
        self.burst = float(burst)
        self.rate = per_minute / 60.0
        self._clock = clock
        self._max_keys = max_keys
        self._buckets: dict[Hashable, _Bucket] = {}

    def check(self, key: Hashable) -> Limit:
        now = self._clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self._max_keys:
                self._prune(now)
            bucket = self._buckets[key] = _Bucket(self.burst, now)
        else:
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.rate)
            bucket.updated = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            bucket.notified = False
            return Limit.ALLOW
        if bucket.notified:
            return Limit.DROP
        bucket.notified = True
        return Limit.NOTIFY

    def _prune(self, now: float) -> None:
        """Forget keys whose bucket has refilled: they behave exactly like new ones."""
        full = [
            k
            for k, b in self._buckets.items()
            if b.tokens + (now - b.updated) * self.rate >= self.burst
        ]
        for key in full:
            del self._buckets[key]
