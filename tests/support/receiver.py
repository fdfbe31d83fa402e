"""A real webhook receiver on 127.0.0.1 for integration tests, and its pytest fixture.

It records every request (path, headers, raw and JSON body, arrival time) and answers with a
programmable status: queued statuses first (``respond_with``), then ``default_status``. A
receiver made with ``listening=False`` already owns its port but refuses connections until
``listen()`` — a callback endpoint that is down, then comes back up. ``delay`` (seconds before
answering), ``response_headers`` and ``response_body`` shape every answer.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


@dataclass(frozen=True)
class ReceivedRequest:
    path: str
    headers: dict[str, str]  # names lower-cased
    raw: bytes
    body: Any  # parsed JSON, or None when the body is not JSON
    at: float  # time.monotonic() on arrival


class Receiver:
    def __init__(self, *, listening: bool = True, default_status: int = 200) -> None:
        self.default_status = default_status
        self.delay = 0.0
        self.response_headers: dict[str, str] = {}
        self.response_body = b""
        self.requests: list[ReceivedRequest] = []
        self._queued: deque[int] = deque()
        self._changed = threading.Condition()
        self._server = _Server(self)
        self.port: int = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self._thread: threading.Thread | None = None
        if listening:
            self.listen()

    def respond_with(self, *statuses: int) -> None:
        """Answer the next requests with these statuses, in order, then ``default_status``."""
        with self._changed:
            self._queued.extend(statuses)

    def listen(self) -> None:
        self._server.server_activate()
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[ReceivedRequest]:
        """Block until ``count`` requests arrived; return them (fails the test on timeout)."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self.requests) >= count, timeout):
                pytest.fail(f"receiver got {len(self.requests)} requests, expected {count}")
            return list(self.requests)

    def close(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
        self._server.server_close()

    def _record(self, request: ReceivedRequest) -> int:
        with self._changed:
            self.requests.append(request)
            self._changed.notify_all()
            return self._queued.popleft() if self._queued else self.default_status


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, receiver: Receiver) -> None:
        # Bound now (the port is known and reserved), listening only from ``listen()``.
        super().__init__(("127.0.0.1", 0), _Handler, bind_and_activate=False)
        self.receiver = receiver
        self.server_bind()


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        headers = {name.lower(): value for name, value in self.headers.items()}
        received = ReceivedRequest(self.path, headers, raw, body, time.monotonic())
        receiver = self.server.receiver
        status = receiver._record(received)
        if receiver.delay:
            time.sleep(receiver.delay)
        answer = receiver.response_body
        try:
            self.send_response(status)
            for name, value in receiver.response_headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)
        except OSError:
            pass  # the sender gave up (timed out) and closed the connection

    def log_message(self, format: str, *args: Any) -> None:
        return  # keep test output clean


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    hook = Receiver()
    yield hook
    hook.close()
