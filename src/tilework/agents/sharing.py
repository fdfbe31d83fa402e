"""Sharing: a public, read-only link to an agent and, optionally, one finished run's outputs.

Mosaic's ``POST|GET|DELETE /agent/{agent_id}/share``. Sharing makes the agent ``public`` and
answers its ``share_url``; ``duplicate`` shares a copy instead (the original stays as it is);
``run_id`` names a finished run of the agent whose outputs the shared page shows. Unsharing
makes the agent ``private`` again and the link stops working at once. Sharing an agent that is
already shared keeps its link (and updates the run and name); a link revoked once never works
again. Services flush; the caller commits.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import cast

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from tilework.agents import service
from tilework.agents.schemas import AgentDuplicate, Name, Visibility
from tilework.db.tables import Agent, AgentShare, Run, utcnow
from tilework.errors import ConflictError, NotFoundError, ValidationError
from tilework.tiles.registry import TileRegistry

SHARE_PATH = "/shared/"  # public pages live under here (served by tilework.web)
_TOKEN_BYTES = 24  # 192 bits: 32 URL-safe characters


class ShareRequest(BaseModel):
    """Body of ``POST /agent/{agent_id}/share``; every field is optional."""

    model_config = ConfigDict(extra="forbid")

    duplicate: bool = Field(
        default=False,
        description="Share a copy of the agent instead; the original stays private and editable.",
    )
    run_id: str | None = Field(
        default=None,
        description="A finished run of this agent whose outputs the shared page shows.",
    )
    name: Name | None = Field(
        default=None, description="Title of the shared page (and the copy's name with duplicate)."
    )


class ShareState(BaseModel):
    """What the three share endpoints answer: the agent's sharing state."""

    agent_id: str = Field(description="The shared agent (the copy, when shared with duplicate).")
    name: str
    visibility: Visibility
    share_url: str | None = Field(description="The public link; null when not shared.")
    run_id: str | None = Field(default=None, description="[ext] The run whose outputs are shown.")
    source_agent_id: str | None = Field(
        default=None, description="[ext] With duplicate: the agent the copy was made from."
    )
    shared_at: datetime | None = Field(default=None, description="[ext] When the link was made.")


def share_agent(
    session: Session,
    tiles: TileRegistry,
    org_id: str,
    agent_id: str,
    body: ShareRequest,
    base_url: str,
) -> ShareState:
    source = service.owned_agent(session, org_id, agent_id)
    run_id = _finished_run(session, source, body.run_id) if body.run_id else None
    agent, source_id = source, None
    if body.duplicate:
        copy = service.duplicate_agent(
            session, tiles, org_id, source.id, AgentDuplicate(name=body.name)
        )
        agent, source_id = session.get_one(Agent, copy.agent.id), source.id
    share = live_share(session, agent.id)
    if share is None:
        share = AgentShare(
            organization_id=org_id,
            agent_id=agent.id,
            source_agent_id=source_id,
            token=secrets.token_urlsafe(_TOKEN_BYTES),
            name=body.name or agent.name,
        )
        session.add(share)
    else:
        share.name = body.name or share.name
        share.updated_at = utcnow()
    if run_id is not None:
        share.run_id = run_id
    agent.visibility, agent.updated_at = "public", utcnow()
    session.flush()
    return _state(agent, share, base_url)


def share_state(session: Session, org_id: str, agent_id: str, base_url: str) -> ShareState:
    agent = service.owned_agent(session, org_id, agent_id)
    return _state(agent, live_share(session, agent.id), base_url)


def unshare_agent(session: Session, org_id: str, agent_id: str, base_url: str) -> ShareState:
    """Revoke the link (idempotent) and make the agent private."""
    agent = service.owned_agent(session, org_id, agent_id)
    share = live_share(session, agent.id)
    if share is not None:
        share.revoked_at = utcnow()
    agent.visibility, agent.updated_at = "private", utcnow()
    session.flush()
    return _state(agent, None, base_url)


def live_share(session: Session, agent_id: str) -> AgentShare | None:
    return session.scalar(
        select(AgentShare).where(AgentShare.agent_id == agent_id, AgentShare.revoked_at.is_(None))
    )


def shared_by_token(session: Session, token: str) -> tuple[AgentShare, Agent]:
    """The live share behind a public link and its agent; ``NotFoundError`` for anything else
    (unknown or revoked link, deleted agent) — all alike, so a link's history never leaks."""
    share = session.scalar(select(AgentShare).where(AgentShare.token == token))
    agent = session.get(Agent, share.agent_id) if share is not None else None
    if share is None or share.revoked_at is not None or agent is None or agent.deleted_at:
        raise NotFoundError("this shared link does not exist or was revoked")
    return share, agent


def share_url(base_url: str, token: str) -> str:
    return f"{base_url}{SHARE_PATH}{token}"


def _finished_run(session: Session, agent: Agent, run_id: str) -> str:
    run = session.get(Run, run_id)
    if run is None or run.organization_id != agent.organization_id:
        raise NotFoundError(f"run {run_id} not found")
    if run.agent_id != agent.id:
        raise ValidationError(f"run_id: run {run_id} is not a run of agent {agent.id}")
    if run.status == "running":
        raise ConflictError(f"run {run_id} is still running: share it once it has finished")
    return run.id


def _state(agent: Agent, share: AgentShare | None, base_url: str) -> ShareState:
    return ShareState(
        agent_id=agent.id,
        name=share.name if share else agent.name,
        visibility=cast(Visibility, agent.visibility),  # the column holds a Visibility
        share_url=share_url(base_url, share.token) if share else None,
        run_id=share.run_id if share else None,
        source_agent_id=share.source_agent_id if share else None,
        shared_at=share.created_at if share else None,
    )
