"""Cron arithmetic with time zones, and the missed-firing rule (one run, never N)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tilework.errors import ValidationError
from tilework.triggers.cron import check_cron, due_firing, next_fire_after, zone


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def test_next_firing_is_computed_in_the_trigger_time_zone() -> None:
    # 09:00 in Paris is 08:00 UTC in winter and 07:00 UTC in summer (DST began 2024-03-31).
    assert next_fire_after("0 9 * * *", "Europe/Paris", utc(2024, 3, 30, 12)) == utc(2024, 3, 31, 7)
    assert next_fire_after("0 9 * * *", "Europe/Paris", utc(2024, 3, 29, 12)) == utc(2024, 3, 30, 8)
    # Kolkata is UTC+05:30: local minute 5 is UTC minute 35.
    assert next_fire_after("5 * * * *", "Asia/Kolkata", utc(2024, 1, 1, 10, 0)) == utc(
        2024, 1, 1, 10, 35
    )


def test_next_firing_is_strictly_after() -> None:
    assert next_fire_after("*/15 * * * *", "UTC", utc(2024, 1, 1, 10, 15)) == utc(
        2024, 1, 1, 10, 30
    )


def test_nothing_is_due_before_the_next_firing() -> None:
    assert (
        due_firing("*/15 * * * *", "UTC", utc(2024, 1, 1, 10, 15), utc(2024, 1, 1, 10, 14)) is None
    )


def test_a_due_firing_fires_for_its_time_and_moves_on() -> None:
    firing = due_firing("*/15 * * * *", "UTC", utc(2024, 1, 1, 10, 15), utc(2024, 1, 1, 10, 15, 4))
    assert firing is not None
    assert (firing.scheduled_at, firing.next_fire_at) == (
        utc(2024, 1, 1, 10, 15),
        utc(2024, 1, 1, 10, 30),
    )


def test_missed_firings_collapse_into_one_for_the_latest() -> None:
    # Down from 03:00 to 07:30: 03:00 … 07:00 were missed; one firing, for 07:00, then 08:00.
    firing = due_firing("0 * * * *", "UTC", utc(2024, 1, 1, 3), utc(2024, 1, 1, 7, 30))
    assert firing is not None
    assert firing.scheduled_at == utc(2024, 1, 1, 7)
    assert firing.next_fire_at == utc(2024, 1, 1, 8)
    # Asking again at the same time: nothing more is due.
    assert due_firing("0 * * * *", "UTC", firing.next_fire_at, utc(2024, 1, 1, 7, 30)) is None


def test_missed_firing_across_days_in_a_time_zone() -> None:
    # Weekdays 09:00 New York; down Friday 12:00 UTC → Tuesday 12:00 UTC (EDT, UTC-4).
    firing = due_firing(
        "0 9 * * 1-5", "America/New_York", utc(2024, 6, 10, 13), utc(2024, 6, 11, 12)
    )
    assert firing is not None
    assert firing.scheduled_at == utc(2024, 6, 10, 13)  # Monday 09:00 EDT
    assert firing.next_fire_at == utc(2024, 6, 11, 13)  # Tuesday 09:00 EDT


@pytest.mark.parametrize("expression", ["61 * * * *", "* * *", "every day", "* * * * * *", ""])
def test_invalid_cron_is_refused(expression: str) -> None:
    with pytest.raises(ValidationError, match="not a valid cron expression"):
        check_cron(expression)


def test_cron_is_normalised() -> None:
    assert check_cron("  */5   9-17 * * 1-5 ") == "*/5 9-17 * * 1-5"


@pytest.mark.parametrize("name", ["Mars/Olympus", "", "../etc/passwd"])
def test_unknown_time_zone_is_refused(name: str) -> None:
    with pytest.raises(ValidationError, match="unknown time zone"):
        zone(name)
