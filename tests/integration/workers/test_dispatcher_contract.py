"""Contract tests of the ``Dispatcher`` port, run against every adapter through ``dispatcher``.

Each adapter brings a harness (how to build a dispatcher, read a job's status and fake a crashed
job); the tests only use the port and the harness: "embedded" (SQLite) and "postgres"
(Procrastinate on a throw-away PostgreSQL database). Tests that pin behaviour specific to the
embedded adapter are at the end and use the ``embedded`` fixture.
"""

from __future__ import annotations

import json
import logging
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from tests.support.postgres import fresh_database
from tilework.config import Settings
from tilework.db.migrate import migrate
from tilework.db.session import make_engine, make_session_factory, unit_of_work
from tilework.db.tables import Job
from tilework.errors import RetryLater, TaskAborted
from tilework.workers.embedded import EmbeddedDispatcher
from tilework.workers.port import Dispatcher, JobContext, PeriodicJob
from tilework.workers.postgres.dispatcher import ProcrastinateDispatcher

DEADLINE = 10.0  # generous: a loaded 2-core machine; tests end as soon as the condition holds


class Harness(Protocol):
    sessions: sessionmaker[Session]
    port: Dispatcher  # built, not started

    def new_port(self, concurrency: int = 2) -> Dispatcher: ...

    def status(self, job_id: int) -> str | None: ...

    def insert_stalled(
        self, task_name: str, args: dict[str, Any], *, abort_requested: bool = False
    ) -> int:
        """A job a dead process left running."""
        ...

    def close(self) -> None:
        """Stop every dispatcher the harness built."""
        ...


class EmbeddedHarness:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions
        self._ports: list[EmbeddedDispatcher] = []
        self.port: Dispatcher = self.new_port()

    def new_port(self, concurrency: int = 2) -> EmbeddedDispatcher:
        port = EmbeddedDispatcher(
            self.sessions, concurrency=concurrency, poll_interval=0.05, abort_poll_interval=0.1
        )
        self._ports.append(port)
        return port

    def status(self, job_id: int) -> str | None:
        with self.sessions() as session:
            return session.scalar(select(Job.status).where(Job.id == job_id))

    def insert_stalled(
        self, task_name: str, args: dict[str, Any], *, abort_requested: bool = False
    ) -> int:
        with unit_of_work(self.sessions) as session:
            job = Job(
                task_name=task_name,
                args=args,
                status="doing",
                attempts=1,
                worker_id="dead-process-0",
                abort_requested=abort_requested,
            )
            session.add(job)
            session.flush()
            return job.id

    def close(self) -> None:
        for port in self._ports:
            port.stop(timeout=5.0)


class PostgresHarness:
    """Procrastinate on its own database; dead workers are noticed after 1 s here."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        migrate(self.engine)
        self.sessions = make_session_factory(self.engine)
        self._ports: list[ProcrastinateDispatcher] = []
        self.port: Dispatcher = self.new_port()

    def new_port(self, concurrency: int = 2) -> ProcrastinateDispatcher:
        port = ProcrastinateDispatcher(
            self.url, concurrency=concurrency, stalled_after_seconds=1.0, poll_interval=0.5
        )
        self._ports.append(port)
        return port

    def status(self, job_id: int) -> str | None:
        with self.sessions() as session:
            return session.scalar(
                text("SELECT status::text FROM procrastinate_jobs WHERE id = :id"), {"id": job_id}
            )

    def insert_stalled(
        self, task_name: str, args: dict[str, Any], *, abort_requested: bool = False
    ) -> int:
        """A ``doing`` job whose worker is gone (no worker row: as if pruned)."""
        with unit_of_work(self.sessions) as session:
            return int(
                session.scalar(
                    text(
                        "INSERT INTO procrastinate_jobs (queue_name, task_name, args, status,"
                        " attempts, abort_requested) VALUES ('default', :task, CAST(:args AS"
                        " jsonb), 'doing', 1, :abort) RETURNING id"
                    ),
                    {"task": task_name, "args": json.dumps(args), "abort": abort_requested},
                )
            )

    def close(self) -> None:
        for port in self._ports:
            port.stop(timeout=5.0)
        self.engine.dispose()


@pytest.fixture(params=["embedded", "postgres"])
def dispatcher(request: pytest.FixtureRequest, settings: Settings) -> Iterator[Harness]:
    if request.param == "embedded":
        harness: EmbeddedHarness | PostgresHarness = EmbeddedHarness(
            request.getfixturevalue("sessions")
        )
        yield harness
        harness.close()
        return
    with fresh_database() as url:
        harness = PostgresHarness(url)
        try:
            yield harness
        finally:
            harness.close()


@pytest.fixture
def embedded(sessions: sessionmaker[Session]) -> Iterator[EmbeddedHarness]:
    harness = EmbeddedHarness(sessions)
    yield harness
    harness.close()


# --- helpers ---------------------------------------------------------------------------------


class Recorder:
    """A task that records its args (thread-safe); ``when`` holds the wall time of each call."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls: list[dict[str, Any]] = []
        self.when: list[datetime] = []

    def __call__(self, job: JobContext, args: dict[str, Any]) -> None:
        with self._lock:
            self.calls.append(args)
            self.when.append(datetime.now(UTC))


