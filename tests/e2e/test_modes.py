"""One contract, four deployments: {embedded SQLite, PostgreSQL + Procrastinate} x {local, S3}.

The core scenarios run against each: a run from an upload and a URL with its webhooks and
downloadable outputs, cancel (ffmpeg dies) then resume with each task charged once, a re-run
that reuses the first run's Trim (engine/reuse.py), and a YouTube trigger that fires once per
new video. On PostgreSQL the API runs ``--no-workers`` and a
``tilework worker`` process does the work; with S3 the processes share no directory.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.cluster import MODES, Cluster, Mode, ffmpeg_pids
from tests.e2e.conftest import MediaServer, create_agent, upload_video, wait_for_run
from tests.e2e.helpers import (
    check_event_shapes,
    node_type_ids,
    probe_duration,
    render_running,
    run_events,
)
from tests.support.postgres import fresh_database
from tests.support.receiver import Receiver
from tests.support.s3 import S3Server
from tests.support.youtube import Entry, FeedServer, atom_feed

pytestmark = pytest.mark.e2e

CHANNEL = "UCmodesmodesmodesmodes00"


@pytest.fixture(scope="module")
def feeds() -> Iterator[FeedServer]:
    server = FeedServer()
    yield server
    server.close()


@pytest.fixture(scope="module", params=MODES, ids=lambda mode: mode.id)
def cluster(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    feeds: FeedServer,
) -> Iterator[Cluster]:
    mode: Mode = request.param
    env = {
        "TILEWORK_SIGNING_KEY": "modes-signing-key",
        "TILEWORK_YOUTUBE_FEED_URL": feeds.feed_template,
        "TILEWORK_YOUTUBE_VIDEO_URL": feeds.video_template,
        "TILEWORK_YOUTUBE_POLL_SECONDS": "1",
        "TILEWORK_STALLED_AFTER_SECONDS": "5",
    }
    if mode.storage == "s3":
        s3: S3Server = request.getfixturevalue("s3_server")
        env |= s3.env() | {"TILEWORK_STORAGE_URL": f"s3://{s3.new_bucket()}/modes"}
    root = tmp_path_factory.mktemp(mode.id)
    if mode.database == "sqlite":
        yield from _run_cluster(Cluster(root, env))
        return
    with fresh_database() as url:
        yield from _run_cluster(Cluster(root, env | {"TILEWORK_DATABASE_URL": url}, 1))


def _run_cluster(cluster: Cluster) -> Iterator[Cluster]:
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def api(cluster: Cluster) -> Iterator[httpx.Client]:
    with cluster.api.client() as client:
        yield client


def trim_render(api: httpx.Client, *, start: float = 0.5, end: float = 2.5) -> dict[str, Any]:
    ids = node_type_ids(api)
    return create_agent(
        api,
        [
            {"ref": "in", "type": ids["video input"]},
            {"ref": "trim", "type": ids["trim"],
             "params": {"start_seconds": start, "end_seconds": end}},
            {"ref": "out", "type": ids["render"], "params": {"resolution": "426x240"}},
        ],
        [["in", "trim"], ["trim", "out"]],
    )  # fmt: skip


def test_a_run_from_an_upload_and_a_url(
    api: httpx.Client,
    cluster: Cluster,
    receiver: Receiver,
    media_server: MediaServer,
    clips: Callable[..., Path],
) -> None:
    clip = clips(seconds=3)
    (media_server.root / "modes.mp4").write_bytes(clip.read_bytes())
    video_id = upload_video(api, clip)  # S3: a presigned POST straight to the bucket
    agent = trim_render(api)
    asked = time.monotonic()
    started = api.post(
        f"/agent/{agent['agent']['id']}/run",
        json={
            "video_ids": [video_id],
            "video_urls": [f"{media_server.url}/modes.mp4"],
            "callback_url": receiver.url,
        },
    )
    assert started.status_code == 200, started.text
    answered = time.monotonic() - asked
    run_id = started.json()["run_id"]
    events = run_events(receiver, run_id, timeout=120)
    check_event_shapes(events)
    finished = events[-1]
    assert finished["status"] == "completed", (finished, cluster.logs())
    assert len(finished["outputs"]) == 2 and len(finished["inputs"]) == 2
    for output in finished["outputs"]:
        assert abs(probe_duration(output["video_url"]) - 2.0) < 0.15
    assert all(item["thumbnail_url"] for item in finished["inputs"])
    seqs = [int(r.headers["x-tilework-sequence"]) for r in receiver.requests
            if r.body["run_id"] == run_id]  # fmt: skip
    assert seqs == list(range(1, len(seqs) + 1))
    assert answered < 30  # nothing is downloaded in the request (generous for a busy box)


def test_cancel_kills_ffmpeg_then_resume_charges_each_task_once(
    api: httpx.Client, cluster: Cluster, clips: Callable[..., Path]
) -> None:
    ids = node_type_ids(api)
    agent = create_agent(
        api,
        [{"ref": "in", "type": ids["video input"]},
         {"ref": "trim", "type": ids["trim"], "params": {"start_seconds": 0}},
         {"ref": "out", "type": ids["render"],
          "params": {"resolution": "720p", "quality": "high"}}],
        [["in", "trim"], ["trim", "out"]],
    )  # fmt: skip
    video_id = upload_video(api, clips(seconds=20, width=640))
    run_id = api.post(f"/agent/{agent['agent']['id']}/run", json={"video_ids": [video_id]}).json()[
        "run_id"
    ]
    rendering = lambda: render_running(api, run_id) and bool(ffmpeg_pids(cluster.root))  # noqa: E731
    _wait(rendering, 90, "the render's ffmpeg", cluster)
    cancelled = api.post(f"/agent_run/{run_id}/cancel").json()
    assert cancelled["success"] is True and cancelled["tasks_cancelled"] == 1
    _wait(lambda: not ffmpeg_pids(cluster.root), 10, "ffmpeg to be killed", cluster)
    assert api.get(f"/agent_run/{run_id}").json()["status"] == "cancelled"

    assert api.post(f"/agent_run/{run_id}/resume").json()["nodes_queued"] == 1
    run = wait_for_run(api, run_id, timeout=180)
    assert run["status"] == "completed" and len(run["outputs"]) == 1, cluster.logs()
    ledger = api.get("/credits/ledger", params={"limit": 100}).json()["entries"]
    charges = [e for e in ledger if e["kind"] == "charge" and e["run_id"] == run_id]
    assert sorted(e["tile"] for e in charges) == ["Render", "Trim"]
    assert len({e["task_id"] for e in charges}) == len(charges)  # none charged twice


def test_a_rerun_reuses_the_trim_and_renders_again(
    api: httpx.Client, cluster: Cluster, clips: Callable[..., Path]
) -> None:
    """Node-level reuse in every deployment: the second run takes the first run's Trim result
    (released, not charged: the ledger shows it) and renders its own output."""
    video_id = upload_video(api, clips(seconds=3))
    agent_id = trim_render(api, start=1.0, end=2.0)["agent"]["id"]
    charged, outputs = [], []
    for _ in range(2):
        run_id = api.post(f"/agent/{agent_id}/run", json={"video_ids": [video_id]}).json()["run_id"]
        run = wait_for_run(api, run_id, timeout=120)
        assert run["status"] == "completed", cluster.logs()
        nodes = api.get(f"/agent_run/{run_id}/nodes").json()["nodes"]
        assert [n["status"] for n in nodes] == ["completed"] * 3
        ledger = api.get("/credits/ledger", params={"limit": 100}).json()["entries"]
        charged.append(
            sorted(e["tile"] for e in ledger if e["kind"] == "charge" and e["run_id"] == run_id)
        )
        outputs.append(run["outputs"][0])
    assert charged == [["Render", "Trim"], ["Render"]]
    assert outputs[0]["id"] != outputs[1]["id"]
    assert all(abs(probe_duration(o["video_url"]) - 1.0) < 0.15 for o in outputs)


def test_a_youtube_trigger_fires_once_per_new_video(
    api: httpx.Client, cluster: Cluster, feeds: FeedServer, clips: Callable[..., Path]
) -> None:
    agent = trim_render(api)
    agent_id = agent["agent"]["id"]
    feeds.videos["vid-new-1.mp4"] = clips(seconds=3)
    feeds.feeds[CHANNEL] = atom_feed(CHANNEL, "Modes", [])
    added = api.post(
        f"/agent/{agent_id}/triggers/add_youtube_channels", json={"youtube_channels": [CHANNEL]}
    )
    assert added.status_code == 200, added.text
    trigger_id = added.json()["id"]

    def runs() -> list[dict[str, Any]]:
        return list(api.get(f"/trigger/{trigger_id}/runs").json()["runs"])

    _wait(lambda: _primed(api, agent_id), 30, "the channel's first poll", cluster)
    new = Entry("vid-new-1", "A new video", datetime.now(UTC))
    feeds.feeds[CHANNEL] = atom_feed(CHANNEL, "Modes", [new])
    _wait(lambda: len(runs()) >= 1, 60, "the triggered run", cluster)
    run = wait_for_run(api, runs()[0]["run_id"], timeout=120)
    assert run["status"] == "completed", (run, cluster.logs())
    assert run["triggered_by"]["video_id"] == "vid-new-1"
    time.sleep(3)  # several more polls of the same feed
    assert len(runs()) == 1


def _primed(api: httpx.Client, agent_id: str) -> bool:
    triggers = api.get(f"/agent/{agent_id}/triggers").json()
    channels = [c for t in triggers for c in t.get("youtube_channel_details", [])]
    return bool(channels) and all(c["primed_at"] for c in channels)


def _wait(condition: Callable[[], bool], timeout: float, what: str, cluster: Cluster) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    pytest.fail(f"timed out after {timeout}s waiting for {what}\n{cluster.logs()}")
