"""Agents (templates) and the node type catalogue."""

from __future__ import annotations

import builtins
from collections.abc import AsyncIterator, Iterator, Sequence

from tilework.sdk._async import AsyncCore
from tilework.sdk._call import Call, model, path, query
from tilework.sdk._sync import SyncCore
from tilework.sdk.agent_yaml import agent_to_yaml, build_create_request, parse_agent_yaml
from tilework.sdk.models.agents import (
    Agent,
    AgentChanged,
    AgentDeleted,
    AgentNode,
    AgentNodeOne,
    AgentPage,
    AgentSummary,
    CreateAgentRequest,
    DuplicateAgentRequest,
    Graph,
    NodeType,
    NodeTypeDetail,
    NodeTypeList,
    NodeTypeOne,
    Operation,
    ShareRequest,
    ShareState,
    UpdateAgentRequest,
    Visibility,
)

# --- operations ------------------------------------------------------------------------------


def list_agents(limit: int, cursor: str | None) -> Call[AgentPage]:
    return Call("GET", "/agents", model(AgentPage), query(limit=limit, cursor=cursor))


def get_agent(agent_id: str) -> Call[Agent]:
    return Call("GET", path("/agent/{}", agent_id), model(Agent))


def create_agent(body: CreateAgentRequest) -> Call[AgentChanged]:
    return Call("POST", "/agent/create", model(AgentChanged), body=body)


def update_agent(agent_id: str, body: UpdateAgentRequest) -> Call[AgentChanged]:
    return Call("POST", path("/agent/{}/update", agent_id), model(AgentChanged), body=body)


def duplicate_agent(agent_id: str, body: DuplicateAgentRequest) -> Call[Agent]:
    return Call("POST", path("/agent/{}/duplicate", agent_id), model(Agent), body=body)


def delete_agent(agent_id: str) -> Call[AgentDeleted]:
    return Call("POST", path("/agent/{}/delete", agent_id), model(AgentDeleted))


def share_agent(agent_id: str, body: ShareRequest) -> Call[ShareState]:
    return Call("POST", path("/agent/{}/share", agent_id), model(ShareState), body=body)


def get_share(agent_id: str) -> Call[ShareState]:
    return Call("GET", path("/agent/{}/share", agent_id), model(ShareState))


def unshare_agent(agent_id: str) -> Call[ShareState]:
    return Call("DELETE", path("/agent/{}/share", agent_id), model(ShareState))


def get_agent_node(agent_node_id: str) -> Call[AgentNodeOne]:
    return Call("GET", path("/agent_nodes/{}", agent_node_id), model(AgentNodeOne))


def list_node_types() -> Call[NodeTypeList]:
    return Call("GET", "/node_types", model(NodeTypeList))


def get_node_type(node_type_id: str) -> Call[NodeTypeOne]:
    return Call("GET", path("/node_type/{}", node_type_id), model(NodeTypeOne))


def _create_from_yaml(text: str, node_types: Sequence[NodeType]) -> CreateAgentRequest:
    body = build_create_request(parse_agent_yaml(text), [t.model_dump() for t in node_types])
    return CreateAgentRequest.model_validate(body)


def _to_yaml(agent: Agent, node_types: Sequence[NodeType]) -> str:
    return agent_to_yaml(agent.model_dump(mode="json"), [t.model_dump() for t in node_types])


# --- synchronous -----------------------------------------------------------------------------


class NodeTypes:
    def __init__(self, core: SyncCore) -> None:
        self._core = core

    def list(self) -> builtins.list[NodeType]:
        return self._core.call(list_node_types()).node_types

    def get(self, node_type_id: str) -> NodeTypeDetail:
        """One node type with its parameter JSON Schema (``params_schema``)."""
        return self._core.call(get_node_type(node_type_id)).node_type


