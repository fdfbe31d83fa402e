"""The FastAPI application: routers, error handlers, and the runtime's life.

``create_app`` builds nothing heavy itself: the lifespan builds the ``Runtime`` (database,
storage, workers) from ``Settings`` when the server starts and stops it at shutdown.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI

import tilework
from tilework import web
from tilework.api import (
    agents,
    api_keys,
    checkout,
    credits,
    files,
    metrics,
    node_types,
    plans,
    run_events,
    runs,
    shares,
    triggers,
    uploads,
    webhook_log,
    webhook_settings,
    whoami,
)
from tilework.api.deps import get_principal
from tilework.api.docs_page import install_docs_page
from tilework.api.errors import install_error_handlers
from tilework.api.headers import SecurityHeaders, install_cors
from tilework.api.openapi import install_openapi
from tilework.api.rate_limits import RateLimitHeaders
from tilework.api.request_limits import BodyLimit, require_json_content_type
from tilework.config import Settings
from tilework.runtime import build_runtime


def create_app(settings: Settings | None = None, *, workers: bool = True) -> FastAPI:
    """``workers=False``: the API alone (jobs and webhooks run in ``tilework worker``)."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = build_runtime(settings, workers=workers)
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
        docs_url=None,  # served by install_docs_page, with its own Content-Security-Policy
        redoc_url=None,
        dependencies=[Depends(require_json_content_type)],
    )
    install_error_handlers(app)
    for router in (
        whoami.router,
        agents.router,
        shares.router,
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
        api_keys.router,
    ):
        app.include_router(router)
    web.install(app)  # the dashboard at / (docs/dashboard.md); /docs stays the API reference
    install_docs_page(app)
    install_openapi(app, auth=get_principal)
    app.add_middleware(BodyLimit)
    app.add_middleware(RateLimitHeaders)
    app.add_middleware(SecurityHeaders)
    install_cors(app, settings.cors_origins)
    return app
