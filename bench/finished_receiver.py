"""A webhook receiver on 127.0.0.1 that notes when each run's RUN_FINISHED arrives.

Shared by the benchmarks that time ``POST /agent/{id}/run`` → RUN_FINISHED (``run_latency``,
``chain_overhead``, ``whole_run``): the clock stops when the webhook is received, as a user's
would.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class FinishedReceiver(BaseHTTPRequestHandler):
    """Class-level state: one receiver per benchmark process."""

    arrivals: dict[str, float] = {}  # noqa: RUF012 - run_id → time.perf_counter() at receipt
    finished: dict[str, dict[str, Any]] = {}  # noqa: RUF012 - run_id → RUN_FINISHED body
    changed = threading.Condition()

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if body["flag"] == "RUN_FINISHED":
            with self.changed:
                self.arrivals[body["run_id"]] = time.perf_counter()
                self.finished[body["run_id"]] = body
                self.changed.notify_all()
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        return

    @classmethod
    def wait(cls, run_id: str, timeout_s: float) -> float:
        """``perf_counter()`` at which ``run_id``'s RUN_FINISHED arrived; SystemExit on timeout."""
        with cls.changed:
            if not cls.changed.wait_for(lambda: run_id in cls.arrivals, timeout=timeout_s):
                raise SystemExit(f"run {run_id}: no RUN_FINISHED within {timeout_s:.0f} s")
        return cls.arrivals[run_id]


def start_receiver() -> tuple[ThreadingHTTPServer, str]:
    """The receiver serving on a free loopback port, and its URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), FinishedReceiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"
