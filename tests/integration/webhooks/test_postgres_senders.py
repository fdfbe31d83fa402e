"""Webhook senders in several processes on one PostgreSQL database.

Each sender here has its own engine (its own connection pool), as separate processes would.
They lease with ``FOR UPDATE SKIP LOCKED``: every event is delivered once, each run's events
in order. A sender sleeping between polls is woken by the NOTIFY of the transaction that
commits events, even when another "process" commits them.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from tests.integration.webhooks.rows import add_events, make_run
from tests.support.receiver import Receiver
from tilework.config import Settings
from tilework.db.migrate import migrate
from tilework.db.session import make_engine, make_session_factory, unit_of_work
from tilework.db.tables import Run
from tilework.engine import events
from tilework.webhooks import sender as sender_module
from tilework.webhooks.sender import WebhookSender
from tilework.webhooks.wakeup import OutboxListener
from tilework.workers.postgres.dispatcher import conninfo


@pytest.fixture
def pg_engines(pg_url: str) -> Iterator[list[Engine]]:
    engines = [make_engine(pg_url) for _ in range(3)]
    migrate(engines[0])
    yield engines
    for engine in engines:
        engine.dispose()


def settings_for(tmp_settings: Settings, url: str) -> Settings:
    return tmp_settings.model_copy(
        update={"database_url": url, "webhook_retry_schedule": (0, 0.2, 0.2)}
    )


def test_two_senders_deliver_every_event_once_in_order_per_run(
    pg_engines: list[Engine], pg_url: str, settings: Settings, receiver: Receiver
) -> None:
    writer = make_session_factory(pg_engines[0])
    runs = [make_run(writer, callback_url=receiver.url) for _ in range(12)]
    for run_id in runs:
        add_events(writer, run_id, range(1, 9), callback_url=receiver.url)
    senders = [
        WebhookSender(make_session_factory(engine), settings_for(settings, pg_url))
        for engine in pg_engines[1:]
    ]
    for sender in senders:
        sender.start()
    try:
        received = receiver.wait_for(12 * 8, timeout=60)
    finally:
        for sender in senders:
            sender.stop()
    by_run: dict[str, list[int]] = {}
    for request in received:
        by_run.setdefault(request.body["run_id"], []).append(
            int(request.headers["x-tilework-sequence"])
        )
    assert len(received) == 12 * 8  # none twice
    assert by_run == {run_id: list(range(1, 9)) for run_id in runs}  # all, in order


def test_events_committed_elsewhere_wake_a_sleeping_sender(
    pg_engines: list[Engine],
    pg_url: str,
    settings: Settings,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sender_module, "_IDLE_WAIT", 120.0)  # no poll can explain a delivery
    api_sessions: sessionmaker[Session] = make_session_factory(pg_engines[0])
    run_id = make_run(api_sessions, callback_url=receiver.url)
    sender = WebhookSender(make_session_factory(pg_engines[1]), settings_for(settings, pg_url))
    listener = OutboxListener(conninfo(pg_url), sender.wake)
    sender.start()
    listener.start()
    try:
        for seq in (1, 2):
            with unit_of_work(api_sessions) as session:  # the "API process": no in-process wake
                run = session.get_one(Run, run_id)
                run.event_seq = seq
                row = events.outbox_row(run_id, seq, {"flag": "RUN_PROGRESS"}, receiver.url)
                events.store_events(session, [row])
            receiver.wait_for(seq, timeout=30)
    finally:
        listener.stop()
        sender.stop()
    assert [int(r.headers["x-tilework-sequence"]) for r in receiver.requests] == [1, 2]
