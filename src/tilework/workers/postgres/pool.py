"""Procrastinate workers on an event loop thread of their own, restarted when the database drops.

Two Procrastinate workers share the loop: one takes node work from the configured queues with
``concurrency`` slots; a small one takes the ``maintenance`` queue, where the periodic jobs run
(trigger polling, schedule ticks, stalled-job recovery), so long renders never starve them.

Job functions are synchronous (they run ffmpeg): each runs on a thread of a pool sized for the
workers, wrapped in a coroutine so Procrastinate's abort (asyncio cancellation, delivered by
LISTEN/NOTIFY) reaches it at once. On cancellation the wrapper fires the job's ``on_abort``
callbacks (the ffmpeg runner kills its process group) and waits for the function to return:

- aborted by a user: the job ends ``aborted``;
- interrupted because this process stops: the job goes back to ``todo`` (``Interrupted`` is
  retried at once), as in the embedded adapter;
- ``RetryLater`` (the engine's word for a lost database) or a database connection error inside
  a job: retried with back-off (the task code is idempotent: a task already finished is
  skipped).

A worker whose database connection fails stops (Procrastinate stops a worker when its heartbeat,
listener or poller fails); the loop here then waits for its running jobs, and starts a new one
with back-off until the database answers again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol, cast

import procrastinate
import psycopg
from procrastinate import jobs as procrastinate_jobs
from procrastinate.job_context import AbortReason, JobContext
from procrastinate.worker import Worker
from sqlalchemy.exc import DBAPIError

from tilework.errors import RetryLater, TaskAborted
from tilework.workers.context import RunningJob
from tilework.workers.port import JobFunction, PeriodicJob
from tilework.workers.postgres.cron import cron_for_interval

log = logging.getLogger(__name__)

MAINTENANCE_QUEUE = "maintenance"
RETRY_STALLED = "workers.retry_stalled_jobs"
_DB_RETRIES = 10  # attempts of a job whose database connection failed
_MAX_BACKOFF = 10.0


@dataclass(frozen=True)
class WorkerOptions:
    concurrency: int
    queues: tuple[str, ...]
    stalled_after_seconds: float
    poll_interval: float

    @property
    def heartbeat_seconds(self) -> float:
        """Heartbeats several times per stalled period, so one late beat is no death."""
        return max(0.5, min(10.0, self.stalled_after_seconds / 4))


class _WorkerHandle(Protocol):
    """The part of Procrastinate's (untyped) ``Worker`` this module uses."""

    shutdown_graceful_timeout: float | None

    def run(self) -> Coroutine[Any, Any, None]: ...

    def stop(self) -> None: ...


class Interrupted(Exception):
    """The job was stopped because its worker is shutting down: it runs again elsewhere."""


class _RetryPolicy(procrastinate.BaseRetryStrategy):
    def get_retry_decision(
        self, *, exception: BaseException, job: procrastinate_jobs.Job
    ) -> procrastinate.RetryDecision | None:
        if isinstance(exception, Interrupted):
            return procrastinate.RetryDecision(retry_in={"seconds": 0})
        if isinstance(exception, RetryLater) and job.attempts < _DB_RETRIES:
            wait = max(exception.delay_seconds, min(30, 2**job.attempts))
            return procrastinate.RetryDecision(retry_in={"seconds": wait})
        if _lost_database(exception) and job.attempts < _DB_RETRIES:
            wait = min(30, 2**job.attempts)
            return procrastinate.RetryDecision(retry_in={"seconds": wait})
        return None


def _lost_database(exc: BaseException) -> bool:
    if isinstance(exc, DBAPIError):
        return bool(exc.connection_invalidated) or isinstance(exc.orig, psycopg.OperationalError)
    return isinstance(exc, psycopg.OperationalError)


