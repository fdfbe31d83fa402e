"""The webhook sender against a real receiver on 127.0.0.1, with outbox rows inserted directly."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from pydantic import SecretStr
from sqlalchemy.orm import Session, sessionmaker

import tilework
from tests.integration.webhooks.clock import FakeClock
from tests.integration.webhooks.rows import add_events, events_of, make_run, payload
from tests.support.receiver import ReceivedRequest, Receiver
from tilework.config import Settings
from tilework.webhooks.sender import WebhookSender

BASE = 0.5  # first retry delay in seconds; the fake clock makes waiting unnecessary
SCHEDULE = (BASE, 2 * BASE)  # two retries: three attempts in all


@pytest.fixture
def webhook_settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "webhook_retry_schedule": SCHEDULE,
            "webhook_timeout_seconds": 5.0,
        }
    )


def seqs(requests: list[ReceivedRequest], run_id: str) -> list[int]:
    """The sequence numbers ``run_id``'s requests carried, in arrival order."""
    return [int(r.headers["x-tilework-sequence"]) for r in requests if r.body["run_id"] == run_id]


def test_the_thread_delivers_every_run_in_order_with_the_contract_headers(
    sessions: sessionmaker[Session], webhook_settings: Settings, receiver: Receiver
) -> None:
    runs = [make_run(sessions, callback_url=receiver.url) for _ in range(3)]
    ids = {run: add_events(sessions, run, range(1, 5), callback_url=receiver.url) for run in runs}
    hooks = WebhookSender(sessions, webhook_settings)
    hooks.start()
    try:
        hooks.wake()
        received = receiver.wait_for(12)
    finally:
        hooks.stop()
    for run in runs:
        mine = [r for r in received if r.body["run_id"] == run]
        assert [int(r.headers["x-tilework-sequence"]) for r in mine] == [1, 2, 3, 4]
        assert [r.headers["webhook-id"] for r in mine] == ids[run]
        assert [r.body for r in mine] == [payload(run, seq) for seq in range(1, 5)]
        assert mine[0].raw == json.dumps(payload(run, 1), separators=(",", ":")).encode()
        assert mine[0].headers["content-type"] == "application/json"
        assert mine[0].headers["user-agent"] == f"Tilework/{tilework.__version__}"
        assert "x-mosaic-signature" not in mine[0].headers
        rows = events_of(sessions, run)
        assert {(e.delivery_status, e.attempts, e.last_status_code) for e in rows} == {
            ("delivered", 1, 200)
        }
        assert all(e.delivered_at is not None for e in rows)


def test_events_committed_while_running_are_sent_after_wake(
    sessions: sessionmaker[Session], webhook_settings: Settings, receiver: Receiver
) -> None:
    hooks = WebhookSender(sessions, webhook_settings)
    hooks.start()
    try:
        run = make_run(sessions, callback_url=receiver.url)
        add_events(sessions, run, [1], callback_url=receiver.url)
        hooks.wake()
        receiver.wait_for(1, timeout=2.0)  # well under the idle poll: wake() worked
    finally:
        hooks.stop()


def jittered(seconds: float) -> tuple[timedelta, timedelta]:
    """The range a scheduled delay lands in once jittered (±10 %)."""
    return timedelta(seconds=seconds * 0.9), timedelta(seconds=seconds * 1.1)


def test_a_500_is_retried_on_schedule_and_holds_back_the_runs_later_events(
    sessions: sessionmaker[Session], sender: WebhookSender, receiver: Receiver, clock: FakeClock
) -> None:
    run = make_run(sessions, callback_url=receiver.url)
    add_events(sessions, run, [1, 2], callback_url=receiver.url)
    receiver.respond_with(500)

    assert sender.deliver_due_once() == 1
    first, second = events_of(sessions, run)
    assert (first.delivery_status, first.attempts, first.last_status_code) == ("pending", 1, 500)
    assert first.last_error == "HTTP 500"
    assert first.next_attempt_at is not None
    low, high = jittered(BASE)
    assert low <= first.next_attempt_at - clock.now <= high
    assert (second.delivery_status, second.attempts) == ("pending", 0)

    assert sender.deliver_due_once() == 0  # not due yet, and seq 2 may not overtake seq 1
    clock.advance(BASE * 1.1)
    assert sender.deliver_due_once() == 1
    assert sender.deliver_due_once() == 1
    assert seqs(receiver.requests, run) == [1, 1, 2]
    assert [(e.delivery_status, e.attempts) for e in events_of(sessions, run)] == [
        ("delivered", 2),
        ("delivered", 1),
    ]


def test_the_schedule_runs_out_then_the_event_fails_and_the_next_one_goes(
    sessions: sessionmaker[Session], sender: WebhookSender, receiver: Receiver, clock: FakeClock
) -> None:
    run = make_run(sessions, callback_url=receiver.url)
    add_events(sessions, run, [1, 2], callback_url=receiver.url)
    receiver.respond_with(503, 503, 503)
    delays = []
    for _ in range(2):
        sender.deliver_due_once()
        due = events_of(sessions, run)[0].next_attempt_at
        assert due is not None
        delays.append((due - clock.now).total_seconds())
        clock.advance(delays[-1])
    for delay, scheduled in zip(delays, SCHEDULE, strict=True):
        assert 0.9 * scheduled - 1e-3 <= delay <= 1.1 * scheduled + 1e-3
    sender.deliver_due_once()  # third and last attempt: the schedule has two retries
    first = events_of(sessions, run)[0]
    assert (first.delivery_status, first.attempts, first.next_attempt_at) == ("failed", 3, None)
    assert sender.deliver_due_once() == 1
    assert seqs(receiver.requests, run) == [1, 1, 1, 2]
    assert events_of(sessions, run)[1].delivery_status == "delivered"


