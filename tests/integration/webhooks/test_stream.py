"""``run_event_stream`` over real outbox rows: replay, follow, resume, finish."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from tests.integration.webhooks.rows import add_events, make_run, payload
from tilework.webhooks.stream import run_event_stream, sse_frames

EventRow = tuple[int, str, dict[str, Any]]


def collect(sessions: sessionmaker[Session], run_id: str, **kwargs: Any) -> list[EventRow]:
    async def main() -> list[EventRow]:
        stream = run_event_stream(sessions, run_id, poll_interval=0.02, **kwargs)
        return [row async for row in stream]

    return asyncio.run(asyncio.wait_for(main(), timeout=10))


def test_replays_in_order_and_ends_after_run_finished(sessions: sessionmaker[Session]) -> None:
    run = make_run(sessions)
    add_events(sessions, run, [1, 2, 3], callback_url=None, flags={3: "RUN_FINISHED"})
    rows = collect(sessions, run)
    assert [(seq, flag) for seq, flag, _ in rows] == [
        (1, "RUN_PROGRESS"),
        (2, "RUN_PROGRESS"),
        (3, "RUN_FINISHED"),
    ]
    assert rows[0][2] == payload(run, 1)


def test_starts_after_last_seq(sessions: sessionmaker[Session]) -> None:
    run = make_run(sessions)
    add_events(sessions, run, [1, 2, 3], callback_url=None, flags={3: "RUN_FINISHED"})
    assert [seq for seq, _, _ in collect(sessions, run, last_seq=2)] == [3]


def test_follows_events_committed_later(sessions: sessionmaker[Session]) -> None:
    run = make_run(sessions)
    add_events(sessions, run, [1], callback_url=None)

    def later() -> None:
        add_events(sessions, run, [2], callback_url=None)
        add_events(sessions, run, [3], callback_url=None, flags={3: "RUN_FINISHED"})

    timer = threading.Timer(0.2, later)
    timer.start()
    try:
        assert [seq for seq, _, _ in collect(sessions, run)] == [1, 2, 3]
    finally:
        timer.join()


def test_a_resumed_run_is_followed_past_its_first_run_finished(
    sessions: sessionmaker[Session],
) -> None:
    run = make_run(sessions)
    flags = {2: "RUN_FINISHED", 4: "RUN_FINISHED"}
    add_events(sessions, run, [1, 2, 3, 4], callback_url=None, flags=flags)
    assert [seq for seq, _, _ in collect(sessions, run)] == [1, 2, 3, 4]


def test_other_runs_events_are_not_mixed_in(sessions: sessionmaker[Session]) -> None:
    run, other = make_run(sessions), make_run(sessions)
    add_events(sessions, other, [1, 2], callback_url=None)
    add_events(sessions, run, [1], callback_url=None, flags={1: "RUN_FINISHED"})
    assert [row[2]["run_id"] for row in collect(sessions, run)] == [run]


def test_frames_the_stream_as_server_sent_events(sessions: sessionmaker[Session]) -> None:
    run = make_run(sessions)
    add_events(sessions, run, [1, 2], callback_url=None, flags={2: "RUN_FINISHED"})

    async def main() -> list[str]:
        frames = sse_frames(run_event_stream(sessions, run, poll_interval=0.02))
        return [frame async for frame in frames]

    frames = asyncio.run(main())
    assert [frame.split("\n", 2)[:2] for frame in frames] == [
        ["id: 1", "event: RUN_PROGRESS"],
        ["id: 2", "event: RUN_FINISHED"],
    ]
