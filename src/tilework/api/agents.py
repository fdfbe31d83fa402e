"""Agents (templates): list, read, create, update, duplicate, delete. HTTP only."""

from __future__ import annotations

from fastapi import APIRouter, Body, Depends, Query

from tilework.agents import service
from tilework.agents.schemas import (
    AgentChanged,
    AgentCreate,
    AgentDeleted,
    AgentDuplicate,
    AgentPage,
    AgentUpdate,
    AgentView,
)
from tilework.api.deps import SessionDep, get_org, get_runtime
from tilework.api.pagination import DEFAULT_LIMIT, paginate
from tilework.db.tables import Agent, Organization
from tilework.runtime import Runtime

router = APIRouter(tags=["agents"])


@router.get("/agents")
def list_agents(
    session: SessionDep,
    limit: int = Query(default=DEFAULT_LIMIT, description="1 to 100"),
    cursor: str | None = Query(default=None, description="`next_cursor` of the previous page"),
    org: Organization = Depends(get_org),
) -> AgentPage:
    agents, next_cursor = paginate(
        session, service.agents_query(org.id), Agent, limit=limit, cursor=cursor
    )
    return AgentPage(agents=[service.summary(a) for a in agents], next_cursor=next_cursor)


@router.get("/agent/{agent_id}")
def get_agent(
    agent_id: str,
    session: SessionDep,
    org: Organization = Depends(get_org),
    runtime: Runtime = Depends(get_runtime),
) -> AgentView:
    return service.get_agent(session, runtime.tiles, org.id, agent_id)


@router.post("/agent/create")
def create_agent(
    body: AgentCreate,
    session: SessionDep,
    org: Organization = Depends(get_org),
    runtime: Runtime = Depends(get_runtime),
) -> AgentChanged:
    return service.create_agent(session, runtime.tiles, org.id, body)


@router.post("/agent/{agent_id}/update")
@router.patch("/agent/{agent_id}/update")
def update_agent(
    agent_id: str,
    body: AgentUpdate,
    session: SessionDep,
    org: Organization = Depends(get_org),
    runtime: Runtime = Depends(get_runtime),
) -> AgentChanged:
    return service.update_agent(session, runtime.tiles, org.id, agent_id, body)


@router.post("/agent/{agent_id}/duplicate")
def duplicate_agent(
    agent_id: str,
    session: SessionDep,
    body: AgentDuplicate | None = Body(default=None),
    org: Organization = Depends(get_org),
    runtime: Runtime = Depends(get_runtime),
) -> AgentView:
    options = body or AgentDuplicate()
    return service.duplicate_agent(session, runtime.tiles, org.id, agent_id, options)


@router.post("/agent/{agent_id}/delete")
@router.delete("/agent/{agent_id}/delete")
def delete_agent(
    agent_id: str,
    session: SessionDep,
    org: Organization = Depends(get_org),
) -> AgentDeleted:
    service.delete_agent(session, org.id, agent_id)
    return AgentDeleted(success=True, agent_id=agent_id, message="Agent deleted successfully")
