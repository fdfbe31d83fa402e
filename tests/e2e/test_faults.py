"""Faults survived by a PostgreSQL deployment of real processes: an API and two workers.

- ``kill -9`` of the worker rendering a node: once its heartbeat is older than
  ``TILEWORK_STALLED_AFTER_SECONDS`` the other worker retries the job; the run completes, every
  event reaches the receiver (a repeat keeps its ``webhook-id``), and no node is charged twice.
- ``kill -9`` of the API: the running work goes on and its events are delivered (the workers
  send them).
- PostgreSQL restarted mid-run: the workers reconnect and the run completes. This test runs on a
  PostgreSQL server of its own (``tests/support/private_postgres.py``), never the shared one.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.cluster import Cluster, ffmpeg_pids
from tests.e2e.conftest import create_agent, upload_video, wait_for_run
from tests.e2e.helpers import check_event_shapes, node_type_ids, render_running, run_events
from tests.support.postgres import fresh_database
from tests.support.private_postgres import private_postgres
from tests.support.receiver import Receiver

pytestmark = pytest.mark.e2e

FAULT_ENV = {"TILEWORK_STALLED_AFTER_SECONDS": "3", "TILEWORK_WORKERS": "1"}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    with fresh_database() as url:
        root = tmp_path_factory.mktemp("faults")
        cluster = Cluster(root, {**FAULT_ENV, "TILEWORK_DATABASE_URL": url}, worker_count=2)
        cluster.start()
        try:
            yield cluster
        finally:
            cluster.stop()


def slow_run(api: httpx.Client, clip: Path, callback_url: str) -> str:
    ids = node_type_ids(api)
    agent = create_agent(
        api,
        [{"ref": "in", "type": ids["video input"]},
         {"ref": "trim", "type": ids["trim"], "params": {"start_seconds": 0}},
         {"ref": "out", "type": ids["render"],
          "params": {"resolution": "720p", "quality": "high"}}],
        [["in", "trim"], ["trim", "out"]],
    )  # fmt: skip
    video_id = upload_video(api, clip)
    response = api.post(
        f"/agent/{agent['agent']['id']}/run",
        json={"video_ids": [video_id], "callback_url": callback_url},
    )
    assert response.status_code == 200, response.text
    return str(response.json()["run_id"])


def test_killing_the_rendering_worker_hands_its_node_to_the_other(
    cluster: Cluster, receiver: Receiver, clips: Callable[..., Path]
) -> None:
    with cluster.api.client() as api:
        run_id = slow_run(api, clips(seconds=20, width=640), receiver.url)
        pids = wait(lambda: rendering(api, run_id, cluster), 90, "the render's ffmpeg", cluster)
        victim = cluster.worker_index_of(pids[0])
        assert victim is not None, "ffmpeg does not belong to a worker"
        cluster.kill9_worker(victim)
        # ffmpeg dies with its worker (parent-death signal), then the survivor renders again.
        wait(lambda: not set(pids) & set(ffmpeg_pids(cluster.root)), 10, "the orphan", cluster)
        events = run_events(receiver, run_id, timeout=180)
        run = wait_for_run(api, run_id, timeout=60)
        ledger = api.get("/credits/ledger", params={"limit": 100}).json()["entries"]
    try:
        assert run["status"] == "completed" and len(run["outputs"]) == 1, cluster.logs()
        check_event_shapes(events)
        assert_every_event_delivered_with_stable_ids(receiver, run_id)
        charges = [e for e in ledger if e["kind"] == "charge" and e["run_id"] == run_id]
        assert sorted(e["tile"] for e in charges) == ["Render", "Trim"]  # each once
    finally:
        cluster.start_worker(victim)  # back to two workers for the next test


def test_killing_the_api_leaves_work_and_webhooks_going(
    cluster: Cluster, receiver: Receiver, clips: Callable[..., Path]
) -> None:
    with cluster.api.client() as api:
        run_id = slow_run(api, clips(seconds=12, width=640), receiver.url)
        wait(lambda: rendering(api, run_id, cluster), 90, "the render's ffmpeg", cluster)
    cluster.api.kill9()
    try:
        events = run_events(receiver, run_id, timeout=180)  # sent by the workers
        assert events[-1]["status"] == "completed", cluster.logs()
        check_event_shapes(events)
        assert_every_event_delivered_with_stable_ids(receiver, run_id)
    finally:
        cluster.api.start()


def test_a_postgresql_restart_mid_run_is_survived(
    tmp_path: Path, receiver: Receiver, clips: Callable[..., Path]
) -> None:
    with private_postgres() as database:
        env = {**FAULT_ENV, "TILEWORK_DATABASE_URL": database.url}
        cluster = Cluster(tmp_path / "restart", env, worker_count=2)
        cluster.start()
        try:
            with cluster.api.client() as api:
                run_id = slow_run(api, clips(seconds=12, width=640), receiver.url)
                wait(lambda: rendering(api, run_id, cluster), 90, "the render's ffmpeg", cluster)
            database.restart()
            events = run_events(receiver, run_id, timeout=240)
            finished = events[-1]
            assert finished["status"] == "completed", (finished["errors"], cluster.logs())
            assert_every_event_delivered_with_stable_ids(receiver, run_id)
            with cluster.api.client() as api:
                run = wait_for_run(api, run_id, timeout=60)
            assert run["status"] == "completed" and len(run["outputs"]) == 1
        finally:
            cluster.stop()


def rendering(api: httpx.Client, run_id: str, cluster: Cluster) -> list[int]:
    """The pids of ffmpeg once the run's Render node runs (not an input's thumbnail)."""
    return ffmpeg_pids(cluster.root) if render_running(api, run_id) else []


def assert_every_event_delivered_with_stable_ids(receiver: Receiver, run_id: str) -> None:
    ids_by_seq: dict[int, set[str]] = {}
    for request in receiver.requests:
        if request.body and request.body.get("run_id") == run_id:
            seq = int(request.headers["x-tilework-sequence"])
            ids_by_seq.setdefault(seq, set()).add(request.headers["webhook-id"])
    assert sorted(ids_by_seq) == list(range(1, max(ids_by_seq) + 1))  # none lost
    assert all(len(ids) == 1 for ids in ids_by_seq.values())  # a repeat keeps its id


def wait(condition: Callable[[], Any], timeout: float, what: str, cluster: Cluster) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    pytest.fail(f"timed out after {timeout}s waiting for {what}\n{cluster.logs()}")
