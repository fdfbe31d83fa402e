"""When to try a failed webhook delivery again: the schedule, its jitter, and ``Retry-After``.

The schedule (``Settings.webhook_retry_schedule``) lists the seconds to wait after each failed
attempt: entry ``i`` follows attempt ``i + 1``; the first attempt goes as soon as the event is
committed, so a schedule of *n* entries allows *n* retries (*n + 1* attempts). Each delay is
jittered by ±10 % so receivers that come back up are not hit by every sender at once. A 429 or
503 answer's ``Retry-After`` (seconds or an HTTP date) replaces the delay when it is longer,
capped at a day. Pure functions: the sender owns the clock and the randomness.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime
from email.utils import parsedate_to_datetime

JITTER = 0.10
MAX_RETRY_AFTER_SECONDS = 24 * 3600.0
RETRY_AFTER_STATUSES = frozenset({429, 503})


def next_delay(
    schedule: Sequence[float],
    failed_attempts: int,
    *,
    retry_after: float | None = None,
    rng: random.Random | None = None,
) -> float | None:
    """Seconds until the next attempt after ``failed_attempts`` failures; ``None``: give up."""
    if failed_attempts < 1 or failed_attempts > len(schedule):
        return None
    spread = (rng or random).uniform(-JITTER, JITTER)
    delay = max(0.0, schedule[failed_attempts - 1] * (1.0 + spread))
    if retry_after is not None:
        delay = max(delay, min(retry_after, MAX_RETRY_AFTER_SECONDS))
    return delay


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """``Retry-After`` as seconds from ``now`` (aware): delta-seconds or an HTTP date; else None."""
    if not value or not value.strip():
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # "-0000": UTC by RFC 5322
        when = when.replace(tzinfo=now.tzinfo)
    return max(0.0, (when - now).total_seconds())
