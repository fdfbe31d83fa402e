"""A thread-safe ``JobContext`` for adapters that run job functions on worker threads.

The dispatcher calls ``fire_abort`` (from whichever thread learns of the abort); the job function
sees ``should_abort()`` turn true and its ``on_abort`` callbacks run once. ``heartbeat()`` is
throttled so a progress loop may call it freely; the dispatcher supplies the write.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

logger = logging.getLogger(__name__)

HEARTBEAT_EVERY_SECONDS = 5.0  # heartbeat() writes at most this often per job


class RunningJob:
    """The ``JobContext`` handed to a job function; its dispatcher fires the abort."""

    def __init__(self, job_id: int, worker_id: str, beat: Callable[[int], None]) -> None:
        self.job_id = job_id
        self.worker_id = worker_id
        self.interrupted_by_shutdown = False
        self._beat = beat
        self._lock = threading.Lock()
        self._aborted = threading.Event()
        self._callbacks: list[Callable[[], None]] = []
        self._last_beat = time.monotonic()  # the claim stamped heartbeat_at

    def should_abort(self) -> bool:
        return self._aborted.is_set()

    def heartbeat(self) -> None:
        now = time.monotonic()
        with self._lock:
            if now - self._last_beat < HEARTBEAT_EVERY_SECONDS:
                return
            self._last_beat = now
        self._beat(self.job_id)

    def on_abort(self, callback: Callable[[], None]) -> None:
        """Register ``callback``; if the abort already fired, run it now on this thread."""
        with self._lock:
            if not self._aborted.is_set():
                self._callbacks.append(callback)
                return
        self._call(callback)

    def fire_abort(self, *, shutdown: bool) -> None:
        """Make ``should_abort()`` true and run the callbacks, once whatever the caller."""
        with self._lock:
            if self._aborted.is_set():
                return
            self.interrupted_by_shutdown = shutdown
            self._aborted.set()
            callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            self._call(callback)

    def _call(self, callback: Callable[[], None]) -> None:
        try:
            callback()
        except Exception:
            logger.exception("on_abort callback of job %d failed", self.job_id)
