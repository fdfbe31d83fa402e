"""Who is calling and what they may do: the bearer key, its rate limit and the route's scope.

``authorize`` runs for every route that depends on ``api.deps.get_principal``, in this order:
the key must exist and be live (401 ``invalid_api_key``), its rate limit must not be spent (429
``rate_limit``), and it must hold the scopes the route table names for the matched route (403
``insufficient_scope``, the detail naming them). The key is read in a read-only transaction;
``last_used_at`` is written at most once a minute per key, never on every request.
"""

from __future__ import annotations

from starlette.requests import Request

from tilework.api import rate_limits
from tilework.api.route_scopes import required_scopes
from tilework.db.session import unit_of_work
from tilework.db.tables import utcnow
from tilework.errors import AuthError, InsufficientScopeError
from tilework.orgs import scopes
from tilework.orgs.service import Principal, authenticate_key, needs_touch, touch_last_used
from tilework.runtime import Runtime


def authorize(request: Request, key: str | None, runtime: Runtime) -> Principal:
    if not key:
        raise AuthError("missing API key: send 'Authorization: Bearer mk_...'")
    with unit_of_work(runtime.read_sessions) as session:
        principal = authenticate_key(session, key)
    now = utcnow()
    if needs_touch(principal, now):
        with unit_of_work(runtime.sessions) as session:
            touch_last_used(session, principal.api_key_id, now)
    route = matched_route(request)
    rate_limits.enforce(
        request,
        route,
        principal.api_key_id,
        settings=runtime.settings,
        limiter=runtime.rate_limiter,
    )
    check_scopes(principal, required_scopes(*route))
    return principal


def matched_route(request: Request) -> tuple[str, str]:
    """``(method, path template)`` of the route serving ``request``: ``("GET", "/agent/{id}")``."""
    route = request.scope.get("route")
    template = getattr(route, "path_format", None) or getattr(route, "path", request.url.path)
    return request.method, str(template)


def check_scopes(principal: Principal, needed: tuple[str, ...]) -> None:
    lacking = scopes.missing(principal.scopes, needed)
    if not lacking:
        return
    if tuple(needed) == scopes.ALL_SCOPES:
        raise InsufficientScopeError(
            "this needs a full-access API key (one holding every scope); "
            f"this key lacks {', '.join(lacking)}"
        )
    raise InsufficientScopeError(f"this API key lacks the scope {', '.join(lacking)}")
