"""Trigger configuration over HTTP: Mosaic's node semantics, handles, and bad input (400, and
nothing changed)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.triggers.conftest import CHANNEL, OTHER_CHANNEL, Stack
from tests.support.youtube import FeedServer

ADD = "/agent/{}/triggers/add_youtube_channels"
REMOVE = "/agent/{}/triggers/remove_youtube_channels"
SHORT = {"duration": {"min_seconds": None, "max_seconds": 60}}
ANY = {"duration": {"min_seconds": None, "max_seconds": None}}


@pytest.fixture
def stack(shared_stack: Stack) -> Stack:
    return shared_stack


def triggers(stack: Stack, agent_id: str) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = stack.ok("GET", f"/agent/{agent_id}/triggers")
    return listed


def summary(stack: Stack, agent_id: str) -> list[tuple[list[str], Any, str | None]]:
    return [
        (t["youtube_channels"], t["filter_options"], t["callback_url"])
        for t in triggers(stack, agent_id)
    ]


def test_channels_group_by_filter_move_between_triggers_and_empty_triggers_go(
    stack: Stack,
) -> None:
    agent = stack.create_agent()
    first = stack.ok(
        "POST", ADD.format(agent), json={"youtube_channels": [CHANNEL], "filter_options": SHORT}
    )
    stack.ok("POST", ADD.format(agent), json={"youtube_channels": [OTHER_CHANNEL]})
    assert summary(stack, agent) == [([CHANNEL], SHORT, None), ([OTHER_CHANNEL], ANY, None)]

    # Same filter: merged into the first trigger, and the callback is set.
    hook = "http://127.0.0.1:9/hook"
    body = {"youtube_channels": [OTHER_CHANNEL], "filter_options": SHORT}
    merged = stack.ok("POST", ADD.format(agent), json={**body, "trigger_callback_url": hook})
    assert merged["id"] == first["id"]
    # OTHER_CHANNEL moved; its old trigger, now empty, is gone.
    assert summary(stack, agent) == [([CHANNEL, OTHER_CHANNEL], SHORT, hook)]

    # trigger_callback_url left out: kept; explicitly null: cleared.
    stack.ok("POST", ADD.format(agent), json=body)
    assert triggers(stack, agent)[0]["callback_url"] == hook
    stack.ok("POST", ADD.format(agent), json={**body, "trigger_callback_url": None})
    assert triggers(stack, agent)[0]["callback_url"] is None

    removed = stack.ok(
        "POST",
        REMOVE.format(agent),
        json={"youtube_channels": [f"https://www.youtube.com/channel/{CHANNEL}"]},
    )
    assert removed["removed_channels"] == [CHANNEL]
    assert summary(stack, agent) == [([OTHER_CHANNEL], SHORT, None)]
    stack.ok("POST", REMOVE.format(agent), json={"youtube_channels": [OTHER_CHANNEL]})
    assert triggers(stack, agent) == []
    # A removed trigger's page and runs stay readable; firing it is a 404.
    assert stack.ok("GET", f"/trigger/{first['id']}")["removed_at"] is not None
    assert stack.ok("GET", f"/trigger/{first['id']}/runs")["runs"] == []
    assert stack.post(f"/trigger/{first['id']}/fire").status_code == 404


def test_handles_are_resolved_from_the_channel_page(stack: Stack, shared_feeds: FeedServer) -> None:
    shared_feeds.pages["@tilework"] = (
        f'<html><head><link rel="canonical" href="https://www.youtube.com/channel/{CHANNEL}">'
    )
    agent = stack.create_agent()
    added = stack.ok(
        "POST", ADD.format(agent), json={"youtube_channels": ["https://youtube.com/@tilework"]}
    )
    assert added["youtube_channels"] == [CHANNEL]
    assert added["youtube_channel_details"][0]["channel_handle"] == "@tilework"
    # Removing by the handle it was added with needs no look-up.
    stack.ok("POST", REMOVE.format(agent), json={"youtube_channels": ["@tilework"]})
    assert triggers(stack, agent) == []


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"youtube_channels": ["https://www.youtube.com/watch?v=dQw4w9WgXcQ"]}, "video URL"),
        ({"youtube_channels": ["https://vimeo.com/user1"]}, "not a YouTube channel"),
        ({"youtube_channels": [CHANNEL, "@nobody-here"]}, "cannot resolve @nobody-here"),
        ({"youtube_channels": []}, "youtube_channels"),
        (
            {"youtube_channels": [CHANNEL], "filter_options": {"duration": {"max_seconds": -1}}},
            "max_seconds",
        ),
        ({"youtube_channels": [CHANNEL], "trigger_callback_url": "ftp://x/y"}, "scheme"),
    ],
)
def test_bad_channel_requests_are_400_and_change_nothing(
    stack: Stack, body: dict[str, Any], detail: str
) -> None:
    agent = stack.create_agent()
    stack.ok("POST", ADD.format(agent), json={"youtube_channels": [OTHER_CHANNEL]})
    before = triggers(stack, agent)
    response = stack.post(ADD.format(agent), json=body)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "validation_error"
    assert detail in response.json()["detail"]
    assert triggers(stack, agent) == before


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"cron": "61 * * * *"}, "not a valid cron expression"),
        ({"cron": "*/5 * * * *", "timezone": "Mars/Olympus"}, "unknown time zone"),
        ({"cron": "*/5 * * * *", "video_urls": []}, "no inputs"),
        ({"cron": "*/5 * * * *", "video_urls": ["file:///etc/passwd"], "x": 1}, "x"),
    ],
)
def test_bad_schedules_are_400_and_change_nothing(
    stack: Stack, body: dict[str, Any], detail: str
) -> None:
    agent = stack.create_agent()
    payload = {"video_urls": ["http://127.0.0.1:9/a.mp4"], **body}
    response = stack.post(f"/agent/{agent}/triggers/add_schedule", json=payload)
    assert response.status_code == 400, response.text
    assert detail in response.json()["detail"]
    assert triggers(stack, agent) == []


def test_unknown_or_foreign_agents_and_triggers_are_404(stack: Stack) -> None:
    agent = stack.create_agent()
    trigger = stack.ok("POST", ADD.format(agent), json={"youtube_channels": [CHANNEL]})
    missing = "00000000-0000-4000-8000-000000000000"
    body = {"youtube_channels": [CHANNEL]}
    schedule = {"cron": "* * * * *", "video_urls": ["http://127.0.0.1:9/a.mp4"]}
    for key in (None, stack.other_key):
        target = missing if key is None else agent
        assert stack.post(ADD.format(target), key, json=body).status_code == 404
        assert stack.get(f"/agent/{target}/triggers", key).status_code == 404
        response = stack.post(f"/agent/{target}/triggers/add_schedule", key, json=schedule)
        assert response.status_code == 404
    for path in ("", "/runs", "/events"):
        assert stack.get(f"/trigger/{trigger['id']}{path}", stack.other_key).status_code == 404
        assert stack.get(f"/trigger/{missing}{path}").status_code == 404
    assert stack.post(f"/trigger/{trigger['id']}/fire", stack.other_key).status_code == 404
    assert stack.post(f"/trigger/{trigger['id']}/delete", stack.other_key).status_code == 404
    assert triggers(stack, agent)[0]["youtube_channels"] == [CHANNEL]


def test_an_agent_without_exactly_one_video_input_cannot_watch_channels(stack: Stack) -> None:
    graph = {
        "nodes": [
            {"temp_ref_id": "a", "node_type_id": "video-input"},
            {"temp_ref_id": "b", "node_type_id": "video-input"},
        ],
        "connections": [],
    }
    agent = stack.ok("POST", "/agent/create", json={"name": "two", "graph": graph})["agent"]["id"]
    response = stack.post(ADD.format(agent), json={"youtube_channels": [CHANNEL]})
    assert response.status_code == 400
    assert "exactly one Video Input node" in response.json()["detail"]
    assert triggers(stack, agent) == []
