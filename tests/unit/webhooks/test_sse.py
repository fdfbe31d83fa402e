"""Server-Sent Events framing and keep-alives, over an in-memory event source."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from tilework.sdk.sse import parse_sse
from tilework.webhooks.stream import (
    KEEPALIVE_FRAME,
    parse_last_event_id,
    sse_frame,
    sse_frames,
)

Row = tuple[int, str, dict[str, Any]]


def test_a_frame_carries_id_event_and_one_line_of_compact_json() -> None:
    frame = sse_frame(7, "RUN_PROGRESS", {"flag": "RUN_PROGRESS", "note": "two\nlines"})
    assert frame == (
        'id: 7\nevent: RUN_PROGRESS\ndata: {"flag":"RUN_PROGRESS","note":"two\\nlines"}\n\n'
    )
    (event,) = parse_sse(frame.split("\n"))  # the SDK's decoder reads it back
    assert (event.id, event.event) == ("7", "RUN_PROGRESS")
    assert json.loads(event.data)["note"] == "two\nlines"


def test_keepalives_fill_quiet_gaps_without_losing_the_pending_event() -> None:
    closed = []

    async def slow() -> AsyncIterator[Row]:
        try:
            yield 1, "RUN_STARTED", {}
            await asyncio.sleep(0.35)  # quiet: several keep-alive periods
            yield 2, "RUN_FINISHED", {}
        finally:
            closed.append(True)

    async def main() -> list[str]:
        return [frame async for frame in sse_frames(slow(), keepalive_seconds=0.1)]

    frames = asyncio.run(main())
    assert frames[0].startswith("id: 1\n")
    assert frames[-1].startswith("id: 2\n")
    middle = frames[1:-1]
    assert len(middle) >= 2 and set(middle) == {KEEPALIVE_FRAME}
    assert KEEPALIVE_FRAME == ": keepalive\n\n"
    assert closed == [True]


def test_closing_the_frames_early_closes_the_source() -> None:
    closed = []

    async def endless() -> AsyncIterator[Row]:
        try:
            seq = 0
            while True:
                seq += 1
                await asyncio.sleep(0.01)
                yield seq, "RUN_PROGRESS", {}
        finally:
            closed.append(True)

    async def main() -> str:
        frames = sse_frames(endless(), keepalive_seconds=5)
        first = await anext(frames)
        await frames.aclose()  # a client that went away
        return first

    assert asyncio.run(main()).startswith("id: 1\n")
    assert closed == [True]


def test_last_event_id_parsing() -> None:
    assert parse_last_event_id(None) == 0
    assert parse_last_event_id("12") == 12
    assert parse_last_event_id(" 3 ") == 3
    assert parse_last_event_id("abc") == 0
    assert parse_last_event_id("-1") == 0
