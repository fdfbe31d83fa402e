"""The payload models against example payloads written from the field lists of webhooks.md."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from pydantic import ValidationError

from tilework.webhooks.events import RunFinished, RunProgress, RunStarted, parse_event

AGENT = "5b7e1f0e-3c1a-4b7e-9a43-2f7d0c1e9b10"
RUN = "0f9d6c2a-8e4b-4f7a-b1d3-6a5c4e3b2a19"
NODE = "bcc5cb04-76b7-48e9-a344-0e8a29c19be0"

OUTPUT = {
    "id": "7c1e2d3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f",
    "video_url": "https://tilework.example/files/renders/a.mp4?expires=1&signature=x",
    "thumbnail_url": "https://tilework.example/files/renders/a.jpg?expires=1&signature=y",
    "premiere_prproj_url": None,
    "completed_at": "2025-01-02T03:04:05.678901+00:00",
    "original_node_id": NODE,
}
INPUT = {"video_url": "https://tilework.example/files/in.mp4?s=1", "thumbnail_url": None}
COUNTS = {"completed": 1, "in_progress": 2, "failed": 0}

RUN_STARTED: dict[str, Any] = {
    "flag": "RUN_STARTED",
    "agent_id": AGENT,
    "run_id": RUN,
    "status": "running",
    "node_status_counts": {"completed": 0, "in_progress": 3, "failed": 0},
    "triggered_by": None,
    "inputs": [INPUT],
}
RUN_PROGRESS: dict[str, Any] = {
    "flag": "RUN_PROGRESS",
    "agent_id": AGENT,
    "run_id": RUN,
    "status": "running",
    "node_status_counts": COUNTS,
    "triggered_by": {
        "type": "youtube",
        "channel_id": "UC123",
        "video_id": "abc",
        "video_title": "New video",
        "video_url": "https://www.youtube.com/watch?v=abc",
        "triggered_at": "2025-01-02T03:00:00+00:00",
        "trigger_id": "1d2e3f4a-5b6c-4d7e-8f9a-0b1c2d3e4f5a",
    },
    "updated_nodes": [
        {
            "original_node_id": NODE,
            "status": "partial_complete",
            "status_message": "1 of 2 items failed",
            "errors": ["ffmpeg exited with status 1"],
            "outputs": [OUTPUT],
        },
        {
            "original_node_id": None,
            "status": "queued",
            "status_message": None,
            "errors": [],
            "outputs": [],
        },
    ],
}
RUN_FINISHED: dict[str, Any] = {
    "flag": "RUN_FINISHED",
    "agent_id": AGENT,
    "run_id": RUN,
    "status": "partial_complete",
    "node_status_counts": {"completed": 2, "in_progress": 0, "failed": 1},
    "triggered_by": None,
    "status_message": "1 of 2 items failed",
    "needs_credits": False,
    "errors": [{"original_node_id": NODE, "messages": ["ffmpeg exited with status 1"]}],
    "inputs": [INPUT],
    "outputs": [OUTPUT],
}


@pytest.mark.parametrize(
    ("payload", "model"),
    [(RUN_STARTED, RunStarted), (RUN_PROGRESS, RunProgress), (RUN_FINISHED, RunFinished)],
)
def test_each_example_parses_to_its_model_and_round_trips(
    payload: dict[str, Any], model: type[Any]
) -> None:
    event = parse_event(payload)
    assert isinstance(event, model)
    assert event.model_dump(mode="json") == payload


@pytest.mark.parametrize("payload", [RUN_STARTED, RUN_PROGRESS, RUN_FINISHED])
def test_a_payload_missing_any_top_level_field_is_refused(payload: dict[str, Any]) -> None:
    for field in payload:
        broken = {k: v for k, v in payload.items() if k != field}
        with pytest.raises(ValidationError):
            parse_event(broken)


def test_a_nested_output_missing_a_field_is_refused() -> None:
    broken = copy.deepcopy(RUN_FINISHED)
    del broken["outputs"][0]["completed_at"]
    with pytest.raises(ValidationError, match="completed_at"):
        parse_event(broken)


def test_unknown_flag_is_refused() -> None:
    with pytest.raises(ValidationError):
        parse_event({**RUN_STARTED, "flag": "RUN_PAUSED"})


@pytest.mark.parametrize(
    ("payload", "path", "value"),
    [
        (RUN_STARTED, ("status",), "completed"),  # RUN_STARTED is always "running"
        (RUN_FINISHED, ("status",), "running"),
        (RUN_PROGRESS, ("updated_nodes", 0, "status"), "not_started"),
        (RUN_PROGRESS, ("updated_nodes", 0, "status"), "done"),
    ],
)
def test_status_values_outside_the_contract_are_refused(
    payload: dict[str, Any], path: tuple[str | int, ...], value: str
) -> None:
    broken = copy.deepcopy(payload)
    target: Any = broken
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(ValidationError):
        parse_event(broken)


@pytest.mark.parametrize("status", ["completed", "partial_complete", "failed", "cancelled"])
def test_every_finished_status_is_accepted(status: str) -> None:
    assert parse_event({**RUN_FINISHED, "status": status}).status == status


def test_a_cancelled_run_reports_cancelled_nodes_in_progress() -> None:
    payload = copy.deepcopy(RUN_PROGRESS)
    payload["status"] = "cancelled"
    payload["updated_nodes"][1]["status"] = "cancelled"
    assert isinstance(parse_event(payload), RunProgress)


def test_added_fields_are_kept() -> None:
    event = parse_event({**RUN_STARTED, "tilework_extra": 1})
    assert event.model_dump()["tilework_extra"] == 1


def test_models_build_from_python_values_as_the_engine_does() -> None:
    started = RunStarted(
        flag="RUN_STARTED",
        agent_id=AGENT,
        run_id=RUN,
        status="running",
        node_status_counts=COUNTS,  # type: ignore[arg-type]  # dicts validate into models
        triggered_by=None,
        inputs=[INPUT],  # type: ignore[list-item]
    )
    assert started.model_dump(mode="json")["inputs"] == [INPUT]
