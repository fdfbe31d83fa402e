"""The token bucket: bursts up to a minute's allowance, refills at the steady rate, and reports
what the ``X-RateLimit-*`` and ``Retry-After`` headers say."""

from __future__ import annotations

from tilework.orgs.rate_limit import Bucket, InProcessRateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_full_bucket_allows_a_burst_then_refuses() -> None:
    clock = Clock()
    limiter = InProcessRateLimiter(clock)
    bucket = Bucket("requests", 60)  # one token a second
    verdicts = [limiter.take("key", bucket) for _ in range(61)]
    assert all(v.allowed for v in verdicts[:60])
    assert [v.remaining for v in verdicts[:3]] == [59, 58, 57]
    refused = verdicts[60]
    assert not refused.allowed and refused.remaining == 0
    assert refused.retry_after_seconds == 1 and refused.reset_seconds == 60
    assert refused.headers() == {
        "X-RateLimit-Limit": "60",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": "60",
        "Retry-After": "1",
    }


def test_tokens_come_back_at_the_steady_rate() -> None:
    clock = Clock()
    limiter = InProcessRateLimiter(clock)
    bucket = Bucket("requests", 6)  # one token every ten seconds
    for _ in range(6):
        assert limiter.take("key", bucket).allowed
    assert limiter.take("key", bucket).retry_after_seconds == 10
    clock.now += 9.9
    assert not limiter.take("key", bucket).allowed
    clock.now += 0.2
    allowed = limiter.take("key", bucket)
    assert allowed.allowed and "Retry-After" not in allowed.headers()
    clock.now += 3600
    assert limiter.take("key", bucket).remaining == 5  # capped at a full bucket


def test_keys_and_buckets_are_counted_apart() -> None:
    limiter = InProcessRateLimiter(Clock())
    runs, requests = Bucket("run_starts", 1), Bucket("requests", 1)
    assert limiter.take("a", runs).allowed
    assert not limiter.take("a", runs).allowed
    assert limiter.take("b", runs).allowed
    assert limiter.take("a", requests).allowed


def test_idle_buckets_are_forgotten() -> None:
    clock = Clock()
    limiter = InProcessRateLimiter(clock)
    bucket = Bucket("requests", 600)
    for n in range(10_000):
        limiter.take(f"key-{n}", bucket)
        clock.now += 0.001
    clock.now += 10
    limiter.take("last", bucket)  # the 10,001st take sweeps
    assert len(limiter._levels) < 200  # only the last tenth of a second is not yet full
