"""The embedded dispatcher: a SQLite ``jobs`` table and a thread pool in the server's process.

It implements the ``Dispatcher`` port with Procrastinate's semantics, so the engine cannot tell
it from the PostgreSQL adapter:

- ``defer`` inserts a ``todo`` row in the *caller's* transaction (flush, never commit): the job
  exists only if the state change that wants it commits. A ``queueing_lock`` already held by a
  ``todo`` job returns that job's id (Procrastinate raises ``AlreadyEnqueued``; we prefer an
  idempotent enqueue because the engine may re-request the same work).
- Each worker thread claims one job per short transaction (``UPDATE … WHERE id = (SELECT …)
  RETURNING``, highest priority first, then oldest), runs it outside any transaction, and records
  ``succeeded``, ``failed`` or ``aborted`` in the transaction that claims its next job.
- Workers sleep on an event, not a timer: ``wake()`` (called after every commit that defers a
  job) starts them at once; ``poll_interval`` only bounds how late a ``not_before`` job or a job
  deferred by another process is seen. A job that calls ``wake()`` on a worker does not wake the
  others: its worker claims next right after it and wakes them only if more jobs are due.
- ``abort`` cancels a ``todo`` job, or sets ``abort_requested`` on a ``doing`` one. SQLite has no
  NOTIFY, so one poller thread looks for requested aborts every ``abort_poll_interval`` and fires
  the job's ``on_abort`` callbacks (from the poller thread: they must be quick).
- One process owns the database, so at ``start()`` every ``doing`` row is stalled: it goes back
  to ``todo`` (or to ``aborted`` if an abort was requested). ``stop()`` interrupts running jobs;
  a job that stops because of the shutdown (not because of an abort) also goes back to ``todo``.

Every thread opens its own sessions from the factory. The injected ``clock`` stamps the rows and
decides when a ``not_before`` job is due; poll delays, heartbeat throttling and periodic jobs use
the monotonic clock.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, TypeVar

from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from tilework.db.session import unit_of_work
from tilework.db.tables import Job, utcnow
from tilework.errors import RetryLater, TaskAborted
from tilework.workers import jobs_table
from tilework.workers.context import RunningJob
from tilework.workers.port import JobFunction, PeriodicJob

logger = logging.getLogger(__name__)

LOCKED_RETRY_DELAYS = (0.05, 0.1, 0.2, 0.4, 0.8, 1.0)  # back-off on "database is locked"
SCHEDULER_MAX_WAIT = 0.5  # how late the scheduler notices a periodic job added after start()

T = TypeVar("T")


@dataclass(frozen=True)
class _Finished:
    job: RunningJob
    error: Exception | None


class EmbeddedDispatcher:
    """``Dispatcher`` over the SQLite ``jobs`` table, with ``concurrency`` worker threads."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        concurrency: int = 2,
        poll_interval: float = 0.2,
        abort_poll_interval: float = 0.25,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        if sqlite3.sqlite_version_info < (3, 35, 0):
            raise RuntimeError(f"SQLite {sqlite3.sqlite_version} lacks RETURNING (needs 3.35+)")
        self._sessions = sessions
        self._concurrency = concurrency
        self._poll_interval = poll_interval
        self._abort_poll_interval = abort_poll_interval
        self._clock = clock or utcnow
        self._name = f"embedded-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._functions: dict[str, JobFunction] = {}
        self._periodic: dict[str, PeriodicJob] = {}
        self._running: dict[int, RunningJob] = {}
        self._lock = threading.Lock()
        self._wakeup = threading.Event()
        self._worker_state = threading.local()  # in_job, wake_pending: see wake()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._started = False

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
        """Add a ``todo`` job to the caller's transaction, or return the waiting one's id.

        Select-then-insert is race-free here: every transaction starts with ``BEGIN IMMEDIATE``,
        so the caller already holds the database's write lock. The caller's transaction is never
        put in an error state by a lock conflict.
        """
        waiting = _waiting_with_lock(session, queueing_lock)
        if waiting is not None:
            return waiting
        # One Core INSERT: an ORM object and a flush per job cost more than the statement.
        row = {
            "queue": queue,
            "task_name": task_name,
            "args": dict(args),
            "priority": priority,
            "queueing_lock": queueing_lock,
            "scheduled_at": None if not_before is None else _utc(not_before),
            "created_at": self._now(),
        }
        return jobs_table.insert_job(session.connection(), row)

    def abort(self, session: Session, job_id: int) -> None:
        """``todo`` → ``cancelled``; ``doing`` → ``abort_requested`` (seen by the poller)."""
        cancelled = session.execute(
            update(Job)
            .where(Job.id == job_id, Job.status == "todo")
            .values(status="cancelled", finished_at=self._now())
            .returning(Job.id)
        ).first()
        if cancelled is None:
            session.execute(
                update(Job)
                .where(Job.id == job_id, Job.status == "doing")
                .values(abort_requested=True)
            )

    def periodic(self, job: PeriodicJob) -> None:
        """Run ``job.function`` right after ``start()``, then every ``job.every_seconds``.

        All periodic functions share one scheduler thread, so they should be short. A run that
        overruns its interval is not caught up: the next one starts as soon as it returns.
        """
        if job.every_seconds <= 0:
            raise ValueError("every_seconds must be positive")
        with self._lock:
            if job.name in self._periodic:
                raise ValueError(f"periodic job {job.name!r} is already registered")
            self._periodic[job.name] = job

    def start(self) -> None:
        if self._started or self._stopping.is_set():
            raise RuntimeError("a dispatcher starts once; build a new one to restart")
        self._started = True
        self._transact(self._recover)
        targets: list[tuple[str, Callable[[], None]]] = [
            (f"tilework-worker-{index}", self._work) for index in range(self._concurrency)
        ]
        targets += [("tilework-abort-poller", self._poll_aborts)]
        targets += [("tilework-scheduler", self._schedule)]
        for name, target in targets:
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop claiming, fire the aborts of running jobs, and join the threads.

        Returns after ``timeout`` even if a job ignores its abort (threads are daemons; its row
        stays ``doing`` and is recovered at the next start). Calling it again waits again.
        """
        deadline = time.monotonic() + timeout
        with self._lock:
            self._stopping.set()
            running = list(self._running.values())
        self._wakeup.set()
        for job in running:
            job.fire_abort(shutdown=True)
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        self._threads = [thread for thread in self._threads if thread.is_alive()]
        if self._threads:
            names = ", ".join(thread.name for thread in self._threads)
            logger.warning("dispatcher stopped with threads still busy: %s", names)

    def wake(self) -> None:
        if getattr(self._worker_state, "in_job", False):
            # Called by a job on one of our workers (the engine, after committing the tasks it
            # queued): that worker claims again as soon as the job returns, in the transaction
            # that records it, and wakes the others only if still more is due. Waking them now
            # would have an idle worker race it for the one next job of a chain: a second
            # write transaction per job for nothing.
            self._worker_state.wake_pending = True
            return
        self._wakeup.set()

    # --- recovery ------------------------------------------------------------------------------

    def _recover(self, session: Session) -> None:
        stalled = session.scalars(select(Job).where(Job.status == "doing").order_by(Job.id)).all()
        for job in stalled:
            if job.abort_requested:
                job.status, job.finished_at = "aborted", self._now()
            else:
                self._requeue(session, job)
        if stalled:
            logger.warning("recovered %d job(s) a previous process left running", len(stalled))

    def _requeue(self, session: Session, job: Job) -> None:
        """Put ``job`` back to ``todo``, unless a waiting job holds its queueing lock already."""
        session.flush()  # jobs this session requeued before are seen by the look-up
        duplicate = _waiting_with_lock(session, job.queueing_lock)
        if duplicate is not None:
            job.status, job.finished_at = "cancelled", self._now()
            logger.info("job %d not requeued: job %d holds its queueing lock", job.id, duplicate)
            return
        job.status, job.worker_id, job.heartbeat_at = "todo", None, None
        session.flush()

    # --- workers -------------------------------------------------------------------------------

    def _work(self) -> None:
        worker_id = f"{self._name}-{threading.current_thread().name.rsplit('-', 1)[-1]}"
        finished: _Finished | None = None  # a job whose result is not recorded yet
        while not self._stopping.is_set():
            try:
                claim = self._transact(
                    partial(self._record_then_claim, finished=finished, worker_id=worker_id)
                )
                finished = None
            except Exception:
                logger.exception("worker %s could not claim a job", worker_id)
                self._record_alone(finished)
                finished, claim = None, None
                if self._take_pending_wake():
                    self._wakeup.set()  # let the others look for what the job deferred
            self._take_pending_wake()
            if claim is None:
                self._wakeup.wait(self._poll_interval)
                self._wakeup.clear()  # any wake before this point is covered by the next claim
                continue
            finished = self._execute(worker_id, claim)
        self._record_alone(finished)

    def _record_then_claim(
        self, session: Session, finished: _Finished | None, worker_id: str
    ) -> jobs_table.Claimed | None:
        """Record the last job's result and claim the next job in one transaction: a chain of
        jobs costs one write transaction per job, not two."""
        if finished is not None:
            self._settle(session, finished.job, finished.error)
        if self._stopping.is_set():
            return None
        claim = self._claim(session, worker_id)
        pending = getattr(self._worker_state, "wake_pending", False)
        if claim is not None and pending and jobs_table.any_due(session.connection(), self._now()):
            self._wakeup.set()  # more than this worker can take: the others claim after commit
        return claim

    def _take_pending_wake(self) -> bool:
        pending = bool(getattr(self._worker_state, "wake_pending", False))
        self._worker_state.wake_pending = False
        return pending

    def _record_alone(self, finished: _Finished | None) -> None:
        if finished is None:
            return
        try:
            self._transact(lambda session: self._settle(session, finished.job, finished.error))
        except Exception:  # the row stays doing: the next start() recovers it
            logger.exception("result of job %d not recorded", finished.job.job_id)

    def _claim(self, session: Session, worker_id: str) -> jobs_table.Claimed | None:
        return jobs_table.claim_next(session.connection(), worker_id, self._now())

    def _execute(self, worker_id: str, claim: jobs_table.Claimed) -> _Finished | None:
        """Run the claimed job; its result, for the worker's next transaction to record."""
        job = RunningJob(claim.job_id, worker_id, self._beat)
        with self._lock:
            stopping = self._stopping.is_set()
            if not stopping:
                self._running[job.job_id] = job
        if stopping:  # claimed while stop() ran: give it back untouched
            job.interrupted_by_shutdown = True
            return _Finished(job, TaskAborted())
        self._worker_state.in_job = True
        try:
            error = self._call(claim, job)
        finally:
            self._worker_state.in_job = False
            with self._lock:
                del self._running[job.job_id]
        return _Finished(job, error)

    def _call(self, claim: jobs_table.Claimed, job: RunningJob) -> Exception | None:
        function = self._functions.get(claim.task_name)
        if function is None:
            logger.error("job %d failed: no task is registered as %r", job.job_id, claim.task_name)
            return LookupError(claim.task_name)
        try:
            function(job, claim.args)
        except TaskAborted as exc:
            logger.info("job %d (%s) aborted", job.job_id, claim.task_name)
            return exc
        except RetryLater as exc:
            logger.warning("job %d (%s) will run again: %s", job.job_id, claim.task_name, exc)
            return exc
        except Exception as exc:
            logger.exception("job %d (%s) failed", job.job_id, claim.task_name)
            return exc
        return None

    def _settle(self, session: Session, running: RunningJob, error: Exception | None) -> None:
        connection = session.connection()
        row = jobs_table.state_of(connection, running.job_id)
        if row is None or row.status != "doing" or row.worker_id != running.worker_id:
            logger.warning("job %d changed hands while it ran; result dropped", running.job_id)
            return
        outcome = _outcome(error, running, abort_requested=row.abort_requested)
        retry = isinstance(error, RetryLater) and not row.abort_requested
        if not retry and outcome != "todo":  # the common end: one UPDATE, no ORM object
            jobs_table.finish(connection, running.job_id, outcome, self._now())
            return
        job = session.get_one(Job, running.job_id)
        self._requeue(session, job)
        if isinstance(error, RetryLater) and retry:
            job.scheduled_at = self._now() + timedelta(seconds=error.delay_seconds)

    def _beat(self, job_id: int) -> None:
        statement = (
            update(Job)
            .where(Job.id == job_id, Job.status == "doing")
            .values(heartbeat_at=self._now())
            .execution_options(synchronize_session=False)
        )
        try:
            self._transact(lambda session: session.execute(statement))
        except Exception:
            logger.warning("heartbeat of job %d not recorded", job_id, exc_info=True)

    # --- abort poller and scheduler ------------------------------------------------------------

    def _poll_aborts(self) -> None:
        while not self._stopping.wait(self._abort_poll_interval):
            try:
                self._fire_requested_aborts()
            except Exception:
                logger.exception("abort poller failed; retrying")

    def _fire_requested_aborts(self) -> None:
        with self._lock:
            running = dict(self._running)
        if not running:
            return
        with self._sessions() as session:
            requested = session.scalars(
                select(Job.id).where(Job.id.in_(running), Job.abort_requested.is_(True))
            ).all()
        for job_id in requested:
            running[job_id].fire_abort(shutdown=False)

    def _schedule(self) -> None:
        due: dict[str, float] = {}
        while not self._stopping.is_set():
            with self._lock:
                jobs = list(self._periodic.values())
            for job in jobs:
                when = due.setdefault(job.name, time.monotonic())
                if when <= time.monotonic() and not self._stopping.is_set():
                    _run_periodic(job)
                    due[job.name] = max(when + job.every_seconds, time.monotonic())
            wait = min(due.values(), default=float("inf")) - time.monotonic()
            self._stopping.wait(min(max(wait, 0.0), SCHEDULER_MAX_WAIT))

    # --- helpers -------------------------------------------------------------------------------

    def _transact(self, work: Callable[[Session], T]) -> T:
        """Run ``work`` in its own transaction, retrying while SQLite reports a lock."""
        for delay in (*LOCKED_RETRY_DELAYS, None):
            try:
                with unit_of_work(self._sessions) as session:
                    return work(session)
            except OperationalError as exc:
                if delay is None or not _is_locked(exc):
                    raise
                logger.warning("database is locked; retrying in %.2f s", delay)
                time.sleep(delay)
        raise AssertionError("unreachable")

    def _now(self) -> datetime:
        return _utc(self._clock())


def _outcome(error: Exception | None, job: RunningJob, *, abort_requested: bool) -> str:
    """The status a finished job gets: an interrupted job goes back to ``todo`` on shutdown."""
    stopped = isinstance(error, TaskAborted) or (
        error is None and (abort_requested or job.should_abort())
    )
    if not stopped:
        return "failed" if error is not None else "succeeded"
    return "todo" if job.interrupted_by_shutdown and not abort_requested else "aborted"


def _waiting_with_lock(session: Session, queueing_lock: str | None) -> int | None:
    return jobs_table.waiting_with_lock(session.connection(), queueing_lock)


def _run_periodic(job: PeriodicJob) -> None:
    try:
        job.function()
    except Exception:
        logger.exception("periodic job %s failed", job.name)


def _is_locked(exc: OperationalError) -> bool:
    message = str(exc.orig).lower()
    return isinstance(exc.orig, sqlite3.OperationalError) and (
        "locked" in message or "busy" in message
    )


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("naive datetime; pass an aware one (tilework.db.tables.utcnow())")
    return moment.astimezone(UTC)
