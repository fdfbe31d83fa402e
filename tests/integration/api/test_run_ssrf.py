"""With private URLs disallowed (the default), a run refuses internal targets before connecting.

Every refused address here is a literal or comes from a name the guard resolves first, so the
test never sends traffic anywhere: the refusal happens before any connection is opened.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.integration.api.conftest import Api

GRAPH = {
    "nodes": [
        {"temp_ref_id": "in", "node_type_id": "video-input"},
        {"temp_ref_id": "out", "node_type_id": "render"},
    ],
    "connections": [{"source_temp_ref_id": "in", "target_temp_ref_id": "out"}],
}


@pytest.mark.parametrize(
    "body",
    [
        {"video_urls": ["http://127.0.0.1:9/clip.mp4"]},
        {"video_urls": ["http://10.0.0.1/clip.mp4"]},
        {"video_urls": ["http://169.254.169.254/latest/meta-data/"]},
        {"video_urls": ["http://[::1]/clip.mp4"]},
        {"video_urls": ["file:///etc/passwd"]},
        {
            "video_ids": [],
            "video_urls": ["http://x.invalid/a.mp4"],
            "callback_url": "http://192.168.1.5/hook",
        },
    ],
)
def test_run_refuses_private_targets(make_api: Callable[..., Api], body: dict[str, object]) -> None:
    api = make_api(allow_private_urls=False)
    agent = api.post("/agent/create", json={"name": "ssrf", "graph": GRAPH})
    assert agent.status_code == 200, agent.text
    response = api.post(f"/agent/{agent.json()['agent']['id']}/run", json=body)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "validation_error"
    runs = api.get("/agent_runs").json()["runs"]
    assert runs == []
