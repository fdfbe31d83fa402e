"""HTTP surface of runs: start, read, list, cancel, resume, progress. HTTP only; logic lives in
``tilework.engine``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Query
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from tilework.api.deps import SessionDep, get_org, get_runtime
from tilework.api.openapi import errors
from tilework.api.pagination import paginate
from tilework.db.tables import Agent, Organization, Run
from tilework.engine import views
from tilework.engine.schemas import RunRequest
from tilework.errors import NotFoundError, ValidationError
from tilework.runtime import Runtime

router = APIRouter(tags=["runs"])

RUN_STATUSES = {"running", "completed", "partial_complete", "failed", "cancelled"}


@router.post("/agent/{agent_id}/run", responses=errors(402))
def start_run(
    agent_id: str,
    body: RunRequest,
    org: Organization = Depends(get_org),
    runtime: Runtime = Depends(get_runtime),
) -> dict[str, str]:
    return {"run_id": runtime.runs.start_run(org.id, agent_id, body)}


@router.get("/agent_run/{run_id}")
def get_run(
    *,
    run_id: str,
    org: Organization = Depends(get_org),
    session: SessionDep,
    runtime: Runtime = Depends(get_runtime),
) -> dict[str, Any]:
    return views.run_view(session, _owned(session, org, run_id), runtime.urls)


@router.get("/agent_run/{run_id}/nodes")
def get_run_nodes(
    *,
    run_id: str,
    org: Organization = Depends(get_org),
    session: SessionDep,
    runtime: Runtime = Depends(get_runtime),
) -> dict[str, Any]:
    return views.nodes_view(session, _owned(session, org, run_id), runtime.tiles)


@router.get("/agent_run/{run_id}/progress")
def get_run_progress(
    *,
    run_id: str,
    org: Organization = Depends(get_org),
    session: SessionDep,
) -> dict[str, Any]:
    return views.progress_view(session, _owned(session, org, run_id))


@router.post("/agent_run/{run_id}/cancel", responses=errors(409))
def cancel_run(
    run_id: str,
    org: Organization = Depends(get_org),
    runtime: Runtime = Depends(get_runtime),
) -> dict[str, Any]:
    result = runtime.runs.cancel(org.id, run_id)
    return {
        "success": True,
        "run_id": result.run_id,
        "tasks_cancelled": result.tasks_cancelled,
        "nodes_reset": result.nodes_reset,
        "message": "Agent run cancelled successfully",
    }


@router.post("/agent_run/{run_id}/resume", responses=errors(409))
def resume_run(
    run_id: str,
    org: Organization = Depends(get_org),
    runtime: Runtime = Depends(get_runtime),
) -> dict[str, Any]:
    result = runtime.runs.resume(org.id, run_id)
    return {
        "success": True,
        "run_id": result.run_id,
        "nodes_queued": result.nodes_queued,
        "nodes_considered": result.nodes_considered,
        "requeued_nodes": result.requeued_nodes,
    }


class RunFilters:
    """Query parameters shared by the three run lists."""

    def __init__(
        self,
        status: str | None = Query(default=None, description="comma-separated statuses"),
        from_: datetime | None = Query(default=None, alias="from"),
        to: datetime | None = Query(default=None),
        limit: int = Query(default=25),
        cursor: str | None = Query(default=None),
    ) -> None:
        self.statuses = _parse_statuses(status)
        self.from_, self.to, self.limit, self.cursor = from_, to, limit, cursor

    def apply(self, query: Select[Run]) -> Select[Run]:
        if self.statuses:
            query = query.where(Run.status.in_(self.statuses))
        if self.from_ is not None:
            query = query.where(Run.created_at >= self.from_)
        if self.to is not None:
            query = query.where(Run.created_at <= self.to)
        return query


def _parse_statuses(raw: str | None) -> list[str]:
    statuses = [s.strip() for s in (raw or "").split(",") if s.strip()]
    unknown = sorted(set(statuses) - RUN_STATUSES)
    if unknown:
        raise ValidationError(f"status: unknown value {', '.join(unknown)}")
    return statuses


@router.get("/agent/{agent_id}/runs")
def list_agent_runs(
    *,
    agent_id: str,
    filters: RunFilters = Depends(),
    org: Organization = Depends(get_org),
    session: SessionDep,
    runtime: Runtime = Depends(get_runtime),
) -> dict[str, Any]:
    agent = session.get(Agent, agent_id)
    if agent is None or agent.organization_id != org.id:
        raise NotFoundError(f"agent {agent_id} not found")
    return _list(session, runtime, filters, select(Run).where(Run.agent_id == agent_id))


@router.get("/agent_runs")
def list_runs(
    *,
    agent_id: str | None = None,
    filters: RunFilters = Depends(),
    org: Organization = Depends(get_org),
    session: SessionDep,
    runtime: Runtime = Depends(get_runtime),
) -> dict[str, Any]:
    query = select(Run).where(Run.organization_id == org.id)
    if agent_id is not None:
        query = query.where(Run.agent_id == agent_id)
    return _list(session, runtime, filters, query)


@router.get("/trigger/{trigger_id}/runs")
def list_trigger_runs(
    *,
    trigger_id: str,
    filters: RunFilters = Depends(),
    org: Organization = Depends(get_org),
    session: SessionDep,
    runtime: Runtime = Depends(get_runtime),
) -> dict[str, Any]:
    runtime.triggers.owned_trigger(session, org.id, trigger_id, live=False)  # 404 if not ours
    query = select(Run).where(Run.organization_id == org.id, Run.trigger_id == trigger_id)
    return _list(session, runtime, filters, query)


def _list(
    session: Session, runtime: Runtime, filters: RunFilters, query: Select[Run]
) -> dict[str, Any]:
    runs, next_cursor = paginate(
        session, filters.apply(query), Run, limit=filters.limit, cursor=filters.cursor
    )
    return {
        "runs": [views.run_summary(session, run, runtime.urls) for run in runs],
        "next_cursor": next_cursor,
    }


def _owned(session: Session, org: Organization, run_id: str) -> Run:
    run = session.get(Run, run_id)
    if run is None or run.organization_id != org.id:
        raise NotFoundError(f"run {run_id} not found")
    return run
