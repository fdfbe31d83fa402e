"""Triggers: each agent's YouTube channels and schedules, their runs, firing one now, adding and
removing them. All through ``TriggerService``, as the API does."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from pydantic import ValidationError as PydanticValidationError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from tilework.agents import service
from tilework.api.deps import SessionDep, get_runtime
from tilework.api.errors import describe_validation_errors
from tilework.api.pagination import MAX_LIMIT, paginate
from tilework.db.session import unit_of_work
from tilework.db.tables import Agent
from tilework.errors import TileworkError
from tilework.runtime import Runtime
from tilework.triggers.schemas import AddSchedule, AddYoutubeChannels, FireTrigger
from tilework.web.auth import WebUser, require_csrf, require_user
from tilework.web.rendering import HtmlRoute, redirect, render

router = APIRouter(prefix="/app", route_class=HtmlRoute, include_in_schema=False)


@router.get("/triggers")
def triggers_page(
    request: Request,
    session: SessionDep,
    user: WebUser = Depends(require_user),
) -> Response:
    return _page(request, session, user)


def _page(
    request: Request, session: Session, user: WebUser, status_code: int = 200, error: str = ""
) -> Response:
    runtime: Runtime = request.app.state.runtime
    agents, _ = paginate(
        session, service.agents_query(user.organization_id), Agent, limit=MAX_LIMIT
    )
    groups = [
        {
            "agent": agent,
            "triggers": runtime.triggers.list_triggers(session, user.organization_id, agent.id),
        }
        for agent in agents
    ]
    context = {
        "title": "Triggers",
        "section": "triggers",
        "groups": groups,
        "agents": agents,
        "error": error,
        "message": request.query_params.get("message", ""),
    }
    return render(request, "triggers.html", context, user=user, status_code=status_code)


def _failed(
    request: Request, runtime: Runtime, user: WebUser, detail: str, status: int
) -> Response:
    with unit_of_work(runtime.sessions) as session:
        return _page(request, session, user, status, detail)


async def _attempt(request: Request, runtime: Runtime, user: WebUser, action: Any) -> Any:
    """Run a service call in a thread; a refusal re-draws the page with its reason."""
    try:
        return await run_in_threadpool(action)
    except TileworkError as exc:
        return await run_in_threadpool(_failed, request, runtime, user, exc.detail, exc.status_code)
    except PydanticValidationError as exc:
        detail = describe_validation_errors(exc.errors())
        return await run_in_threadpool(_failed, request, runtime, user, detail, 400)


@router.post("/triggers/schedule")
async def add_schedule(
    request: Request,
    agent_id: Annotated[str, Form()],
    cron: Annotated[str, Form()],
    timezone: Annotated[str, Form()] = "UTC",
    video_url: Annotated[str, Form()] = "",
    callback_url: Annotated[str, Form()] = "",
    user: WebUser = Depends(require_csrf),
    runtime: Runtime = Depends(get_runtime),
) -> Response:
    def add() -> Response:
        body = AddSchedule(
            cron=cron,
            timezone=timezone.strip() or "UTC",
            video_urls=video_url.split(),
            trigger_callback_url=callback_url.strip() or None,
        )
        runtime.triggers.add_schedule(user.organization_id, agent_id, body)
        return redirect(request, "/app/triggers?message=schedule-added")

    result: Response = await _attempt(request, runtime, user, add)
    return result


@router.post("/triggers/youtube")
async def add_channel(
    request: Request,
    agent_id: Annotated[str, Form()],
    channel: Annotated[str, Form()],
    callback_url: Annotated[str, Form()] = "",
    user: WebUser = Depends(require_csrf),
    runtime: Runtime = Depends(get_runtime),
) -> Response:
    def add() -> Response:
        fields: dict[str, Any] = {"youtube_channels": channel.split()}
        if callback_url.strip():
            fields["trigger_callback_url"] = callback_url.strip()
        runtime.triggers.add_youtube_channels(
            user.organization_id, agent_id, AddYoutubeChannels(**fields)
        )
        return redirect(request, "/app/triggers?message=channel-added")

    result: Response = await _attempt(request, runtime, user, add)
    return result


@router.post("/triggers/{trigger_id}/fire")
async def fire(
    request: Request,
    trigger_id: str,
    video_url: Annotated[str, Form()] = "",
    user: WebUser = Depends(require_csrf),
    runtime: Runtime = Depends(get_runtime),
) -> Response:
    def fire_now() -> Response:
        body = FireTrigger(video_urls=video_url.split()) if video_url.strip() else None
        fired = runtime.triggers.fire(user.organization_id, trigger_id, body)
        return redirect(request, f"/app/runs/{fired['run_id']}")

    result: Response = await _attempt(request, runtime, user, fire_now)
    return result


@router.post("/triggers/{trigger_id}/remove")
async def remove(
    request: Request,
    trigger_id: str,
    user: WebUser = Depends(require_csrf),
    runtime: Runtime = Depends(get_runtime),
) -> Response:
    def remove_now() -> Response:
        runtime.triggers.remove_trigger(user.organization_id, trigger_id)
        return redirect(request, "/app/triggers?message=trigger-removed")

    result: Response = await _attempt(request, runtime, user, remove_now)
    return result
