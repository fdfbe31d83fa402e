"""The tile catalogue (``/node_types``, ``/node_type/{id}``) and one agent node. HTTP only."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from tilework.agents import service
from tilework.agents.schemas import AgentNodeOne, NodeTypeList, NodeTypeOne
from tilework.api.deps import SessionDep, get_org, get_runtime
from tilework.db.tables import Organization
from tilework.runtime import Runtime

router = APIRouter(tags=["node types"])


@router.get("/node_types")
def list_node_types(
    org: Organization = Depends(get_org), runtime: Runtime = Depends(get_runtime)
) -> NodeTypeList:
    return NodeTypeList(node_types=service.list_node_types(runtime.tiles, runtime.settings))


@router.get("/node_type/{node_type_id}")
def get_node_type(
    node_type_id: str,
    org: Organization = Depends(get_org),
    runtime: Runtime = Depends(get_runtime),
) -> NodeTypeOne:
    return NodeTypeOne(
        node_type=service.node_type_detail(runtime.tiles, runtime.settings, node_type_id)
    )


@router.get("/agent_nodes/{agent_node_id}")
def get_agent_node(
    agent_node_id: str,
    session: SessionDep,
    org: Organization = Depends(get_org),
    runtime: Runtime = Depends(get_runtime),
) -> AgentNodeOne:
    node = service.get_agent_node(session, runtime.tiles, org.id, agent_node_id)
    return AgentNodeOne(agent_node=node)