def test_410_gone_stops_at_once(
    sessions: sessionmaker[Session], sender: WebhookSender, receiver: Receiver
) -> None:
    run = make_run(sessions, callback_url=receiver.url)
    add_events(sessions, run, [1, 2], callback_url=receiver.url)
    receiver.respond_with(410)
    sender.deliver_due_once()
    first = events_of(sessions, run)[0]
    assert (first.delivery_status, first.attempts, first.last_status_code) == ("failed", 1, 410)
    sender.deliver_due_once()
    assert seqs(receiver.requests, run) == [1, 2]


def test_a_redirect_is_a_failure_and_is_not_followed(
    sessions: sessionmaker[Session], sender: WebhookSender, receiver: Receiver
) -> None:
    run = make_run(sessions, callback_url=receiver.url)
    add_events(sessions, run, [1], callback_url=receiver.url)
    receiver.respond_with(307)
    sender.deliver_due_once()
    (event,) = events_of(sessions, run)
    assert (event.delivery_status, event.last_status_code) == ("pending", 307)
    assert len(receiver.requests) == 1


def test_a_receiver_that_is_down_then_up_gets_the_event(
    sessions: sessionmaker[Session], sender: WebhookSender, clock: FakeClock
) -> None:
    down = Receiver(listening=False)
    try:
        run = make_run(sessions, callback_url=down.url)
        add_events(sessions, run, [1], callback_url=down.url)
        sender.deliver_due_once()
        (event,) = events_of(sessions, run)
        assert (event.delivery_status, event.attempts, event.last_status_code) == (
            "pending",
            1,
            None,
        )
        assert event.last_error is not None and "ConnectError" in event.last_error
        down.listen()
        clock.advance(BASE * 1.1)
        sender.deliver_due_once()
        assert events_of(sessions, run)[0].delivery_status == "delivered"
        assert len(down.wait_for(1)) == 1
    finally:
        down.close()


def test_a_failing_run_never_blocks_another_run(
    sessions: sessionmaker[Session], sender: WebhookSender, receiver: Receiver
) -> None:
    broken = Receiver(default_status=500)
    try:
        stuck = make_run(sessions, callback_url=broken.url)
        add_events(sessions, stuck, [1, 2], callback_url=broken.url)
        fine = make_run(sessions, callback_url=receiver.url)
        add_events(sessions, fine, [1, 2, 3], callback_url=receiver.url)
        for _ in range(3):
            sender.deliver_due_once()
        assert seqs(receiver.requests, fine) == [1, 2, 3]
        assert seqs(broken.requests, stuck) == [1]
    finally:
        broken.close()


@pytest.mark.parametrize(
    ("org_secret", "default_secret", "expected"),
    [
        ("org-secret", None, "org-secret"),
        (None, "server-default", "server-default"),
        ("org-secret", "server-default", "org-secret"),
        (None, None, None),
    ],
)
def test_the_mosaic_signature_header_is_sent_only_with_a_secret(
    sessions: sessionmaker[Session],
    webhook_settings: Settings,
    receiver: Receiver,
    org_secret: str | None,
    default_secret: str | None,
    expected: str | None,
) -> None:
    secret = SecretStr(default_secret) if default_secret else None
    configured = webhook_settings.model_copy(update={"webhook_secret": secret})
    run = make_run(sessions, secret=org_secret, callback_url=receiver.url)
    add_events(sessions, run, [1], callback_url=receiver.url)
    WebhookSender(sessions, configured).deliver_due_once()
    (received,) = receiver.wait_for(1)
    assert received.headers.get("x-mosaic-signature") == expected


def test_private_callbacks_are_refused_when_not_allowed(
    sessions: sessionmaker[Session], webhook_settings: Settings, receiver: Receiver
) -> None:
    strict = webhook_settings.model_copy(update={"allow_private_urls": False})
    run = make_run(sessions, callback_url=receiver.url)
    add_events(sessions, run, [1], callback_url=receiver.url)
    hooks = WebhookSender(sessions, strict)
    try:
        hooks.deliver_due_once()
    finally:
        hooks.stop()
    (event,) = events_of(sessions, run)
    assert event.last_error is not None and "loopback" in event.last_error
    assert (event.delivery_status, event.attempts) == ("pending", 1)
    assert receiver.requests == []


def test_stream_only_events_are_never_sent(
    sessions: sessionmaker[Session], sender: WebhookSender, receiver: Receiver
) -> None:
    run = make_run(sessions)
    add_events(sessions, run, [1, 2], callback_url=None)
    assert sender.deliver_due_once() == 0
    assert [e.delivery_status for e in events_of(sessions, run)] == ["none", "none"]
