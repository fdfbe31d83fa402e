"""One organization's worth of real resources, made over HTTP: the ids a route can take.

``seed(api, key)`` creates an agent (Video Input → Render), uploads and finalizes a real clip,
starts a run on it (the API-only test runtime has no workers, so the run stays running and its
``RUN_STARTED`` event stays in the outbox), watches a YouTube channel and issues a second API
key. ``Seeded.ids`` maps each path parameter name to the id it should take.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tests.integration.api.conftest import Api

VIDEO_INPUT = "9451e6ff-ac7f-4317-9055-a2f35f641b29"
RENDER = "c7a3e5d2-41f8-4b9e-a6d0-3f2b8e9c1a74"
GRAPH = {
    "nodes": [
        {"temp_ref_id": "in", "node_type_id": VIDEO_INPUT},
        {"temp_ref_id": "out", "node_type_id": RENDER},
    ],
    "connections": [{"source_temp_ref_id": "in", "target_temp_ref_id": "out"}],
}
CHANNEL = "UCaaaaaaaaaaaaaaaaaaaaaa"


@dataclass(frozen=True)
class Seeded:
    ids: dict[str, str]  # path parameter name -> an id of this organization
    video_id: str  # a finalized upload

    def everything(self) -> set[str]:
        return {*self.ids.values(), self.video_id}


def seed(api: Api, key: str, clip: Path, *, callback_url: str | None = None) -> Seeded:
    def ok(method: str, path: str, **kw: Any) -> Any:
        response = api.request(method, path, key, **kw)
        assert response.is_success, f"{method} {path}: {response.status_code} {response.text}"
        return response.json() if response.content else None

    agent = ok("POST", "/agent/create", json={"name": "Seeded", "graph": GRAPH})
    agent_id = agent["agent"]["id"]
    video_id = _upload(api, ok("POST", "/uploads/video/get_upload_url"), clip)
    ok("POST", "/uploads/video/finalize_upload", json={"video_id": video_id})
    run = {"video_ids": [video_id], "callback_url": callback_url}
    run_id = ok("POST", f"/agent/{agent_id}/run", json=run)["run_id"]
    deliveries = ok("GET", f"/agent_run/{run_id}/webhooks")
    trigger = ok(
        "POST",
        f"/agent/{agent_id}/triggers/add_youtube_channels",
        json={"youtube_channels": [CHANNEL]},
    )
    second_key = ok("POST", "/api_keys", json={"name": "seeded", "scopes": ["agents:read"]})
    return Seeded(
        ids={
            "agent_id": agent_id,
            "agent_node_id": agent["agent_nodes"][0]["agent_node_id"],
            "run_id": run_id,
            "event_id": deliveries["events"][0]["id"],
            "trigger_id": trigger["id"],
            "key_id": second_key["id"],
        },
        video_id=video_id,
    )


def _upload(api: Api, ticket: dict[str, Any], clip: Path) -> str:
    path = urlsplit(ticket["upload_url"]).path
    files = {"file": ("clip.mp4", clip.read_bytes(), "video/mp4")}
    response = api.client.post(path, data=ticket["upload_fields"], files=files)
    assert response.status_code == 204, response.text
    video_id: str = ticket["video_id"]
    return video_id
