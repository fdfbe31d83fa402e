"""``Dispatcher`` over Procrastinate: jobs are rows of ``procrastinate_jobs`` on the same database.

The engine's side (``defer``, ``abort``) runs on the SQLAlchemy session's own psycopg connection
through Procrastinate's external-connection API, so a job exists only if the transaction that
wants it commits, and an abort reaches the worker (by Procrastinate's NOTIFY) only once the
cancel commits. Every process on PostgreSQL can defer; only processes that ``start()`` run
workers (``pool.py``).

Semantics kept from the embedded adapter (the contract tests pin them):

- a ``queueing_lock`` held by a waiting job returns that job's id instead of raising
  Procrastinate's ``AlreadyEnqueued``; the same key is used as Procrastinate's ``lock``, so two
  jobs of one key never run at once (a resumed task waits for its aborted job to wind down);
- ``abort`` cancels a waiting job and asks a running one to stop, wherever it runs;
- a job left running by a dead worker is retried once that worker's heartbeat is older than
  ``stalled_after_seconds`` (by a periodic job, once per cluster);
- periodic jobs run once per interval across the whole cluster (Procrastinate's periodic
  deferrer, deduplicated in the database).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import procrastinate
from procrastinate import exceptions as procrastinate_errors
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from tilework.workers.port import JobFunction, PeriodicJob
from tilework.workers.postgres.pool import WorkerOptions, WorkerPool

log = logging.getLogger(__name__)

_WAITING = text("SELECT id FROM procrastinate_jobs WHERE queueing_lock = :key AND status = 'todo'")


def conninfo(database_url: str) -> str:
    """The libpq URL of a SQLAlchemy ``postgresql+psycopg://`` URL."""
    url = make_url(database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


class ProcrastinateDispatcher:
    def __init__(
        self,
        database_url: str,
        *,
        concurrency: int = 2,
        queues: Sequence[str] | None = None,
        stalled_after_seconds: float = 60.0,
        poll_interval: float = 5.0,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self._conninfo = conninfo(database_url)
        # Defers and aborts run on the caller's connection: this app's pool is never opened.
        self._app = procrastinate.App(
            connector=procrastinate.SyncPsycopgConnector(conninfo=self._conninfo)
        )
        self._options = WorkerOptions(
            concurrency=concurrency,
            queues=tuple(queues or ("default",)),
            stalled_after_seconds=stalled_after_seconds,
            poll_interval=poll_interval,
        )
        self._functions: dict[str, JobFunction] = {}
        self._periodic: dict[str, PeriodicJob] = {}
        self._pool: WorkerPool | None = None

    # --- the port ------------------------------------------------------------------------------

    def register(self, task_name: str, function: JobFunction) -> None:
        if task_name in self._functions:
            raise ValueError(f"task {task_name!r} is already registered")
        self._functions[task_name] = function

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
        """Insert the job on the session's connection, or return the waiting job of its lock."""
        if queueing_lock is not None:
            waiting = session.scalar(_WAITING, {"key": queueing_lock})
            if waiting is not None:
                return int(waiting)
        options: dict[str, Any] = {
            "queue": queue,
            "priority": priority,
            "connection": _driver_connection(session),
        }
        if queueing_lock is not None:
            options.update(queueing_lock=queueing_lock, lock=queueing_lock)
        if not_before is not None:
            options["schedule_at"] = not_before
        deferrer = self._app.configure_task(task_name, **options)
        if queueing_lock is None:
            return int(deferrer.defer(**args))
        try:
            # A savepoint: losing the race for the lock must not break the caller's transaction.
            with session.begin_nested():
                return int(deferrer.defer(**args))
        except procrastinate_errors.AlreadyEnqueued:
            waiting = session.scalar(_WAITING, {"key": queueing_lock})
            if waiting is None:
                raise
            return int(waiting)

    def abort(self, session: Session, job_id: int) -> None:
        """``todo`` → ``cancelled``; ``doing`` → abort requested (NOTIFY on commit)."""
        self._app.job_manager.cancel_job_by_id(
            job_id, abort=True, connection=_driver_connection(session)
        )

    def periodic(self, job: PeriodicJob) -> None:
        if job.every_seconds <= 0:
            raise ValueError("every_seconds must be positive")
        if job.name in self._periodic:
            raise ValueError(f"periodic job {job.name!r} is already registered")
        self._periodic[job.name] = job

    def start(self) -> None:
        if self._pool is not None:
            raise RuntimeError("a dispatcher starts once; build a new one to restart")
        self._pool = WorkerPool(
            self._conninfo, dict(self._functions), dict(self._periodic), self._options
        )
        self._pool.start()

    def stop(self, timeout: float = 10.0) -> None:
        if self._pool is not None:
            self._pool.stop(timeout)

    def wake(self) -> None:
        """Nothing to do: Procrastinate's NOTIFY wakes the workers when the job commits."""


def _driver_connection(session: Session) -> Any:
    """The psycopg connection under the session's transaction (begun if need be)."""
    return session.connection().connection.driver_connection
