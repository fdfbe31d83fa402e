"""One real server per module (in this process, real HTTP on 127.0.0.1, embedded workers) for
the SDK's tests, an organization's key, a small agent and a clip."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pydantic import SecretStr

from tests.integration.api.server import LiveServer
from tests.support.receiver import Receiver, receiver  # noqa: F401  (fixture re-export)
from tilework.api.app import create_app
from tilework.config import Settings
from tilework.db.session import unit_of_work
from tilework.media.samples import make_sample_clip
from tilework.orgs.service import create_organization
from tilework.runtime import Runtime

AGENT_YAML = """\
name: SDK test agent
description: renders its input small
nodes:
  - {id: input, type: video-input}
  - {id: render, type: render, params: {resolution: source, quality: low}}
edges:
  - [input, render]
"""


@dataclass
class Live:
    url: str
    key: str
    runtime: Runtime
    clip: Path
    data_dir: Path


def live_settings(data_dir: Path) -> Settings:
    return Settings(
        data_dir=data_dir,
        signing_key=SecretStr("test-signing-key"),
        allow_private_urls=True,
        workers=2,
        youtube_poll_seconds=0,
        schedule_tick_seconds=0,
        youtube_video_url="http://127.0.0.1:9/watch?v={video_id}",
        webhook_retry_schedule=(0, 0.2),
    )


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    root = tmp_path_factory.mktemp("sdk-live")
    clip = make_sample_clip("ffmpeg", root / "clip.mp4", seconds=1, width=160, height=90)
    settings = live_settings(root / "data")
    server = LiveServer(app := create_app(settings))
    settings.public_base_url = server.url  # upload and file URLs point at this server
    server.start()
    runtime: Runtime = app.state.runtime
    with unit_of_work(runtime.sessions) as session:
        _, key = create_organization(session, "SDK tests")
    yield Live(server.url, key, runtime, clip, root / "data")
    server.stop()
