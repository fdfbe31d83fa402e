"""Retries, the delivery log and the per-host cap, against real receivers on 127.0.0.1.

Schedules are tiny (tenths of a second) or driven by a fake clock, so a whole schedule runs in
well under a second per test.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.integration.webhooks.clock import FakeClock
from tests.integration.webhooks.rows import add_events, events_of, make_run
from tests.support.receiver import ReceivedRequest, Receiver
from tilework.config import Settings
from tilework.db.tables import WebhookAttempt
from tilework.webhooks.sender import WebhookSender


@pytest.fixture
def webhook_settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"webhook_retry_schedule": (0.5, 1.0, 2.0), "webhook_timeout_seconds": 2.0}
    )


def attempts_of(sessions: sessionmaker[Session], event_id: str) -> list[WebhookAttempt]:
    with sessions() as session:
        query = select(WebhookAttempt).where(WebhookAttempt.event_id == event_id)
        return list(session.scalars(query.order_by(WebhookAttempt.attempt)))


def seqs(requests: list[ReceivedRequest], run_id: str) -> list[int]:
    return [int(r.headers["x-tilework-sequence"]) for r in requests if r.body["run_id"] == run_id]


def test_500_twice_then_200_goes_at_the_scheduled_times_and_each_attempt_is_logged(
    sessions: sessionmaker[Session], settings: Settings, receiver: Receiver
) -> None:
    schedule = (0.3, 0.6)
    fast = settings.model_copy(update={"webhook_retry_schedule": schedule})
    run = make_run(sessions, callback_url=receiver.url)
    (event_id,) = add_events(sessions, run, [1], callback_url=receiver.url)
    receiver.respond_with(500, 500)
    hooks = WebhookSender(sessions, fast)
    hooks.start()
    try:
        hooks.wake()
        first, second, third = receiver.wait_for(3, timeout=5)
    finally:
        hooks.stop()
    assert {r.headers["webhook-id"] for r in (first, second, third)} == {event_id}
    for earlier, later, delay in ((first, second, schedule[0]), (second, third, schedule[1])):
        assert 0.9 * delay - 0.02 <= later.at - earlier.at <= 1.1 * delay + 0.5
    attempts = attempts_of(sessions, event_id)
    assert [(a.attempt, a.status_code, a.error) for a in attempts] == [
        (1, 500, "HTTP 500"),
        (2, 500, "HTTP 500"),
        (3, 200, None),
    ]
    assert all(a.url == receiver.url and 0 <= a.latency_ms < 1000 for a in attempts)
    assert attempts[0].started_at < attempts[1].started_at < attempts[2].started_at
    (event,) = events_of(sessions, run)
    assert (event.delivery_status, event.attempts) == ("delivered", 3)


def test_410_stops_after_one_logged_attempt(
    sessions: sessionmaker[Session], sender: WebhookSender, receiver: Receiver, clock: FakeClock
) -> None:
    run = make_run(sessions, callback_url=receiver.url)
    (event_id,) = add_events(sessions, run, [1], callback_url=receiver.url)
    receiver.respond_with(410)
    assert sender.deliver_due_once() == 1
    clock.advance(3600)
    assert sender.deliver_due_once() == 0
    (event,) = events_of(sessions, run)
    assert (event.delivery_status, event.next_attempt_at) == ("failed", None)
    assert [(a.status_code, a.error) for a in attempts_of(sessions, event_id)] == [
        (410, "HTTP 410")
    ]
    assert len(receiver.requests) == 1


def test_a_receiver_slower_than_the_timeout_is_timed_out_logged_and_retried(
    sessions: sessionmaker[Session], webhook_settings: Settings, clock: FakeClock
) -> None:
    impatient = webhook_settings.model_copy(update={"webhook_timeout_seconds": 0.3})
    slow = Receiver()
    slow.delay = 1.5
    hooks = WebhookSender(sessions, impatient, clock=clock)
    try:
        run = make_run(sessions, callback_url=slow.url)
        (event_id,) = add_events(sessions, run, [1], callback_url=slow.url)
        hooks.deliver_due_once()
        (timed_out,) = attempts_of(sessions, event_id)
        assert timed_out.status_code is None
        assert timed_out.error is not None and "Timeout" in timed_out.error
        assert 250 <= timed_out.latency_ms < 1400
        assert events_of(sessions, run)[0].delivery_status == "pending"
        slow.delay = 0.0
        clock.advance(0.6)
        hooks.deliver_due_once()
        assert [a.status_code for a in attempts_of(sessions, event_id)] == [None, 200]
        assert events_of(sessions, run)[0].delivery_status == "delivered"
        assert [r.headers["webhook-id"] for r in slow.requests] == [event_id, event_id]
    finally:
        hooks.stop()
        slow.close()


def test_a_302_to_a_private_address_is_a_failure_and_is_never_followed(
    sessions: sessionmaker[Session], sender: WebhookSender, receiver: Receiver
) -> None:
    # Private addresses are allowed in these tests, so only "never follow" keeps 10.0.0.1 safe.
    receiver.respond_with(302)
    receiver.response_headers = {"Location": "http://10.0.0.1/"}
    run = make_run(sessions, callback_url=receiver.url)
    (event_id,) = add_events(sessions, run, [1], callback_url=receiver.url)
    sender.deliver_due_once()
    (event,) = events_of(sessions, run)
    assert (event.delivery_status, event.last_status_code) == ("pending", 302)
    (attempt,) = attempts_of(sessions, event_id)
    assert (attempt.url, attempt.status_code, attempt.error) == (receiver.url, 302, "HTTP 302")
    assert len(receiver.requests) == 1


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_on_429_and_503_pushes_the_next_attempt_back(
    sessions: sessionmaker[Session],
    sender: WebhookSender,
    receiver: Receiver,
    clock: FakeClock,
    status: int,
) -> None:
    receiver.respond_with(status)
    receiver.response_headers = {"Retry-After": "2"}
    run = make_run(sessions, callback_url=receiver.url)
    add_events(sessions, run, [1], callback_url=receiver.url)
    sender.deliver_due_once()
    due = events_of(sessions, run)[0].next_attempt_at
    assert due is not None and due - clock.now == timedelta(seconds=2)  # longer than 0.5 s ±10 %
    clock.advance(1.9)
    assert sender.deliver_due_once() == 0
    clock.advance(0.1)
    assert sender.deliver_due_once() == 1
    assert events_of(sessions, run)[0].delivery_status == "delivered"


def test_a_receiver_refusing_connections_then_up_gets_every_event_in_order_per_run(
    sessions: sessionmaker[Session], sender: WebhookSender, clock: FakeClock
) -> None:
    down = Receiver(listening=False)
    try:
        runs = [make_run(sessions, callback_url=down.url) for _ in range(2)]
        ids = {run: add_events(sessions, run, [1, 2, 3], callback_url=down.url) for run in runs}
        for _ in range(2):  # two refused attempts at each run's first event
            assert sender.deliver_due_once() == 2
            clock.advance(1.1)
        refused = attempts_of(sessions, ids[runs[0]][0])
        assert [a.status_code for a in refused] == [None, None]
        assert all(a.error is not None and "ConnectError" in a.error for a in refused)
        down.listen()
        for _ in range(10):
            if not sender.deliver_due_once():
                break
        for run in runs:
            assert seqs(down.requests, run) == [1, 2, 3]
            assert [r.headers["webhook-id"] for r in down.requests if r.body["run_id"] == run] == (
                ids[run]
            )
            assert [e.delivery_status for e in events_of(sessions, run)] == ["delivered"] * 3
    finally:
        down.close()


def test_only_the_first_kilobyte_of_the_answer_is_kept(
    sessions: sessionmaker[Session], sender: WebhookSender, receiver: Receiver
) -> None:
    receiver.respond_with(500)
    receiver.response_body = ("é" * 100_000).encode()  # 200 KB, more than the 64 KB read cap
    run = make_run(sessions, callback_url=receiver.url)
    (event_id,) = add_events(sessions, run, [1], callback_url=receiver.url)
    sender.deliver_due_once()
    (attempt,) = attempts_of(sessions, event_id)
    assert attempt.response_excerpt == "é" * 512
    assert attempt.status_code == 500


def test_a_slow_host_does_not_delay_another_hosts_deliveries(
    sessions: sessionmaker[Session], settings: Settings, receiver: Receiver
) -> None:
    capped = settings.model_copy(update={"webhook_max_per_host": 2})
    slow = Receiver()
    slow.delay = 5.0  # far longer than the fast host may wait: no wall-clock bound needed
    hooks = WebhookSender(sessions, capped)
    try:
        # More slow runs than the sender has slots, committed first: without the cap they
        # would fill every slot and the fast host would wait five seconds.
        for _ in range(20):
            add_events(
                sessions, make_run(sessions, callback_url=slow.url), [1], callback_url=slow.url
            )
        fast = make_run(sessions, callback_url=receiver.url)
        add_events(sessions, fast, [1, 2, 3], callback_url=receiver.url)
        hooks.start()
        hooks.wake()
        received = receiver.wait_for(3, timeout=3)  # well before any slow answer comes back
        assert seqs(received, fast) == [1, 2, 3]
        assert len(slow.requests) <= 2  # the cap: two in flight at the slow host
    finally:
        hooks.stop()
        slow.close()
