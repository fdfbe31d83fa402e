"""The FastAPI application: routers, error handlers, and the runtime's life.

``create_app`` builds nothing heavy itself: the lifespan builds the ``Runtime`` (database,
storage, workers) from ``Settings`` when the server starts and stops it at shutdown.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

import tilework
from tilework.api import (
    agents,
    checkout,
    credits,
    files,
    metrics,
    node_types,
    plans,
    run_events,
    runs,
    triggers,
    uploads,
    webhook_log,
    webhook_settings,
    whoami,
)
from tilework.api.errors import install_error_handlers
from tilework.config import Settings
from tilework.runtime import build_runtime


def create_app(settings: Settings | None = None, *, workers: bool = True) -> FastAPI:
    """``workers=False``: the API alone (jobs and webhooks run in ``tilework worker``)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = build_runtime(settings or Settings(), workers=workers)
        runtime.start()
        app.state.runtime = runtime
        try:
            yield
        finally:
            runtime.stop()

    app = FastAPI(
        title="Tilework",
        version=tilework.__version__,
        summary="Self-hostable, Mosaic-compatible API for video-editing agents.",
        lifespan=lifespan,
        openapi_url="/openapi.json",
        docs_url="/docs",
    )
    install_error_handlers(app)
    for router in (
        whoami.router,
        agents.router,
        node_types.router,
        uploads.router,
        files.router,
        runs.router,
        run_events.router,
        triggers.router,
        webhook_log.router,
        webhook_settings.router,
        metrics.router,
        plans.router,
        credits.router,
        checkout.router,
    ):
        app.include_router(router)
    return app
