"""Runs: the list (live while any is running), a run's page with its live state over the run's
event stream, cancel and resume, and the webhook delivery log with redelivery."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, BackgroundTasks, Depends, Header, Request
from fastapi.responses import JSONResponse, StreamingResponse
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import Response

from tilework.api.deps import SessionDep, get_runtime
from tilework.api.pagination import paginate
from tilework.api.runs import RunFilters
from tilework.api.uploads import get_uploads
from tilework.db.session import unit_of_work
from tilework.db.tables import Agent, Run, utcnow
from tilework.engine import views
from tilework.errors import NotFoundError
from tilework.runtime import Runtime
from tilework.web.auth import WebUser, require_csrf, require_user
from tilework.web.rendering import HtmlRoute, is_htmx, redirect, render
from tilework.webhooks import log as delivery_log
from tilework.webhooks.stream import parse_last_event_id, run_event_stream, sse_frames

router = APIRouter(prefix="/app", route_class=HtmlRoute, include_in_schema=False)

RESUMABLE = ("failed", "cancelled")
STATUSES = ("running", "completed", "partial_complete", "failed", "cancelled")


# --- the list --------------------------------------------------------------------------------


@router.get("/runs")
def run_list(
    request: Request,
    session: SessionDep,
    agent_id: str | None = None,
    trigger_id: str | None = None,
    filters: RunFilters = Depends(),
    user: WebUser = Depends(require_user),
    runtime: Runtime = Depends(get_runtime),
) -> Response:
    query = select(Run).where(Run.organization_id == user.organization_id)
    if agent_id:
        query = query.where(Run.agent_id == agent_id)
    if trigger_id:
        query = query.where(Run.trigger_id == trigger_id)
    runs, next_cursor = paginate(
        session, filters.apply(query), Run, limit=filters.limit, cursor=filters.cursor
    )
    summaries = [views.run_summary(session, run, runtime.signer) for run in runs]
    context = {
        "title": "Runs",
        "section": "runs",
        "runs": summaries,
        "agent_names": _agent_names(session, user, {run.agent_id for run in runs}),
        "next_cursor": next_cursor,
        "statuses": STATUSES,
        "status": ",".join(filters.statuses),
        "agent_id": agent_id or "",
        "trigger_id": trigger_id or "",
        "live": any(run.status == "running" for run in runs),
    }
    template = "runs/_table.html" if is_htmx(request) else "runs/list.html"
    return render(request, template, context, user=user)


def _agent_names(session: Session, user: WebUser, agent_ids: set[str]) -> dict[str, str]:
    """Agents' names for a key that may read agents (others see the ids, as the API shows)."""
    if not user.may("GET", "/app/agents/{agent_id}"):
        return {}
    rows = session.execute(select(Agent.id, Agent.name).where(Agent.id.in_(agent_ids)))
    return {agent_id: name for agent_id, name in rows}


# --- one run ---------------------------------------------------------------------------------


@router.get("/runs/{run_id}")
def run_page(
    request: Request,
    run_id: str,
    session: SessionDep,
    user: WebUser = Depends(require_user),
) -> Response:
    context = {
        "title": f"Run {run_id[:8]}",
        "section": "runs",
        **_run_state(request, session, user, run_id),
    }
    if user.may("GET", "/app/runs/{run_id}/webhooks"):
        context["deliveries"] = delivery_log.run_deliveries(session, user.organization_id, run_id)
    return render(request, "runs/detail.html", context, user=user)


@router.get("/runs/{run_id}/state")
def run_state(
    request: Request,
    run_id: str,
    session: SessionDep,
    user: WebUser = Depends(require_user),
) -> Response:
    """The live part of the run page: status, node progress, errors, outputs, actions."""
    return render(
        request, "runs/_state.html", _run_state(request, session, user, run_id), user=user
    )


