"""Pages and fragments from Jinja2 templates, and errors as pages instead of JSON.

``HtmlRoute`` is the route class of every dashboard router: a ``TileworkError`` raised by a
service becomes the error page (or, for an htmx request, a fragment that htmx swaps in) with
the error's status, and a missing session becomes a redirect to the sign-in form. Templates are
autoescaped; nothing user-supplied is ever marked safe.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from pydantic import ValidationError as PydanticValidationError
from starlette.responses import RedirectResponse, Response

import tilework
from tilework.api.errors import describe_validation_errors
from tilework.errors import TileworkError
from tilework.web.auth import SignInRequired, WebUser

logger = logging.getLogger("tilework.web")

STATIC_PREFIX = "/app/static"
SIGN_IN_PATH = "/app/sign-in"


def _static(path: str) -> str:
    return f"{STATIC_PREFIX}/{path}?v={tilework.__version__}"


def _when(value: str | datetime | None) -> str:
    """ISO time → ``2026-05-01 14:03 UTC`` (what a person reads); empty for none."""
    if value is None or value == "":
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("tilework.web", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,  # a typo in a template fails its test, not silently
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["static"] = _static
    env.filters["when"] = _when
    return env


templates = Jinja2Templates(env=_environment())


def is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    user: WebUser | None = None,
    status_code: int = 200,
) -> Response:
    values = {"user": user, "csrf_token": user.csrf_token if user else "", **(context or {})}
    return templates.TemplateResponse(request, template, values, status_code=status_code)


def redirect(request: Request, url: str) -> Response:
    """303 to ``url``; for htmx, a full-page navigation through ``HX-Redirect``."""
    if is_htmx(request):
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


def sign_in_url(request: Request) -> str:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return f"{SIGN_IN_PATH}?next={quote(target, safe='')}"


ERROR_TITLES = {403: "Not allowed", 404: "Not found", 429: "Too many requests"}


def error_page(
    request: Request,
    status_code: int,
    detail: str,
    headers: Mapping[str, str] | None = None,
    user: WebUser | None = None,
) -> Response:
    template = "_error.html" if is_htmx(request) else "error.html"
    title = ERROR_TITLES.get(status_code, "Something went wrong")
    context = {"title": title, "status_code": status_code, "detail": detail}
    response = render(request, template, context, user=user, status_code=status_code)
    response.headers.update(headers or {})  # Retry-After
    return response


class HtmlRoute(APIRoute):
    """Renders errors of the dashboard's own routes as HTML."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except SignInRequired:
                return redirect(request, sign_in_url(request))
            except TileworkError as exc:
                if exc.status_code >= 500:
                    logger.error("%s %s failed: %s", request.method, request.url.path, exc.detail)
                user = getattr(request.state, "web_user", None)  # set by require_user
                return error_page(request, exc.status_code, exc.detail, exc.headers, user)
            except (RequestValidationError, PydanticValidationError) as exc:
                return error_page(request, 400, describe_validation_errors(exc.errors()))

        return handle
