"""End-to-end harness: ``tilework serve`` as a real process, a static media server and a webhook
receiver on 127.0.0.1, and small clips generated with real ffmpeg.

The server is started per test module (it is the slow part) and can be killed with SIGKILL and
started again on the same data dir, which is how crash recovery is tested.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.receiver import Receiver, receiver  # noqa: F401  (fixture re-export)
from tilework.media.samples import make_sample_clip

pytestmark = pytest.mark.e2e


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    data_dir: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    api_key: str = ""
    extra_env: dict[str, str] = field(default_factory=dict)
    serve_args: list[str] = field(default_factory=list)  # e.g. ["--no-workers"]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "TILEWORK_DATA_DIR": str(self.data_dir),
            "TILEWORK_PUBLIC_BASE_URL": self.url,
            "TILEWORK_ALLOW_PRIVATE_URLS": "true",
            "TILEWORK_WORKERS": "2",
            "TILEWORK_WEBHOOK_RETRY_SCHEDULE": "0,0.2,0.5,1,1",
            **self.extra_env,
        }

    def start(self) -> None:
        with (self.data_dir / "server.log").open("ab") as log:  # the child keeps its own fd
            self.process = subprocess.Popen(
                [
                    *(sys.executable, "-m", "tilework.cli.main", "serve"),
                    *("--port", str(self.port), *self.serve_args),
                ],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"tilework serve exited: {self.log_tail()}")
            try:
                if httpx.get(f"{self.url}/openapi.json", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        pytest.fail(f"tilework serve did not come up: {self.log_tail()}")

    def kill9(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)

    def log_tail(self) -> str:
        path = self.data_dir / "server.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def init_org(self, name: str = "e2e") -> str:
        out = subprocess.run(
            [sys.executable, "-m", "tilework.cli.main", "init", "--name", name, "--json"],
            env=self.env,
            capture_output=True,
            check=True,
            timeout=60,
        )
        return str(json.loads(out.stdout)["api_key"])

    def client(self, api_key: str | None = None) -> httpx.Client:
        key = api_key or self.api_key
        return httpx.Client(
            base_url=self.url, headers={"Authorization": f"Bearer {key}"}, timeout=60
        )


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = Server(data_dir=tmp_path_factory.mktemp("server"))
    srv.start()
    srv.api_key = srv.init_org()
    yield srv
    srv.stop()


@pytest.fixture
def api(server: Server) -> Iterator[httpx.Client]:
    with server.client() as client:
        yield client


@dataclass
class MediaServer:
    root: Path
    url: str


@pytest.fixture(scope="module")
def media_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MediaServer]:
    """A static file server on 127.0.0.1 for ``video_urls``."""
    root = tmp_path_factory.mktemp("media")
    handler = functools.partial(_QuietHandler, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield MediaServer(root, f"http://127.0.0.1:{httpd.server_address[1]}")
    httpd.shutdown()
    httpd.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture(scope="session")
def clips(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """``clips(seconds=4, audio="tone")`` → a cached small MP4 made by real ffmpeg."""
    root = tmp_path_factory.mktemp("clips")

    def make(seconds: float = 4.0, audio: str | None = "tone", width: int = 320) -> Path:
        path = root / f"clip-{seconds}-{audio}-{width}.mp4"
        if not path.exists():
            make_sample_clip(
                "ffmpeg", path, seconds=seconds, width=width, height=width * 9 // 16, audio=audio
            )
        return path

    return make


def upload_video(api: httpx.Client, path: Path) -> str:
    ticket = api.post("/uploads/video/get_upload_url").json()
    with path.open("rb") as handle:
        sent = httpx.post(
            ticket["upload_url"],
            data=ticket["upload_fields"],
            files={"file": (path.name, handle, "video/mp4")},
            timeout=60,
        )
    assert sent.status_code < 300, sent.text
    done = api.post("/uploads/video/finalize_upload", json={"video_id": ticket["video_id"]})
    assert done.status_code == 200, done.text
    return str(ticket["video_id"])


def create_agent(
    api: httpx.Client, nodes: list[dict[str, Any]], edges: list[list[str]]
) -> dict[str, Any]:
    body = {
        "name": "e2e agent",
        "graph": {
            "nodes": [
                {
                    "temp_ref_id": n["ref"],
                    "node_type_id": n["type"],
                    "params_used": n.get("params", {}),
                }
                for n in nodes
            ],
            "connections": [{"source_temp_ref_id": a, "target_temp_ref_id": b} for a, b in edges],
        },
    }
    response = api.post("/agent/create", json=body)
    assert response.status_code == 200, response.text
    return dict(response.json())


def wait_for_run(api: httpx.Client, run_id: str, timeout: float = 90.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = api.get(f"/agent_run/{run_id}").json()
        if run["status"] != "running":
            return dict(run)
        time.sleep(0.2)
    pytest.fail(f"run {run_id} still running after {timeout}s")


def ffprobe(path_or_url: str) -> dict[str, Any]:
    out = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-print_format",
            "json",
            "-show_format",
            "-show_streams",
            path_or_url,
        ],
        capture_output=True,
        check=True,
        timeout=60,
    )
    return dict(json.loads(out.stdout))