class Agents:
    def __init__(self, core: SyncCore, node_types: NodeTypes) -> None:
        self._core = core
        self._node_types = node_types

    def list(self, *, limit: int = 25, cursor: str | None = None) -> AgentPage:
        """One page, newest first; pass ``next_cursor`` back as ``cursor`` for the next."""
        return self._core.call(list_agents(limit, cursor))

    def iterate(self, *, page_size: int = 100) -> Iterator[AgentSummary]:
        """Every agent, fetching pages as needed."""
        return self._core.paginate(lambda cursor: list_agents(page_size, cursor))

    def get(self, agent_id: str) -> Agent:
        return self._core.call(get_agent(agent_id))

    def create(
        self,
        name: str,
        *,
        description: str | None = None,
        visibility: Visibility | None = None,
        graph: Graph | None = None,
    ) -> AgentChanged:
        body = CreateAgentRequest(
            name=name, description=description, visibility=visibility, graph=graph
        )
        return self._core.call(create_agent(body))

    def import_yaml(self, text: str) -> AgentChanged:
        """Create an agent from an agent YAML file's text (``AgentYamlError`` if invalid)."""
        return self._core.call(create_agent(_create_from_yaml(text, self._node_types.list())))

    def export_yaml(self, agent_id: str) -> str:
        """The agent as YAML, in the format ``import_yaml`` reads."""
        return _to_yaml(self.get(agent_id), self._node_types.list())

    def update(
        self,
        agent_id: str,
        *,
        name: str | None = None,
        description: str | None = None,
        visibility: Visibility | None = None,
        operations: Sequence[Operation] | None = None,
    ) -> AgentChanged:
        """Change fields and apply graph ``operations`` atomically (all or nothing)."""
        body = UpdateAgentRequest(
            name=name,
            description=description,
            visibility=visibility,
            operations=None if operations is None else builtins.list(operations),
        )
        return self._core.call(update_agent(agent_id, body))

    def duplicate(
        self,
        agent_id: str,
        *,
        name: str | None = None,
        description: str | None = None,
        visibility: Visibility | None = None,
    ) -> Agent:
        body = DuplicateAgentRequest(name=name, description=description, visibility=visibility)
        return self._core.call(duplicate_agent(agent_id, body))

    def delete(self, agent_id: str) -> AgentDeleted:
        """Soft delete: the agent's runs keep working and stay readable."""
        return self._core.call(delete_agent(agent_id))

    def node(self, agent_node_id: str) -> AgentNode:
        return self._core.call(get_agent_node(agent_node_id)).agent_node

    def share(
        self,
        agent_id: str,
        *,
        run_id: str | None = None,
        name: str | None = None,
        duplicate: bool | None = None,
    ) -> ShareState:
        """Publish a read-only page behind an unguessable link (``share_url``); with ``run_id``
        it shows that finished run's outputs, with ``duplicate`` a copy of the agent."""
        body = ShareRequest(run_id=run_id, name=name, duplicate=duplicate)
        return self._core.call(share_agent(agent_id, body))

    def share_state(self, agent_id: str) -> ShareState:
        return self._core.call(get_share(agent_id))

    def unshare(self, agent_id: str) -> ShareState:
        """Revoke the link at once and for good (sharing again makes a new one)."""
        return self._core.call(unshare_agent(agent_id))


# --- asynchronous ----------------------------------------------------------------------------


class AsyncNodeTypes:
    def __init__(self, core: AsyncCore) -> None:
        self._core = core

    async def list(self) -> builtins.list[NodeType]:
        return (await self._core.call(list_node_types())).node_types

    async def get(self, node_type_id: str) -> NodeTypeDetail:
        return (await self._core.call(get_node_type(node_type_id))).node_type


class AsyncAgents:
    def __init__(self, core: AsyncCore, node_types: AsyncNodeTypes) -> None:
        self._core = core
        self._node_types = node_types

    async def list(self, *, limit: int = 25, cursor: str | None = None) -> AgentPage:
        return await self._core.call(list_agents(limit, cursor))

    def iterate(self, *, page_size: int = 100) -> AsyncIterator[AgentSummary]:
        return self._core.paginate(lambda cursor: list_agents(page_size, cursor))

    async def get(self, agent_id: str) -> Agent:
        return await self._core.call(get_agent(agent_id))

    async def create(
        self,
        name: str,
        *,
        description: str | None = None,
        visibility: Visibility | None = None,
        graph: Graph | None = None,
    ) -> AgentChanged:
        body = CreateAgentRequest(
            name=name, description=description, visibility=visibility, graph=graph
        )
        return await self._core.call(create_agent(body))

    async def import_yaml(self, text: str) -> AgentChanged:
        body = _create_from_yaml(text, await self._node_types.list())
        return await self._core.call(create_agent(body))

    async def export_yaml(self, agent_id: str) -> str:
        return _to_yaml(await self.get(agent_id), await self._node_types.list())

    async def update(
        self,
        agent_id: str,
        *,
        name: str | None = None,
        description: str | None = None,
        visibility: Visibility | None = None,
        operations: Sequence[Operation] | None = None,
    ) -> AgentChanged:
        body = UpdateAgentRequest(
            name=name,
            description=description,
            visibility=visibility,
            operations=None if operations is None else builtins.list(operations),
        )
        return await self._core.call(update_agent(agent_id, body))

    async def duplicate(
        self,
        agent_id: str,
        *,
        name: str | None = None,
        description: str | None = None,
        visibility: Visibility | None = None,
    ) -> Agent:
        body = DuplicateAgentRequest(name=name, description=description, visibility=visibility)
        return await self._core.call(duplicate_agent(agent_id, body))

    async def delete(self, agent_id: str) -> AgentDeleted:
        return await self._core.call(delete_agent(agent_id))

    async def node(self, agent_node_id: str) -> AgentNode:
        return (await self._core.call(get_agent_node(agent_node_id))).agent_node

    async def share(
        self,
        agent_id: str,
        *,
        run_id: str | None = None,
        name: str | None = None,
        duplicate: bool | None = None,
    ) -> ShareState:
        body = ShareRequest(run_id=run_id, name=name, duplicate=duplicate)
        return await self._core.call(share_agent(agent_id, body))

    async def share_state(self, agent_id: str) -> ShareState:
        return await self._core.call(get_share(agent_id))

    async def unshare(self, agent_id: str) -> ShareState:
        return await self._core.call(unshare_agent(agent_id))
