"""``tilework webhooks listen`` as a process: it verifies deliveries, answers, and prints them."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

from tilework.webhooks.verify import Webhook, generate_secret

SECRET = generate_secret()


@dataclass
class Listening:
    url: str
    output: list[str] = field(default_factory=list)  # filled once the process has stopped


@contextmanager
def listen(*args: str) -> Iterator[Listening]:
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "TTY_COMPATIBLE")}
    env["NO_COLOR"] = "1"
    command = [sys.executable, "-m", "tilework.cli.main", "webhooks", "listen", "--port", "0"]
    proc = subprocess.Popen(
        [*command, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        found = re.search(r"http://127\.0\.0\.1:(\d+)/", first)
        assert found, f"no address in the first line: {first!r}"
        listening = Listening(f"http://127.0.0.1:{found.group(1)}/hook")
        yield listening
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            rest, errors = proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            rest, errors = proc.communicate()
    assert proc.returncode == 0, errors
    listening.output = [first, *rest.splitlines()]


def event(run_id: str) -> bytes:
    output = {
        "id": "render-1",
        "video_url": "https://cdn.example/out.mp4",
        "thumbnail_url": None,
        "premiere_prproj_url": None,
        "completed_at": "2025-01-01T00:00:00Z",
        "original_node_id": "render",
    }
    payload: dict[str, Any] = {
        "flag": "RUN_PROGRESS",
        "agent_id": str(uuid.uuid4()),
        "run_id": run_id,
        "status": "running",
        "node_status_counts": {"completed": 1, "in_progress": 1, "failed": 0},
        "triggered_by": None,
        "updated_nodes": [
            {
                "original_node_id": "render",
                "status": "completed",
                "status_message": None,
                "errors": [],
                "outputs": [output],
            }
        ],
    }
    return json.dumps(payload, separators=(",", ":")).encode()


def signed(body: bytes, secret: str = SECRET) -> dict[str, str]:
    now = int(time.time())
    return {
        "Content-Type": "application/json",
        "webhook-id": "evt_1",
        "webhook-timestamp": str(now),
        "webhook-signature": Webhook(secret).sign("evt_1", now, body),
    }


def test_listen_accepts_a_signed_event_and_rejects_a_badly_signed_one() -> None:
    good_run, bad_run = str(uuid.uuid4()), str(uuid.uuid4())
    with listen("--secret", SECRET) as hooks:
        good_body = event(good_run)
        good = httpx.post(hooks.url, content=good_body, headers=signed(good_body))
        bad_body = event(bad_run)
        bad = httpx.post(hooks.url, content=bad_body, headers=signed(bad_body, generate_secret()))
    assert good.status_code == 200
    assert bad.status_code == 400
    assert "signature" in bad.json()["detail"]
    text = "\n".join(hooks.output)
    assert good_run in text
    assert "verified (Standard Webhooks)" in text
    assert "https://cdn.example/out.mp4" in text
    assert "REJECTED" in text and bad_run not in text  # a rejected body is never shown


def test_listen_checks_the_plaintext_mosaic_header_when_there_is_no_signature() -> None:
    run = str(uuid.uuid4())
    with listen("--secret", SECRET) as hooks:
        good = httpx.post(hooks.url, content=event(run), headers={"X-Mosaic-Signature": SECRET})
        wrong = httpx.post(hooks.url, content=event(run), headers={"X-Mosaic-Signature": "nope"})
        bare = httpx.post(hooks.url, content=event(run))
    assert (good.status_code, wrong.status_code, bare.status_code) == (200, 400, 400)
    assert "verified (plaintext X-Mosaic-Signature)" in "\n".join(hooks.output)


def test_without_a_secret_everything_is_accepted_as_unverified() -> None:
    run = str(uuid.uuid4())
    with listen() as hooks:
        response = httpx.post(hooks.url, content=event(run))
    assert response.status_code == 200
    text = "\n".join(hooks.output)
    assert run in text and "unverified" in text


def test_json_mode_prints_one_object_per_line() -> None:
    run = str(uuid.uuid4())
    with listen("--secret", SECRET, "--json") as hooks:
        body = event(run)
        assert httpx.post(hooks.url, content=body, headers=signed(body)).status_code == 200
        assert httpx.post(hooks.url, content=body).status_code == 400
    first, accepted, rejected = (json.loads(line) for line in hooks.output)
    assert first == {"listening": hooks.url.removesuffix("hook"), "verifying": True}
    assert accepted["accepted"] and accepted["verification"] == "standard-webhooks"
    assert (accepted["webhook_id"], accepted["payload"]["run_id"]) == ("evt_1", run)
    assert not rejected["accepted"] and "X-Mosaic-Signature" in rejected["reason"]