def wait_until(condition: Callable[[], bool], what: str, timeout: float = DEADLINE) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def wait_status(harness: Harness, job_id: int, status: str) -> None:
    wait_until(lambda: harness.status(job_id) == status, f"job {job_id} to be {status}")


def defer(harness: Harness, task: str, args: dict[str, Any], **options: Any) -> int:
    with unit_of_work(harness.sessions) as session:
        job_id = harness.port.defer(session, task, args, **options)
    harness.port.wake()
    return job_id


def abort(harness: Harness, job_id: int) -> None:
    with unit_of_work(harness.sessions) as session:
        harness.port.abort(session, job_id)


# --- the contract ------------------------------------------------------------------------------


def test_job_deferred_in_a_rolled_back_transaction_never_runs(dispatcher: Harness) -> None:
    record = Recorder()
    dispatcher.port.register("record", record)
    with pytest.raises(RuntimeError), unit_of_work(dispatcher.sessions) as session:
        dispatcher.port.defer(session, "record", {"n": "ghost"})
        raise RuntimeError("the state change failed")
    dispatcher.port.start()
    sentinel = defer(dispatcher, "record", {"n": "sentinel"})
    wait_status(dispatcher, sentinel, "succeeded")
    assert record.calls == [{"n": "sentinel"}]


def test_committed_job_runs_exactly_once_with_its_args(dispatcher: Harness) -> None:
    record = Recorder()
    dispatcher.port.register("record", record)
    dispatcher.port.start()
    args = {"task_id": "t-1", "nested": {"list": [1, 2.5, None, "x"]}}
    job_id = defer(dispatcher, "record", args)
    wait_status(dispatcher, job_id, "succeeded")
    wait_status(dispatcher, defer(dispatcher, "record", {"n": "sentinel"}), "succeeded")
    assert record.calls == [args, {"n": "sentinel"}]


def test_each_of_many_jobs_runs_once_across_workers(dispatcher: Harness) -> None:
    record = Recorder()
    dispatcher.port.register("record", record)
    with unit_of_work(dispatcher.sessions) as session:
        ids = [dispatcher.port.defer(session, "record", {"n": n}) for n in range(30)]
    dispatcher.port.start()
    for job_id in ids:
        wait_status(dispatcher, job_id, "succeeded")
    assert sorted(call["n"] for call in record.calls) == list(range(30))


def test_higher_priority_runs_first_then_oldest(dispatcher: Harness) -> None:
    port = dispatcher.new_port(concurrency=1)  # one worker: the run order is the claim order
    record = Recorder()
    port.register("record", record)
    priorities = [0, 10, 5, 10, -1]
    with unit_of_work(dispatcher.sessions) as session:
        ids = [
            port.defer(session, "record", {"n": n}, priority=p) for n, p in enumerate(priorities)
        ]
    port.start()
    for job_id in ids:
        wait_status(dispatcher, job_id, "succeeded")
    assert [call["n"] for call in record.calls] == [1, 3, 2, 0, 4]


