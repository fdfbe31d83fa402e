"""Bad input gets a clear 4xx with ``{detail, error}`` and changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import MediaServer, create_agent, upload_video, wait_for_run
from tests.e2e.helpers import node_type_ids

pytestmark = pytest.mark.e2e


def assert_error(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == code and isinstance(body["detail"], str) and body["detail"]


def run_count(api: httpx.Client) -> int:
    return len(api.get("/agent_runs", params={"limit": 100}).json()["runs"])


def test_bad_run_requests_change_nothing(
    api: httpx.Client, media_server: MediaServer, clips: Callable[..., Path]
) -> None:
    ids = node_type_ids(api)
    agent = create_agent(
        api,
        [{"ref": "in", "type": ids["video input"]}, {"ref": "out", "type": ids["render"]}],
        [["in", "out"]],
    )
    agent_id = agent["agent"]["id"]
    (media_server.root / "page.html").write_text("<html><body>not a video</body></html>")
    whole = clips(seconds=2).read_bytes()
    (media_server.root / "truncated.mp4").write_bytes(whole[: len(whole) // 2])
    runs_before = run_count(api)

    malformed = api.post(
        f"/agent/{agent_id}/run", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert_error(malformed, 400, "validation_error")
    assert_error(
        api.post(
            "/agent/00000000-0000-4000-8000-000000000000/run",
            json={"video_urls": ["http://127.0.0.1:1/x.mp4"]},
        ),
        404,
        "not_found",
    )
    assert_error(
        api.post(f"/agent/{agent_id}/run", json={"video_urls": ["ftp://127.0.0.1/x.mp4"]}),
        400,
        "validation_error",
    )
    assert_error(
        api.post(
            f"/agent/{agent_id}/run", json={"video_ids": ["00000000-0000-4000-8000-000000000000"]}
        ),
        404,
        "not_found",
    )
    assert_error(
        api.post(
            f"/agent/{agent_id}/run",
            json={
                "video_urls": [f"{media_server.url}/page.html"],
                "update_params": {"00000000-0000-4000-8000-000000000000": {"x": 1}},
            },
        ),
        400,
        "validation_error",
    )
    render_id = next(
        n["agent_node_id"]
        for n in agent["agent_nodes"]
        if n["node_type"]["node_type_name"].lower() == "render"
    )
    assert_error(
        api.post(
            f"/agent/{agent_id}/run",
            json={
                "video_urls": [f"{media_server.url}/page.html"],
                "update_params": {render_id: {"no_such_param": 1}},
            },
        ),
        400,
        "validation_error",
    )
    assert_error(api.post(f"/agent/{agent_id}/run", json={}), 400, "validation_error")
    assert run_count(api) == runs_before


def test_bad_agents_and_uploads(api: httpx.Client, clips: Callable[..., Path]) -> None:
    ids = node_type_ids(api)
    graph = {
        "nodes": [
            {"temp_ref_id": "a", "node_type_id": ids["trim"], "params_used": {}},
            {"temp_ref_id": "b", "node_type_id": ids["trim"], "params_used": {}},
        ],
        "connections": [
            {"source_temp_ref_id": "a", "target_temp_ref_id": "b"},
            {"source_temp_ref_id": "b", "target_temp_ref_id": "a"},
        ],
    }
    agents_before = len(api.get("/agents", params={"limit": 100}).json()["agents"])
    assert_error(
        api.post("/agent/create", json={"name": "cycle", "graph": graph}), 400, "validation_error"
    )
    graph["connections"] = []
    graph["nodes"][0]["params_used"] = {"bogus": True}
    assert_error(
        api.post("/agent/create", json={"name": "bad param", "graph": graph}),
        400,
        "validation_error",
    )
    graph["nodes"][0]["node_type_id"] = "00000000-0000-4000-8000-000000000000"
    assert_error(
        api.post("/agent/create", json={"name": "bad type", "graph": graph}),
        400,
        "validation_error",
    )
    assert len(api.get("/agents", params={"limit": 100}).json()["agents"]) == agents_before

    ticket = api.post("/uploads/video/get_upload_url").json()
    empty = httpx.post(
        ticket["upload_url"],
        data=ticket["upload_fields"],
        files={"file": ("empty.mp4", b"", "video/mp4")},
    )
    if empty.status_code < 300:
        finalize = api.post("/uploads/video/finalize_upload", json={"video_id": ticket["video_id"]})
        assert_error(finalize, 400, "validation_error")
    else:
        assert_error(empty, 400, "validation_error")
    assert upload_video(api, clips(seconds=2))
    assert_error(api.get("/agent_run/00000000-0000-4000-8000-000000000000"), 404, "not_found")
    assert_error(httpx.get(f"{api.base_url}/whoami"), 401, "invalid_api_key")


def test_video_urls_that_fail_fail_their_item_and_the_rest_goes_on(
    api: httpx.Client, media_server: MediaServer, clips: Callable[..., Path]
) -> None:
    """The run answers at once; each bad URL fails its own item with the reason (a worker
    downloads and probes it as the Video Input node's work); the good one is rendered."""
    ids = node_type_ids(api)
    agent = create_agent(
        api,
        [{"ref": "in", "type": ids["video input"]},
         {"ref": "out", "type": ids["render"], "params": {"resolution": "426x240"}}],
        [["in", "out"]],
    )  # fmt: skip
    (media_server.root / "page.html").write_text("<html><body>not a video</body></html>")
    whole = clips(seconds=2).read_bytes()
    (media_server.root / "truncated.mp4").write_bytes(whole[: len(whole) // 2])
    (media_server.root / "good.mp4").write_bytes(whole)
    names = ["good.mp4", "page.html", "truncated.mp4", "missing.mp4"]
    started = api.post(
        f"/agent/{agent['agent']['id']}/run",
        json={"video_urls": [f"{media_server.url}/{name}" for name in names]},
    )
    assert started.status_code == 200, started.text
    run = wait_for_run(api, started.json()["run_id"])
    assert run["status"] == "partial_complete", run
    assert len(run["outputs"]) == 1
    messages = " | ".join(m for e in run["errors"] for m in e["messages"])
    assert "page.html" in messages and "truncated.mp4" in messages, messages
    assert "404" in messages, messages
    assert run["inputs"][0]["thumbnail_url"]  # fetched: stored copy and thumbnail
    assert run["inputs"][3]["video_url"].endswith("/missing.mp4")  # never fetched: its URL
