"""The sender's database side on a real database: leasing heads, and recording outcomes."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.integration.webhooks.rows import add_events, events_of, make_run, payload
from tilework.db.session import unit_of_work
from tilework.db.tables import WebhookAttempt
from tilework.webhooks import outbox
from tilework.webhooks.delivery import Finished, InFlight, Outcome

LEASE = timedelta(seconds=40)


def lease(sessions: sessionmaker[Session], in_flight: InFlight, now: datetime) -> outbox.Leased:
    with unit_of_work(sessions) as session:
        return outbox.lease_due(
            session, now, in_flight, lease_for=LEASE, secrets_of=lambda org: ((), None)
        )


def record(
    sessions: sessionmaker[Session], batch: list[Finished], now: datetime
) -> list[str | None]:
    with unit_of_work(sessions) as session:
        return outbox.record(session, batch, now, schedule=(5.0,), rng=random.Random(1))


def test_heads_lease_and_the_body_is_the_committed_json(sessions: sessionmaker[Session]) -> None:
    url = "http://127.0.0.1:9/hook"
    runs = [make_run(sessions, callback_url=url) for _ in range(3)]
    for run in runs:
        add_events(sessions, run, [1, 2], callback_url=url)
    quiet = make_run(sessions)
    add_events(sessions, quiet, [1], callback_url=None)
    now = datetime.now(UTC) + timedelta(minutes=1)
    in_flight = InFlight(per_host=2, total=10)  # a backlog of two for the one host
    leased = lease(sessions, in_flight, now)
    assert leased.held_back
    assert len(leased.deliveries) == 2 and {d.seq for d in leased.deliveries} == {1}
    for delivery in leased.deliveries:  # the stored text, compact, byte for byte
        assert (
            delivery.body == json.dumps(payload(delivery.run_id, 1), separators=(",", ":")).encode()
        )

    for delivery in leased.deliveries:
        (head, _) = events_of(sessions, delivery.run_id)
        assert head.next_attempt_at == now + LEASE
    assert [e.delivery_status for e in events_of(sessions, quiet)] == ["none"]
    assert lease(sessions, InFlight(per_host=9, total=10), now).deliveries[0].run_id not in {
        d.run_id for d in leased.deliveries
    }  # leased heads are not due until their lease runs out


def test_recording_settles_logs_and_gives_back_what_was_never_sent(
    sessions: sessionmaker[Session],
) -> None:
    url = "http://127.0.0.1:9/hook"
    runs = [make_run(sessions, callback_url=url) for _ in range(3)]
    for run in runs:
        add_events(sessions, run, [1], callback_url=url)
    now = datetime.now(UTC) + timedelta(minutes=1)
    sent_ok, failed, unsent = lease(sessions, InFlight(per_host=9, total=9), now).deliveries
    later = now + timedelta(seconds=1)
    labels = record(
        sessions,
        [
            Finished(sent_ok, now, 0.01, Outcome(200, None)),
            Finished(failed, now, 0.02, Outcome(500, "HTTP 500", "oops")),
            Finished(unsent, now, 0.0, None),
        ],
        later,
    )
    assert labels == ["delivered", "retrying", None]
    (ok,) = events_of(sessions, sent_ok.run_id)
    assert (ok.delivery_status, ok.attempts, ok.delivered_at) == ("delivered", 1, later)
    (retry,) = events_of(sessions, failed.run_id)
    assert (retry.delivery_status, retry.attempts, retry.last_error) == ("pending", 1, "HTTP 500")
    assert retry.next_attempt_at is not None
    assert 4.5 <= (retry.next_attempt_at - later).total_seconds() <= 5.5
    (back,) = events_of(sessions, unsent.run_id)
    assert (back.delivery_status, back.attempts, back.next_attempt_at) == ("pending", 0, later)
    with sessions() as session:
        logged = session.execute(select(WebhookAttempt.event_id, WebhookAttempt.attempt)).all()
    assert sorted(logged) == sorted([(sent_ok.event_id, 1), (failed.event_id, 1)])