class WorkerPool:
    def __init__(
        self,
        conninfo: str,
        functions: dict[str, JobFunction],
        periodic: dict[str, PeriodicJob],
        options: WorkerOptions,
    ) -> None:
        self._conninfo = conninfo
        self._functions = functions
        self._periodic = periodic
        self._options = options
        self._threads = ThreadPoolExecutor(
            options.concurrency + 4, thread_name_prefix="tilework-job"
        )
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._workers: list[_WorkerHandle] = []
        self._ready = threading.Event()

    # --- life cycle (called from other threads) --------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(
            target=lambda: asyncio.run(self._serve()), name="tilework-workers", daemon=True
        )
        self._thread.start()
        self._ready.wait(10)

    def stop(self, timeout: float) -> None:
        """Interrupt running jobs (they go back to ``todo``) and wait up to ``timeout``."""
        loop = self._loop
        if loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(self._request_stop)
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.warning("workers still busy %.1f s after stop", timeout)
                return
        self._threads.shutdown(wait=False, cancel_futures=True)

    def _request_stop(self) -> None:
        assert self._stopping is not None
        self._stopping.set()
        for worker in self._workers:
            worker.shutdown_graceful_timeout = 0  # interrupt, do not wait for renders
            worker.stop()

    # --- the loop ----------------------------------------------------------------------------

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        self._ready.set()
        backoff = 0.5
        while not self._stopping.is_set():
            healthy = await self._run_workers()
            if self._stopping.is_set():
                break
            backoff = 0.5 if healthy else min(backoff * 2, _MAX_BACKOFF)
            log.warning("workers lost the database; reconnecting in %.1f s", backoff)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), backoff)

    async def _run_workers(self) -> bool:
        """Run until stopped or a worker dies; True if the workers were up for a while."""
        app = self._build_app()
        started = asyncio.get_running_loop().time()
        try:
            async with app.open_async():
                self._workers = [self._worker(app, nodes=True), self._worker(app, nodes=False)]
                runs = [asyncio.create_task(worker.run()) for worker in self._workers]
                await asyncio.wait(runs, return_when=asyncio.FIRST_COMPLETED)
                for worker in self._workers:  # the other one too; running jobs finish first
                    worker.stop()
                for outcome in await asyncio.gather(*runs, return_exceptions=True):
                    if isinstance(outcome, BaseException):
                        log.warning("worker stopped: %s: %s", type(outcome).__name__, outcome)
        except Exception as exc:
            log.warning("workers cannot reach the database: %s: %s", type(exc).__name__, exc)
        finally:
            self._workers = []
        return asyncio.get_running_loop().time() - started > 30

    def _worker(self, app: procrastinate.App, *, nodes: bool) -> _WorkerHandle:
        options = self._options
        stalled = options.stalled_after_seconds
        worker = Worker(
            app=app,
            queues=list(options.queues) if nodes else [MAINTENANCE_QUEUE],
            name="tilework-nodes" if nodes else "tilework-maintenance",
            concurrency=options.concurrency if nodes else 2,
            fetch_job_polling_interval=options.poll_interval,
            abort_job_polling_interval=options.poll_interval,
            shutdown_graceful_timeout=None,  # a lost database: let running renders finish
            install_signal_handlers=False,  # the process's owner handles signals
            update_heartbeat_interval=options.heartbeat_seconds,
            stalled_worker_timeout=max(stalled, 2 * options.heartbeat_seconds),
        )
        return cast(_WorkerHandle, worker)

    def _build_app(self) -> procrastinate.App:
        connector = procrastinate.PsycopgConnector(
            conninfo=self._conninfo,
            min_size=1,
            max_size=max(4, self._options.concurrency + 4),
            # The queue's own bookkeeping (fetch, finish, heartbeat) need not wait for the disk:
            # if the server crashes and loses its last moments, a job runs again, and the engine
            # skips a task it already recorded (its own transactions stay synchronous).
            kwargs={"options": "-c synchronous_commit=off"},
        )  # Procrastinate's pool checks connections: one a restart dropped is replaced
        app = procrastinate.App(connector=connector)
        retry = _RetryPolicy()
        for name, function in self._functions.items():
            app.task(name=name, pass_context=True, retry=retry)(self._job(function))
        for job in self._periodic.values():
            self._schedule(app, f"periodic.{job.name}", job.every_seconds, self._thread_job(job))
        every = max(1.0, self._options.stalled_after_seconds / 4)
        self._schedule(app, RETRY_STALLED, every, self._retry_stalled(app))
        return app

    def _schedule(self, app: procrastinate.App, name: str, every: float, job: Any) -> None:
        """Register ``job`` (a coroutine function) to run every ``every`` s, once per cluster."""
        task = app.task(name=name, pass_context=True, queue=MAINTENANCE_QUEUE)(job)
        app.periodic(cron=cron_for_interval(every), periodic_id=name)(task)

    def _thread_job(self, periodic: PeriodicJob) -> Any:
        async def periodic_job(context: JobContext, timestamp: int) -> None:
            await self._in_thread(context, lambda _job, _args: periodic.function(), {})

        return periodic_job

    def _job(self, function: JobFunction) -> Any:
        async def job(context: JobContext, **args: Any) -> None:
            await self._in_thread(context, function, args)

        return job

    async def _in_thread(
        self, context: JobContext, function: JobFunction, args: dict[str, Any]
    ) -> None:
        """Run ``function`` on a pool thread; turn Procrastinate's cancellation into an abort."""
        assert context.job.id is not None
        running = RunningJob(context.job.id, context.worker_name or "worker", _no_beat)
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self._threads, function, running, args)
        try:
            await asyncio.shield(future)
        except asyncio.CancelledError:
            shutdown = context.abort_reason() == AbortReason.SHUTDOWN
            # From the loop thread: the callbacks are quick (they kill ffmpeg's process group).
            running.fire_abort(shutdown=shutdown)
            with contextlib.suppress(TaskAborted):
                await future
            if shutdown:
                raise Interrupted() from None
            raise

    def _retry_stalled(self, app: procrastinate.App) -> Any:
        """The periodic job that gives a dead worker's jobs to the living."""
        stalled_after = self._options.stalled_after_seconds

        async def retry_stalled_jobs(context: JobContext, timestamp: int) -> None:
            manager = app.job_manager
            for job in await manager.get_stalled_jobs(seconds_since_heartbeat=stalled_after):
                try:
                    if await _abort_requested(app, job):  # cancelled while its worker died
                        await manager.finish_job(
                            job, procrastinate_jobs.Status.ABORTED, delete_job=False
                        )
                        continue
                    await manager.retry_job(job)
                    log.warning("job %s (%s) of a dead worker retried", job.id, job.task_name)
                except Exception:
                    log.exception("job %s of a dead worker could not be retried", job.id)

        return retry_stalled_jobs


async def _abort_requested(app: procrastinate.App, job: procrastinate_jobs.Job) -> bool:
    row = await app.connector.execute_query_one_async(
        query="SELECT abort_requested FROM procrastinate_jobs WHERE id = %(id)s", id=job.id
    )
    return bool(row["abort_requested"])


def _no_beat(_job_id: int) -> None:
    """Procrastinate heartbeats per worker, not per job: nothing to write."""