def test_not_before_is_respected(dispatcher: Harness) -> None:
    record = Recorder()
    dispatcher.port.register("record", record)
    dispatcher.port.start()
    not_before = datetime.now(UTC) + timedelta(seconds=1)
    later = defer(dispatcher, "record", {"n": "later"}, not_before=not_before)
    now = defer(dispatcher, "record", {"n": "now"})
    wait_status(dispatcher, now, "succeeded")
    wait_status(dispatcher, later, "succeeded")
    assert [call["n"] for call in record.calls] == ["now", "later"]
    assert record.when[1] >= not_before


def test_queueing_lock_dedupes_a_waiting_job_and_frees_once_it_ran(dispatcher: Harness) -> None:
    record = Recorder()
    port = dispatcher.port
    port.register("record", record)
    with unit_of_work(dispatcher.sessions) as session:
        first = port.defer(session, "record", {"n": 1}, queueing_lock="task:a")
        again = port.defer(session, "record", {"n": 2}, queueing_lock="task:a")
        other = port.defer(session, "record", {"n": 3}, queueing_lock="task:b")
    assert again == first  # idempotent, and the caller's transaction still committed
    assert other != first
    assert defer(dispatcher, "record", {"n": 4}, queueing_lock="task:a") == first
    port.start()
    wait_status(dispatcher, first, "succeeded")
    wait_status(dispatcher, other, "succeeded")
    after = defer(dispatcher, "record", {"n": 5}, queueing_lock="task:a")
    assert after != first
    wait_status(dispatcher, after, "succeeded")
    assert sorted(call["n"] for call in record.calls) == [1, 3, 5]


def test_aborting_a_waiting_job_cancels_it(dispatcher: Harness) -> None:
    record = Recorder()
    dispatcher.port.register("record", record)
    job_id = defer(dispatcher, "record", {"n": "cancelled"})
    abort(dispatcher, job_id)
    assert dispatcher.status(job_id) == "cancelled"
    dispatcher.port.start()
    wait_status(dispatcher, defer(dispatcher, "record", {"n": "sentinel"}), "succeeded")
    assert record.calls == [{"n": "sentinel"}]
    assert dispatcher.status(job_id) == "cancelled"


def test_aborting_a_running_job_fires_on_abort_and_ends_aborted(dispatcher: Harness) -> None:
    processes: list[subprocess.Popen[bytes]] = []
    spawned, killed = threading.Event(), threading.Event()

    def render(job: JobContext, args: dict[str, Any]) -> None:
        process = subprocess.Popen(["sleep", "60"], start_new_session=True)
        processes.append(process)

        def kill() -> None:
            process.kill()  # a real tile kills the process group: os.killpg(process.pid, ...)
            killed.set()

        job.on_abort(kill)
        spawned.set()
        process.wait()
        if job.should_abort():
            raise TaskAborted()

    dispatcher.port.register("render", render)
    dispatcher.port.start()
    job_id = defer(dispatcher, "render", {})
    try:
        assert spawned.wait(DEADLINE)
        wait_status(dispatcher, job_id, "doing")
        asked = time.monotonic()
        abort(dispatcher, job_id)
        assert killed.wait(DEADLINE)
        assert time.monotonic() - asked < 3.0  # polled every 0.1 s here; slack for a busy box
        wait_status(dispatcher, job_id, "aborted")
        assert processes[0].poll() is not None
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
            process.wait()


