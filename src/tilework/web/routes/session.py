"""Sign in (paste an API key), sign out, and ``/``: the dashboard's front door."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import Response

from tilework.errors import AuthError, RateLimitError
from tilework.runtime import Runtime
from tilework.web import auth
from tilework.web.auth import SIGNIN_COOKIE, WebUser, optional_user, require_csrf
from tilework.web.rendering import HtmlRoute, error_page, redirect, render

router = APIRouter(route_class=HtmlRoute, include_in_schema=False)

APP = "/app"
PAGES = ("/app/runs", "/app/agents", "/app/credits", "/app/triggers")  # the menu, in order
INVALID_KEY = "That API key is not valid (or was revoked)."


def landing(scopes: tuple[str, ...] | None) -> str:
    """The first page of the menu a key with ``scopes`` may open (``/app`` if none)."""
    return next((page for page in PAGES if not auth.lacking(scopes, "GET", page)), APP)


@router.get("/")
def home(request: Request, user: WebUser | None = Depends(optional_user)) -> Response:
    return redirect(request, landing(user.scopes) if user else "/app/sign-in")


@router.get(APP)
def app_home(request: Request, user: WebUser | None = Depends(optional_user)) -> Response:
    if user is None:
        return redirect(request, "/app/sign-in")
    page = landing(user.scopes)
    if page != APP:
        return redirect(request, page)
    detail = (
        "The API key this session signed in with may not read agents, runs, credits or "
        "triggers, so there is no page to show: sign out and sign in with a key that can."
    )
    return error_page(request, 403, detail, user=user)


@router.get("/app/sign-in")
def sign_in_form(
    request: Request, next: str = "", user: WebUser | None = Depends(optional_user)
) -> Response:
    if user is not None:
        return redirect(request, _local(next, landing(user.scopes)))
    return _form(request, next)


@router.post("/app/sign-in")
def sign_in(
    request: Request,
    api_key: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    runtime: Runtime = request.app.state.runtime
    nonce = request.cookies.get(SIGNIN_COOKIE, "")
    auth.check_token(csrf_token, auth.csrf_token(runtime.signer, "dashboard-sign-in", nonce))
    try:
        principal = auth.check_key(request, api_key)
    except AuthError:  # unknown, revoked or malformed: one answer, whichever it was
        return _form(request, next, error=INVALID_KEY, status=401)
    except RateLimitError as exc:
        response = _form(request, next, error=exc.detail, status=429)
        response.headers.update(exc.headers)
        return response
    token = auth.sign_in(runtime.sessions, principal)
    response = redirect(request, _local(next, landing(principal.scopes)))
    auth.set_cookie(response, request, auth.SESSION_COOKIE, token, auth.SESSION_SECONDS)
    response.delete_cookie(SIGNIN_COOKIE, path="/")
    return response


@router.post("/app/sign-out")
def sign_out(request: Request, user: WebUser = Depends(require_csrf)) -> Response:
    runtime: Runtime = request.app.state.runtime
    auth.sign_out(runtime.sessions, request.cookies.get(auth.SESSION_COOKIE, ""))
    response = redirect(request, "/app/sign-in?signed_out=1")
    response.delete_cookie(auth.SESSION_COOKIE, path="/")
    return response


def _form(request: Request, next: str, error: str = "", status: int = 200) -> Response:
    runtime: Runtime = request.app.state.runtime
    nonce = auth.signin_nonce(request)
    context = {
        "title": "Sign in",
        "next": _local(next, ""),
        "error": error,
        "signed_out": request.query_params.get("signed_out") == "1",
        "signin_token": auth.csrf_token(runtime.signer, "dashboard-sign-in", nonce),
    }
    response = render(request, "sign_in.html", context, status_code=status)
    auth.set_cookie(response, request, SIGNIN_COOKIE, nonce, max_age=3600)
    return response


def _local(target: str, fallback: str) -> str:
    """Only paths of this site are followed after sign-in (no open redirect)."""
    if target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return fallback
