"""Every operation of the server's OpenAPI document is reachable from the SDK.

Each SDK method is called once against a transport that records the request and answers 500;
the recorded (method, path) pairs must cover every operation the app publishes. A new route
without an SDK method fails here with its name.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tilework.api.app import create_app
from tilework.config import Settings
from tilework.sdk import Client, ServerError
from tilework.sdk.models import UploadSlot

ID = "00000000-0000-4000-8000-000000000000"


def sdk_calls(client: Client, tmp: Path) -> list[Callable[[], Any]]:
    clip = tmp / "clip.mp4"
    clip.write_bytes(b"x")
    slot = UploadSlot(kind="video", upload_id=ID, upload_url=f"/uploads/form/{ID}")
    return [
        client.whoami,
        lambda: client.agents.list(),
        lambda: client.agents.get(ID),
        lambda: client.agents.create("a"),
        lambda: client.agents.update(ID, name="b"),
        lambda: client.agents.duplicate(ID),
        lambda: client.agents.delete(ID),
        lambda: client.agents.node(ID),
        lambda: client.node_types.list(),
        lambda: client.node_types.get(ID),
        lambda: client.agents.share(ID, run_id=ID, name="n"),
        lambda: client.agents.share_state(ID),
        lambda: client.agents.unshare(ID),
        lambda: client.keys.create("k", scopes=["agents:read"]),
        lambda: client.keys.list(),
        lambda: client.keys.revoke(ID),
        lambda: client.keys.rotate(ID),
        lambda: client.uploads.get_upload_url("video"),
        lambda: client.uploads.send(slot, clip),
        lambda: client.uploads.finalize(ID),
        lambda: client.files.download("/files/blobs/x?expires=1&signature=s", tmp / "out"),
        lambda: client.runs.start(ID, video_ids=[ID]),
        lambda: client.runs.estimate(ID, video_ids=[ID]),
        lambda: client.runs.get(ID),
        lambda: client.runs.nodes(ID),
        lambda: client.runs.progress(ID),
        lambda: client.runs.cancel(ID),
        lambda: client.runs.resume(ID),
        lambda: client.runs.list(),
        lambda: client.runs.list(agent_id=ID),
        lambda: client.runs.list(trigger_id=ID),
        lambda: list(client.runs.events(ID)),
        lambda: client.triggers.list(ID),
        lambda: client.triggers.get(ID),
        lambda: client.triggers.add_youtube_channels(ID, ["UC"]),
        lambda: client.triggers.remove_youtube_channels(ID, ["UC"]),
        lambda: client.triggers.add_schedule(ID, "* * * * *"),
        lambda: client.triggers.delete(ID),
        lambda: client.triggers.fire(ID),
        lambda: client.triggers.events(ID),
        lambda: client.webhooks.settings(),
        lambda: client.webhooks.update_settings(generate_secret=True),
        lambda: client.webhooks.rotate_secret(),
        lambda: client.webhooks.test("http://hook"),
        lambda: client.webhooks.deliveries(ID),
        lambda: client.webhooks.redeliver(ID),
        lambda: client.plans.get(),
        lambda: client.plans.list(),
        lambda: client.plans.upgrade("creator"),
        lambda: client.credits.get(),
        lambda: client.credits.usage(),
        lambda: client.credits.set_auto_topup(enabled=False),
        lambda: client.credits.ledger(),
    ]


def published_operations(tmp: Path) -> dict[tuple[str, str], set[str]]:
    """(path template, handler summary) → its methods: ``POST|DELETE /agent/{id}/delete`` is one
    operation served under two methods, and either one reaches it."""
    schema = create_app(Settings(data_dir=tmp / "data")).openapi()
    operations: dict[tuple[str, str], set[str]] = {}
    for template, methods in schema["paths"].items():
        for method, operation in methods.items():
            operations.setdefault((template, operation["summary"]), set()).add(method.upper())
    return operations


def test_every_published_operation_has_an_sdk_method(tmp_path: Path) -> None:
    requested: list[tuple[str, str]] = []

    def record(request: httpx.Request) -> httpx.Response:
        requested.append((request.method, request.url.path))
        return httpx.Response(500, json={"detail": "recorded", "error": "internal_server_error"})

    with Client("http://tw.test", "mk_k", transport=httpx.MockTransport(record)) as client:
        for call in sdk_calls(client, tmp_path):
            with pytest.raises(ServerError):
                call()
    missing = sorted(
        f"{'|'.join(sorted(methods))} {template}"
        for (template, _), methods in published_operations(tmp_path).items()
        if not any(
            method in methods and _pattern(template).fullmatch(path) for method, path in requested
        )
    )
    assert not missing, "operations the SDK cannot reach:\n" + "\n".join(missing)


def _pattern(template: str) -> re.Pattern[str]:
    return re.compile(re.sub(r"\\\{[^}]+\\\}", "[^/]+(?:/[^/]+)*?", re.escape(template)))