def test_a_failing_job_is_failed_and_the_worker_goes_on(
    dispatcher: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    port = dispatcher.new_port(concurrency=1)
    record = Recorder()

    def boom(job: JobContext, args: dict[str, Any]) -> None:
        raise ValueError("boom")

    port.register("boom", boom)
    port.register("record", record)
    caplog.set_level(logging.INFO)
    with unit_of_work(dispatcher.sessions) as session:
        failing = port.defer(session, "boom", {})
        unknown = port.defer(session, "no-such-task", {})
        fine = port.defer(session, "record", {"n": "after"})
    port.start()
    wait_status(dispatcher, fine, "succeeded")
    assert dispatcher.status(failing) == "failed"
    assert dispatcher.status(unknown) == "failed"
    assert record.calls == [{"n": "after"}]
    logged = [r.exc_info[1] for r in caplog.records if r.exc_info and r.levelno >= logging.ERROR]
    assert any(isinstance(exc, ValueError) and str(exc) == "boom" for exc in logged)


def test_a_job_that_asks_to_retry_later_runs_again(dispatcher: Harness) -> None:
    attempts: list[int] = []

    def flaky(job: JobContext, args: dict[str, Any]) -> None:
        attempts.append(job.job_id)
        if len(attempts) == 1:
            raise RetryLater("the database went away", delay_seconds=0.2)

    dispatcher.port.register("flaky", flaky)
    dispatcher.port.start()
    job_id = defer(dispatcher, "flaky", {})
    wait_status(dispatcher, job_id, "succeeded")
    assert attempts == [job_id, job_id]


def test_jobs_a_crashed_process_left_running_are_recovered(dispatcher: Harness) -> None:
    record = Recorder()
    dispatcher.port.register("record", record)
    stalled = dispatcher.insert_stalled("record", {"n": "again"})
    stalled_aborting = dispatcher.insert_stalled("record", {"n": "never"}, abort_requested=True)
    dispatcher.port.start()
    wait_status(dispatcher, stalled, "succeeded")
    wait_status(dispatcher, stalled_aborting, "aborted")
    wait_status(dispatcher, defer(dispatcher, "record", {"n": "sentinel"}), "succeeded")
    assert record.calls == [{"n": "again"}, {"n": "sentinel"}]


def test_periodic_jobs_run_repeatedly_even_when_they_fail(dispatcher: Harness) -> None:
    counts = {"tick": 0, "broken": 0}

    def tick() -> None:
        counts["tick"] += 1

    def broken() -> None:
        counts["broken"] += 1
        raise RuntimeError("periodic failure")

    dispatcher.port.periodic(PeriodicJob("tick", 0.05, tick))
    dispatcher.port.periodic(PeriodicJob("broken", 0.05, broken))
    dispatcher.port.start()
    wait_until(lambda: counts["tick"] >= 3 and counts["broken"] >= 3, "three runs of each")


def test_stop_returns_within_its_timeout_while_a_job_runs(dispatcher: Harness) -> None:
    running, release = threading.Event(), threading.Event()
    contexts: list[JobContext] = []

    def stubborn(job: JobContext, args: dict[str, Any]) -> None:
        contexts.append(job)
        running.set()
        release.wait(30)  # ignores the abort

    dispatcher.port.register("stubborn", stubborn)
    dispatcher.port.start()
    defer(dispatcher, "stubborn", {})
    try:
        assert running.wait(DEADLINE)
        began = time.monotonic()
        dispatcher.port.stop(timeout=1.0)
        assert time.monotonic() - began < 3.0
        assert contexts[0].should_abort()
    finally:
        release.set()
        dispatcher.port.stop(timeout=5.0)


# --- embedded adapter specifics --------------------------------------------------------------


def test_a_job_interrupted_by_stop_runs_again_after_restart(embedded: EmbeddedHarness) -> None:
    attempts: list[int] = []

    def cooperative(job: JobContext, args: dict[str, Any]) -> None:
        attempts.append(job.job_id)
        if len(attempts) == 1:
            wait_until(job.should_abort, "the shutdown")
            raise TaskAborted()

    embedded.port.register("cooperative", cooperative)
    embedded.port.start()
    job_id = defer(embedded, "cooperative", {})
    wait_until(lambda: len(attempts) == 1, "the first attempt")
    embedded.port.stop(timeout=5.0)
    assert embedded.status(job_id) == "todo"
    restarted = embedded.new_port()
    restarted.register("cooperative", cooperative)
    restarted.start()
    wait_status(embedded, job_id, "succeeded")
    assert attempts == [job_id, job_id]


def test_recovery_drops_a_stalled_job_whose_lock_is_waiting_again(
    embedded: EmbeddedHarness,
) -> None:
    record = Recorder()
    embedded.port.register("record", record)
    stalled = embedded.insert_stalled("record", {"n": "stalled"})
    with unit_of_work(embedded.sessions) as session:
        session.get_one(Job, stalled).queueing_lock = "task:a"
    waiting = defer(embedded, "record", {"n": "waiting"}, queueing_lock="task:a")
    embedded.port.start()
    wait_status(embedded, waiting, "succeeded")
    assert embedded.status(stalled) == "cancelled"
    assert record.calls == [{"n": "waiting"}]


def test_claim_and_heartbeat_stamp_the_row(embedded: EmbeddedHarness) -> None:
    def beating(job: JobContext, args: dict[str, Any]) -> None:
        for _ in range(200):
            job.heartbeat()  # throttled: cheap to call from a progress loop

    embedded.port.register("beating", beating)
    embedded.port.start()
    job_id = defer(embedded, "beating", {})
    wait_status(embedded, job_id, "succeeded")
    with embedded.sessions() as session:
        job = session.get_one(Job, job_id)
        assert (job.attempts, job.heartbeat_at is not None, job.finished_at is not None) == (
            1,
            True,
            True,
        )
        assert job.worker_id is not None and job.worker_id.startswith("embedded-")


def test_a_job_that_wakes_claims_next_itself_and_wakes_others_only_for_more(
    sessions: sessionmaker[Session],
) -> None:
    """Polling is off (30 s): a chain whose jobs each defer the next and call ``wake()`` runs on
    the worker that finished the previous job (no idle worker races it for the one next job),
    and a job that defers two at once still gets them run side by side (the others are woken)."""
    port = EmbeddedDispatcher(sessions, concurrency=3, poll_interval=30, abort_poll_interval=0.1)
    meet = threading.Barrier(2, timeout=DEADLINE)

    def step(job: JobContext, args: dict[str, Any]) -> None:
        if args["left"] == 5:
            time.sleep(0.3)  # the workers the test's own wake() started are asleep again
        if args["left"]:
            with unit_of_work(sessions) as session:
                port.defer(session, "step", {"left": args["left"] - 1})
            port.wake()

    def fan(job: JobContext, args: dict[str, Any]) -> None:
        with unit_of_work(sessions) as session:
            port.defer(session, "meet", {"side": 1})
            port.defer(session, "meet", {"side": 2})
        port.wake()

    def together(job: JobContext, args: dict[str, Any]) -> None:
        meet.wait()  # both sides at once, or a BrokenBarrierError fails the job

    port.register("step", step)
    port.register("fan", fan)
    port.register("meet", together)
    port.start()
    try:
        with unit_of_work(sessions) as session:
            port.defer(session, "step", {"left": 5})
        port.wake()

        def statuses(task: str) -> list[tuple[str, str | None]]:
            with sessions() as session:
                rows = session.execute(
                    select(Job.status, Job.worker_id).where(Job.task_name == task)
                )
                return [(status, worker) for status, worker in rows]

        wait_until(
            lambda: [s for s, _ in statuses("step")] == ["succeeded"] * 6, "the chain to finish"
        )
        assert len({worker for _, worker in statuses("step")}) == 1
        with unit_of_work(sessions) as session:
            port.defer(session, "fan", {})
        port.wake()
        wait_until(lambda: len(statuses("meet")) == 2, "the fan-out")
        wait_until(
            lambda: [s for s, _ in statuses("meet")] == ["succeeded"] * 2,
            "both sides to meet",
        )
    finally:
        port.stop()
