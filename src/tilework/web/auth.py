"""Who a dashboard request acts for: sign-in sessions behind a cookie, and CSRF tokens.

Signing in takes an API key once; the browser then holds only a random session token in an
httpOnly, SameSite=Lax cookie, and the database only that token's SHA-256 (``web_sessions``).
The key is neither stored nor logged. A session lasts ``SESSION_SECONDS`` and dies with its
API key (revoking the key signs its sessions out on their next request) or at "Sign out".

Every form (and every htmx or ``fetch`` request that changes something) carries a CSRF token:
the HMAC of the session id under the server's signing key, so nothing more is stored. The
sign-in form, which has no session yet, is bound the same way to a random nonce cookie.

This module is the one place the dashboard authenticates: when API keys get scopes, they are
checked in ``require_user``.
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

from tilework.db.session import unit_of_work
from tilework.db.tables import ApiKey, Organization, WebSession, utcnow
from tilework.errors import ForbiddenError
from tilework.orgs.service import authenticate_key
from tilework.runtime import Runtime
from tilework.storage.signing import UrlSigner

SESSION_COOKIE = "tilework_session"
SIGNIN_COOKIE = "tilework_signin"  # the nonce the sign-in form's CSRF token is bound to
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SESSION_SECONDS = 7 * 24 * 3600


@dataclass(frozen=True)
class WebUser:
    """A signed-in dashboard visitor: their organization and this session's CSRF token."""

    organization_id: str
    organization_name: str
    api_key_id: str
    session_id: str
    csrf_token: str


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


def sign_in(sessions: sessionmaker[Session], api_key: str) -> str:
    """A new session for ``api_key`` (``AuthError`` if it is not a live key); its cookie token."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    with unit_of_work(sessions) as session:
        principal = authenticate_key(session, api_key.strip())
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
            select(WebSession, Organization.name)
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
    web_session, org_name = row
    return WebUser(
        organization_id=web_session.organization_id,
        organization_name=org_name,
        api_key_id=web_session.api_key_id,
        session_id=web_session.id,
        csrf_token=csrf_token(signer, "dashboard-csrf", web_session.id),
    )


# --- request dependencies --------------------------------------------------------------------


def optional_user(request: Request) -> WebUser | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    runtime = _runtime(request)
    return find_user(runtime.sessions, runtime.signer, token, utcnow())


def require_user(user: WebUser | None = Depends(optional_user)) -> WebUser:
    if user is None:
        raise SignInRequired()
    return user


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
