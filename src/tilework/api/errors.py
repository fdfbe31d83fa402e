"""Exception handlers: every error leaves as ``{"detail": str, "error": code}``.

``TileworkError`` carries its own status and code. FastAPI's request validation (including a
malformed JSON body) becomes 400 ``validation_error`` with a one-line, readable detail. Starlette's
own HTTP errors (unknown path, wrong method) get a code from their status. Anything else is a
500 ``internal_server_error``: logged with its traceback, never shown to the client.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from tilework.api.allow import allowed_methods
from tilework.errors import TileworkError

logger = logging.getLogger("tilework.api")

_CODES_BY_STATUS = {
    400: "validation_error",
    401: "invalid_api_key",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    416: "range_not_satisfiable",
    422: "parameter_out_of_range",
    429: "rate_limit",
}


def error_response(
    status_code: int, detail: str, code: str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    return JSONResponse({"detail": detail, "error": code}, status_code, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(TileworkError, _tilework_error)
    app.add_exception_handler(RequestValidationError, _request_validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)


async def _tilework_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, TileworkError)
    if exc.status_code >= 500:
        logger.error("%s %s failed: %s", request.method, request.url.path, exc.detail)
    return error_response(exc.status_code, exc.detail, exc.code, headers=exc.headers)


async def _request_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return error_response(400, describe_validation_errors(exc.errors()), "validation_error")


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _CODES_BY_STATUS.get(exc.status_code, "http_error")
    detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = allowed_methods(request)
    return error_response(exc.status_code, detail, code, headers=headers)


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    logger.exception("%s %s failed", request.method, request.url.path, exc_info=exc)
    return error_response(500, "Internal server error", "internal_server_error")


def describe_validation_errors(errors: Sequence[Any]) -> str:
    """``"name: String should have at most 120 characters; limit: ..."`` from pydantic errors."""
    return "; ".join(_describe_one(error) for error in errors) or "invalid request"


def _describe_one(error: Mapping[str, Any]) -> str:
    if error.get("type") == "json_invalid":
        reason = (error.get("ctx") or {}).get("error", "")
        return f"request body is not valid JSON: {reason}".rstrip(": ")
    location = _location(error.get("loc", ()))
    # Our own validators' messages arrive as "Value error, <text>": keep just the text.
    message = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
    return f"{location}: {message}" if location else message


def _location(loc: Sequence[Any]) -> str:
    # "body" is implied for JSON fields; query/path/header locations stay explicit.
    parts = list(loc[1:]) if loc and loc[0] == "body" else list(loc)
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text
