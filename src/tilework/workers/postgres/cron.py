"""Intervals as cron expressions, for Procrastinate's periodic jobs (cron with seconds).

Procrastinate schedules periodic jobs by cron (a sixth column gives seconds), which is what
makes a periodic job run once per tick across the cluster. An interval becomes the closest
cron step that divides its unit evenly: 15 s → every 15 s, 900 s → every 15 minutes; an
interval no step expresses exactly (say 7 minutes) runs a little more often, never less.
"""

from __future__ import annotations

import math

_SECOND_STEPS = (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30)
_MINUTE_STEPS = (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30)
_HOUR_STEPS = (1, 2, 3, 4, 6, 8, 12)


def cron_for_interval(seconds: float) -> str:
    if seconds <= 0:
        raise ValueError("the interval must be positive")
    if seconds < 60:
        step = _largest_at_most(_SECOND_STEPS, seconds)
        return f"* * * * * */{step}"
    if seconds < 3600:
        step = _largest_at_most(_MINUTE_STEPS, seconds / 60)
        return f"*/{step} * * * *"
    if seconds < 86400:
        step = _largest_at_most(_HOUR_STEPS, seconds / 3600)
        return f"0 */{step} * * *"
    return "0 0 * * *"


def _largest_at_most(steps: tuple[int, ...], value: float) -> int:
    whole = max(1, math.floor(value))
    return max(step for step in steps if step <= whole)
