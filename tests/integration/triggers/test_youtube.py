"""YouTube triggers end to end: a feed on 127.0.0.1, real downloads, probes, runs and webhooks."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from tests.integration.triggers.conftest import CHANNEL, Stack, trigger_settings, wait_until
from tests.support.receiver import Receiver
from tests.support.youtube import Entry, FeedServer, atom_feed
from tilework.db.session import unit_of_work
from tilework.db.tables import Run, TriggerEvent
from tilework.runtime import build_runtime
from tilework.triggers.poller import PollReport


def at(day: int) -> datetime:
    return datetime(2024, 5, day, 12, tzinfo=UTC)


def publish(feeds: FeedServer, *entries: Entry) -> None:
    feeds.feeds[CHANNEL] = atom_feed(CHANNEL, "Test Channel", list(entries))


def watch(stack: Stack, agent_id: str, **body: Any) -> dict[str, Any]:
    result: dict[str, Any] = stack.ok(
        "POST",
        f"/agent/{agent_id}/triggers/add_youtube_channels",
        json={"youtube_channels": [CHANNEL], **body},
    )
    return result


def counts(report: PollReport) -> tuple[int, int, int]:
    return report.seen, report.queued, report.skipped


OLD = Entry("old00000001", "Already there", at(1))
NEW = Entry("new00000002", "Brand new", at(2))


def test_first_poll_records_then_a_new_video_starts_exactly_one_run(
    stack: Stack, feed_server: FeedServer, receiver: Receiver, clips: dict[int, Path]
) -> None:
    feed_server.videos = {f"{OLD.video_id}.mp4": clips[2], f"{NEW.video_id}.mp4": clips[2]}
    publish(feed_server, OLD)
    agent_id = stack.create_agent()
    trigger = watch(stack, agent_id, trigger_callback_url=receiver.url)
    assert trigger["youtube_channels"] == [CHANNEL]
    assert trigger["callback_url"] == receiver.url

    assert counts(stack.runtime.triggers.poll_youtube()) == (1, 0, 0)  # recorded, not run
    assert stack.events(trigger["id"]) == {OLD.video_id: "seen"}

    publish(feed_server, NEW, OLD)
    assert counts(stack.runtime.triggers.poll_youtube()) == (0, 1, 0)
    runs = wait_until(lambda: stack.trigger_runs(trigger["id"]), what="the triggered run")
    assert len(runs) == 1
    run = stack.ok("GET", f"/agent_run/{runs[0]['run_id']}")
    expected = {
        "type": "youtube",
        "channel_id": CHANNEL,
        "video_id": NEW.video_id,
        "video_title": "Brand new",
        "video_url": feed_server.video_template.format(video_id=NEW.video_id),
        "trigger_id": trigger["id"],
    }
    triggered_by = run["triggered_by"]
    assert {k: v for k, v in triggered_by.items() if k != "triggered_at"} == expected
    assert datetime.fromisoformat(triggered_by["triggered_at"]).tzinfo is not None
    assert runs[0]["triggered_by"] == triggered_by

    started = receiver.wait_for(1)[0].body  # the trigger's callback gets the run's webhooks
    assert started["flag"] == "RUN_STARTED"
    assert started["run_id"] == runs[0]["run_id"]
    assert started["triggered_by"] == triggered_by

    assert counts(stack.runtime.triggers.poll_youtube()) == (0, 0, 0)  # nothing new
    assert len(stack.trigger_runs(trigger["id"])) == 1
    assert stack.events(trigger["id"]) == {OLD.video_id: "seen", NEW.video_id: "started"}


def test_backfill_runs_the_newest_videos_at_the_first_poll(
    stack: Stack, feed_server: FeedServer, clips: dict[int, Path]
) -> None:
    feed_server.videos = {f"{NEW.video_id}.mp4": clips[2]}
    publish(feed_server, NEW, OLD)
    trigger = watch(stack, stack.create_agent(), backfill=1)
    assert counts(stack.runtime.triggers.poll_youtube()) == (1, 1, 0)
    runs = wait_until(lambda: stack.trigger_runs(trigger["id"]), what="the backfilled run")
    assert [r["triggered_by"]["video_id"] for r in runs] == [NEW.video_id]


def test_duration_filter_skips_too_long_videos_inclusive_bounds(
    stack: Stack, feed_server: FeedServer, clips: dict[int, Path]
) -> None:
    short = Entry("short000001", "2 s: inside the bounds", at(3))
    long = Entry("long0000001", "4 s: too long, known only once probed", at(4))
    stated = Entry("stated00001", "feed says one hour", at(5), duration_s=3600)
    feed_server.videos = {
        f"{short.video_id}.mp4": clips[2],
        f"{long.video_id}.mp4": clips[4],
        f"{stated.video_id}.mp4": clips[2],
    }
    publish(feed_server, OLD)
    filters = {"duration": {"min_seconds": 2, "max_seconds": 3}}
    trigger = watch(stack, stack.create_agent(), filter_options=filters)
    assert trigger["filter_options"] == filters
    stack.runtime.triggers.poll_youtube()

    publish(feed_server, stated, long, short, OLD)
    assert counts(stack.runtime.triggers.poll_youtube()) == (0, 2, 1)  # stated: skipped at once

    def settled() -> dict[str, str] | None:
        events = stack.events(trigger["id"])
        return None if "queued" in events.values() else events

    events = wait_until(settled, what="the launches to settle")
    assert events == {
        OLD.video_id: "seen",
        short.video_id: "started",
        long.video_id: "skipped",
        stated.video_id: "skipped",
    }
    runs = stack.trigger_runs(trigger["id"])
    assert [r["triggered_by"]["video_id"] for r in runs] == [short.video_id]
    ledger = stack.ok("GET", f"/trigger/{trigger['id']}/events")["events"]
    reasons = {e["key"]: e["reason"] for e in ledger}
    assert "above the maximum of 3 s" in reasons[long.video_id]
    assert reasons[stated.video_id] == "duration 3600 s is above the maximum of 3 s"
    assert f"/videos/{stated.video_id}.mp4" not in feed_server.paths  # never downloaded


def test_a_restart_between_polls_starts_no_duplicate(
    stack: Stack, feed_server: FeedServer, clips: dict[int, Path]
) -> None:
    feed_server.videos = {f"{NEW.video_id}.mp4": clips[2]}
    publish(feed_server, OLD)
    trigger = watch(stack, stack.create_agent())
    stack.runtime.triggers.poll_youtube()
    publish(feed_server, NEW, OLD)
    stack.runtime.triggers.poll_youtube()
    wait_until(lambda: stack.trigger_runs(trigger["id"]), what="the triggered run")

    stack.restart()  # a new runtime (dispatcher, poller) on the same database
    assert counts(stack.runtime.triggers.poll_youtube()) == (0, 0, 0)
    # The launch job run again (as after a crash mid-job) finds its video started already.
    event_id = _event_id(stack, trigger["id"], NEW.video_id)
    assert stack.runtime.triggers.launcher().launch(event_id) is None
    assert len(stack.trigger_runs(trigger["id"])) == 1


def test_two_pollers_at_once_start_one_run(
    stack: Stack, feed_server: FeedServer, clips: dict[int, Path]
) -> None:
    feed_server.videos = {f"{NEW.video_id}.mp4": clips[2]}
    publish(feed_server, OLD)
    trigger = watch(stack, stack.create_agent())
    stack.runtime.triggers.poll_youtube()
    publish(feed_server, NEW, OLD)

    other = build_runtime(stack.settings, workers=False)  # a second process's poller
    other.start()
    try:
        feed_server.feed_delay = 0.3  # both have fetched before either records
        reports = _concurrently([stack.runtime.triggers.poll_youtube, other.triggers.poll_youtube])
    finally:
        feed_server.feed_delay = 0.0
        other.stop()
    assert sorted(r.queued for r in reports) == [0, 1]
    wait_until(lambda: stack.trigger_runs(trigger["id"]), what="the triggered run")
    assert len(stack.trigger_runs(trigger["id"])) == 1


def test_two_launches_of_one_video_at_once_start_one_run(
    tmp_path: Path, feed_server: FeedServer, clips: dict[int, Path], stack: Stack
) -> None:
    """Workers racing on the same ledger row: the run's own transaction claims the row."""
    feed_server.videos = {f"{NEW.video_id}.mp4": clips[2]}
    publish(feed_server, OLD)
    trigger = watch(stack, stack.create_agent())
    stack.stop()  # no dispatcher may launch it: the two launchers below race instead
    runtime = build_runtime(trigger_settings(stack.settings.data_dir, feed_server), workers=False)
    runtime.start()
    try:
        runtime.triggers.poll_youtube()
        publish(feed_server, NEW, OLD)
        assert runtime.triggers.poll_youtube().queued == 1
        event_id = _event_id_in(runtime, trigger["id"], NEW.video_id)
        launch = runtime.triggers.launcher().launch
        results = _concurrently([lambda: launch(event_id), lambda: launch(event_id)])
        with runtime.sessions() as session:
            runs = session.scalar(select(func.count()).where(Run.trigger_id == trigger["id"]))
    finally:
        runtime.stop()
    assert sum(result is not None for result in results) == 1
    assert runs == 1


def _concurrently(calls: list[Callable[[], Any]]) -> list[Any]:
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int) -> None:
        barrier.wait()
        results[index] = calls[index]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def _event_id(stack: Stack, trigger_id: str, video_id: str) -> str:
    return _event_id_in(stack.runtime, trigger_id, video_id)


def _event_id_in(runtime: Any, trigger_id: str, video_id: str) -> str:
    with unit_of_work(runtime.sessions) as session:
        event_id = session.scalar(
            select(TriggerEvent.id).where(
                TriggerEvent.trigger_id == trigger_id, TriggerEvent.event_key == video_id
            )
        )
    assert event_id is not None
    return str(event_id)
