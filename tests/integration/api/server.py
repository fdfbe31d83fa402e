"""Serve an ASGI app with uvicorn on 127.0.0.1 (a free port) in a thread, for real-HTTP tests."""

from __future__ import annotations

import socket
import threading
import time

import uvicorn
from fastapi import FastAPI


def bound_socket() -> socket.socket:
    """A socket on 127.0.0.1 with a free port, bound now (so the URL is known before the app)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    return sock


class LiveServer:
    def __init__(self, app: FastAPI, sock: socket.socket | None = None) -> None:
        self._socket = sock or bound_socket()
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"
        config = uvicorn.Config(app, lifespan="on", log_level="warning", access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    def start(self, timeout: float = 20.0) -> None:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=20)
        self._socket.close()
