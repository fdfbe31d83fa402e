"""Token buckets per API key: the seam (``RateLimiter``) and its in-process implementation.

A bucket holds up to ``per_minute`` tokens and refills at ``per_minute / 60`` a second; each
request takes one. So a key may burst its whole minute's allowance at once, then goes at the
steady rate. ``InProcessRateLimiter`` keeps the buckets in this process's memory: exact for the
embedded mode (one API process), but with N API processes behind a balancer each process has its
own buckets and a key gets up to N times the rate. A shared store (PostgreSQL, Redis) can sit
behind the same ``take`` for a cluster-wide limit.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

Clock = Callable[[], float]
_PRUNE_EVERY = 10_000  # takes between sweeps of idle (full) buckets


@dataclass(frozen=True)
class Bucket:
    name: str  # "requests", "run_starts"
    per_minute: int

    @property
    def per_second(self) -> float:
        return self.per_minute / 60.0


@dataclass(frozen=True)
class Verdict:
    """One take's outcome, as the ``X-RateLimit-*`` and ``Retry-After`` headers report it."""

    bucket: str
    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int  # until the bucket is full again
    retry_after_seconds: int  # until the next token (0 when allowed)

    def headers(self) -> dict[str, str]:
        found = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset_seconds),
        }
        if not self.allowed:
            found["Retry-After"] = str(self.retry_after_seconds)
        return found


class RateLimiter(Protocol):
    def take(self, key: str, bucket: Bucket) -> Verdict:
        """Take one token of ``bucket`` for ``key`` (an API key id), if there is one."""


class InProcessRateLimiter:
    """Buckets in a dict guarded by a lock (requests are served from a thread pool)."""

    def __init__(self, clock: Clock = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._levels: dict[tuple[str, str], tuple[float, float]] = {}  # (tokens, at)
        self._takes = 0

    def take(self, key: str, bucket: Bucket) -> Verdict:
        now = self._clock()
        with self._lock:
            tokens = self._level(key, bucket, now)
            allowed = tokens >= 1.0
            if allowed:
                tokens -= 1.0
            self._levels[(bucket.name, key)] = (tokens, now)
            self._takes += 1
            if self._takes % _PRUNE_EVERY == 0:
                self._prune(now, bucket)
        return _verdict(bucket, tokens, allowed)

    def _level(self, key: str, bucket: Bucket, now: float) -> float:
        tokens, at = self._levels.get((bucket.name, key), (float(bucket.per_minute), now))
        return min(float(bucket.per_minute), tokens + (now - at) * bucket.per_second)

    def _prune(self, now: float, bucket: Bucket) -> None:
        """Forget buckets that have refilled: they would start full anyway."""
        full = [
            entry
            for entry, (tokens, at) in self._levels.items()
            if entry[0] == bucket.name
            and tokens + (now - at) * bucket.per_second >= bucket.per_minute
        ]
        for entry in full:
            del self._levels[entry]


def _verdict(bucket: Bucket, tokens: float, allowed: bool) -> Verdict:
    rate = bucket.per_second
    return Verdict(
        bucket=bucket.name,
        allowed=allowed,
        limit=bucket.per_minute,
        remaining=max(0, math.floor(tokens)),
        reset_seconds=math.ceil((bucket.per_minute - tokens) / rate),
        retry_after_seconds=0 if allowed else max(1, math.ceil((1.0 - tokens) / rate)),
    )
