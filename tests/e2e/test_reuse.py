"""Node-level reuse through ``tilework serve``: a re-run that changes only the captions' colour
takes Trim's and Clips' earlier results (their tiles do not run again), runs Captions, Audio
Enhance and Render, and its webhooks and outputs are those of a normal run; reused tasks are not
charged."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Server, create_agent, upload_video
from tests.e2e.helpers import OUTPUT_FIELDS, node_type_ids, probe_duration, run_events
from tests.support.receiver import Receiver
from tests.support.talking import short_talking_clip
from tilework.webhooks.events import parse_event

pytestmark = pytest.mark.e2e


def captions_agent(api: httpx.Client, colour: str) -> str:
    ids = node_type_ids(api)
    agent = create_agent(
        api,
        [
            {"ref": "in", "type": ids["video input"]},
            {"ref": "trim", "type": ids["trim"], "params": {"start_seconds": 0.5}},
            {
                "ref": "clips",
                "type": ids["clips"],
                "params": {"num_clips": 1, "target_duration": 3},
            },
            {"ref": "captions", "type": ids["captions"], "params": {"highlight_color": colour}},
            {"ref": "audio", "type": ids["audio enhance"], "params": {"target_lufs": -16}},
            {"ref": "out", "type": ids["render"], "params": {"preset": "ultrafast"}},
        ],
        [
            ["in", "trim"],
            ["trim", "clips"],
            ["clips", "captions"],
            ["captions", "audio"],
            ["audio", "out"],
        ],
    )
    return str(agent["agent"]["id"])


def run(api: httpx.Client, receiver: Receiver, agent_id: str, video_id: str) -> dict[str, Any]:
    started = api.post(
        f"/agent/{agent_id}/run", json={"video_ids": [video_id], "callback_url": receiver.url}
    )
    assert started.status_code == 200, started.text
    events = run_events(receiver, started.json()["run_id"], timeout=120)
    assert [e["flag"] for e in events][:: len(events) - 1] == ["RUN_STARTED", "RUN_FINISHED"]
    for event in events:
        parse_event(event)  # exact to webhooks.md, whether a task ran or was reused
    progress = [n for e in events if e["flag"] == "RUN_PROGRESS" for n in e["updated_nodes"]]
    completed = {n["original_node_id"] for n in progress if n["status"] == "completed"}
    assert len(completed) == 6  # every node, reused or not, reported completed
    # captions publish their SRT/VTT beside the usual fields
    assert set(events[-1]["outputs"][0]) >= OUTPUT_FIELDS
    assert events[-1]["status"] == "completed", events[-1]
    assert events[-1]["node_status_counts"] == {"completed": 6, "in_progress": 0, "failed": 0}
    return events[-1]


def tasks_by_node(server: Server, api: httpx.Client, run_id: str) -> dict[str, sqlite3.Row]:
    """The run's tasks by their tile's slug, read from the server's database."""
    slugs = {t["node_type_id"]: t["slug"] for t in api.get("/node_types").json()["node_types"]}
    with sqlite3.connect(server.data_dir / "tilework.db") as db:
        db.row_factory = sqlite3.Row
        rows = db.execute(
            "SELECT t.id, t.reuse_key, t.reused_from, t.status_message, n.node_type_id "
            "FROM tasks t JOIN run_nodes n ON n.id = t.run_node_id WHERE t.run_id = ?",
            (run_id,),
        ).fetchall()
    return {slugs[row["node_type_id"]]: row for row in rows}


def balance(api: httpx.Client) -> float:
    return float(api.get("/credits").json()["balance"])


def test_a_caption_only_rerun_reuses_what_came_before_the_captions(
    server: Server, api: httpx.Client, receiver: Receiver, tmp_path: Path
) -> None:
    video_id = upload_video(api, short_talking_clip(tmp_path).path)
    yellow, cyan = captions_agent(api, "#FFD400"), captions_agent(api, "#00E5FF")

    before = balance(api)
    first = run(api, receiver, yellow, video_id)
    first_cost = before - balance(api)
    first_tasks = tasks_by_node(server, api, first["run_id"])
    assert all(task["reused_from"] is None for task in first_tasks.values())
    assert first_tasks["trim"]["reuse_key"] and first_tasks["captions"]["reuse_key"]
    assert first_tasks["render"]["reuse_key"] is None  # the run's files are never shared

    rerun = run(api, receiver, cyan, video_id)
    tasks = tasks_by_node(server, api, rerun["run_id"])
    for reused in ("trim", "clips"):  # before the captions: taken, not run
        assert tasks[reused]["reused_from"] == first_tasks[reused]["id"], reused
        assert tasks[reused]["status_message"] == first_tasks[reused]["status_message"]
    for ran in ("captions", "audio-enhance", "render"):  # the colour changed from here on
        assert tasks[ran]["reused_from"] is None, ran
    assert tasks["captions"]["reuse_key"] != first_tasks["captions"]["reuse_key"]

    # The same agent again: everything up to the render is reused, only the render is charged.
    before = balance(api)
    again = run(api, receiver, yellow, video_id)
    again_tasks = tasks_by_node(server, api, again["run_id"])
    for reused in ("trim", "clips", "captions", "audio-enhance"):
        assert again_tasks[reused]["reused_from"] == first_tasks[reused]["id"], reused
    assert again_tasks["render"]["reused_from"] is None
    assert 0 < before - balance(api) < first_cost

    # Each run has its own, complete output.
    outputs = [r["outputs"][0] for r in (first, rerun, again)]
    assert len({o["id"] for o in outputs}) == 3
    durations = [probe_duration(o["video_url"]) for o in outputs]
    assert all(abs(d - durations[0]) < 0.1 for d in durations), durations
    assert durations[0] > 1.0


def test_reuse_can_be_turned_off(
    tmp_path_factory: pytest.TempPathFactory, receiver: Receiver, tmp_path: Path
) -> None:
    srv = Server(data_dir=tmp_path_factory.mktemp("no-reuse"))
    srv.extra_env = {"TILEWORK_REUSE_RESULTS": "false"}
    srv.start()
    try:
        srv.api_key = srv.init_org()
        with srv.client() as api:
            video_id = upload_video(api, short_talking_clip(tmp_path).path)
            agent = captions_agent(api, "#FFD400")
            for _ in range(2):
                finished = run(api, receiver, agent, video_id)
                tasks = tasks_by_node(srv, api, finished["run_id"])
                assert all(t["reuse_key"] is None for t in tasks.values())
                assert all(t["reused_from"] is None for t in tasks.values())
    finally:
        srv.stop()
