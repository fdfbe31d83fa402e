"""An app per test (temp data dir, migrated schema, no workers) and two organizations."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
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


@contextmanager
def start_api(tmp_path: Path, **overrides: Any) -> Iterator[Api]:
    """The real app over real HTTP (no workers) with ``Settings`` overrides; two organizations."""
    settings = Settings(
        data_dir=tmp_path / "data", signing_key=SecretStr("test-signing-key"), **overrides
    )
    with pytest.MonkeyPatch.context() as patch:  # the lifespan builds the runtime at start
        patch.setattr(app_module, "build_runtime", _test_runtime)
        app = app_module.create_app(settings)
        server = LiveServer(app)
        server.start()
    client = httpx.Client(base_url=server.url, timeout=30)
    try:
        runtime: Runtime = app.state.runtime
        with unit_of_work(runtime.sessions) as session:
            _, key = create_organization(session, "Org A")
            _, other_key = create_organization(session, "Org B")
        yield Api(client, app, key, other_key)
    finally:
        client.close()
        server.stop()


@pytest.fixture
def make_api(tmp_path: Path) -> Iterator[Callable[..., Api]]:
    """Start the real app (over real HTTP) with ``Settings`` overrides; two organizations."""
    with ExitStack() as stack:
        yield lambda **overrides: stack.enter_context(start_api(tmp_path, **overrides))


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
