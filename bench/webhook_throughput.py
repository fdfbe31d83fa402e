"""Webhook delivery throughput and latency: 10,000 events of 100 runs to a loopback receiver.

Embedded defaults (SQLite in a temp data dir, the real ``WebhookSender`` with its aiohttp
transport and default per-host cap, signing on), in this process as in ``tilework serve``.
Events are committed the way the engine's ``emit`` stores them (``store_events``: one INSERT
per small transaction, round-robin over the runs) at a steady offered rate, and the receiver
(uvicorn, in another process) notes when each arrives. A ``WalCheckpointer`` runs as in
``Runtime.start()``. Latency is commit → receipt; throughput is deliveries over the wall time
from the first commit to the last receipt. One measurement per offered rate in
``BENCH_WEBHOOK_RATES`` and database in ``BENCH_WEBHOOK_DATABASES`` (``sqlite,postgres``). On
PostgreSQL (a fresh database, see ``bench.orchestration.database``) the sender is woken the way
a worker's is when an API process commits: by the NOTIFY of the commit, through an
``OutboxListener``, never by an in-process call.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr

from bench.orchestration import database
from tilework.config import Settings
from tilework.db.checkpoint import WalCheckpointer
from tilework.db.migrate import migrate
from tilework.db.session import make_engine, make_session_factory, unit_of_work
from tilework.db.tables import Agent, Organization, Run, utcnow
from tilework.engine.events import outbox_row, store_events
from tilework.webhooks.sender import WebhookSender
from tilework.webhooks.wakeup import OutboxListener
from tilework.workers.postgres.dispatcher import conninfo

RUNS = 100
EVENTS_PER_RUN = 100
BATCH = 20  # events per commit, like one engine transaction emitting a few events
# Events offered per second, one measurement each: above capacity (deliveries/s is then the
# sender's capacity), at the goal's 1,000/s, and at half of it (latency below saturation).
RATES = [float(r) for r in os.environ.get("BENCH_WEBHOOK_RATES", "1500,1000,500").split(",")]
DATABASES = os.environ.get("BENCH_WEBHOOK_DATABASES", "sqlite,postgres").split(",")


# The customer's receiver: a minimal ASGI app on uvicorn (httptools, uvloop), as a FastAPI
# receiver would run. In production it runs on another machine; here it shares our 2 cores, so
# it should be a lean production server — the stdlib's threaded http.server costs ~0.3 ms of
# CPU per request and adds its own thread-switching tail (p99 400 ms at 1,000/s, all of it the
# receiver's, measured 2026-11-23).
RECEIVER = r"""
import json, socket, time
import uvicorn

arrived = []  # (webhook-id, unix time): kept here, read once at the end (GET /arrivals)

async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    body = b""
    if scope["method"] == "POST":
        while (await receive()).get("more_body"):
            pass
        event_id = dict(scope["headers"])[b"webhook-id"].decode()
        arrived.append((event_id, time.time()))
    elif scope["path"] == "/count":  # the bench's own questions: how many so far, then all
        body = str(len(arrived)).encode()
    else:
        body = json.dumps(arrived).encode()
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})

sock = socket.socket()
sock.bind(("127.0.0.1", 0))
sock.listen(1024)
print(sock.getsockname()[1], flush=True)
config = uvicorn.Config(app, loop="uvloop", http="httptools", lifespan="off",
                        log_level="warning", access_log=False)
