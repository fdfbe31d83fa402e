"""Request dependencies: the runtime, a unit of work, the caller's organization, run ownership.

Every route that depends on ``get_principal`` (directly or through ``get_org``) is
authenticated, rate limited and scope-checked against ``api.route_scopes``.

Use ``Depends(get_session, scope="function")`` (``SessionDep``) so the transaction commits before
the response is sent: with FastAPI's default request scope the commit would run after the client
already has its answer, and a failed commit could not be reported. Authentication runs in its own
short transaction, so it never shares (or waits on) the endpoint's session.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, cast

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session, sessionmaker

from tilework.api.auth import authorize
from tilework.db.session import unit_of_work
from tilework.db.tables import Organization, Run
from tilework.errors import NotFoundError
from tilework.orgs.service import Principal
from tilework.runtime import Runtime

# auto_error=False: a missing header must be our 401 ``invalid_api_key``, not FastAPI's 403.
_bearer = HTTPBearer(auto_error=False, description="An API key: `Bearer mk_...`")


def get_runtime(request: Request) -> Runtime:
    return cast(Runtime, request.app.state.runtime)


def get_session(runtime: Runtime = Depends(get_runtime)) -> Iterator[Session]:
    """One unit of work per request: commit on success, roll back on any error."""
    with unit_of_work(runtime.sessions) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def get_principal(
    request: Request,
    credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),
    runtime: Runtime = Depends(get_runtime),
) -> Principal:
    """The caller: key checked, rate limit taken, the route's scope held (``api.auth``)."""
    key = (
        credentials.credentials if credentials and credentials.scheme.lower() == "bearer" else None
    )
    return authorize(request, key, runtime)


def get_org(principal: Principal = Depends(get_principal)) -> Organization:
    return principal.organization


@dataclass(frozen=True)
class RunAccess:
    """Proof that the caller owns ``run_id``, plus a session factory to read it with."""

    run_id: str
    sessions: sessionmaker[Session]


def get_owned_run(
    run_id: str,
    org: Organization = Depends(get_org),
    runtime: Runtime = Depends(get_runtime),
) -> RunAccess:
    """404 for a missing or foreign run. Checks in a short transaction: streams outlive it."""
    with unit_of_work(runtime.sessions) as session:
        run = session.get(Run, run_id)
        if run is None or run.organization_id != org.id:
            raise NotFoundError(f"run {run_id} not found")
    return RunAccess(run_id=run_id, sessions=runtime.read_sessions)
