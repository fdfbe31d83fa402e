"""What 50 cheap timeline edits add to a render, timed as the user waits: ``POST /run`` to the
``RUN_FINISHED`` webhook, through a real ``tilework serve`` on loopback.

Two agents on the same generated 2 s 640x360 clip: Video Input → ``TRIMS`` Trims (start 0: a
timeline edit, no ffmpeg) → Render, and Video Input → Render (the render alone). Runs alternate
(one warm-up pair, then ``PAIRS`` pairs); the median of the per-pair differences is what the
chain costs (goal ≤ 1 s), and divided by ``TRIMS`` the cost of one more node (goal ≤ 20 ms).
The webhook receiver is a small HTTP server on 127.0.0.1 in this process: it notes the arrival
of each RUN_FINISHED. Beside wall time it reports the server process's own CPU seconds per run
(user + system of its threads, not of its ffmpeg children): that figure does not depend on what
else loads the machine.
"""

from __future__ import annotations

import itertools
import os
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.finished_receiver import FinishedReceiver, start_receiver
from bench.live import LiveServer
from tilework.media.samples import make_sample_clip

TRIMS = int(os.environ.get("BENCH_CHAIN_TRIMS", "50"))
PAIRS = int(os.environ.get("BENCH_CHAIN_PAIRS", "5"))
VIDEO_INPUT = "9451e6ff-ac7f-4317-9055-a2f35f641b29"
TRIM = "5b0f3c1e-8d2a-4c6b-9f47-2e8a61d0c3b5"
RENDER = "c7a3e5d2-41f8-4b9e-a6d0-3f2b8e9c1a74"


def agent_graph(trims: int) -> dict[str, Any]:
    nodes: list[dict[str, Any]] = [{"temp_ref_id": "in", "node_type_id": VIDEO_INPUT}]
    nodes += [
        {"temp_ref_id": f"t{n}", "node_type_id": TRIM, "params_used": {"start_seconds": 0}}
        for n in range(trims)
    ]
    nodes.append({"temp_ref_id": "out", "node_type_id": RENDER, "params_used": {}})
    chain = [node["temp_ref_id"] for node in nodes]
    edges = [
        {"source_temp_ref_id": a, "target_temp_ref_id": b} for a, b in itertools.pairwise(chain)
    ]
    return {"nodes": nodes, "connections": edges}


def _upload(api: httpx.Client, clip: Path) -> str:
    ticket = api.post("/uploads/video/get_upload_url").json()
    files = {"file": ("clip.mp4", clip.read_bytes(), "video/mp4")}
    httpx.post(ticket["upload_url"], data=ticket["upload_fields"], files=files).raise_for_status()
    api.post(
        "/uploads/video/finalize_upload", json={"video_id": ticket["video_id"]}
    ).raise_for_status()
    return str(ticket["video_id"])


def _agent(api: httpx.Client, trims: int) -> str:
    response = api.post(
        "/agent/create", json={"name": f"{trims} trims", "graph": agent_graph(trims)}
    )
    response.raise_for_status()
    return str(response.json()["agent"]["id"])


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of the process's threads so far (Linux ``/proc``; children excluded)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _timed_run(api: httpx.Client, agent_id: str, video_id: str, callback: str) -> float:
    began = time.perf_counter()
    body = {"video_ids": [video_id], "callback_url": callback}
    response = api.post(f"/agent/{agent_id}/run", json=body)
    response.raise_for_status()
    run_id = str(response.json()["run_id"])
    finished = FinishedReceiver.wait(run_id, timeout_s=300)
    status = api.get(f"/agent_run/{run_id}").json()["status"]
    if status != "completed":
        raise SystemExit(f"run {run_id} ended {status}")
    return finished - began


@dataclass
class Timings:
    renders: list[float] = field(default_factory=list)  # wall seconds, render alone
    chains: list[float] = field(default_factory=list)  # wall seconds, trims then render
    render_cpu: list[float] = field(default_factory=list)  # server CPU seconds per run
    chain_cpu: list[float] = field(default_factory=list)


def measure() -> Timings:
    """Seconds to RUN_FINISHED of the render alone and of the chain, pair by pair."""
    receiver, url = start_receiver()
    callback = f"{url}/hook"
    with tempfile.TemporaryDirectory() as tmp:
        clip = make_sample_clip("ffmpeg", Path(tmp) / "clip.mp4", seconds=2, width=640, height=360)
        server = LiveServer(
            Path(tmp) / "data",
            {
                "TILEWORK_RATE_LIMIT_PER_MINUTE": "0",
                "TILEWORK_RATE_LIMIT_RUNS_PER_MINUTE": "0",
                # every run on the same upload: the trims must run, not take the first run's
                # results (engine/reuse.py), or the chain would measure the reuse path
                "TILEWORK_REUSE_RESULTS": "false",
            },
        )
        server.start()
        try:
            server.grant_credits(1_000_000)
            with server.client() as api:
                video_id = _upload(api, clip)
                alone, chain = _agent(api, 0), _agent(api, TRIMS)
                assert server.process is not None
                pid, timings = server.process.pid, Timings()
                for pair in range(PAIRS + 1):  # the first pair warms caches up
                    for agent, walls, cpus in (
                        (alone, timings.renders, timings.render_cpu),
                        (chain, timings.chains, timings.chain_cpu),
                    ):
                        cpu = _cpu_seconds(pid)
                        wall = _timed_run(api, agent, video_id, callback)
                        if pair:
                            walls.append(wall)
                            cpus.append(_cpu_seconds(pid) - cpu)
            return timings
        finally:
            server.stop()
            receiver.shutdown()


def main() -> None:
    t = measure()
    delta = statistics.median(c - r for r, c in zip(t.renders, t.chains, strict=True))
    cpu = statistics.median(c - r for r, c in zip(t.render_cpu, t.chain_cpu, strict=True))
    load = os.getloadavg()[0]
    print(f"chain_render_alone_median {statistics.median(t.renders):.3f} s")
    print(f"chain_{TRIMS}_trims_then_render_median {statistics.median(t.chains):.3f} s")
    print(f"chain_{TRIMS}_trims_added {delta:.3f} s (goal <= 1 s)")
    print(f"chain_per_node {delta / TRIMS * 1000:.1f} ms (goal <= 20 ms)")
    print(f"chain_server_cpu_render_alone_median {statistics.median(t.render_cpu):.3f} s")
    chain_cpu = statistics.median(t.chain_cpu)
    print(f"chain_server_cpu_{TRIMS}_trims_then_render_median {chain_cpu:.3f} s")
    print(f"chain_server_cpu_per_node {cpu / TRIMS * 1000:.1f} ms")
    print(f"chain_load_average {load:.2f}")


if __name__ == "__main__":
    main()
