"""A running ``tilework serve`` runs agents on real video and reports every step by webhooks."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import MediaServer, Server, create_agent, upload_video, wait_for_run
from tests.e2e.helpers import (
    check_event_shapes,
    node_type_ids,
    probe_duration,
    probe_size,
    run_events,
)
from tests.support.receiver import Receiver

pytestmark = pytest.mark.e2e


def trim_render_agent(
    api: httpx.Client, start: float, end: float, resolution: str = "426x240"
) -> dict[str, Any]:
    ids = node_type_ids(api)
    return create_agent(
        api,
        [
            {"ref": "in", "type": ids["video input"]},
            {
                "ref": "trim",
                "type": ids["trim"],
                "params": {"start_seconds": start, "end_seconds": end},
            },
            {"ref": "out", "type": ids["render"], "params": {"resolution": resolution}},
        ],
        [["in", "trim"], ["trim", "out"]],
    )


def node_id(agent: dict[str, Any], type_name: str) -> str:
    for node in agent["agent_nodes"]:
        if node["node_type"]["node_type_name"].lower() == type_name:
            return str(node["agent_node_id"])
    raise AssertionError(f"no {type_name} node")


def test_trim_and_render_with_webhooks(
    api: httpx.Client, receiver: Receiver, clips: Callable[..., Path]
) -> None:
    agent = trim_render_agent(api, 1.0, 3.0)
    video_id = upload_video(api, clips(seconds=4))
    started = api.post(
        f"/agent/{agent['agent']['id']}/run",
        json={"video_ids": [video_id], "callback_url": receiver.url},
    )
    assert started.status_code == 200, started.text
    run_id = started.json()["run_id"]

    events = run_events(receiver, run_id)
    check_event_shapes(events)
    sequences = [
        int(r.headers["x-tilework-sequence"])
        for r in receiver.requests
        if r.body and r.body["run_id"] == run_id
    ]
    assert sequences == sorted(sequences) and len(set(sequences)) == len(sequences)
    finished = events[-1]
    assert finished["status"] == "completed", finished
    assert finished["node_status_counts"] == {"completed": 3, "in_progress": 0, "failed": 0}
    assert len(finished["inputs"]) == 1 and finished["inputs"][0]["thumbnail_url"]

    (output,) = finished["outputs"]
    assert output["original_node_id"] == node_id(agent, "render")
    assert abs(probe_duration(output["video_url"]) - 2.0) < 0.15
    assert probe_size(output["video_url"])[1] == 240
    thumb = httpx.get(output["thumbnail_url"])
    assert thumb.status_code == 200 and thumb.content[:3] == b"\xff\xd8\xff"
    timeline = httpx.get(output["premiere_prproj_url"])
    assert timeline.status_code == 200
    names = zipfile.ZipFile(io.BytesIO(timeline.content)).namelist()
    assert any(name.endswith(".xml") for name in names)

    # The same outputs are readable by polling, and signed URLs refuse tampering.
    run = api.get(f"/agent_run/{run_id}").json()
    assert run["status"] == "completed" and run["outputs"][0]["id"] == output["id"]
    tampered = output["video_url"].replace("signature=", "signature=0")
    assert httpx.get(tampered).status_code == 403
    ranged = httpx.get(output["video_url"], headers={"Range": "bytes=0-99"})
    assert ranged.status_code == 206 and len(ranged.content) == 100


def test_video_urls_update_params_ignore_nodes_and_chaining(
    api: httpx.Client, media_server: MediaServer, clips: Callable[..., Path]
) -> None:
    source = clips(seconds=4)
    (media_server.root / "source.mp4").write_bytes(source.read_bytes())
    url = f"{media_server.url}/source.mp4"
    agent = trim_render_agent(api, 1.0, 3.0)
    agent_id, trim_id = agent["agent"]["id"], node_id(agent, "trim")

    def duration_of(body: dict[str, Any]) -> tuple[float, dict[str, Any]]:
        response = api.post(f"/agent/{agent_id}/run", json=body)
        assert response.status_code == 200, response.text
        run = wait_for_run(api, response.json()["run_id"])
        assert run["status"] == "completed", run
        return probe_duration(run["outputs"][0]["video_url"]), run

    plain, _ = duration_of({"video_urls": [url]})
    assert abs(plain - 2.0) < 0.15
    longer, _ = duration_of({"video_urls": [url], "update_params": {trim_id: {"end_seconds": 3.5}}})
    assert abs(longer - 2.5) < 0.15
    untrimmed, run = duration_of({"video_urls": [url], "ignore_nodes": [trim_id]})
    assert abs(untrimmed - 4.0) < 0.15
    clipped, _ = duration_of(
        {
            "video_inputs": [
                {
                    "agent_node_id": node_id(agent, "video input"),
                    "video_urls": [url],
                    "input_clip_start_ms": 0,
                    "input_clip_end_ms": 2000,
                }
            ],
            "ignore_nodes": [trim_id],
        }
    )
    assert abs(clipped - 2.0) < 0.15

    # Chain: the 4 s render of the previous run, trimmed again to 1..3 s.
    chained, _ = duration_of({"node_render_ids": [run["outputs"][0]["id"]]})
    assert abs(chained - 2.0) < 0.15


def test_multi_input_agent(api: httpx.Client, clips: Callable[..., Path]) -> None:
    ids = node_type_ids(api)
    agent = create_agent(
        api,
        [
            {"ref": "a", "type": ids["video input"]},
            {"ref": "b", "type": ids["video input"]},
            {"ref": "trim", "type": ids["trim"], "params": {"start_seconds": 0, "end_seconds": 1}},
            {"ref": "out", "type": ids["render"], "params": {"resolution": "426x240"}},
        ],
        [["a", "trim"], ["b", "trim"], ["trim", "out"]],
    )
    inputs = [
        n["agent_node_id"]
        for n in agent["agent_nodes"]
        if n["node_type"]["node_type_name"].lower() == "video input"
    ]
    first, second = upload_video(api, clips(seconds=2)), upload_video(api, clips(seconds=3))
    shorthand = api.post(f"/agent/{agent['agent']['id']}/run", json={"video_ids": [first]})
    assert shorthand.status_code == 400 and shorthand.json()["error"] == "validation_error"
    response = api.post(
        f"/agent/{agent['agent']['id']}/run",
        json={
            "video_inputs": [
                {"agent_node_id": inputs[0], "video_ids": [first]},
                {"agent_node_id": inputs[1], "video_ids": [second]},
            ]
        },
    )
    assert response.status_code == 200, response.text
    run = wait_for_run(api, response.json()["run_id"])
    assert run["status"] == "completed", run
    assert len(run["inputs"]) == 2 and len(run["outputs"]) == 2
    for output in run["outputs"]:
        assert abs(probe_duration(output["video_url"]) - 1.0) < 0.15


def test_run_lists_and_progress(
    api: httpx.Client, server: Server, clips: Callable[..., Path]
) -> None:
    agent = trim_render_agent(api, 0.0, 1.0)
    video_id = upload_video(api, clips(seconds=2))
    run_ids = [
        api.post(f"/agent/{agent['agent']['id']}/run", json={"video_ids": [video_id]}).json()[
            "run_id"
        ]
        for _ in range(3)
    ]
    for run_id in run_ids:
        wait_for_run(api, run_id)
    page = api.get(f"/agent/{agent['agent']['id']}/runs", params={"limit": 2}).json()
    assert len(page["runs"]) == 2 and page["next_cursor"]
    rest = api.get(
        f"/agent/{agent['agent']['id']}/runs", params={"limit": 2, "cursor": page["next_cursor"]}
    ).json()
    assert {r["run_id"] for r in page["runs"] + rest["runs"]} == set(run_ids)
    assert rest["next_cursor"] is None
    assert (
        api.get(
            "/agent_runs", params={"status": "failed", "agent_id": agent["agent"]["id"]}
        ).json()["runs"]
        == []
    )
    progress = api.get(f"/agent_run/{run_ids[0]}/progress").json()
    assert progress["completed_node_percent"] == 100.0
    assert all(node["percent"] == 100.0 for node in progress["nodes"])
    nodes = api.get(f"/agent_run/{run_ids[0]}/nodes").json()["nodes"]
    render = next(n for n in nodes if n["node_type"]["node_type_name"].lower() == "render")
    assert render["ffmpeg_commands"] and "libx264" in render["ffmpeg_commands"][0]

    # The SSE stream replays the run's events in order and ends after RUN_FINISHED.
    with api.stream("GET", f"/agent_run/{run_ids[0]}/events") as stream:
        flags = [
            line[len("event: ") :] for line in stream.iter_lines() if line.startswith("event: ")
        ]
    assert flags[0] == "RUN_STARTED" and flags[-1] == "RUN_FINISHED" and "RUN_PROGRESS" in flags

    # Another organization sees none of it.
    with server.client(server.init_org("other")) as other:
        assert other.get(f"/agent_run/{run_ids[0]}").status_code == 404
        assert other.get(f"/agent/{agent['agent']['id']}").status_code == 404
        denied = other.post(f"/agent/{agent['agent']['id']}/run", json={"video_ids": [video_id]})
        assert denied.status_code == 404
