"""An in-process fake of the Tilework HTTP API for CLI tests, served through httpx.MockTransport."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import httpx

NODE_TYPES = [
    {"node_type_id": "9451e6ff-ac7f-4317-9055-a2f35f641b29", "node_type_name": "Video Input"},
    {"node_type_id": "00000000-0000-4000-8000-000000000001", "node_type_name": "Trim"},
    {"node_type_id": "00000000-0000-4000-8000-000000000002", "node_type_name": "Render"},
]
AT = "2025-01-01T00:00:00Z"
OUTPUT = {
    "id": "render-1",
    "video_url": "http://files/video.mp4",
    "thumbnail_url": "http://files/thumb.jpg",
    "premiere_prproj_url": "http://files/timeline.zip",
    "completed_at": "2025-01-01T00:00:00Z",
    "original_node_id": "tpl-render",
}


def sse(events: list[tuple[int, str, dict[str, Any]]]) -> bytes:
    frames = [
        f"id: {seq}\nevent: {name}\ndata: {json.dumps(data)}\n\n" for seq, name, data in events
    ]
    return (": keep-alive\n\n" + "".join(frames)).encode()


@dataclass
class FakeApi:
    final_status: str = "completed"
    requests: list[httpx.Request] = field(default_factory=list)
    created: dict[str, Any] | None = None
    run_body: dict[str, Any] | None = None
    uploaded: bytes = b""

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.headers.get("authorization") != "Bearer mk_test" and "/put/" not in str(
            request.url
        ):
            return httpx.Response(
                401, json={"detail": "invalid API key", "error": "invalid_api_key"}
            )
        route = f"{request.method} {request.url.path}"
        handler = getattr(
            self, "_" + route.replace(" ", "").replace("/", "_").replace("-", "_"), None
        )
        if handler is None:
            return httpx.Response(404, json={"detail": f"no route {route}", "error": "not_found"})
        result: httpx.Response = handler(request)
        return result

    def _GET_node_types(self, request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"node_types": NODE_TYPES})

    def _POST_agent_create(self, request: httpx.Request) -> httpx.Response:
        self.created = json.loads(request.content)
        return httpx.Response(200, json=self._POST_agent_create_response())

    def _POST_agent_create_response(self) -> dict[str, Any]:
        assert self.created is not None
        nodes = [
            {
                "agent_node_id": f"tpl-{node['temp_ref_id']}",
                "node_type": next(
                    t for t in NODE_TYPES if t["node_type_id"] == node["node_type_id"]
                ),
                "params_used": node["params_used"],
            }
            for node in self.created["graph"]["nodes"]
        ]
        meta = {"id": "agent-1", "name": self.created["name"], "created_at": AT, "updated_at": AT}
        return {"agent": meta, "agent_nodes": nodes, "connections": []}

    def _GET_agent_agent_1(self, request: httpx.Request) -> httpx.Response:
        if self.created is None:
            return httpx.Response(404, json={"detail": "agent not found", "error": "not_found"})
        agent = self._POST_agent_create_response()
        agent["connections"] = [
            {
                "source_agent_node_id": f"tpl-{edge['source_temp_ref_id']}",
                "target_agent_node_id": f"tpl-{edge['target_temp_ref_id']}",
            }
            for edge in self.created["graph"]["connections"]
        ]
        return httpx.Response(200, json=agent)

    def _POST_uploads_video_get_upload_url(self, request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            json={
                "video_id": "vid-1",
                "upload_url": "/uploads/video/put/vid-1?signature=abc",
                "upload_fields": {"key": "vid-1"},
                "max_file_size_bytes": 1_000_000,
            },
        )

    def _POST_uploads_video_put_vid_1(self, request: httpx.Request) -> httpx.Response:
        self.uploaded = request.read()
        return httpx.Response(204)

    def _POST_uploads_video_finalize_upload(self, request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={**json.loads(request.content), "status": "ready"})

    def _POST_agent_agent_1_run(self, request: httpx.Request) -> httpx.Response:
        self.run_body = json.loads(request.content)
        return httpx.Response(200, json={"run_id": "run-1"})

    def _GET_agent_run_run_1_nodes(self, request: httpx.Request) -> httpx.Response:
        nodes = [
            {
                "agent_node_id": f"rt-{name}",
                "original_node_id": f"tpl-{name}",
                "status": "queued",
                "node_type": {"node_type_id": name, "node_type_name": name.title()},
            }
            for name in ("input", "cut", "render")
        ]
        return httpx.Response(200, json={"run_id": "run-1", "nodes": nodes})

    def _GET_agent_run_run_1_progress(self, request: httpx.Request) -> httpx.Response:
        nodes = [
            {"agent_node_id": "rt-render", "status": "running", "percent": 40.0, "eta_seconds": 3}
        ]
        counts = {"completed": 1, "in_progress": 2, "failed": 0}
        return httpx.Response(
            200,
            json={
                "run_id": "run-1",
                "status": "running",
                "node_status_counts": counts,
                "total_nodes": 3,
                "completed_node_percent": 33.3,
                "nodes": nodes,
            },
        )

    def _GET_agent_run_run_1_events(self, request: httpx.Request) -> httpx.Response:
        base: dict[str, Any] = {"agent_id": "agent-1", "run_id": "run-1", "triggered_by": None}
        events: list[tuple[int, str, dict[str, Any]]] = [
            (1, "RUN_STARTED", {**base, "flag": "RUN_STARTED", "status": "running"}),
            (
                2,
                "RUN_PROGRESS",
                {
                    **base,
                    "flag": "RUN_PROGRESS",
                    "status": "running",
                    "updated_nodes": [{"original_node_id": "tpl-cut", "status": "completed"}],
                },
            ),
            (3, "RUN_FINISHED", {**base, "flag": "RUN_FINISHED", "status": self.final_status}),
        ]
        return httpx.Response(
            200, content=sse(events), headers={"content-type": "text/event-stream"}
        )

    def _GET_agent_run_run_1(self, request: httpx.Request) -> httpx.Response:
        failed = self.final_status != "completed"
        return httpx.Response(
            200,
            json={
                "agent_id": "agent-1",
                "started_at": AT,
                "status": self.final_status,
                "status_message": "render failed" if failed else None,
                "errors": [{"original_node_id": "tpl-render", "messages": ["boom"]}]
                if failed
                else [],
                "outputs": [] if failed else [OUTPUT],
            },
        )
