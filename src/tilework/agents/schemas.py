"""Wire shapes of agents and node types (requests and responses), exactly as api.md names them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Visibility = Literal["public", "private"]
Name = Annotated[str, Field(min_length=1, max_length=120)]
Description = Annotated[str, Field(max_length=5000)]
Params = dict[str, Any]


class _Strict(BaseModel):
    """Our own request shapes refuse unknown fields, so a typo is an error, not a no-op."""

    model_config = ConfigDict(extra="forbid")


# --- requests ------------------------------------------------------------------------------


class GraphNodeIn(_Strict):
    temp_ref_id: str = Field(min_length=1)
    node_type_id: str = Field(description="A node type id, or [ext] its slug such as `trim`.")
    params_used: Params = Field(default_factory=dict)


class GraphConnectionIn(_Strict):
    source_temp_ref_id: str
    target_temp_ref_id: str


class GraphIn(_Strict):
    """[ext] A whole graph in one call; ``temp_ref_id`` names a node within this request only."""

    nodes: list[GraphNodeIn] = Field(default_factory=list)
    connections: list[GraphConnectionIn] = Field(default_factory=list)


class AgentCreate(BaseModel):
    name: Name = "Untitled agent"
    description: Description = ""
    visibility: Visibility = "private"
    graph: GraphIn | None = None


class CreateNodeOp(_Strict):
    op: Literal["create_node"]
    node_type_id: str
    temp_ref_id: str | None = Field(default=None, min_length=1)
    params_used: Params = Field(default_factory=dict)


class UpdateNodeOp(_Strict):
    op: Literal["update_node"]
    agent_node_id: str
    params_used: Params = Field(description="Merged into the node's current params.")


class DeleteNodeOp(_Strict):
    op: Literal["delete_node"]
    agent_node_id: str


class _ConnectionEnds(_Strict):
    """Each end is an existing ``agent_node_id`` or a ``temp_ref_id`` created earlier."""

    source_agent_node_id: str | None = None
    source_temp_ref_id: str | None = None
    target_agent_node_id: str | None = None
    target_temp_ref_id: str | None = None

    @model_validator(mode="after")
    def _one_ref_per_end(self) -> _ConnectionEnds:
        for end in ("source", "target"):
            given = [getattr(self, f"{end}_{kind}") for kind in ("agent_node_id", "temp_ref_id")]
            if sum(value is not None for value in given) != 1:
                raise ValueError(f"give exactly one of {end}_agent_node_id, {end}_temp_ref_id")
        return self


class CreateConnectionOp(_ConnectionEnds):
    op: Literal["create_connection"]


class DeleteConnectionOp(_ConnectionEnds):
    op: Literal["delete_connection"]


Operation = Annotated[
    CreateNodeOp | UpdateNodeOp | DeleteNodeOp | CreateConnectionOp | DeleteConnectionOp,
    Field(discriminator="op"),
]


class AgentUpdate(BaseModel):
    name: Name | None = None
    description: Description | None = None
    visibility: Visibility | None = None
    operations: list[Operation] = Field(default_factory=list)

    @model_validator(mode="after")
    def _something_to_do(self) -> AgentUpdate:
        fields = (self.name, self.description, self.visibility)
        if all(value is None for value in fields) and not self.operations:
            raise ValueError("give at least one of name, description, visibility, operations")
        return self


class AgentDuplicate(BaseModel):
    name: Name | None = None
    description: Description | None = None
    visibility: Visibility | None = None


# --- responses -----------------------------------------------------------------------------


class NodeTypeRef(BaseModel):
    node_type_id: str
    node_type_name: str
    docs_url: str | None
    params_docs_url: str | None
    slug: str | None = Field(default=None, description="[ext] Short name usable in agent YAML.")


class NodeTypeListed(NodeTypeRef):
    """A node type as the catalogue lists it (node views elsewhere carry the plain ref)."""

    features: dict[str, str] = Field(
        default_factory=dict,
        description="[ext] What this server's install offers for the tile, e.g. the Clips "
        "tile's `prompt_ranking` (semantic or bm25).",
    )


class NodeTypeDetail(NodeTypeListed):
    params_schema: dict[str, Any] = Field(description="[ext] JSON Schema of `params_used`.")


class AgentNodeView(BaseModel):
    agent_node_id: str
    node_type: NodeTypeRef
    params_used: Params


class ConnectionView(BaseModel):
    source_agent_node_id: str
    target_agent_node_id: str


class AgentMeta(BaseModel):
    id: str
    name: str
    description: str
    visibility: Visibility
    created_at: datetime
    updated_at: datetime


class AgentView(BaseModel):
    agent: AgentMeta
    agent_nodes: list[AgentNodeView]
    connections: list[ConnectionView]


class AgentChanged(AgentView):
    created_nodes: dict[str, str] = Field(description="Each `temp_ref_id` → its `agent_node_id`.")


class AgentSummary(BaseModel):
    id: str
    name: str
    description: str
    created_at: datetime
    updated_at: datetime


class AgentPage(BaseModel):
    agents: list[AgentSummary]
    next_cursor: str | None


class AgentDeleted(BaseModel):
    success: bool
    agent_id: str
    message: str


class NodeTypeList(BaseModel):
    node_types: list[NodeTypeListed]


class NodeTypeOne(BaseModel):
    node_type: NodeTypeDetail


class AgentNodeOne(BaseModel):
    agent_node: AgentNodeView
