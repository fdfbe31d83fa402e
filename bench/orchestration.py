"""What the engine and the dispatcher cost per node, embedded (SQLite) against PostgreSQL.

Two measurements, both with a bench-only "pass" tile (it hands its timeline on: no ffmpeg),
so that what is timed is orchestration alone — claim, run, record, fan out, events, the next
job's dispatch:

1. **Per-node overhead**: a run of a Video Input and a chain of ``CHAIN`` pass nodes, against
   the same run with one pass node; (long - short) / (CHAIN - 1) is the cost of one more node,
   from the commit that queues it to the commit that records it. In this process, with the
   runtime's own workers, on SQLite and on PostgreSQL (Procrastinate). Goal ≤ 20 ms.
2. **Queued runs**: ``QUEUED`` tiny runs (Video Input → pass) of 8 organizations are written
   first, then drained: in embedded mode (SQLite) by one server process's own worker threads,
   and on PostgreSQL by 1 and then 2 ``worker`` processes (``python -m bench.orchestration
   worker``, the same as ``tilework serve``'s workers / ``tilework worker`` plus the pass tile).
   Clocks start when the first run completes (process start-up is not the queue's cost). The
   times to each quarter of the runs show cost linear in runs, the worker's resident memory at
   each quarter shows it flat; runs/s with 1 and 2 workers shows the scaling.

PostgreSQL comes from ``TILEWORK_BENCH_POSTGRES_URL`` (default: the local server); each
measurement makes a database of its own and drops it.
"""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from tilework.config import Settings
from tilework.db.session import unit_of_work
from tilework.db.tables import Agent, AgentConnection, AgentNode, Run, Upload, utcnow
from tilework.engine.schemas import RunRequest
from tilework.media.probe import probe
from tilework.media.samples import make_sample_clip
from tilework.orgs.service import create_organization
from tilework.runtime import Runtime, build_runtime
from tilework.tiles.base import Tile, TileContext, TileParams, TileResult
from tilework.tiles.video_input import VIDEO_INPUT_TYPE_ID

CHAIN = 21
REPEATS = 5
QUEUED = int(os.environ.get("BENCH_QUEUED_RUNS", "1000"))
ORGANIZATIONS = 8
PASS_TYPE_ID = "bench-pass-0000-0000-000000000000"
ADMIN_URL = os.environ.get(
    "TILEWORK_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


class PassTile(Tile):
    """Hands its timeline on untouched: a node that costs nothing but its orchestration."""

    type_id = PASS_TYPE_ID
    name = "Bench Pass"
    slug = "bench-pass"
    renders = True  # renders nothing: no implicit leaf render either
    docs_url = params_docs_url = ""

    def run(self, ctx: TileContext, params: TileParams, timeline: Any) -> TileResult:
        return TileResult(timelines=[timeline])


def runtime_with_pass_tile(settings: Settings, *, workers: bool) -> Runtime:
    runtime = build_runtime(settings, workers=workers)
    runtime.tiles.add(PassTile())
    return runtime


@contextmanager
def database(kind: str) -> Iterator[str]:
    """A fresh database URL: PostgreSQL (made and dropped here), or "" for SQLite."""
    if kind == "sqlite":
        yield ""
        return
    name = f"tw_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _settings(data_dir: Path, url: str, **extra: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "youtube_poll_seconds": 0,
        "schedule_tick_seconds": 0,
        "credit_default_price": 0,  # the pass tile is free: a thousand runs need no top-up
        **extra,
    }
    if url:
        values["database_url"] = url
    return Settings(**values)


def _setup(runtime: Runtime, clip: Path, chain: list[int]) -> tuple[str, str, dict[int, str]]:
    """An organization, its upload of ``clip``, and one agent per chain length."""
    key = f"uploads/{uuid.uuid4()}/source"
    runtime.blobs.put_file(key, clip)
    info = probe(runtime.runner, runtime.blobs.path(key)).model_dump(mode="json")
    with unit_of_work(runtime.sessions) as session:
        org, _key = create_organization(session, "bench")
        upload = Upload(organization_id=org.id, kind="video", status="ready", blob_key=key,
                        media_info=info, expires_at=utcnow() + timedelta(days=1))  # fmt: skip
        session.add(upload)
        agents = {length: _agent(session, org.id, length) for length in chain}
        session.flush()
        return org.id, upload.id, agents


def _agent(session: Any, org_id: str, length: int) -> str:
    agent = Agent(organization_id=org_id, name=f"chain of {length}")
    session.add(agent)
    session.flush()
    previous = AgentNode(agent_id=agent.id, node_type_id=VIDEO_INPUT_TYPE_ID, params={})
    session.add(previous)
    for position in range(1, length + 1):
        node = AgentNode(agent_id=agent.id, node_type_id=PASS_TYPE_ID, params={}, position=position)
        session.add(node)
        session.flush()
        session.add(
            AgentConnection(agent_id=agent.id, source_node_id=previous.id, target_node_id=node.id)
        )
        previous = node
    return agent.id


