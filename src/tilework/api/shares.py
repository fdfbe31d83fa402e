"""``POST|GET|DELETE /agent/{agent_id}/share``: a public, read-only link to an agent and one
finished run's outputs. HTTP only; the rules live in ``tilework.agents.sharing``."""

from __future__ import annotations

from fastapi import APIRouter, Body, Depends

from tilework.agents import sharing
from tilework.agents.sharing import ShareRequest, ShareState
from tilework.api.deps import SessionDep, get_org, get_runtime
from tilework.db.tables import Organization
from tilework.runtime import Runtime

router = APIRouter(tags=["agents"])


@router.post("/agent/{agent_id}/share")
def share_agent(
    agent_id: str,
    session: SessionDep,
    body: ShareRequest | None = Body(default=None),
    org: Organization = Depends(get_org),
    runtime: Runtime = Depends(get_runtime),
) -> ShareState:
    """Publish the agent (or, with `duplicate`, a copy of it) behind an unguessable public link:
    a read-only page with its graph and, with `run_id`, that finished run's outputs. Sharing an
    agent that is already shared keeps its link. 409 while the run is still running."""
    base_url = runtime.settings.public_base_url
    return sharing.share_agent(
        session, runtime.tiles, org.id, agent_id, body or ShareRequest(), base_url
    )


@router.get("/agent/{agent_id}/share")
def get_agent_share(
    agent_id: str,
    session: SessionDep,
    org: Organization = Depends(get_org),
    runtime: Runtime = Depends(get_runtime),
) -> ShareState:
    """The agent's sharing state: `share_url` is null when it is not shared."""
    return sharing.share_state(session, org.id, agent_id, runtime.settings.public_base_url)


@router.delete("/agent/{agent_id}/share")
def unshare_agent(
    agent_id: str,
    session: SessionDep,
    org: Organization = Depends(get_org),
    runtime: Runtime = Depends(get_runtime),
) -> ShareState:
    """Revoke the link (it stops working at once, for good) and make the agent private."""
    return sharing.unshare_agent(session, org.id, agent_id, runtime.settings.public_base_url)
