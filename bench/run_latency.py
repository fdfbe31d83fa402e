"""Time from ``POST /agent/{id}/run`` to the RUN_FINISHED webhook, for the demo agent.

Starts ``tilework serve`` on a free loopback port with a fresh data dir, imports
``examples/agents/trim-and-render.yaml``, uploads a generated 8 s 640x360 clip once, then runs the
agent ``REPEATS`` times (one at a time) with a webhook receiver on 127.0.0.1 and prints one line
per measurement.
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.finished_receiver import FinishedReceiver, start_receiver
from tilework.media.samples import make_sample_clip
from tilework.sdk import Client

REPEATS = 5
ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "TILEWORK_DATA_DIR": str(data_dir),
        "TILEWORK_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "TILEWORK_ALLOW_PRIVATE_URLS": "true",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "tilework.cli.main", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/openapi.json").status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("tilework serve did not start")


def _api_key(data_dir: Path) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "tilework.cli.main", "init", "--json"],
        env={**os.environ, "TILEWORK_DATA_DIR": str(data_dir)},
        capture_output=True,
        check=True,
    )
    return str(json.loads(out.stdout)["api_key"])


def measure() -> list[float]:
    receiver, url = start_receiver()
    callback = f"{url}/hook"
    with tempfile.TemporaryDirectory() as tmp:
        data_dir, port = Path(tmp) / "data", _free_port()
        clip = make_sample_clip("ffmpeg", Path(tmp) / "clip.mp4", seconds=8, width=640, height=360)
        server = _serve(data_dir, port)
        try:
            client = Client(f"http://127.0.0.1:{port}", _api_key(data_dir))
            yaml_text = (ROOT / "examples/agents/trim-and-render.yaml").read_text()
            agent_id = client.agents.import_yaml(yaml_text).id
            video_id = client.uploads.upload(clip).upload_id
            return [_one_run(client, agent_id, video_id, callback) for _ in range(REPEATS)]
        finally:
            server.terminate()
            server.wait(30)
            receiver.shutdown()


def _one_run(client: Client, agent_id: str, video_id: str, callback: str) -> float:
    started = time.perf_counter()
    run_id = client.runs.start(agent_id, video_ids=[video_id], callback_url=callback).run_id
    return FinishedReceiver.wait(run_id, timeout_s=120) - started


def main() -> None:
    seconds = measure()
    print(f"demo_run_to_finished_median {statistics.median(seconds):.3f} s")
    print(f"demo_run_to_finished_min {min(seconds):.3f} s")
    print(f"demo_run_to_finished_max {max(seconds):.3f} s")


if __name__ == "__main__":
    main()
