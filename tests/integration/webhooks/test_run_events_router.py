"""``GET /agent_run/{run_id}/events`` via FastAPI; skipped until ``tilework.api.deps`` exists."""

from __future__ import annotations

import asyncio
import importlib
from types import SimpleNamespace

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.orm import Session, sessionmaker

from tests.integration.webhooks.rows import add_events, make_run
from tilework.sdk.sse import parse_sse

deps = pytest.importorskip("tilework.api.deps", reason="tilework.api.deps is not written yet")


def get(app: FastAPI, path: str, headers: dict[str, str]) -> httpx.Response:
    async def main() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.get(path, headers=headers)

    return asyncio.run(asyncio.wait_for(main(), timeout=10))


def test_streams_the_runs_events_after_last_event_id(sessions: sessionmaker[Session]) -> None:
    run = make_run(sessions)
    add_events(sessions, run, [1, 2, 3], callback_url=None, flags={3: "RUN_FINISHED"})
    app = FastAPI()
    app.include_router(importlib.import_module("tilework.api.run_events").router)
    access = SimpleNamespace(run_id=run, sessions=sessions)
    app.dependency_overrides[deps.get_owned_run] = lambda: access
    response = get(app, f"/agent_run/{run}/events", {"Last-Event-ID": "1"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["cache-control"] == "no-cache"
    events = list(parse_sse(response.text.splitlines()))
    assert [(e.id, e.event) for e in events] == [("2", "RUN_PROGRESS"), ("3", "RUN_FINISHED")]
