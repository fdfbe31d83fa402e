"""Waking webhook senders in other processes: PostgreSQL's LISTEN/NOTIFY.

Whoever commits outbox rows (the engine, a redelivery) calls ``notify_senders`` inside that
transaction; PostgreSQL delivers the notification when it commits (never for a rolled-back
one), and merges repeats within one transaction into one. Every process running a sender keeps
an ``OutboxListener``: a thread with its own autocommit connection that LISTENs and wakes the
sender, so an event committed by an API process reaches its receiver without waiting for a
poll. On SQLite (one process) the in-process wake is all there is, and ``notify_senders`` does
nothing.

The listener reconnects when the connection drops (a database restart) and wakes the sender
after each reconnect, since notifications sent meanwhile are lost.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import psycopg
from sqlalchemy import text
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

CHANNEL = "tilework_outbox"
_NOTIFY = text(f"NOTIFY {CHANNEL}")
_RECONNECT_MAX = 5.0


def notify_senders(session: Session) -> None:
    """Wake every process's sender when this transaction commits (PostgreSQL only)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(_NOTIFY)


class OutboxListener:
    def __init__(self, conninfo: str, wake: Callable[[], None]) -> None:
        self._conninfo = conninfo
        self._wake = wake
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="tilework-listen", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _run(self) -> None:
        delay = 0.2
        while not self._stopping.is_set():
            try:
                with psycopg.connect(self._conninfo, autocommit=True) as connection:
                    connection.execute(f"LISTEN {CHANNEL}")
                    delay = 0.2
                    self._wake()  # anything committed while we were not listening
                    self._listen(connection)
            except psycopg.Error as exc:
                log.warning("outbox listener: %s; reconnecting in %.1f s", exc, delay)
                self._stopping.wait(delay)
                delay = min(delay * 2, _RECONNECT_MAX)

    def _listen(self, connection: psycopg.Connection[tuple[object, ...]]) -> None:
        while not self._stopping.is_set():
            # Wakes up at least once a second to notice stop(); a notification wakes it at once.
            for _notification in connection.notifies(timeout=1.0, stop_after=1):
                self._wake()
