"""``tilework serve``: the HTTP API (and, through the app's lifespan, workers and webhooks)."""

from __future__ import annotations

import os
from typing import Annotated

import typer
from rich.markup import escape

from tilework.analysis import models
from tilework.cli.common import CLIError, err, handle_errors, load_settings
from tilework.cli.database import preflight


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.", min=1, max=65535)] = 8000,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
    no_workers: Annotated[
        bool,
        typer.Option(
            "--no-workers",
            help="API only: jobs and webhooks run in `tilework worker` processes (PostgreSQL).",
        ),
    ] = False,
) -> None:
    """Run the Tilework server (API, workers and webhook sender) in this process."""
    with handle_errors():
        url = public_url(host, port)
        overrides = {} if "TILEWORK_PUBLIC_BASE_URL" in os.environ else {"public_base_url": url}
        settings = load_settings(**overrides)
        if no_workers and not settings.uses_postgres:
            raise CLIError(
                "--no-workers needs PostgreSQL (TILEWORK_DATABASE_URL=postgresql+psycopg://"
                "...): on SQLite the server is the only process and runs its own workers"
            )
        preflight(settings)
        try:
            import uvicorn

            from tilework.api.app import create_app
        except ImportError as exc:
            raise CLIError(f"the server is not available in this install: {exc}") from exc
        app = create_app(settings, workers=not no_workers)
        err.print(f"Tilework serving on [bold]{url}[/]  (API docs: {url}/docs)")
        err.print(f"Data directory: {settings.data_dir}")
        err.print(escape(models.summary_line(models.states())))
        uvicorn.run(app, host=host, port=port, log_level=log_level)


def public_url(host: str, port: int) -> str:
    """The URL clients use to reach ``host:port`` (a wildcard bind is reached via loopback)."""
    if host in ("0.0.0.0", ""):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"
