"""The dispatcher port: the only way the engine schedules work.

Modelled on Procrastinate so a PostgreSQL adapter can sit behind it unchanged: jobs are deferred
inside the caller's transaction (they exist only if the state change that wants them commits),
carry a ``queueing_lock`` (at most one waiting job per key), and can be aborted while running.
A job function receives a ``JobContext`` through which it heartbeats and learns of an abort.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session


class JobContext(Protocol):
    job_id: int

    def should_abort(self) -> bool:
        """True once someone asked to abort this job."""

    def heartbeat(self) -> None:
        """Tell the dispatcher this job is alive (long renders call this as they progress)."""

    def on_abort(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` (from another thread) as soon as an abort is requested."""


JobFunction = Callable[[JobContext, dict[str, Any]], None]


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    every_seconds: float
    function: Callable[[], None]


class Dispatcher(Protocol):
    def register(self, task_name: str, function: JobFunction) -> None:
        """Make ``task_name`` runnable by workers."""

    def defer(
        self,
        session: Session,
        task_name: str,
        args: dict[str, Any],
        *,
        queue: str = "default",
        priority: int = 0,
        queueing_lock: str | None = None,
        not_before: datetime | None = None,
    ) -> int:
        """Enqueue a job in the caller's transaction; returns its id."""

    def abort(self, session: Session, job_id: int) -> None:
        """Cancel a waiting job, or ask a running one to stop (in the caller's transaction)."""

    def periodic(self, job: PeriodicJob) -> None:
        """Run ``job.function`` every ``every_seconds`` while workers run (once cluster-wide)."""

    def start(self) -> None:
        """Recover jobs a crash left running, then start the worker pool."""

    def stop(self, timeout: float = 10.0) -> None:
        """Stop taking jobs, abort running ones, and wait for the pool to drain."""

    def wake(self) -> None:
        """Hint that new jobs were committed (lets an idle worker skip its poll delay)."""
