"""Who a dashboard request acts for: sign-in sessions behind a cookie, and CSRF tokens.

Signing in takes an API key once; the browser then holds only a random session token in an
httpOnly, SameSite=Lax cookie, and the database only that token's SHA-256 (``web_sessions``).
The key is neither stored nor logged. A session lasts ``SESSION_SECONDS`` and dies with its
API key (revoking the key signs its sessions out on their next request) or at "Sign out".

A session may do what its key may do through the API, no more. ``require_user`` runs for every
page and action of a session, in the API's order: the session (and its key) must be live, the
key's rate limit must not be spent (429; the same buckets as the key's API calls), and the key
must hold the scopes of the API operation the route mirrors (403 naming the missing scope; the
table is ``web/route_scopes.py``). The key's scopes are read with the session on every request.

Every form (and every htmx or ``fetch`` request that changes something) carries a CSRF token:
the HMAC of the session id under the server's signing key, so nothing more is stored. The
sign-in form, which has no session yet, is bound the same way to a random nonce cookie.

This module is the one place the dashboard authenticates.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from fastapi import Depends, Request
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker
from starlette.responses import Response

from tilework.api import rate_limits
from tilework.api.auth import matched_route
from tilework.db.session import unit_of_work
from tilework.db.tables import ApiKey, Organization, WebSession, utcnow
from tilework.errors import ForbiddenError, InsufficientScopeError
from tilework.orgs import scopes
from tilework.orgs.service import Principal, authenticate_key
from tilework.runtime import Runtime
from tilework.storage.signing import UrlSigner
from tilework.web import route_scopes

SESSION_COOKIE = "tilework_session"
SIGNIN_COOKIE = "tilework_signin"  # the nonce the sign-in form's CSRF token is bound to
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SESSION_SECONDS = 7 * 24 * 3600


@dataclass(frozen=True)
class WebUser:
    """A signed-in dashboard visitor: their organization, their key's scopes, the CSRF token."""

    organization_id: str
    organization_name: str
    api_key_id: str
    session_id: str
    csrf_token: str
    scopes: tuple[str, ...] | None = None  # the key's; None: full access

    def lacking(self, method: str, path: str) -> list[str]:
        """The scopes this session's key lacks for the route ``method path`` (a template)."""
        return lacking(self.scopes, method, path)

    def may(self, method: str, path: str) -> bool:
        return not self.lacking(method, path)

    @property
    def restricted(self) -> bool:
        return self.scopes is not None and set(self.scopes) != set(scopes.ALL_SCOPES)


def lacking(held: tuple[str, ...] | None, method: str, path: str) -> list[str]:
    """The scopes a key holding ``held`` lacks for the dashboard route ``method path``."""
    return scopes.missing(held, route_scopes.required_scopes(method, path))


class SignInRequired(Exception):
    """No valid session: the page answers with a redirect to the sign-in form."""


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_token(signer: UrlSigner, purpose: str, value: str) -> str:
    return signer.sign_fields(purpose, value, 0)


# --- sessions --------------------------------------------------------------------------------


def check_key(request: Request, api_key: str) -> Principal:
    """The live key behind ``api_key`` (``AuthError`` otherwise, one message whatever the
    reason), after taking a token of its rate limit (``RateLimitError``): signing in is a use."""
    runtime = _runtime(request)
    with unit_of_work(runtime.read_sessions) as session:
        principal = authenticate_key(session, api_key.strip())
    rate_limits.enforce(
        request,
        matched_route(request),
        principal.api_key_id,
        settings=runtime.settings,
        limiter=runtime.rate_limiter,
    )
    return principal


