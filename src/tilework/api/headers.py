"""Response headers for browsers: security headers on HTML pages, and CORS (off by default).

Every response says ``X-Content-Type-Options: nosniff``. HTML pages (the API docs, the checkout
page, a dashboard) also get a Content-Security-Policy that allows only this origin's scripts, no
framing (``frame-ancestors 'none'`` and ``X-Frame-Options: DENY``), no referrer, and a
same-origin opener. A page that needs more (``/docs`` loads Swagger UI from a CDN) sets its own
``Content-Security-Policy``, which is kept.

CORS is off unless ``TILEWORK_CORS_ORIGINS`` lists origins: then Starlette's ``CORSMiddleware``
answers preflights for exactly those origins (with the ``Authorization`` header allowed and the
rate-limit headers exposed). Cookies are never allowed cross-origin.
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.datastructures import MutableHeaders
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

DEFAULT_PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
_PAGE_HEADERS = {
    "Content-Security-Policy": DEFAULT_PAGE_POLICY,
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}
_EXPOSED = ["X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "Retry-After"]


class SecurityHeaders:
    """Pure ASGI middleware (it never buffers a body, so streams stay streams)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                add_security_headers(MutableHeaders(scope=message))
            await send(message)

        await self.app(scope, receive, send_with_headers)


def add_security_headers(headers: MutableHeaders) -> None:
    headers.setdefault("X-Content-Type-Options", "nosniff")
    if headers.get("content-type", "").startswith("text/html"):
        for name, value in _PAGE_HEADERS.items():
            headers.setdefault(name, value)


def install_cors(app: FastAPI, origins: tuple[str, ...]) -> None:
    if not origins:
        return
    app.add_middleware(
        CORSMiddleware,
        allow_origins=list(origins),
        allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
        allow_headers=["Authorization", "Content-Type", "Last-Event-ID"],
        expose_headers=_EXPOSED,
        allow_credentials=False,
        max_age=600,
    )
