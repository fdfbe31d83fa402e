"""Intervals become cron steps that divide their unit: never less often than asked."""

from __future__ import annotations

import itertools

import pytest
from croniter import croniter

from tilework.workers.postgres.cron import cron_for_interval


@pytest.mark.parametrize(
    ("seconds", "cron"),
    [
        (0.05, "* * * * * */1"),
        (1, "* * * * * */1"),
        (7, "* * * * * */6"),
        (15, "* * * * * */15"),
        (59, "* * * * * */30"),
        (60, "*/1 * * * *"),
        (420, "*/6 * * * *"),
        (900, "*/15 * * * *"),
        (3600, "0 */1 * * *"),
        (5 * 3600, "0 */4 * * *"),
        (3 * 86400, "0 0 * * *"),
    ],
)
def test_intervals_map_to_steps(seconds: float, cron: str) -> None:
    assert cron_for_interval(seconds) == cron


@pytest.mark.parametrize("seconds", [1, 7, 15, 45, 60, 420, 900, 3600, 7200])
def test_the_cron_fires_at_least_as_often_as_the_interval(seconds: float) -> None:
    times = croniter(cron_for_interval(seconds), 1_700_000_000.0)
    ticks = [times.get_next(float) for _ in range(5)]
    assert all(b - a <= seconds for a, b in itertools.pairwise(ticks))


def test_a_non_positive_interval_is_refused() -> None:
    with pytest.raises(ValueError, match="positive"):
        cron_for_interval(0)
