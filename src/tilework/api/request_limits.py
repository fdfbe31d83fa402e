"""Limits on what a request may send: body size and content type.

- **Size.** ``BodyLimit`` caps every request body at ``MAX_JSON_BODY_BYTES`` (1 MiB), unless the
  matched route declares its own cap with FastAPI's ``max_body_size=`` (the upload form:
  ``MAX_UPLOAD_BODY_BYTES``, under which each kind's limit is enforced while streaming, see
  ``api.multipart``). A declared ``Content-Length`` over the cap is refused before the app runs;
  a chunked body is counted as it arrives and cut off at the cap. Either way the answer is our
  JSON 413 ``payload_too_large`` (FastAPI's own limiter would answer plain text).
- **Type.** ``require_json_content_type`` (an app-wide dependency) answers 415
  ``unsupported_media_type`` when an operation that takes a JSON body receives a non-empty body
  labelled anything but ``application/json`` (or ``application/*+json``). Form routes are left to
  their own parser; a body-less request is never refused for its headers.
"""

from __future__ import annotations

from fastapi import params
from fastapi.routing import iter_route_contexts
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tilework.api.errors import error_response
from tilework.errors import UnsupportedMediaTypeError

MAX_JSON_BODY_BYTES = 1024 * 1024
# The HTTP cap of the upload form; each kind's own limit (TILEWORK_MAX_*_BYTES) is lower.
MAX_UPLOAD_BODY_BYTES = 1024**4


class BodyTooLarge(HTTPException):
    """An HTTP exception, so FastAPI's body reader lets it through to the 413 handler."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is larger than {limit} bytes")


class BodyLimit:
    """Pure ASGI middleware enforcing each route's body cap (see the module docstring)."""

    def __init__(self, app: ASGIApp, *, default_bytes: int = MAX_JSON_BODY_BYTES) -> None:
        self.app = app
        self.default_bytes = default_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = Headers(scope=scope) if scope["type"] == "http" else None
        if headers is None or not _declares_body(headers):
            await self.app(scope, receive, send)
            return
        limit = self._limit(scope)
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await self._refuse(scope, receive, send, limit)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                raise BodyTooLarge(limit)
            return message

        await self.app(scope, counted, send)

    def _limit(self, scope: Scope) -> int:
        for route in iter_route_contexts(scope["app"].routes):
            if route.matches(scope)[0] == Match.FULL:
                declared = getattr(route, "max_body_size", None)
                return declared if isinstance(declared, int) else self.default_bytes
        return self.default_bytes

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        error = BodyTooLarge(limit)
        response = error_response(413, error.detail, "payload_too_large")
        response.headers["Connection"] = "close"  # the unread body must not be parsed as a request
        await response(scope, receive, send)


def _declares_body(headers: Headers) -> bool:
    length = headers.get("content-length")
    if length is not None:
        return length.strip() not in ("", "0")
    return "transfer-encoding" in headers


def require_json_content_type(request: Request) -> None:
    body_field = getattr(request.scope.get("route"), "body_field", None)
    if body_field is None or isinstance(body_field.field_info, params.Form):
        return
    if not _declares_body(request.headers):
        return
    raw = request.headers.get("content-type", "")
    media_type = raw.split(";", 1)[0].strip().lower()
    if media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    ):
        return
    shown = f"got {media_type}" if media_type else "no Content-Type header"
    raise UnsupportedMediaTypeError(f"send the body as application/json ({shown})")