def _finish_time(runtime: Runtime, run_id: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with runtime.read_sessions() as session:
            status = session.scalar(select(Run.status).where(Run.id == run_id))
        if status != "running":
            if status != "completed":
                raise RuntimeError(f"bench run {run_id} ended {status}")
            return
        time.sleep(0.02)  # the same for both lengths: it cancels out of the difference
    raise TimeoutError(f"bench run {run_id} did not finish")


def per_node_ms(kind: str, clip: Path) -> float:
    with tempfile.TemporaryDirectory() as tmp, database(kind) as url:
        runtime = runtime_with_pass_tile(_settings(Path(tmp), url), workers=True)
        runtime.start()
        try:
            org_id, upload_id, agents = _setup(runtime, clip, [1, CHAIN])
            request = RunRequest(video_ids=[upload_id])
            times: dict[int, list[float]] = {1: [], CHAIN: []}
            for _ in range(REPEATS + 1):  # the first round warms caches and connections up
                for length, agent_id in agents.items():
                    began = time.perf_counter()
                    run_id = runtime.runs.start_run(org_id, agent_id, request)
                    _finish_time(runtime, run_id)
                    times[length].append(time.perf_counter() - began)
        finally:
            runtime.stop()
    long, short = statistics.median(times[CHAIN][1:]), statistics.median(times[1][1:])
    return (long - short) / (CHAIN - 1) * 1000


def queued_runs(clip: Path, workers: int, kind: str = "postgres") -> dict[str, float]:
    """Write ``QUEUED`` runs, then drain them with ``workers`` worker processes.

    On SQLite (embedded mode) the one worker process is the server's: its own dispatcher threads
    drain the queue, as in ``tilework serve``. Times and the worker's resident memory are taken
    when each quarter of the runs has completed."""
    with tempfile.TemporaryDirectory() as tmp, database(kind) as url:
        settings = _settings(Path(tmp), url)
        runtime = runtime_with_pass_tile(settings, workers=False)  # the API's part: no workers
        runtime.start()
        # Several organizations, as on a real cluster (an organization's credit account is a
        # row its tasks lock in turn).
        tenants = [_setup(runtime, clip, [1]) for _ in range(ORGANIZATIONS)]
        for number in range(QUEUED):
            org_id, upload_id, agents = tenants[number % ORGANIZATIONS]
            runtime.runs.start_run(org_id, agents[1], RunRequest(video_ids=[upload_id]))
        env = {**os.environ, "TILEWORK_DATA_DIR": tmp, "TILEWORK_DATABASE_URL": url,
               "TILEWORK_YOUTUBE_POLL_SECONDS": "0", "TILEWORK_SCHEDULE_TICK_SECONDS": "0",
               "TILEWORK_CREDIT_DEFAULT_PRICE": "0"}  # fmt: skip
        if not url:
            del env["TILEWORK_DATABASE_URL"]  # the data dir's SQLite file
        processes = [
            subprocess.Popen([sys.executable, "-m", "bench.orchestration", "worker"], env=env)
            for _ in range(workers)
        ]
        result: dict[str, float] = {}
        try:
            began = _drain(runtime, 1)  # the workers are up (process start is not the queue's)
            for quarter in (1, 2, 3, 4):
                result[f"q{quarter}_s"] = _drain(runtime, QUEUED * quarter // 4) - began
                result[f"q{quarter}_rss_mb"] = sum(_rss_mb(p.pid) for p in processes)
        finally:
            for process in processes:
                process.send_signal(signal.SIGTERM)
            for process in processes:
                process.wait(30)
            runtime.stop()
    result["runs_per_s"] = (QUEUED - 1) / result["q4_s"]
    return result


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _drain(runtime: Runtime, count: int) -> float:
    while True:
        with runtime.read_sessions() as session:
            done = session.scalar(select(func.count()).where(Run.status == "completed"))
        if (done or 0) >= count:
            return time.perf_counter()
        time.sleep(0.05)


def worker() -> None:
    """``tilework worker`` with the pass tile, until SIGTERM."""
    runtime = runtime_with_pass_tile(Settings(), workers=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    runtime.start()
    stop.wait()
    runtime.stop()


def main(parts: tuple[str, ...] = ("per-node", "queued")) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        clip = make_sample_clip("ffmpeg", Path(tmp) / "clip.mp4", seconds=1, width=160, height=90)
        if "per-node" in parts:
            embedded = per_node_ms("sqlite", clip)
            postgres = per_node_ms("postgres", clip)
            print(f"orchestration_per_node_embedded {embedded:.1f} ms")
            print(f"orchestration_per_node_postgres {postgres:.1f} ms")
        runs = [("sqlite", 1), ("postgres", 1), ("postgres", 2)] if "queued" in parts else []
        runs += [("sqlite", 1)] if "queued-sqlite" in parts else []
        for kind, workers in runs:
            result = queued_runs(clip, workers, kind)
            name = f"queued_runs_{QUEUED}_{kind}_workers{workers}"
            for quarter in (1, 2, 3, 4):
                count = QUEUED * quarter // 4
                print(f"{name}_at_{count} {result[f'q{quarter}_s']:.1f} s, "
                      f"worker rss {result[f'q{quarter}_rss_mb']:.0f} MB")  # fmt: skip
            print(f"{name} {result['runs_per_s']:.1f} runs/s")
        print(f"orchestration_load_average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    if sys.argv[1:] == ["worker"]:
        worker()
    elif sys.argv[1:]:  # parts: per-node, queued, queued-sqlite
        main(tuple(sys.argv[1:]))
    else:
        main()
