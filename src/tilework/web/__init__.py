"""The dashboard: server-rendered pages (Jinja2 + htmx) served by the API process.

HTTP-side like ``tilework.api``: its routes call the same services the API routers call, and
authenticate with a sign-in session (``auth.py``) instead of a bearer key, held to that key's
scopes and rate limit (``route_scopes.py`` maps each route to the API operation it mirrors).
``install(app)`` adds the pages (``/`` and ``/app/...``), the public shared pages
(``/shared/...``) and the static files, which ship in the package (vendored from npm by
``make vendor``; nothing is fetched from a CDN). See docs/dashboard.md.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from tilework.web.rendering import STATIC_PREFIX
from tilework.web.routes import agents, billing, runs, session, shared, triggers

STATIC_DIR = Path(__file__).parent / "static"


def install(app: FastAPI) -> None:
    for module in (session, agents, runs, billing, triggers, shared):
        app.include_router(module.router)
    app.mount(STATIC_PREFIX, StaticFiles(directory=STATIC_DIR), name="dashboard-static")


__all__ = ["install"]
