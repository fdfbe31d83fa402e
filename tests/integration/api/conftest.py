"""An app per test (temp data dir, migrated schema, no workers) and two organizations."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from tests.integration.api.server import LiveServer
from tilework.api import app as app_module
from tilework.config import Settings
from tilework.db.session import unit_of_work
from tilework.orgs.service import create_organization
from tilework.runtime import Runtime, build_runtime


@dataclass
class Api:
    client: httpx.Client
    app: FastAPI
    key: str  # organization A
    other_key: str  # organization B

    @property
    def runtime(self) -> Runtime:
        runtime: Runtime = self.app.state.runtime
        return runtime

    def headers(
        self, key: str | None = None, extra: dict[str, str] | None = None
    ) -> dict[str, str]:
        return {"Authorization": f"Bearer {key or self.key}", **(extra or {})}

    def get(self, url: str, key: str | None = None, **kw: Any) -> httpx.Response:
        return self.request("GET", url, key, **kw)

    def post(self, url: str, key: str | None = None, **kw: Any) -> httpx.Response:
        return self.request("POST", url, key, **kw)

    def request(self, method: str, url: str, key: str | None = None, **kw: Any) -> httpx.Response:
        headers = self.headers(key, kw.pop("headers", None))
        return self.client.request(method, url, headers=headers, **kw)


def _test_runtime(settings: Settings, *, workers: bool = True) -> Runtime:
    return build_runtime(settings, workers=False)  # the API alone: no workers, no sender


@pytest.fixture
def make_api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Api]]:
    """Start the real app (over real HTTP) with ``Settings`` overrides; two organizations."""
    monkeypatch.setattr(app_module, "build_runtime", _test_runtime)
    running: list[tuple[LiveServer, httpx.Client]] = []

    def make(**overrides: Any) -> Api:
        settings = Settings(
            data_dir=tmp_path / "data", signing_key=SecretStr("test-signing-key"), **overrides
        )
        app = app_module.create_app(settings)
        server = LiveServer(app)
        server.start()
        client = httpx.Client(base_url=server.url, timeout=30)
        running.append((server, client))
        runtime: Runtime = app.state.runtime
        with unit_of_work(runtime.sessions) as session:
            _, key = create_organization(session, "Org A")
            _, other_key = create_organization(session, "Org B")
        return Api(client, app, key, other_key)

    yield make
    for server, client in running:
        client.close()
        server.stop()


@pytest.fixture
def api(make_api: Callable[..., Api]) -> Api:
    return make_api()


@pytest.fixture(scope="session")
def sample_mp4(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("media") / "sample.mp4"
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=160x90:rate=25:duration=1",
            "-pix_fmt",
            "yuv420p",
            "-c:v",
            "libx264",
            "-y",
            str(path),
        ],
        check=True,
    )
    return path