def sign_in(sessions: sessionmaker[Session], principal: Principal) -> str:
    """A new session for the key of ``principal``; its cookie token."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    with unit_of_work(sessions) as session:
        session.execute(delete(WebSession).where(WebSession.expires_at < now))
        session.add(
            WebSession(
                id=_digest(token),
                organization_id=principal.organization.id,
                api_key_id=principal.api_key_id,
                created_at=now,
                expires_at=now + timedelta(seconds=SESSION_SECONDS),
            )
        )
    return token


def sign_out(sessions: sessionmaker[Session], token: str) -> None:
    with unit_of_work(sessions) as session:
        session.execute(delete(WebSession).where(WebSession.id == _digest(token)))


def find_user(
    sessions: sessionmaker[Session], signer: UrlSigner, token: str, now: datetime
) -> WebUser | None:
    """The live session behind ``token`` (unexpired, its API key not revoked), or None."""
    with sessions() as session:
        row = session.execute(
            select(WebSession, Organization.name, ApiKey.scopes)
            .join(ApiKey, ApiKey.id == WebSession.api_key_id)
            .join(Organization, Organization.id == WebSession.organization_id)
            .where(
                WebSession.id == _digest(token),
                WebSession.expires_at > now,
                ApiKey.revoked_at.is_(None),
            )
        ).first()
    if row is None:
        return None
    web_session, org_name, key_scopes = row
    return WebUser(
        organization_id=web_session.organization_id,
        organization_name=org_name,
        api_key_id=web_session.api_key_id,
        session_id=web_session.id,
        csrf_token=csrf_token(signer, "dashboard-csrf", web_session.id),
        scopes=None if key_scopes is None else tuple(str(scope) for scope in key_scopes),
    )


# --- request dependencies --------------------------------------------------------------------


def optional_user(request: Request) -> WebUser | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    runtime = _runtime(request)
    return find_user(runtime.sessions, runtime.signer, token, utcnow())


def require_user(request: Request, user: WebUser | None = Depends(optional_user)) -> WebUser:
    """The session's user, once its key's rate limit and scopes allow this route."""
    if user is None:
        raise SignInRequired()
    request.state.web_user = user  # an error page still shows the session's menu
    runtime = _runtime(request)
    method, path = matched_route(request)
    rate_limits.enforce(
        request,
        route_scopes.rate_limit_route(method, path),
        user.api_key_id,
        settings=runtime.settings,
        limiter=runtime.rate_limiter,
    )
    check_scopes(user, method, path)
    return user


def check_scopes(user: WebUser, method: str, path: str) -> None:
    lacking = user.lacking(method, path)
    if not lacking:
        return
    if route_scopes.mirrored(method, path) is None:
        raise InsufficientScopeError("this page needs a full-access API key")
    raise InsufficientScopeError(
        f"The API key this session signed in with lacks the scope {', '.join(lacking)}: "
        "sign in with a key that holds it to do this here."
    )


async def require_csrf(request: Request, user: WebUser = Depends(require_user)) -> WebUser:
    """``require_user`` for requests that change something: the CSRF token must match."""
    submitted: object = request.headers.get(CSRF_HEADER)
    if submitted is None and _is_form(request):
        submitted = (await request.form()).get(CSRF_FIELD)  # cached: Form() params reuse it
    check_token(submitted, user.csrf_token)
    return user


def check_token(submitted: object, expected: str) -> None:
    if not isinstance(submitted, str) or not hmac.compare_digest(
        submitted.encode(), expected.encode()
    ):
        raise ForbiddenError("the form has expired or did not come from this site: reload it")


def _is_form(request: Request) -> bool:
    kind = request.headers.get("content-type", "")
    return kind.startswith(("application/x-www-form-urlencoded", "multipart/form-data"))


# --- cookies ---------------------------------------------------------------------------------


def signin_nonce(request: Request) -> str:
    return request.cookies.get(SIGNIN_COOKIE) or secrets.token_urlsafe(16)


def set_cookie(
    response: Response, request: Request, name: str, value: str, max_age: int | None
) -> None:
    secure = _runtime(request).settings.public_base_url.startswith("https://")
    response.set_cookie(
        name, value, max_age=max_age, path="/", secure=secure, httponly=True, samesite="lax"
    )
