"""An exact OpenAPI document: every status an operation can answer, each with its schema.

FastAPI documents the success response and a 422 we never send (validation errors are 400
here). ``exact_openapi`` starts from FastAPI's document and declares the errors each operation
can answer, derived from how the route is built rather than listed by hand:

========================================  ===============================================
the route…                                 may answer
========================================  ===============================================
any operation                             500 (a bug: logged, never with a trace)
has parameters or a body                  400 ``validation_error``
has a path parameter (an id)              404 ``not_found`` (missing or another org's)
has a body                                413 ``payload_too_large``, 415 ``unsupported_media_type``
depends on ``get_principal``              401, 403 (``insufficient_scope``…), 429 with
                                          ``Retry-After``; 2xx carry ``X-RateLimit-*``
declares ``responses=errors(409, …)``      those, for what only it can answer
========================================  ===============================================

Authenticated operations also say which scopes they need (``x-required-scopes``, from
``api.route_scopes``). The served document is versioned in ``docs/openapi.json``
(``make openapi`` regenerates it; a test fails when they differ).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel

from tilework.api.route_scopes import FULL_ACCESS, required_scopes

ERROR_SCHEMA = "Error"
_ERROR_REF = {"$ref": f"#/components/schemas/{ERROR_SCHEMA}"}
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

DESCRIPTIONS = {
    400: "Invalid input (`validation_error`): bad JSON, fields, parameters or media",
    401: "Missing, unknown or revoked API key (`invalid_api_key`)",
    402: "The credit balance cannot pay for the first node (`insufficient_credits`)",
    403: "Refused (`forbidden`, or `insufficient_scope` naming the scope the key lacks)",
    404: "No such resource, or another organization's (`not_found`)",
    409: "The resource is not in a state that allows this (`conflict`)",
    413: "The request body is too large (`payload_too_large`)",
    415: "The body's Content-Type is not the one this operation takes (`unsupported_media_type`)",
    416: "The requested byte range is outside the file (`range_not_satisfiable`)",
    429: "This API key's rate limit is spent (`rate_limit`); retry after `Retry-After` seconds",
    500: "Unexpected server error (`internal_server_error`); never shows internals",
}


class Error(BaseModel):
    """Every error answer: a human sentence and a stable machine code."""

    detail: str
    error: str


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route's own error statuses (the generic ones are added for it)."""
    return {status: {"description": DESCRIPTIONS[status], "model": Error} for status in statuses}


def install_openapi(app: FastAPI, *, auth: Callable[..., Any]) -> None:
    """Serve ``exact_openapi`` (built once, on first request) as ``app.openapi()``; routes that
    depend on ``auth`` (at any depth) are the authenticated ones."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = exact_openapi(app, auth)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented override


def depends_on(dependant: Dependant, call: Callable[..., Any]) -> bool:
    """Whether ``call`` is among ``dependant``'s dependencies, at any depth."""
    return any(sub.call is call or depends_on(sub, call) for sub in dependant.dependencies)


def exact_openapi(app: FastAPI, auth: Callable[..., Any]) -> dict[str, Any]:
    document = get_openapi(
        title=app.title,
        version=app.version,
        summary=app.summary,
        description=app.description,
        routes=app.routes,
        tags=app.openapi_tags,
    )
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas[ERROR_SCHEMA] = Error.model_json_schema()
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    document["components"]["headers"] = _header_components()
    for route, method, operation in _operations(app, document):
        _declare_errors(route, method, operation, depends_on(route.dependant, auth))
    return document


def _operations(
    app: FastAPI, document: dict[str, Any]
) -> Iterator[tuple[APIRoute, str, dict[str, Any]]]:
    paths = document.get("paths", {})
    for context in iter_route_contexts(app.routes):
        if not isinstance(context.original_route, APIRoute) or not context.include_in_schema:
            continue
        route: APIRoute = context  # type: ignore[assignment]  # a RouteContext proxies its route
        for method in sorted(route.methods or ()):
            operation = paths.get(route.path_format, {}).get(method.lower())
            if operation is not None:
                yield route, method, operation


def _declare_errors(
    route: APIRoute, method: str, operation: dict[str, Any], authenticated: bool
) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    responses.pop("422", None)
    places = {parameter.get("in") for parameter in operation.get("parameters", [])}
    has_body = "requestBody" in operation
    statuses = {500}
    if has_body or places:
        statuses.add(400)
    if "path" in places:
        statuses.add(404)
    if has_body:
        statuses |= {413, 415}
    if authenticated:
        statuses |= {401, 403, 429}
        _declare_scopes(route, method, operation)
    for status in sorted(statuses):
        responses.setdefault(str(status), _error_response(status))
    for code, response in responses.items():
        _point_errors_at_schema(code, response)
    if authenticated:
        _declare_rate_limit_headers(responses)
    operation["responses"] = dict(sorted(responses.items()))


def _error_response(status: int) -> dict[str, Any]:
    return {"description": DESCRIPTIONS[status], "content": {"application/json": {}}}


def _point_errors_at_schema(status: str, response: dict[str, Any]) -> None:
    if not status.startswith(("4", "5")):
        return
    response.setdefault("content", {}).setdefault("application/json", {})["schema"] = _ERROR_REF


def _declare_scopes(route: APIRoute, method: str, operation: dict[str, Any]) -> None:
    needed = required_scopes(method, route.path_format)
    operation["x-required-scopes"] = list(needed)
    if needed == FULL_ACCESS:
        note = "Scopes: a full-access key (every scope)."
    else:
        shown = ", ".join(f"`{scope}`" for scope in needed) or "none (any valid key)"
        note = f"Scopes: {shown}."
    operation["description"] = f"{operation.get('description', '')}\n\n{note}".strip()


_RATE_HEADERS = {
    "X-RateLimit-Limit": ("Requests per minute this key's bucket allows", 0),
    "X-RateLimit-Remaining": ("Requests left in the bucket now", 0),
    "X-RateLimit-Reset": ("Seconds until the bucket is full again", 0),
    "Retry-After": ("Seconds to wait before the next request", 1),
}


def _header_components() -> dict[str, Any]:
    found: dict[str, Any] = {
        name: {"description": text, "schema": {"type": "integer", "minimum": minimum}}
        for name, (text, minimum) in _RATE_HEADERS.items()
    }
    found["Retry-After"]["required"] = True
    return found


def _declare_rate_limit_headers(responses: dict[str, Any]) -> None:
    for status, response in responses.items():
        if status in ("401", "500"):
            continue  # no key to count against, or failed before counting
        headers = response.setdefault("headers", {})
        for name in ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"):
            headers[name] = {"$ref": f"#/components/headers/{name}"}
        if status == "429":
            headers["Retry-After"] = {"$ref": "#/components/headers/Retry-After"}