uvicorn.Server(config).run(sockets=[sock])
"""  # fmt: skip


class _Receiver:
    """The customer's server, in its own process (it must not share our interpreter's GIL).

    Arrival times stay in the receiver until the end: streaming them back during the run would
    spend the sender's interpreter on the bench's bookkeeping.
    """

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", RECEIVER], stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None
        self.base = f"http://127.0.0.1:{int(self.process.stdout.readline())}"
        self.url = f"{self.base}/hook"

    def count(self) -> int:
        return int(httpx.get(f"{self.base}/count").text)

    def arrivals(self) -> dict[str, float]:
        return {event_id: at for event_id, at in httpx.get(f"{self.base}/arrivals").json()}

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(10)


def _runs(sessions: Any, url: str) -> list[str]:
    with unit_of_work(sessions) as session:
        org = Organization(name="bench", slug="bench", webhook_secret="bench-secret-123")
        session.add(org)
        session.flush()
        agent = Agent(organization_id=org.id, name="bench")
        session.add(agent)
        session.flush()
        runs = [
            Run(organization_id=org.id, agent_id=agent.id, callback_url=url) for _ in range(RUNS)
        ]
        session.add_all(runs)
        session.flush()
        return [run.id for run in runs]


def _payload(run_id: str, seq: int) -> dict[str, Any]:
    return {
        "flag": "RUN_PROGRESS",
        "agent_id": "bench",
        "run_id": run_id,
        "status": "running",
        "node_status_counts": {"completed": seq, "in_progress": 1, "failed": 0},
        "triggered_by": None,
        "updated_nodes": [
            {"original_node_id": "n", "status": "running", "status_message": None,
             "errors": [], "outputs": []}
        ],
    }  # fmt: skip


def _offer(
    sessions: Any, runs: list[str], url: str, wake: Callable[[], None], rate: float
) -> dict[str, datetime]:
    committed: dict[str, datetime] = {}
    pending = [(run, seq) for seq in range(1, EVENTS_PER_RUN + 1) for run in runs]
    started = time.monotonic()
    for index in range(0, len(pending), BATCH):
        due = started + index / rate
        time.sleep(max(0.0, due - time.monotonic()))
        with unit_of_work(sessions) as session:
            rows = [outbox_row(run, seq, _payload(run, seq), url)
                    for run, seq in pending[index : index + BATCH]]  # fmt: skip
            store_events(session, rows)  # as the engine's emit() stores them
        now = utcnow()  # committed: the clock starts here
        committed.update((row["id"], now) for row in rows)
        wake()
    return committed


def measure(rate: float, kind: str = "sqlite") -> dict[str, float]:
    receiver = _Receiver()
    url = receiver.url
    with tempfile.TemporaryDirectory() as tmp, database(kind) as database_url:
        settings = Settings(
            data_dir=Path(tmp),
            allow_private_urls=True,
            webhook_secret=SecretStr("bench"),
            **({"database_url": database_url} if database_url else {}),
        )
        engine = make_engine(settings.database_url)
        migrate(engine)
        sessions = make_session_factory(engine)
        runs = _runs(sessions, url)
        checkpointer = WalCheckpointer(engine)  # as Runtime.start() runs it (SQLite only)
        checkpointer.start()
        sender = WebhookSender(sessions, settings)
        sender.start()
        listener = None
        if database_url:  # woken by NOTIFY, as a worker is by an API process's commits
            listener = OutboxListener(conninfo(database_url), sender.wake)
            listener.start()
        wake = sender.wake if listener is None else (lambda: None)
        first_commit = time.time()
        committed = _offer(sessions, runs, url, wake, rate)
        deadline = time.monotonic() + 300
        while receiver.count() < len(committed) and time.monotonic() < deadline:
            time.sleep(0.1)
        if listener is not None:
            listener.stop()
        sender.stop()
        checkpointer.stop()
        engine.dispose()
    received = receiver.arrivals()
    receiver.close()
    latencies = sorted(
        (received[event_id] - at.timestamp()) * 1000
        for event_id, at in committed.items()
        if event_id in received
    )
    last = max(received.values())
    return {
        "delivered": len(latencies),
        "offered": len(committed),
        "per_second": len(latencies) / (last - first_commit),
        "p50_ms": statistics.median(latencies),
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1],
    }


def main() -> None:
    for kind, rate in [(kind, rate) for kind in DATABASES for rate in RATES]:
        result = measure(rate, kind)
        at = f"at{rate:.0f}" + ("" if kind == "sqlite" else f"_{kind}")
        print(f"webhook_events_delivered_{at} {result['delivered']:.0f} of {result['offered']:.0f}")
        print(f"webhook_deliveries_per_second_{at} {result['per_second']:.0f} /s")
        print(f"webhook_commit_to_receipt_p50_{at} {result['p50_ms']:.1f} ms")
        print(f"webhook_commit_to_receipt_p99_{at} {result['p99_ms']:.1f} ms")


if __name__ == "__main__":
    main()