def _run_state(request: Request, session: Session, user: WebUser, run_id: str) -> dict[str, Any]:
    runtime: Runtime = request.app.state.runtime
    run = _owned(session, user, run_id)
    nodes = views.nodes_view(session, run, runtime.tiles)["nodes"]
    progress = {p["agent_node_id"]: p for p in views.progress_view(session, run)["nodes"]}
    names = {n["original_node_id"]: n["node_type"]["node_type_name"] for n in nodes}
    readable = user.may("GET", "/app/agents/{agent_id}")
    agent = session.get(Agent, run.agent_id) if readable else None
    return {
        "run": run,
        "view": views.run_view(session, run, runtime.signer),
        "nodes": [{**node, **progress[node["agent_node_id"]]} for node in nodes],
        "node_names": names,
        "agent_name": agent.name if agent else f"agent {run.agent_id[:8]}",
        "agent_live": agent is not None and agent.deleted_at is None,
        "resumable": run.status in RESUMABLE,
    }


def _owned(session: Session, user: WebUser, run_id: str) -> Run:
    run = session.get(Run, run_id)
    if run is None or run.organization_id != user.organization_id:
        raise NotFoundError(f"run {run_id} not found")
    return run


@router.get("/runs/{run_id}/events")
def run_events(
    run_id: str,
    after: int = 0,
    last_event_id: str | None = Header(default=None, alias="Last-Event-ID"),
    user: WebUser = Depends(require_user),
    runtime: Runtime = Depends(get_runtime),
) -> StreamingResponse:
    """The run's event stream (the same frames as ``GET /agent_run/{id}/events``) for a signed-in
    browser, from event ``after`` on: the page was drawn with everything before it."""
    with unit_of_work(runtime.sessions) as session:
        _owned(session, user, run_id)
    start = max(after, parse_last_event_id(last_event_id))
    events = run_event_stream(runtime.read_sessions, run_id, last_seq=start)
    return StreamingResponse(
        sse_frames(events),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.post("/runs/{run_id}/cancel")
def cancel_run(
    request: Request,
    run_id: str,
    user: WebUser = Depends(require_csrf),
    runtime: Runtime = Depends(get_runtime),
) -> Response:
    runtime.runs.cancel(user.organization_id, run_id)
    return redirect(request, f"/app/runs/{run_id}")


@router.post("/runs/{run_id}/resume")
def resume_run(
    request: Request,
    run_id: str,
    user: WebUser = Depends(require_csrf),
    runtime: Runtime = Depends(get_runtime),
) -> Response:
    runtime.runs.resume(user.organization_id, run_id)
    return redirect(request, f"/app/runs/{run_id}")


# --- webhooks --------------------------------------------------------------------------------


@router.get("/runs/{run_id}/webhooks")
def webhook_log(
    request: Request,
    run_id: str,
    session: SessionDep,
    user: WebUser = Depends(require_user),
) -> Response:
    deliveries = delivery_log.run_deliveries(session, user.organization_id, run_id)
    return render(request, "runs/_webhooks.html", {"deliveries": deliveries}, user=user)


@router.post("/webhook-events/{event_id}/redeliver")
def redeliver(
    request: Request,
    event_id: str,
    session: SessionDep,
    background: BackgroundTasks,
    user: WebUser = Depends(require_csrf),
    runtime: Runtime = Depends(get_runtime),
) -> Response:
    delivery_log.redeliver(session, user.organization_id, event_id, utcnow())
    background.add_task(runtime.webhooks.wake)  # after the commit, when the row is visible
    run_id = request.query_params.get("run_id", "")
    if is_htmx(request) and run_id:
        session.flush()
        deliveries = delivery_log.run_deliveries(session, user.organization_id, run_id)
        return render(request, "runs/_webhooks.html", {"deliveries": deliveries}, user=user)
    return redirect(request, f"/app/runs/{run_id}#webhooks" if run_id else "/app/runs")


# --- uploads (the run form's file goes straight to the signed upload form) -------------------


@router.post("/uploads/video")
def reserve_upload(
    user: WebUser = Depends(require_csrf),
    runtime: Runtime = Depends(get_runtime),
) -> JSONResponse:
    ticket = get_uploads(runtime).reserve(user.organization_id, "video")
    return JSONResponse(
        {
            "video_id": ticket.upload_id,
            "upload_url": ticket.upload_url,
            "upload_fields": ticket.upload_fields,
            "max_file_size_bytes": ticket.max_file_size_bytes,
        }
    )
