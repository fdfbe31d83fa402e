"""Soak (``make soak``, off CI): 200 concurrent tiny runs and over 10,000 webhook events through
one ``tilework serve`` on this machine, then proof that nothing was lost and nothing leaked.

The agent is Video Input -> ``TRIMS`` Trim tiles -> Render (160x90), so each run is cheap to
render but emits ~55 webhook events; 200 runs started at once (32 client threads) give over
10,000 deliveries, signed, to a uvicorn receiver in another process. The server's resident
memory, open file descriptors and child processes are read from ``/proc`` before, sampled during
(peaks) and after the load has drained. Nothing lost: every run completes and every stored event
arrives at the receiver. Nothing leaked: no child process survives, and a second, smaller wave
(``SECOND_WAVE`` runs) leaves the descriptor count where the first left it: after the first wave
the pools (SQLite connections, keep-alive connections to the receiver) are warm and hold
descriptors by design, so growth across waves, not the difference from a cold start, is a leak.
"""

from __future__ import annotations

import itertools
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench.live import Footprint, LiveServer
from bench.media_fuzz import RENDER, VIDEO_INPUT, ffmpeg
from bench.webhook_throughput import _Receiver

RUNS = 200
SECOND_WAVE = 40
FD_SLACK = 8  # descriptors the pools may still open in a second wave
TRIMS = 24
CLIENT_THREADS = 32
TRIM = "5b0f3c1e-8d2a-4c6b-9f47-2e8a61d0c3b5"
DRAIN_DEADLINE_S = 1800.0


@dataclass
class Peaks:
    rss_mb: float = 0.0
    open_fds: int = 0
    children: int = 0

    def take(self, now: Footprint) -> None:
        self.rss_mb = max(self.rss_mb, now.peak_rss_mb)
        self.open_fds = max(self.open_fds, now.open_fds)
        self.children = max(self.children, now.children)


def agent_graph() -> dict[str, Any]:
    nodes: list[dict[str, Any]] = [{"temp_ref_id": "in", "node_type_id": VIDEO_INPUT}]
    nodes += [
        {"temp_ref_id": f"t{n}", "node_type_id": TRIM, "params_used": {"start_seconds": 0}}
        for n in range(TRIMS)
    ]
    nodes.append(
        {"temp_ref_id": "out", "node_type_id": RENDER, "params_used": {"resolution": "160x90"}}
    )
    chain = [node["temp_ref_id"] for node in nodes]
    edges = [
        {"source_temp_ref_id": a, "target_temp_ref_id": b} for a, b in itertools.pairwise(chain)
    ]
    return {"nodes": nodes, "connections": edges}


def prepare(server: LiveServer, folder: Path) -> tuple[str, str]:
    clip = folder / "tiny.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=160x90:rate=25", "-t", "1", "-c:v", "libx264",
           "-pix_fmt", "yuv420p", str(clip))  # fmt: skip
    with server.client() as api:
        agent = api.post("/agent/create", json={"name": "soak", "graph": agent_graph()})
        agent.raise_for_status()
        ticket = api.post("/uploads/video/get_upload_url").json()
        files = {"file": ("tiny.mp4", clip.read_bytes(), "video/mp4")}
        httpx.post(
            ticket["upload_url"], data=ticket["upload_fields"], files=files
        ).raise_for_status()
        api.post(
            "/uploads/video/finalize_upload", json={"video_id": ticket["video_id"]}
        ).raise_for_status()
    return str(agent.json()["agent"]["id"]), str(ticket["video_id"])


def start_runs(
    server: LiveServer, agent_id: str, video_id: str, callback: str, count: int = RUNS
) -> list[str]:
    def start(_: int) -> str:
        with server.client() as api:
            body = {"video_ids": [video_id], "callback_url": callback}
            response = api.post(f"/agent/{agent_id}/run", json=body)
            response.raise_for_status()
            return str(response.json()["run_id"])

    with ThreadPoolExecutor(CLIENT_THREADS) as pool:
        return list(pool.map(start, range(count)))


