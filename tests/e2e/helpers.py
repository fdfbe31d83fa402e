"""Small helpers shared by the end-to-end tests."""

from __future__ import annotations

import subprocess
import time
from typing import Any

import httpx
import pytest

from tests.support.receiver import Receiver
from tilework.webhooks.events import parse_event

COMMON_FIELDS = {"flag", "agent_id", "run_id", "status", "node_status_counts", "triggered_by"}
EXTRA_FIELDS = {
    "RUN_STARTED": {"inputs"},
    "RUN_PROGRESS": {"updated_nodes"},
    "RUN_FINISHED": {"status_message", "needs_credits", "errors", "inputs", "outputs"},
}
OUTPUT_FIELDS = {
    "id",
    "video_url",
    "thumbnail_url",
    "premiere_prproj_url",
    "completed_at",
    "original_node_id",
}


def node_type_ids(api: httpx.Client) -> dict[str, str]:
    """Node type ids by lower-case name (``video input``, ``trim``, ``render``)."""
    types = api.get("/node_types").json()["node_types"]
    return {t["node_type_name"].lower(): t["node_type_id"] for t in types}


def run_events(receiver: Receiver, run_id: str, timeout: float = 60.0) -> list[dict[str, Any]]:
    """Wait for the run's RUN_FINISHED at the receiver; return the run's events in arrival order."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        events = [r.body for r in receiver.requests if r.body and r.body.get("run_id") == run_id]
        if any(e["flag"] == "RUN_FINISHED" for e in events):
            return events
        time.sleep(0.1)
    pytest.fail(f"no RUN_FINISHED for {run_id}; got {[r.body for r in receiver.requests]}")


def check_event_shapes(events: list[dict[str, Any]]) -> None:
    assert events[0]["flag"] == "RUN_STARTED"
    assert events[-1]["flag"] == "RUN_FINISHED"
    assert any(e["flag"] == "RUN_PROGRESS" for e in events)
    for event in events:
        parse_event(event)  # the pydantic models are exact to webhooks.md
        assert COMMON_FIELDS | EXTRA_FIELDS[event["flag"]] <= set(event), event
        assert set(event["node_status_counts"]) == {"completed", "in_progress", "failed"}
        for output in event.get("outputs", []):
            assert set(output) == OUTPUT_FIELDS
        for node in event.get("updated_nodes", []):
            assert {"original_node_id", "status", "status_message", "errors", "outputs"} <= set(
                node
            )


def probe_duration(url: str) -> float:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", url],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return float(out.stdout.strip())


def probe_size(url: str) -> tuple[int, int]:
    out = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-select_streams",
            "v:0",
            "-show_entries",
            "stream=width,height",
            "-of",
            "csv=p=0",
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    width, height = out.stdout.strip().split(",")[:2]
    return int(width), int(height)


def render_running(api: httpx.Client, run_id: str) -> bool:
    """The run's Render node is running (its input's thumbnail ffmpeg is not the render)."""
    nodes = api.get(f"/agent_run/{run_id}/nodes").json()["nodes"]
    return any(
        n["node_type"]["node_type_name"].lower() == "render" and n["status"] == "running"
        for n in nodes
    )
