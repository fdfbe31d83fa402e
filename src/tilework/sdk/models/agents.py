"""Agents, their nodes and connections, and the node type catalogue (requests and answers)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field

from tilework.sdk.models._base import Answer, Request

Visibility = Literal["public", "private"]
Params = dict[str, Any]

# --- answers -------------------------------------------------------------------------------


class NodeType(Answer):
    node_type_id: str
    node_type_name: str
    docs_url: str | None = None
    params_docs_url: str | None = None
    slug: str | None = None  # [ext] the short name agent YAML files use
    # [ext] what the server's install offers for the tile, e.g. Clips' "prompt_ranking"
    features: dict[str, str] = Field(default_factory=dict)


class NodeTypeDetail(NodeType):
    params_schema: dict[str, Any] = Field(default_factory=dict)  # [ext] JSON Schema of params


class NodeTypeList(Answer):
    node_types: list[NodeType]


class NodeTypeOne(Answer):
    node_type: NodeTypeDetail


class AgentNode(Answer):
    agent_node_id: str
    node_type: NodeType
    params_used: Params = Field(default_factory=dict)


class AgentNodeOne(Answer):
    agent_node: AgentNode


class Connection(Answer):
    source_agent_node_id: str
    target_agent_node_id: str


class AgentMeta(Answer):
    id: str
    name: str
    description: str = ""
    visibility: Visibility = "private"
    created_at: datetime
    updated_at: datetime


class Agent(Answer):
    """``GET /agent/{agent_id}``: the agent, its nodes and its connections."""

    agent: AgentMeta
    agent_nodes: list[AgentNode]
    connections: list[Connection]

    @property
    def id(self) -> str:
        return self.agent.id


class AgentChanged(Agent):
    """Create and update answers: the agent, and each ``temp_ref_id`` → its new node id."""

    created_nodes: dict[str, str] = Field(default_factory=dict)


class AgentSummary(Answer):
    id: str
    name: str
    description: str = ""
    created_at: datetime
    updated_at: datetime


class AgentPage(Answer):
    agents: list[AgentSummary]
    next_cursor: str | None = None

    @property
    def items(self) -> list[AgentSummary]:
        return self.agents


class AgentDeleted(Answer):
    success: bool
    agent_id: str
    message: str = ""


class ShareState(Answer):
    """``POST|GET|DELETE /agent/{agent_id}/share``: the agent's public link (null if none)."""

    agent_id: str
    name: str
    visibility: Visibility
    share_url: str | None = None
    run_id: str | None = None  # [ext] the finished run whose outputs the page shows
    source_agent_id: str | None = None  # [ext] with duplicate: the agent the copy came from
    shared_at: datetime | None = None  # [ext]


# --- requests ------------------------------------------------------------------------------


class GraphNode(Request):
    temp_ref_id: str
    node_type_id: str  # a node type id, or [ext] its slug such as "trim"
    params_used: Params = Field(default_factory=dict)


class GraphConnection(Request):
    source_temp_ref_id: str
    target_temp_ref_id: str


class Graph(Request):
    """[ext] A whole graph in one ``POST /agent/create``."""

    nodes: list[GraphNode] = Field(default_factory=list)
    connections: list[GraphConnection] = Field(default_factory=list)


class CreateAgentRequest(Request):
    name: str
    description: str | None = None
    visibility: Visibility | None = None
    graph: Graph | None = None


class ShareRequest(Request):
    duplicate: bool | None = None  # share a copy; the original stays private
    run_id: str | None = None  # a finished run whose outputs the page shows
    name: str | None = None  # title of the page (and the copy's name)


class CreateNode(Request):
    op: Literal["create_node"] = "create_node"
    node_type_id: str
    temp_ref_id: str | None = None
    params_used: Params = Field(default_factory=dict)


class UpdateNode(Request):
    op: Literal["update_node"] = "update_node"
    agent_node_id: str
    params_used: Params  # merged into the node's current params


class DeleteNode(Request):
    op: Literal["delete_node"] = "delete_node"
    agent_node_id: str


class _ConnectionEnds(Request):
    """Each end is an existing ``*_agent_node_id`` or a ``*_temp_ref_id`` created earlier."""

    source_agent_node_id: str | None = None
    source_temp_ref_id: str | None = None
    target_agent_node_id: str | None = None
    target_temp_ref_id: str | None = None


class CreateConnection(_ConnectionEnds):
    op: Literal["create_connection"] = "create_connection"


class DeleteConnection(_ConnectionEnds):
    op: Literal["delete_connection"] = "delete_connection"


Operation = Annotated[
    CreateNode | UpdateNode | DeleteNode | CreateConnection | DeleteConnection,
    Field(discriminator="op"),
]


class UpdateAgentRequest(Request):
    name: str | None = None
    description: str | None = None
    visibility: Visibility | None = None
    operations: list[Operation] | None = None


class DuplicateAgentRequest(Request):
    name: str | None = None
    description: str | None = None
    visibility: Visibility | None = None
