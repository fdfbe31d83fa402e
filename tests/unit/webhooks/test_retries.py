"""The retry policy: schedule positions, jitter bounds, ``Retry-After`` parsing and its cap."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from tilework.config import Settings
from tilework.webhooks.retries import MAX_RETRY_AFTER_SECONDS, next_delay, parse_retry_after

SCHEDULE = (0.0, 5.0, 300.0)
NOW = datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC)


def test_entry_i_follows_failed_attempt_i_plus_one_within_ten_percent() -> None:
    rng = random.Random(7)
    for failed, scheduled in enumerate(SCHEDULE, start=1):
        for _ in range(200):
            delay = next_delay(SCHEDULE, failed, rng=rng)
            assert delay is not None
            assert 0.9 * scheduled <= delay <= 1.1 * scheduled


def test_the_schedule_length_bounds_the_retries() -> None:
    assert next_delay(SCHEDULE, len(SCHEDULE) + 1) is None
    assert next_delay((), 1) is None
    assert next_delay(SCHEDULE, 0) is None


def test_a_longer_retry_after_wins_and_is_capped_at_a_day() -> None:
    assert next_delay(SCHEDULE, 1, retry_after=2.0) == 2.0
    shorter = next_delay(SCHEDULE, 3, retry_after=2.0)
    assert shorter is not None and shorter >= 270
    assert next_delay(SCHEDULE, 1, retry_after=10 * 86400) == MAX_RETRY_AFTER_SECONDS


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120.0),
        (" 0 ", 0.0),
        ("Mon, 23 Nov 2026 12:00:30 GMT", 30.0),
        ("Mon, 23 Nov 2026 11:59:00 GMT", 0.0),  # in the past: go now
        ("soon", None),
        ("-5", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_is_seconds_or_an_http_date(value: str | None, seconds: float | None) -> None:
    assert parse_retry_after(value, NOW) == seconds


def test_the_schedule_setting_reads_comma_separated_seconds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert Settings().webhook_retry_schedule == (0, 5, 300, 1800, 7200, 18000, 36000, 36000)
    monkeypatch.setenv("TILEWORK_WEBHOOK_RETRY_SCHEDULE", "0, 0.2,1")
    monkeypatch.setenv("TILEWORK_WEBHOOK_TIMEOUT_S", "3")
    settings = Settings()
    assert settings.webhook_retry_schedule == (0.0, 0.2, 1.0)
    assert settings.webhook_timeout_seconds == 3.0
    monkeypatch.setenv("TILEWORK_WEBHOOK_RETRY_SCHEDULE", "1,-1")
    with pytest.raises(ValueError, match="retry delays"):
        Settings()
