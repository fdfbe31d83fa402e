"""``tilework worker``: a worker process of a PostgreSQL deployment (docs/deployment.md).

It runs node jobs, the webhook sender, trigger polling and schedule ticks; any number of them
(and of ``tilework serve --no-workers`` API processes) share one database. It stops on SIGTERM
or Ctrl-C: running jobs are interrupted and go back to the queue for another worker.
"""

from __future__ import annotations

import logging
import signal
import threading
from typing import Annotated

import typer

from tilework.cli.common import CLIError, err, handle_errors, load_settings
from tilework.cli.database import preflight


def worker(
    concurrency: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=64,
            help="Node jobs run at once (default: TILEWORK_WORKERS).",
            show_default=False,
        ),
    ] = None,
    queues: Annotated[
        list[str] | None,
        typer.Option(
            "--queues",
            help="Queues to take node jobs from (repeat, or comma-separate; default: default).",
            show_default=False,
        ),
    ] = None,
    log_level: Annotated[
        str, typer.Option(help="Log level (jobs started and ended: info).")
    ] = "info",
) -> None:
    """Run jobs, webhooks, polling and schedules for a PostgreSQL deployment."""
    with handle_errors():
        overrides: dict[str, object] = {}
        if concurrency is not None:
            overrides["workers"] = concurrency
        if queues:
            overrides["worker_queues"] = ",".join(queues)
        settings = load_settings(**overrides)
        if not settings.uses_postgres:
            raise CLIError(
                "tilework worker needs PostgreSQL (TILEWORK_DATABASE_URL=postgresql+psycopg://"
                "user@host/db); on SQLite, `tilework serve` runs its workers in-process"
            )
        preflight(settings)
        logging.basicConfig(
            level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
        from tilework.runtime import build_runtime

        runtime = build_runtime(settings)
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        runtime.start()
        queue_names = ", ".join(settings.worker_queues or ("default",))
        err.print(f"Tilework worker: {settings.workers} slot(s) on queue(s) {queue_names}")
        try:
            stop.wait()
        finally:
            err.print("Stopping: running jobs go back to the queue")
            runtime.stop()
