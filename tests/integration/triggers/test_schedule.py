"""Schedule triggers with a fake clock, and manual firing."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from sqlalchemy import select

from tests.integration.triggers.conftest import FakeClock, Stack, utc, wait_until
from tests.support.youtube import FeedServer
from tilework.db.tables import Run
from tilework.runtime import build_runtime


def schedule(stack: Stack, agent_id: str, feeds: FeedServer, **body: Any) -> dict[str, Any]:
    payload = {"video_urls": [f"{feeds.base}/videos/clip.mp4"], **body}
    result: dict[str, Any] = stack.ok(
        "POST", f"/agent/{agent_id}/triggers/add_schedule", json=payload
    )
    return result


def scheduled_times(stack: Stack, trigger_id: str) -> list[str]:
    runs = stack.trigger_runs(trigger_id)
    return sorted(run["triggered_by"]["scheduled_at"] for run in runs)


def test_schedule_fires_at_the_right_minutes_and_a_missed_run_fires_once(
    stack: Stack, feed_server: FeedServer, clips: dict[int, Path]
) -> None:
    feed_server.videos = {"clip.mp4": clips[2]}
    clock = FakeClock(utc(2024, 1, 1, 10, 0))
    stack.runtime.triggers.clock = clock
    agent_id = stack.create_agent()
    # Minute 5 in Kolkata (UTC+05:30) is minute 35 in UTC.
    trigger = schedule(stack, agent_id, feed_server, cron="5 * * * *", timezone="Asia/Kolkata")
    assert trigger["type"] == "schedule"
    assert trigger["next_fire_at"] == "2024-01-01T10:35:00+00:00"
    ticks = stack.runtime.triggers.tick_schedules

    clock.now = utc(2024, 1, 1, 10, 34, 59)
    assert ticks() == 0
    clock.now = utc(2024, 1, 1, 10, 35, 3)
    assert ticks() == 1
    assert ticks() == 0  # the same firing is never recorded twice
    clock.now = utc(2024, 1, 1, 10, 36)
    assert ticks() == 0
    # Down from 10:36 to 14:50: 11:35, 12:35, 13:35 and 14:35 were missed → one run, for 14:35.
    clock.now = utc(2024, 1, 1, 14, 50)
    assert ticks() == 1
    assert ticks() == 0
    view = stack.ok("GET", f"/trigger/{trigger['id']}")
    assert view["next_fire_at"] == "2024-01-01T15:35:00+00:00"

    expected = ["2024-01-01T10:35:00+00:00", "2024-01-01T14:35:00+00:00"]
    wait_until(lambda: len(stack.trigger_runs(trigger["id"])) == 2, what="two scheduled runs")
    assert scheduled_times(stack, trigger["id"]) == expected
    # (The two launch jobs may start in either order on two workers.)
    last = max(
        (run["triggered_by"] for run in stack.trigger_runs(trigger["id"])),
        key=lambda triggered_by: str(triggered_by["scheduled_at"]),
    )
    assert last == {
        "type": "schedule",
        "trigger_id": trigger["id"],
        "triggered_at": "2024-01-01T14:50:00+00:00",
        "scheduled_at": "2024-01-01T14:35:00+00:00",
        "cron_expression": "5 * * * *",
    }


def test_a_firing_missed_while_down_fires_once_at_start_up(
    stack: Stack, feed_server: FeedServer, clips: dict[int, Path]
) -> None:
    feed_server.videos = {"clip.mp4": clips[2]}
    stack.runtime.triggers.clock = FakeClock(utc(2024, 1, 1, 9, 0))
    trigger = schedule(stack, stack.create_agent(), feed_server, cron="0 * * * *")
    assert trigger["next_fire_at"] == "2024-01-01T10:00:00+00:00"
    stack.stop()

    # Back up at 13:20 with the tick loop on: 10:00 … 13:00 were missed.
    settings = stack.settings.model_copy(update={"schedule_tick_seconds": 0.05})
    runtime = build_runtime(settings)
    runtime.triggers.clock = FakeClock(utc(2024, 1, 1, 13, 20))
    runtime.start()
    try:

        def runs() -> list[Run]:
            with runtime.sessions() as session:
                query = select(Run).where(Run.trigger_id == trigger["id"])
                return list(session.scalars(query))

        wait_until(runs, what="the start-up firing")
        time.sleep(0.5)  # ten more ticks
        found = runs()
    finally:
        runtime.stop()
    assert len(found) == 1
    assert found[0].triggered_by is not None
    assert found[0].triggered_by["scheduled_at"] == "2024-01-01T13:00:00+00:00"


def test_manual_fire_uses_stored_inputs_or_the_body(
    stack: Stack, feed_server: FeedServer, clips: dict[int, Path]
) -> None:
    feed_server.videos = {"clip.mp4": clips[2]}
    agent_id = stack.create_agent()
    scheduled = schedule(stack, agent_id, feed_server, cron="0 0 1 1 *")
    fired = stack.ok("POST", f"/trigger/{scheduled['id']}/fire")
    run = stack.ok("GET", f"/agent_run/{fired['run_id']}")
    triggered_by = run["triggered_by"]
    assert {k: v for k, v in triggered_by.items() if k != "triggered_at"} == {
        "type": "manual",
        "trigger_id": scheduled["id"],
        "source": "api",
    }
    assert fired["triggered_by"] == triggered_by

    youtube = stack.ok(
        "POST",
        f"/agent/{agent_id}/triggers/add_youtube_channels",
        json={"youtube_channels": ["UCaaaaaaaaaaaaaaaaaaaaaa"]},
    )
    refused = stack.post(f"/trigger/{youtube['id']}/fire")
    assert refused.status_code == 400
    assert "no stored inputs" in refused.json()["detail"]
    body = {"video_urls": [f"{feed_server.base}/videos/clip.mp4"]}
    fired_yt = stack.ok("POST", f"/trigger/{youtube['id']}/fire", json=body)
    assert (
        stack.ok("GET", f"/trigger/{youtube['id']}/runs")["runs"][0]["run_id"] == fired_yt["run_id"]
    )

    listed = stack.ok("GET", f"/trigger/{scheduled['id']}/runs", params={"limit": 1})
    assert [r["run_id"] for r in listed["runs"]] == [fired["run_id"]]
    assert listed["next_cursor"] is None
