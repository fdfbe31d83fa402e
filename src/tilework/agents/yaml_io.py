"""Agents as YAML files (``tilework agents import/export``), converted to and from API shapes.

The format::

    name: Trim and caption          # required, 1-120 characters
    description: optional text      # optional, up to 5000 characters
    visibility: private             # optional: public | private
    nodes:
      - id: input                   # a local reference, unique in the file
        type: 9451e6ff-ac7f-4317-9055-a2f35f641b29   # a node type id ...
      - id: cut
        type: trim                  # ... or a tile slug (see GET /node_types)
        params: {start_seconds: 1}  # optional; checked against the tile's params schema
    edges:
      - [input, cut]                # [from id, to id]

``agent_from_yaml`` gives the ``POST /agent/create`` request (each node's ``id`` becomes its
``temp_ref_id``); with a tile registry it also turns slugs into node type ids, otherwise the
server resolves them. ``agent_to_yaml`` writes an agent read from ``GET /agent/{id}`` in the same
format, using node type ids (portable to Mosaic) and readable refs made from tile slugs.
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticValidationError

from tilework.agents.draft import describe_errors, resolve_tile
from tilework.agents.schemas import (
    AgentCreate,
    AgentView,
    Description,
    GraphConnectionIn,
    GraphIn,
    GraphNodeIn,
    Name,
    Visibility,
)
from tilework.errors import ValidationError
from tilework.tiles.registry import TileRegistry


class _YamlNode(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(min_length=1)
    type: str = Field(min_length=1)
    params: dict[str, Any] = Field(default_factory=dict)


class _YamlAgent(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name
    description: Description = ""
    visibility: Visibility = "private"
    nodes: list[_YamlNode] = Field(default_factory=list)
    edges: list[tuple[str, str]] = Field(default_factory=list)


def agent_from_yaml(text: str, tiles: TileRegistry | None = None) -> AgentCreate:
    """Parse an agent file; ``ValidationError`` says what is wrong and where."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValidationError(f"not valid YAML: {exc}") from None
    try:
        spec = _YamlAgent.model_validate(document)
    except PydanticValidationError as exc:
        raise ValidationError(f"agent YAML: {describe_errors(exc.errors())}") from None
    return AgentCreate(
        name=spec.name,
        description=spec.description,
        visibility=spec.visibility,
        graph=GraphIn(
            nodes=[
                GraphNodeIn(
                    temp_ref_id=node.id,
                    node_type_id=resolve_tile(tiles, node.type).type_id if tiles else node.type,
                    params_used=node.params,
                )
                for node in spec.nodes
            ],
            connections=[
                GraphConnectionIn(source_temp_ref_id=source, target_temp_ref_id=target)
                for source, target in spec.edges
            ],
        ),
    )


def agent_to_yaml(agent: AgentView) -> str:
    refs = _refs(agent)
    nodes: list[dict[str, Any]] = []
    for node in agent.agent_nodes:
        entry: dict[str, Any] = {
            "id": refs[node.agent_node_id],
            "type": node.node_type.node_type_id,
        }
        if node.params_used:
            entry["params"] = node.params_used
        nodes.append(entry)
    document: dict[str, Any] = {"name": agent.agent.name}
    if agent.agent.description:
        document["description"] = agent.agent.description
    document["visibility"] = agent.agent.visibility
    document["nodes"] = nodes
    document["edges"] = [
        [refs[c.source_agent_node_id], refs[c.target_agent_node_id]] for c in agent.connections
    ]
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True)


def _refs(agent: AgentView) -> dict[str, str]:
    """Readable, unique local refs: ``trim``, ``trim-2``, ... from slugs (or type names)."""
    refs: dict[str, str] = {}
    used: set[str] = set()
    for node in agent.agent_nodes:
        kind = node.node_type
        base = kind.slug or re.sub(r"[^a-z0-9]+", "-", kind.node_type_name.lower()).strip("-")
        ref, count = base or "node", 1
        while ref in used:
            count += 1
            ref = f"{base}-{count}"
        used.add(ref)
        refs[node.agent_node_id] = ref
    return refs
