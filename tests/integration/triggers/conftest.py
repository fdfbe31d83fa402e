"""A real server with workers (stoppable and restartable on the same data dir), a feed and media
server and a webhook receiver, all on 127.0.0.1. The poll and tick loops are off: tests call
``poll_youtube()`` / ``tick_schedules()`` themselves, so every step is deterministic."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from tests.integration.api.server import LiveServer
from tests.support.receiver import Receiver, receiver  # noqa: F401  (fixture re-export)
from tests.support.youtube import FeedServer, feed_server  # noqa: F401  (fixture re-export)
from tilework.api.app import create_app
from tilework.config import Settings
from tilework.db.session import unit_of_work
from tilework.media.samples import make_sample_clip
from tilework.orgs.service import create_organization
from tilework.runtime import Runtime

CHANNEL = "UCaaaaaaaaaaaaaaaaaaaaaa"
OTHER_CHANNEL = "UCbbbbbbbbbbbbbbbbbbbbbb"
GRAPH = {
    "nodes": [
        {"temp_ref_id": "in", "node_type_id": "video-input"},
        {"temp_ref_id": "out", "node_type_id": "render"},
    ],
    "connections": [{"source_temp_ref_id": "in", "target_temp_ref_id": "out"}],
}


class FakeClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Stack:
    """The app over real HTTP; ``restart()`` brings up a new runtime on the same database."""

    settings: Settings
    server: LiveServer | None = None
    client: httpx.Client | None = None
    key: str = ""
    other_key: str = ""
    app: Any = None
    stopped: list[LiveServer] = field(default_factory=list)

    @property
    def runtime(self) -> Runtime:
        runtime: Runtime = self.app.state.runtime
        return runtime

    def start(self) -> None:
        self.app = create_app(self.settings)
        self.server = LiveServer(self.app)
        self.server.start()
        self.client = httpx.Client(base_url=self.server.url, timeout=60)
        if not self.key:
            with unit_of_work(self.runtime.sessions) as session:
                _, self.key = create_organization(session, "Org A")
                _, self.other_key = create_organization(session, "Org B")

    def stop(self) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None
        if self.server is not None:
            self.server.stop()
            self.server = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def request(self, method: str, url: str, key: str | None = None, **kw: Any) -> httpx.Response:
        assert self.client is not None
        headers = {"Authorization": f"Bearer {key or self.key}"}
        return self.client.request(method, url, headers=headers, **kw)

    def get(self, url: str, key: str | None = None, **kw: Any) -> httpx.Response:
        return self.request("GET", url, key, **kw)

    def post(self, url: str, key: str | None = None, **kw: Any) -> httpx.Response:
        return self.request("POST", url, key, **kw)

    def ok(self, method: str, url: str, **kw: Any) -> Any:
        response = self.request(method, url, **kw)
        assert response.status_code == 200, response.text
        return response.json()

    def create_agent(self, name: str = "watcher") -> str:
        body = self.ok("POST", "/agent/create", json={"name": name, "graph": GRAPH})
        return str(body["agent"]["id"])

    def trigger_runs(self, trigger_id: str) -> list[dict[str, Any]]:
        runs: list[dict[str, Any]] = self.ok("GET", f"/trigger/{trigger_id}/runs")["runs"]
        return runs

    def events(self, trigger_id: str) -> dict[str, str]:
        """Ledger key → status."""
        body = self.ok("GET", f"/trigger/{trigger_id}/events", params={"limit": 100})
        return {event["key"]: event["status"] for event in body["events"]}


def trigger_settings(data_dir: Path, feeds: FeedServer, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "signing_key": SecretStr("test-signing-key"),
        "allow_private_urls": True,
        "workers": 2,
        "youtube_feed_url": feeds.feed_template,
        "youtube_video_url": feeds.video_template,
        "youtube_handle_url": feeds.handle_template,
        "youtube_poll_seconds": 0,
        "schedule_tick_seconds": 0,
        "webhook_retry_schedule": (0, 0.2, 0.5),
    }
    return Settings(**{**values, **overrides})


@pytest.fixture
def make_stack(
    tmp_path: Path,
    feed_server: FeedServer,  # noqa: F811  (the fixture imported above)
) -> Iterator[Callable[..., Stack]]:
    stacks: list[Stack] = []

    def make(**overrides: Any) -> Stack:
        stack = Stack(trigger_settings(tmp_path / "data", feed_server, **overrides))
        stack.start()
        stacks.append(stack)
        return stack

    yield make
    for stack in stacks:
        stack.stop()


@pytest.fixture
def stack(make_stack: Callable[..., Stack]) -> Stack:
    return make_stack()


@pytest.fixture(scope="module")
def shared_feeds() -> Iterator[FeedServer]:
    server = FeedServer()
    yield server
    server.close()


@pytest.fixture(scope="module")
def shared_stack(
    tmp_path_factory: pytest.TempPathFactory, shared_feeds: FeedServer
) -> Iterator[Stack]:
    """One server for tests that only configure triggers (each makes its own agents)."""
    stack = Stack(trigger_settings(tmp_path_factory.mktemp("shared") / "data", shared_feeds))
    stack.start()
    yield stack
    stack.stop()


@pytest.fixture(scope="session")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    """A 2 s and a 4 s clip (320x180), shared by every trigger test."""
    folder = tmp_path_factory.mktemp("trigger-clips")
    return {
        seconds: make_sample_clip("ffmpeg", folder / f"clip{seconds}.mp4", seconds=seconds)
        for seconds in (2, 4)
    }


def wait_until(check: Callable[[], Any], timeout: float = 30.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]