def wait_until_drained(server: LiveServer, runs: list[str], receiver: _Receiver) -> set[str]:
    """Every run finished and every stored event received; the stored event ids."""
    deadline = time.monotonic() + DRAIN_DEADLINE_S
    with server.client() as api:
        while time.monotonic() < deadline:
            running = api.get("/agent_runs", params={"status": "running", "limit": 1}).json()
            if not running["runs"]:
                break
            time.sleep(2)
        stored = {
            event["id"]
            for run_id in runs
            for event in api.get(f"/agent_run/{run_id}/webhooks").json()["events"]
        }
    while receiver.count() < len(stored) and time.monotonic() < deadline:
        time.sleep(1)
    return stored


def sample(server: LiveServer, peaks: Peaks, stop: threading.Event) -> None:
    while not stop.is_set():
        peaks.take(server.footprint())
        stop.wait(0.5)


def main() -> None:
    receiver = _Receiver()
    with tempfile.TemporaryDirectory() as tmp:
        server = LiveServer(
            Path(tmp) / "data",
            {
                "TILEWORK_RATE_LIMIT_PER_MINUTE": "0",
                "TILEWORK_RATE_LIMIT_RUNS_PER_MINUTE": "0",
                "TILEWORK_WEBHOOK_SECRET": "soak-secret-0123456789",
            },
        )
        server.start()
        try:
            server.grant_credits(10_000_000)
            agent_id, video_id = prepare(server, Path(tmp))
            soak(server, agent_id, video_id, receiver)
        finally:
            server.stop()
            receiver.close()


def soak(server: LiveServer, agent_id: str, video_id: str, receiver: _Receiver) -> None:
    before = server.footprint()
    peaks, stop = Peaks(), threading.Event()
    sampler = threading.Thread(target=sample, args=(server, peaks, stop), daemon=True)
    sampler.start()
    started = time.monotonic()
    runs = start_runs(server, agent_id, video_id, receiver.url)
    accepted = time.monotonic() - started
    stored = wait_until_drained(server, runs, receiver)
    drained = time.monotonic() - started
    time.sleep(5)  # let finished threads and pooled connections settle
    after = server.footprint()
    second = start_runs(server, agent_id, video_id, receiver.url, SECOND_WAVE)
    stored |= wait_until_drained(server, second, receiver)
    time.sleep(5)
    stop.set()
    sampler.join()
    again = server.footprint()
    arrived = set(receiver.arrivals())
    runs += second
    with server.client() as api:
        statuses = [api.get(f"/agent_run/{run_id}").json()["status"] for run_id in runs]
    print(f"soak_runs_started {RUNS} in {accepted:.1f} s, then {SECOND_WAVE} more")
    print(f"soak_seconds_to_drain {drained:.0f} s")
    report(Footprints(before, after, again, peaks), statuses, stored, arrived)


@dataclass
class Footprints:
    before: Footprint
    after: Footprint  # the first wave drained
    again: Footprint  # the second wave drained
    peaks: Peaks


def report(prints: Footprints, statuses: list[str], stored: set[str], arrived: set[str]) -> None:
    peaks = prints.peaks
    print(f"soak_runs_completed {statuses.count('completed')} of {len(statuses)}")
    print(f"soak_webhook_events_stored {len(stored)}")
    print(f"soak_webhook_events_received {len(stored & arrived)} of {len(stored)}")
    print(f"soak_before {prints.before.show()}")
    print(f"soak_peak rss {peaks.rss_mb:.0f} MB, {peaks.open_fds} open fds, "
          f"{peaks.children} child processes")  # fmt: skip
    print(f"soak_after_first_wave {prints.after.show()}")
    print(f"soak_after_second_wave {prints.again.show()}")
    lost = len(stored - arrived) + statuses.count("running")
    grown = prints.again.open_fds - prints.after.open_fds
    leaked = prints.after.children + prints.again.children + max(0, grown - FD_SLACK)
    print(f"soak_lost {lost}")
    print(f"soak_leaked {leaked}")
    short = len(stored) < 10_000 or statuses.count("completed") != len(statuses)
    if lost or leaked or short:
        raise SystemExit("the soak lost, leaked or fell short: see above")


if __name__ == "__main__":
    main()
