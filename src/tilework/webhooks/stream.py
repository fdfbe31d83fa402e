"""Follow a run's events as they are written: the source of ``GET /agent_run/{run_id}/events``.

The outbox rows the webhook sender delivers are also the stream: a client replays from any
sequence number (``Last-Event-ID``) and then sees new rows as they are committed. Database reads
run in a worker thread so the event loop never blocks on SQLite.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tilework.db.tables import WebhookEvent

FINISHED = "RUN_FINISHED"
KEEPALIVE_SECONDS = 15.0
KEEPALIVE_FRAME = ": keepalive\n\n"
_PAGE = 200

EventRow = tuple[int, str, dict[str, Any]]


async def run_event_stream(
    sessions: sessionmaker[Session],
    run_id: str,
    *,
    last_seq: int = 0,
    poll_interval: float = 0.25,
) -> AsyncIterator[EventRow]:
    """Yield ``(seq, flag, payload)`` of the run's events after ``last_seq``, in order.

    Ends after a ``RUN_FINISHED`` that is the newest event so far. A resumed run writes events
    after its first ``RUN_FINISHED``; replaying its history therefore carries on past that one.
    """
    while True:
        rows = await asyncio.to_thread(_events_after, sessions, run_id, last_seq)
        for row in rows:
            yield row
        if rows:
            last_seq = rows[-1][0]
            if rows[-1][1] == FINISHED and len(rows) < _PAGE:
                return
        else:
            await asyncio.sleep(poll_interval)


def _events_after(sessions: sessionmaker[Session], run_id: str, seq: int) -> list[EventRow]:
    with sessions() as session:
        result = session.execute(
            select(WebhookEvent.seq, WebhookEvent.flag, WebhookEvent.payload)
            .where(WebhookEvent.run_id == run_id, WebhookEvent.seq > seq)
            .order_by(WebhookEvent.seq)
            .limit(_PAGE)
        )
        return [(s, f, p) for s, f, p in result]


def sse_frame(seq: int, flag: str, payload: dict[str, Any]) -> str:
    data = json.dumps(payload, separators=(",", ":"))  # one line: JSON escapes every newline
    return f"id: {seq}\nevent: {flag}\ndata: {data}\n\n"


async def sse_frames(
    events: AsyncIterator[EventRow], *, keepalive_seconds: float = KEEPALIVE_SECONDS
) -> AsyncGenerator[str, None]:
    """Frame ``events`` as Server-Sent Events, with a comment line whenever it stays quiet.

    The pending read is awaited with a timeout but never cancelled by it, so a keep-alive does
    not tear the event generator down mid-query.
    """
    iterator = aiter(events)
    pending: asyncio.Future[EventRow] | None = None
    try:
        while True:
            if pending is None:
                pending = asyncio.ensure_future(anext(iterator))
            done, _ = await asyncio.wait({pending}, timeout=keepalive_seconds)
            if not done:
                yield KEEPALIVE_FRAME
                continue
            try:
                seq, flag, payload = pending.result()
            except StopAsyncIteration:
                return
            pending = None
            yield sse_frame(seq, flag, payload)
    finally:
        if pending is not None:  # let the cancelled read finish before closing its generator
            pending.cancel()
            await asyncio.wait({pending})
        close = getattr(iterator, "aclose", None)
        if close is not None:
            await close()


def parse_last_event_id(value: str | None) -> int:
    """The sequence number to resume after; anything that is not one means from the start."""
    value = (value or "").strip()
    return int(value) if value.isdigit() else 0
